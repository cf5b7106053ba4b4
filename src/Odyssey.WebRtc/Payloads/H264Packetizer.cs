using Odyssey.Media;

namespace Odyssey.WebRtc.Payloads;

/// <summary>
/// Packetizes Annex-B H.264 access units (RFC 6184, packetization-mode 1): consecutive small NAL
/// units (SPS + PPS, typically) share a STAP-A, a NAL unit that fits goes alone, a larger one is
/// split into FU-A fragments.
/// </summary>
internal sealed class H264Packetizer : RtpPacketizer
{
    private const int FuHeaderSize = 2;
    private const int StapHeaderSize = 1;
    private const int InitialNalCapacity = 16;

    private int[] _nalOffsets = new int[InitialNalCapacity];
    private int[] _nalLengths = new int[InitialNalCapacity];
    private int _nalCount;
    private int _nalIndex;
    private int _fragmentOffset;
    private int _frameLength;

    public H264Packetizer(int maxPayloadSize)
        : base(maxPayloadSize)
    {
    }

    public override VideoCodec Codec => VideoCodec.H264;

    public override void Begin(ReadOnlySpan<byte> frame)
    {
        _nalCount = 0;
        _nalIndex = 0;
        _fragmentOffset = 0;
        _frameLength = frame.Length;
        var start = FindStartCode(frame, 0, out var codeLength);
        while (start >= 0)
        {
            var nalStart = start + codeLength;
            var next = FindStartCode(frame, nalStart, out var nextCodeLength);
            var nalEnd = next < 0 ? frame.Length : next;

            // H.264 Annex B: zero bytes before a start code are trailing_zero_8bits, not NAL data.
            while (nalEnd > nalStart && frame[nalEnd - 1] == 0)
            {
                nalEnd--;
            }

            if (nalEnd > nalStart)
            {
                AddNal(nalStart, nalEnd - nalStart);
            }

            start = next;
            codeLength = nextCodeLength;
        }

        if (_nalCount == 0)
        {
            throw new ArgumentException($"the {frame.Length}-byte H.264 frame holds no Annex-B NAL unit (no 00 00 01 start code)", nameof(frame));
        }
    }

    public override bool TryWriteNext(ReadOnlySpan<byte> frame, Span<byte> destination, out int written, out bool marker)
    {
        CheckDestination(destination);
        if (frame.Length != _frameLength)
        {
            throw new ArgumentException("TryWriteNext must be given the frame passed to Begin", nameof(frame));
        }

        written = 0;
        marker = false;
        if (_nalIndex >= _nalCount)
        {
            return false;
        }

        var nal = frame.Slice(_nalOffsets[_nalIndex], _nalLengths[_nalIndex]);
        if (_fragmentOffset > 0 || nal.Length > MaxPayloadSize)
        {
            written = WriteFragment(nal, destination);
        }
        else
        {
            var aggregated = CountAggregatable();
            written = aggregated >= 2 ? WriteStapA(frame, aggregated, destination) : WriteSingle(nal, destination);
        }

        marker = _nalIndex >= _nalCount;
        return true;
    }

    private int WriteSingle(ReadOnlySpan<byte> nal, Span<byte> destination)
    {
        nal.CopyTo(destination);
        _nalIndex++;
        return nal.Length;
    }

    private int CountAggregatable()
    {
        var size = StapHeaderSize;
        var count = 0;
        for (var i = _nalIndex; i < _nalCount; i++)
        {
            size += H264Nal.StapSizeLength + _nalLengths[i];
            if (size > MaxPayloadSize || _nalLengths[i] > ushort.MaxValue)
            {
                break;
            }

            count++;
        }

        return count;
    }

    private int WriteStapA(ReadOnlySpan<byte> frame, int count, Span<byte> destination)
    {
        // RFC 6184 §5.7.1: F is the OR of the aggregated units' F bits, NRI their maximum.
        var forbidden = 0;
        var nri = 0;
        var at = StapHeaderSize;
        for (var i = 0; i < count; i++)
        {
            var nal = frame.Slice(_nalOffsets[_nalIndex], _nalLengths[_nalIndex]);
            forbidden |= nal[0] & H264Nal.ForbiddenBit;
            nri = Math.Max(nri, nal[0] & H264Nal.NriMask);
            destination[at] = (byte)(nal.Length >> 8);
            destination[at + 1] = (byte)nal.Length;
            nal.CopyTo(destination[(at + H264Nal.StapSizeLength)..]);
            at += H264Nal.StapSizeLength + nal.Length;
            _nalIndex++;
        }

        destination[0] = (byte)(forbidden | nri | H264Nal.StapA);
        return at;
    }

    private int WriteFragment(ReadOnlySpan<byte> nal, Span<byte> destination)
    {
        // RFC 6184 §5.8: the NAL header is not sent; its F/NRI go in the FU indicator, its type in the FU header.
        var header = nal[0];
        var body = nal[1..];
        var capacity = MaxPayloadSize - FuHeaderSize;
        var start = _fragmentOffset == 0;
        var size = Math.Min(capacity, body.Length - _fragmentOffset);
        var end = _fragmentOffset + size == body.Length;
        destination[0] = (byte)((header & (H264Nal.ForbiddenBit | H264Nal.NriMask)) | H264Nal.FuA);
        destination[1] = (byte)((start ? H264Nal.FuStartBit : 0) | (end ? H264Nal.FuEndBit : 0) | (header & H264Nal.TypeMask));
        body.Slice(_fragmentOffset, size).CopyTo(destination[FuHeaderSize..]);
        if (end)
        {
            _fragmentOffset = 0;
            _nalIndex++;
        }
        else
        {
            _fragmentOffset += size;
        }

        return FuHeaderSize + size;
    }

    private void AddNal(int offset, int length)
    {
        if (_nalCount == _nalOffsets.Length)
        {
            Array.Resize(ref _nalOffsets, _nalCount * 2);
            Array.Resize(ref _nalLengths, _nalCount * 2);
        }

        _nalOffsets[_nalCount] = offset;
        _nalLengths[_nalCount] = length;
        _nalCount++;
    }

    /// <summary>Position of the next 00 00 01 (or 00 00 00 01) at or after <paramref name="from"/>, or -1.</summary>
    private static int FindStartCode(ReadOnlySpan<byte> data, int from, out int codeLength)
    {
        codeLength = 0;
        var i = from;
        while (i + 2 < data.Length)
        {
            var found = data[i..].IndexOf((byte)1);
            if (found < 0)
            {
                return -1;
            }

            var one = i + found;
            if (one >= 2 && one - 2 >= from && data[one - 1] == 0 && data[one - 2] == 0)
            {
                codeLength = 3;
                return one - 2;
            }

            i = one + 1;
        }

        return -1;
    }
}
