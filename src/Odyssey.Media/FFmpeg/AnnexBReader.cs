using System.Diagnostics.CodeAnalysis;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>
/// Splits a raw H.264 Annex-B byte stream (what `ffmpeg -f h264` writes) into access units with
/// libavcodec's parser, as pooled <see cref="EncodedPacket"/>s. Raw streams carry no timestamps, so
/// packets are stamped index / frame rate in decode order: right for streams without B-frames.
/// </summary>
public sealed class AnnexBReader : IDisposable
{
    /// <summary>Bytes read from the stream per parser call; large enough that the call overhead vanishes.</summary>
    private const int ChunkSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly EncodedPacketPool _pool;
    private readonly TimeSpan _frameDuration;
    private readonly byte[] _input = GC.AllocateArray<byte>(ChunkSize + AvUtil.InputPadding, pinned: true);
    private nint _parser;
    private nint _context;
    private int _inputOffset;
    private int _inputLength;
    private bool _endOfInput;
    private bool _flushed;
    private long _index;

    /// <summary>Reads from <paramref name="stream"/> (not disposed by the reader) at <paramref name="framesPerSecond"/>.</summary>
    public AnnexBReader(Stream stream, EncodedPacketPool pool, double framesPerSecond = 30)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(framesPerSecond);
        _stream = stream;
        _pool = pool;
        _frameDuration = TimeSpan.FromSeconds(1 / framesPerSecond);

        var decoder = CodecLookup.FindDecoder(VideoCodec.H264);
        _parser = AvCodec.ParserInit(CodecLookup.CodecId(decoder));

        // The parser API wants a codec context to record what it learns; it is never opened.
        _context = AvCodec.AllocContext(decoder);
        if (_parser == 0 || _context == 0)
        {
            Dispose();
            throw new InvalidOperationException("FFmpeg could not create the H.264 parser");
        }
    }

    /// <summary>Reads the next access unit as an owned packet (release it), or false at the end.</summary>
    public unsafe bool TryRead([NotNullWhen(true)] out EncodedPacket? packet)
    {
        ObjectDisposedException.ThrowIf(_parser == 0, this);
        packet = null;
        while (true)
        {
            byte* output = null;
            var outputSize = 0;
            if (_inputOffset == _inputLength && !_endOfInput)
            {
                _inputOffset = 0;
                _inputLength = _stream.Read(_input, 0, ChunkSize);
                _endOfInput = _inputLength == 0;

                // The parser may read past the data; the padding must be zeros, not a previous chunk.
                _input.AsSpan(_inputLength, AvUtil.InputPadding).Clear();
            }

            if (_inputOffset < _inputLength)
            {
                fixed (byte* input = _input)
                {
                    var consumed = AvCodec.ParserParse(_parser, _context, &output, &outputSize, input + _inputOffset, _inputLength - _inputOffset, AvUtil.NoPts, AvUtil.NoPts, 0);
                    if (consumed < 0)
                    {
                        throw new InvalidDataException($"H.264 parser failed at access unit {_index}: {AvUtil.ErrorText(consumed)}");
                    }

                    _inputOffset += consumed;
                }
            }
            else if (!_flushed)
            {
                // End of stream: an empty input makes the parser hand over the last access unit it holds.
                _flushed = true;
                AvCodec.ParserParse(_parser, _context, &output, &outputSize, null, 0, AvUtil.NoPts, AvUtil.NoPts, 0);
            }
            else
            {
                return false;
            }

            if (outputSize > 0)
            {
                packet = ToPacket(new ReadOnlySpan<byte>(output, outputSize));
                return true;
            }
        }
    }

    /// <inheritdoc />
    public unsafe void Dispose()
    {
        if (_parser != 0)
        {
            AvCodec.ParserClose(_parser);
            _parser = 0;
        }

        if (_context != 0)
        {
            var context = _context;
            AvCodec.FreeContext(&context);
            _context = 0;
        }
    }

    private EncodedPacket ToPacket(ReadOnlySpan<byte> accessUnit)
    {
        // The parser's buffer is reused by its next call, so the unit is copied out now.
        var packet = _pool.Rent(accessUnit.Length);
        accessUnit.CopyTo(packet.Data);
        packet.Codec = VideoCodec.H264;
        packet.Index = _index;
        packet.Pts = _frameDuration * _index;
        packet.Dts = packet.Pts;
        packet.IsKeyframe = Keyframes.IsKeyframe(VideoCodec.H264, accessUnit);
        _index++;
        return packet;
    }
}
