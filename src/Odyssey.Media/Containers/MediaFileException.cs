namespace Odyssey.Media.Containers;

/// <summary>
/// A media file could not be read or written: damaged, truncated, not the container its extension
/// names, or holding no stream we can use. Names the file and, where known, the byte offset and packet.
/// </summary>
public sealed class MediaFileException : IOException
{
    /// <summary>Creates the exception; the message is prefixed with the path.</summary>
    public MediaFileException(string path, string problem, long? byteOffset = null, long? packetIndex = null, Exception? innerException = null)
        : base(Describe(path, problem, byteOffset, packetIndex), innerException)
    {
        FilePath = path;
        ByteOffset = byteOffset;
        PacketIndex = packetIndex;
    }

    /// <summary>The file, as given to the reader or writer.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset in the file near the problem, when the demuxer reported one.</summary>
    public long? ByteOffset { get; }

    /// <summary>Index of the packet being read or written (0-based), when the problem is in one.</summary>
    public long? PacketIndex { get; }

    private static string Describe(string path, string problem, long? byteOffset, long? packetIndex)
    {
        var where = (packetIndex, byteOffset) switch
        {
            ({ } p, { } b) => $" (packet {p}, byte {b})",
            ({ } p, null) => $" (packet {p})",
            (null, { } b) => $" (byte {b})",
            _ => "",
        };
        return $"{path}: {problem}{where}";
    }
}
