using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Odyssey.Media.Containers;

/// <summary>
/// Reads the IVF container (what libvpx and ffmpeg write for VP8, VP9 and AV1) into pooled
/// <see cref="EncodedPacket"/>s. Managed on purpose: the format is two fixed headers, not worth libavformat.
/// </summary>
/// <remarks>
/// File header, 32 bytes little-endian: "DKIF", version u16, header size u16, fourcc, width u16,
/// height u16, time-base denominator u32, numerator u32, frame count u32, unused u32. Each frame:
/// size u32, pts u64 (in the time base), then the payload.
/// </remarks>
public sealed class IvfReader
{
    /// <summary>Bytes in the file header.</summary>
    public const int FileHeaderSize = 32;

    /// <summary>Bytes before each frame's payload.</summary>
    public const int FrameHeaderSize = 12;

    /// <summary>Frames larger than this are taken as a damaged header rather than allocated.</summary>
    public const int MaxFrameSize = 64 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly EncodedPacketPool _pool;
    private readonly byte[] _frameHeader = new byte[FrameHeaderSize];
    private long _index;
    private long _offset;

    /// <summary>Reads the file header from <paramref name="stream"/> (not disposed by the reader).</summary>
    /// <exception cref="InvalidDataException">The stream is not IVF or names an unknown codec.</exception>
    public IvfReader(Stream stream, EncodedPacketPool pool)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(pool);
        _stream = stream;
        _pool = pool;

        Span<byte> header = stackalloc byte[FileHeaderSize];
        var read = stream.ReadAtLeast(header, FileHeaderSize, throwOnEndOfStream: false);
        if (read < FileHeaderSize || !header[..4].SequenceEqual("DKIF"u8))
        {
            throw new InvalidDataException($"not an IVF stream: expected a {FileHeaderSize}-byte header starting with 'DKIF'");
        }

        var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        Codec = header.Slice(8, 4) switch
        {
            var f when f.SequenceEqual("VP80"u8) => VideoCodec.Vp8,
            var f when f.SequenceEqual("VP90"u8) => VideoCodec.Vp9,
            var f when f.SequenceEqual("AV01"u8) => VideoCodec.Av1,
            var f => throw new InvalidDataException($"IVF stream has unsupported fourcc '{System.Text.Encoding.ASCII.GetString(f)}' (VP80, VP90 or AV01 expected)"),
        };
        Width = BinaryPrimitives.ReadUInt16LittleEndian(header[12..]);
        Height = BinaryPrimitives.ReadUInt16LittleEndian(header[14..]);
        var denominator = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        var numerator = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        if (denominator == 0 || numerator == 0)
        {
            throw new InvalidDataException($"IVF stream has an invalid time base {numerator}/{denominator}");
        }

        TimeBaseNumerator = numerator;
        TimeBaseDenominator = denominator;
        _offset = FileHeaderSize;

        // A longer header than ours (a future version) is skipped, not misread as a frame.
        for (var skip = headerSize - FileHeaderSize; skip > 0; skip--)
        {
            if (stream.ReadByte() < 0)
            {
                throw new InvalidDataException($"IVF header declares {headerSize} bytes but the stream ends first");
            }

            _offset++;
        }
    }

    /// <summary>Codec named by the header's fourcc.</summary>
    public VideoCodec Codec { get; }

    /// <summary>Picture width the header declares.</summary>
    public int Width { get; }

    /// <summary>Picture height the header declares.</summary>
    public int Height { get; }

    /// <summary>Seconds per pts tick: numerator / denominator.</summary>
    public uint TimeBaseNumerator { get; }

    /// <inheritdoc cref="TimeBaseNumerator"/>
    public uint TimeBaseDenominator { get; }

    /// <summary>Reads the next frame as an owned packet (release it), or false at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">The stream ends inside a frame or a frame header is implausible.</exception>
    public bool TryRead([NotNullWhen(true)] out EncodedPacket? packet)
    {
        packet = null;
        var read = _stream.ReadAtLeast(_frameHeader, FrameHeaderSize, throwOnEndOfStream: false);
        if (read == 0)
        {
            return false;
        }

        if (read < FrameHeaderSize)
        {
            throw new InvalidDataException($"IVF stream truncated: frame {_index} header at byte {_offset} has {read} of {FrameHeaderSize} bytes");
        }

        var size = BinaryPrimitives.ReadUInt32LittleEndian(_frameHeader);
        var pts = BinaryPrimitives.ReadInt64LittleEndian(_frameHeader.AsSpan(4));
        if (size > MaxFrameSize)
        {
            throw new InvalidDataException($"IVF frame {_index} at byte {_offset} declares {size} bytes, more than the {MaxFrameSize}-byte limit: the header is damaged");
        }

        var rented = _pool.Rent((int)size);
        try
        {
            var payload = _stream.ReadAtLeast(rented.Data, (int)size, throwOnEndOfStream: false);
            if (payload < size)
            {
                throw new InvalidDataException($"IVF stream truncated: frame {_index} at byte {_offset} declares {size} bytes but only {payload} remain");
            }

            rented.Codec = Codec;
            rented.Index = _index;
            rented.Pts = ToTime(pts);
            rented.Dts = rented.Pts;
            rented.IsKeyframe = Keyframes.IsKeyframe(Codec, rented.Data);
        }
        catch
        {
            rented.Release();
            throw;
        }

        _index++;
        _offset += FrameHeaderSize + size;
        packet = rented;
        return true;
    }

    private TimeSpan ToTime(long pts)
    {
        // Int128 so a long file at a fine time base cannot overflow before the division.
        var ticks = (Int128)pts * TimeBaseNumerator * TimeSpan.TicksPerSecond / TimeBaseDenominator;
        return TimeSpan.FromTicks((long)ticks);
    }
}
