using Odyssey.Media;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Payloads;

/// <summary>The VP8 payload descriptor (RFC 7741 §4.2), parsed from the start of a payload.</summary>
internal readonly record struct Vp8Descriptor(int Size, bool Start, int PartitionIndex, int PictureId, bool HasPictureId)
{
    private const int ExtendedBit = 0x80;
    private const int StartBit = 0x10;
    private const int PartitionMask = 0x07;
    private const int PictureIdBit = 0x80;
    private const int Tl0PicIdxBit = 0x40;
    private const int TidBit = 0x20;
    private const int KeyIdxBit = 0x10;
    private const int LongPictureIdBit = 0x80;

    /// <summary>Parses the descriptor; false when the payload ends inside it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out Vp8Descriptor descriptor)
    {
        descriptor = default;
        if (payload.IsEmpty)
        {
            return false;
        }

        var first = payload[0];
        var size = 1;
        var pictureId = -1;
        if ((first & ExtendedBit) != 0)
        {
            if (payload.Length < 2)
            {
                return false;
            }

            var extension = payload[1];
            size = 2;
            if ((extension & PictureIdBit) != 0)
            {
                if (payload.Length < size + 1)
                {
                    return false;
                }

                // RFC 7741 §4.2: M bit set means a 15-bit PictureID over two octets.
                if ((payload[size] & LongPictureIdBit) != 0)
                {
                    if (payload.Length < size + 2)
                    {
                        return false;
                    }

                    pictureId = ((payload[size] & 0x7F) << 8) | payload[size + 1];
                    size += 2;
                }
                else
                {
                    pictureId = payload[size];
                    size += 1;
                }
            }

            if ((extension & Tl0PicIdxBit) != 0)
            {
                size++;
            }

            // TID/Y/KEYIDX share one octet, present when either T or K is set.
            if ((extension & (TidBit | KeyIdxBit)) != 0)
            {
                size++;
            }

            if (payload.Length < size)
            {
                return false;
            }
        }

        descriptor = new Vp8Descriptor(size, (first & StartBit) != 0, first & PartitionMask, pictureId, pictureId >= 0);
        return true;
    }
}

/// <summary>Reassembles VP8 frames from RFC 7741 payloads.</summary>
internal sealed class Vp8Depacketizer : RtpDepacketizer
{
    // RFC 7741 §4.3: the P bit of the payload header's first octet is 0 for keyframes (inverse key frame flag).
    private const int InterFrameBit = 0x01;

    public override VideoCodec Codec => VideoCodec.Vp8;

    public override bool IsFrameStart(ReadOnlySpan<byte> payload) =>
        Vp8Descriptor.TryParse(payload, out var descriptor) && descriptor.Start && descriptor.PartitionIndex == 0 && payload.Length > descriptor.Size;

    public override bool TryAppend(ReadOnlySpan<byte> payload, bool isFirst, out RtpError error)
    {
        if (!Vp8Descriptor.TryParse(payload, out var descriptor))
        {
            error = RtpError.BadPayload;
            return false;
        }

        var data = payload[descriptor.Size..];
        if (data.IsEmpty)
        {
            error = RtpError.BadPayload;
            return false;
        }

        if (isFirst)
        {
            // The first packet of a frame starts partition 0 and carries the VP8 payload header.
            if (!descriptor.Start || descriptor.PartitionIndex != 0)
            {
                error = RtpError.IncompleteFrame;
                return false;
            }

            IsKeyframe = (data[0] & InterFrameBit) == 0;
        }

        if (!TryReserve(data.Length, out var destination))
        {
            error = RtpError.BadPayload;
            return false;
        }

        data.CopyTo(destination);
        error = RtpError.None;
        return true;
    }
}
