using Odyssey.Media;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Payloads;

/// <summary>
/// Reassembles H.264 access units from RFC 6184 payloads (packetization-mode 1: single NAL units,
/// STAP-A, FU-A) as Annex-B with a 4-byte start code before every NAL unit.
/// </summary>
internal sealed class H264Depacketizer : RtpDepacketizer
{
    private bool _inFragment;

    public override VideoCodec Codec => VideoCodec.H264;

    public override bool IsFrameStart(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return false;
        }

        var type = payload[0] & H264Nal.TypeMask;
        return type switch
        {
            H264Nal.StapA => payload.Length > 3 && H264Nal.StartsAccessUnit(payload[3] & H264Nal.TypeMask),
            H264Nal.FuA => payload.Length > 2 && (payload[1] & H264Nal.FuStartBit) != 0 && H264Nal.StartsAccessUnit(payload[1] & H264Nal.TypeMask),
            _ => H264Nal.StartsAccessUnit(type),
        };
    }

    public override void Begin()
    {
        base.Begin();
        _inFragment = false;
    }

    public override bool TryAppend(ReadOnlySpan<byte> payload, bool isFirst, out RtpError error)
    {
        if (payload.IsEmpty || (payload[0] & H264Nal.ForbiddenBit) != 0)
        {
            error = RtpError.BadPayload;
            return false;
        }

        var type = payload[0] & H264Nal.TypeMask;
        error = type switch
        {
            >= 1 and <= 23 => AppendNal(payload),
            H264Nal.StapA => AppendStapA(payload),
            H264Nal.FuA => AppendFuA(payload),

            // STAP-B, MTAP16/24 and FU-B belong to interleaved mode (2), which we never negotiate.
            25 or 26 or 27 or 29 => RtpError.UnsupportedPayload,
            _ => RtpError.BadPayload,
        };
        return error == RtpError.None;
    }

    protected override RtpError CheckComplete() => _inFragment ? RtpError.IncompleteFrame : RtpError.None;

    private RtpError AppendNal(ReadOnlySpan<byte> nal)
    {
        if (_inFragment)
        {
            // A fragmented NAL unit was interrupted: its end is missing.
            return RtpError.IncompleteFrame;
        }

        if (!TryReserve(H264Nal.StartCode.Length + nal.Length, out var destination))
        {
            return RtpError.BadPayload;
        }

        H264Nal.StartCode.CopyTo(destination);
        nal.CopyTo(destination[H264Nal.StartCode.Length..]);
        if ((nal[0] & H264Nal.TypeMask) == H264Nal.Idr)
        {
            IsKeyframe = true;
        }

        return RtpError.None;
    }

    private RtpError AppendStapA(ReadOnlySpan<byte> payload)
    {
        // RFC 6184 §5.7.1: after the STAP-A header, (16-bit size, NAL unit) pairs fill the payload.
        var rest = payload[1..];
        if (rest.IsEmpty)
        {
            return RtpError.BadPayload;
        }

        while (!rest.IsEmpty)
        {
            if (rest.Length < H264Nal.StapSizeLength)
            {
                return RtpError.BadPayload;
            }

            var size = (rest[0] << 8) | rest[1];
            if (size == 0 || H264Nal.StapSizeLength + size > rest.Length)
            {
                return RtpError.BadPayload;
            }

            var nal = rest.Slice(H264Nal.StapSizeLength, size);
            var nalType = nal[0] & H264Nal.TypeMask;
            if ((nal[0] & H264Nal.ForbiddenBit) != 0 || nalType is 0 or >= H264Nal.StapA)
            {
                return RtpError.BadPayload;
            }

            var result = AppendNal(nal);
            if (result != RtpError.None)
            {
                return result;
            }

            rest = rest[(H264Nal.StapSizeLength + size)..];
        }

        return RtpError.None;
    }

    private RtpError AppendFuA(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 3)
        {
            return RtpError.BadPayload;
        }

        var header = payload[1];
        var start = (header & H264Nal.FuStartBit) != 0;
        var end = (header & H264Nal.FuEndBit) != 0;
        var nalType = header & H264Nal.TypeMask;
        if ((start && end) || nalType is 0 or >= H264Nal.StapA)
        {
            // RFC 6184 §5.8: S and E both set is invalid; a fragment carries a plain NAL unit type.
            return RtpError.BadPayload;
        }

        var data = payload[2..];
        Span<byte> destination;
        if (start)
        {
            if (_inFragment)
            {
                return RtpError.IncompleteFrame;
            }

            if (!TryReserve(H264Nal.StartCode.Length + 1 + data.Length, out destination))
            {
                return RtpError.BadPayload;
            }

            // The NAL header is rebuilt from the FU indicator's F and NRI bits and the FU header's type.
            H264Nal.StartCode.CopyTo(destination);
            destination[H264Nal.StartCode.Length] = (byte)((payload[0] & (H264Nal.ForbiddenBit | H264Nal.NriMask)) | nalType);
            data.CopyTo(destination[(H264Nal.StartCode.Length + 1)..]);
            _inFragment = true;
            if (nalType == H264Nal.Idr)
            {
                IsKeyframe = true;
            }
        }
        else
        {
            if (!_inFragment)
            {
                // A middle or end fragment without its start: the start was lost.
                return RtpError.IncompleteFrame;
            }

            if (!TryReserve(data.Length, out destination))
            {
                return RtpError.BadPayload;
            }

            data.CopyTo(destination);
        }

        if (end)
        {
            _inFragment = false;
        }

        return RtpError.None;
    }
}
