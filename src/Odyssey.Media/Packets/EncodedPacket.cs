namespace Odyssey.Media;

/// <summary>
/// One compressed access unit (a frame's worth of bitstream) in pooled, pinned memory, reference
/// counted like <see cref="VideoFrame"/>. The buffer always holds <see cref="PaddingSize"/> zero bytes
/// after <see cref="Length"/>, because FFmpeg's bitstream readers may read that far past the end.
/// </summary>
public sealed class EncodedPacket : IRefCounted
{
    /// <summary>Zero bytes kept after the data: FFmpeg's AV_INPUT_BUFFER_PADDING_SIZE.</summary>
    public const int PaddingSize = 64;

    private readonly EncodedPacketPool _pool;
    private readonly byte[] _buffer;
    private ReferenceCount _references;

    internal EncodedPacket(EncodedPacketPool pool, byte[] buffer)
    {
        _pool = pool;
        _buffer = buffer;
    }

    /// <summary>Codec of the bitstream.</summary>
    public VideoCodec Codec { get; set; }

    /// <summary>Bytes of bitstream (padding excluded).</summary>
    public int Length { get; private set; }

    /// <summary>Largest <see cref="Length"/> this packet's buffer can hold.</summary>
    public int Capacity => _buffer.Length - PaddingSize;

    /// <summary>The bitstream, writable by whoever fills the packet.</summary>
    public Span<byte> Data => _buffer.AsSpan(0, Length);

    /// <summary>Presentation timestamp, relative to the stream's start.</summary>
    public TimeSpan Pts { get; set; }

    /// <summary>Decode timestamp when the container gives one; equal to <see cref="Pts"/> without reordering.</summary>
    public TimeSpan? Dts { get; set; }

    /// <summary>True when the packet starts a picture that decodes without earlier ones.</summary>
    public bool IsKeyframe { get; set; }

    /// <summary>Sequence number given by the reader: lets consumers see order and loss.</summary>
    public long Index { get; set; }

    /// <summary>Current number of owners; 0 means the packet is back in its pool.</summary>
    public int ReferenceCount => _references.Current;

    /// <summary>
    /// Sets the data length (up to <see cref="Capacity"/>) and zeroes the padding after it. Bytes below
    /// the new length are whatever the last user left: the caller writes them.
    /// </summary>
    public void SetLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Capacity);
        Length = length;
        _buffer.AsSpan(length, PaddingSize).Clear();
    }

    /// <summary>Address of the first data byte; stable (pinned heap) while the caller holds a reference.</summary>
    internal unsafe nint GetDataPointer()
    {
        fixed (byte* start = _buffer)
        {
            return (nint)start;
        }
    }

    /// <inheritdoc />
    public void AddRef() => _references.Increment("an encoded packet");

    /// <inheritdoc />
    public void Release()
    {
        if (_references.Decrement("encoded packet"))
        {
            _pool.Return(this);
        }
    }

    internal void Revive(int length)
    {
        _references.Reset();
        Codec = default;
        Pts = TimeSpan.Zero;
        Dts = null;
        IsKeyframe = false;
        Index = 0;
        SetLength(length);
    }
}
