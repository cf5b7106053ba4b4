using System.Buffers;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="JsonlSinkBlock"/>.</summary>
public sealed class JsonlSinkOptions
{
    /// <summary>File to write; relative to the working directory; its directory is created.</summary>
    [Description("File to write, one JSON object per line; relative paths resolve against the working directory.")]
    [Required]
    public required string Path { get; init; }

    /// <summary>Append to an existing file instead of replacing it.</summary>
    [Description("Append to an existing file instead of replacing it.")]
    public bool Append { get; init; }
}

/// <summary>
/// Writes analysis records as JSON Lines. Each line reaches the operating system as soon as it is
/// written, so a crash loses at most the line being written.
/// </summary>
[Block(TypeName, Description = "Writes analysis records as JSON Lines (one object per line).")]
public sealed class JsonlSinkBlock(JsonlSinkOptions options) : SinkBlock<AnalysisRecord, JsonlSinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "jsonl";

    /// <summary>Room for a typical record; the buffer grows once if a record is larger.</summary>
    private const int InitialLineCapacity = 4096;

    private readonly ArrayBufferWriter<byte> _line = new(InitialLineCapacity);
    private Utf8JsonWriter? _writer;
    private FileStream? _file;

    /// <summary>Lines written so far.</summary>
    public long LinesWritten { get; private set; }

    /// <summary>The resolved file path, once started.</summary>
    public string? FullPath { get; private set; }

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        FullPath = Context.ResolvePath(Options.Path);
        var directory = System.IO.Path.GetDirectoryName(FullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // No FileStream buffer: each line goes to the OS in one write call, which is the flush.
        var unfinished = Options.Append && EndsInsideALine(FullPath);
        _file = new FileStream(FullPath, Options.Append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        if (unfinished)
        {
            // A run that died mid-line left half a record: end it, so the first new record gets a line
            // of its own instead of being glued to it (one bad line, not two).
            _file.WriteByte((byte)'\n');
        }

        _writer = new Utf8JsonWriter(_line);
        return ValueTask.CompletedTask;
    }

    /// <summary>True when <paramref name="path"/> exists, is not empty and its last byte is not a line end.</summary>
    private static bool EndsInsideALine(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var existing = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        if (existing.Length == 0)
        {
            return false;
        }

        existing.Seek(-1, SeekOrigin.End);
        return existing.ReadByte() != '\n';
    }

    /// <inheritdoc />
    protected override ValueTask ConsumeAsync(AnalysisRecord item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var file = _file ?? throw new InvalidOperationException($"jsonl sink \"{Name}\" received a record before it was started");
        _line.ResetWrittenCount();
        _writer!.Reset(_line);
        item.WriteTo(_writer);
        _writer.Flush();
        _line.GetSpan(1)[0] = (byte)'\n';
        _line.Advance(1);
        file.Write(_line.WrittenSpan);
        LinesWritten++;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        Close();
        return base.DisposeAsync();
    }

    private void Close()
    {
        _writer?.Dispose();
        _writer = null;
        _file?.Flush(flushToDisk: false);
        _file?.Dispose();
        _file = null;
    }
}
