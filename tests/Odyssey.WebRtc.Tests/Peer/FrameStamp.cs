using Odyssey.Media;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// The frame-index stamp the interop tests draw and read (layout in aiortc_video_peer.py's docstring): two
/// rows of 16 luma cells, references, 14 index bits and their complement, so lossy coding cannot turn one
/// index into another without the check failing.
/// </summary>
internal static class FrameStamp
{
    public const int Bits = 14;
    private const int Columns = 16;
    private const int HeightDivisions = 8;

    /// <summary>White and black references must differ by this much, else the frame carries no stamp.</summary>
    private const int MinimumContrast = 64;

    /// <summary>Draws the stamp of <paramref name="index"/> and moving stripes (work for the encoder) into an I420 frame.</summary>
    public static void Draw(VideoFrame frame, int index, int time)
    {
        for (var y = 0; y < frame.Height; y++)
        {
            var row = frame.GetRow(0, y);
            for (var x = 0; x < frame.Width; x++)
            {
                row[x] = (byte)((((x + y + (4 * time)) % 64) * 2) + 60);
            }
        }

        for (var plane = 1; plane < 3; plane++)
        {
            for (var y = 0; y < frame.Height / 2; y++)
            {
                frame.GetRow(plane, y)[..(frame.Width / 2)].Fill(128);
            }
        }

        for (var column = 0; column < Columns; column++)
        {
            var bit0 = column switch { 0 => true, 1 => false, _ => Bit(index, column - 2) };
            var bit1 = column switch { Bits => false, Bits + 1 => true, _ => !Bit(index, column) };
            Fill(frame, 0, column, bit0);
            Fill(frame, 1, column, bit1);
        }
    }

    /// <summary>Reads the stamp from the luma plane; false when there is none or it does not check.</summary>
    public static bool TryRead(VideoFrame frame, out int index)
    {
        index = -1;
        var white = InnerMean(frame, 0, 0);
        var black = InnerMean(frame, 0, 1);
        if (white - black < MinimumContrast)
        {
            return false;
        }

        var middle = (white + black) / 2;
        var value = 0;
        for (var bit = 0; bit < Bits; bit++)
        {
            var one = InnerMean(frame, 0, bit + 2) > middle;
            var complement = InnerMean(frame, 1, bit) > middle;
            if (one == complement)
            {
                return false;
            }

            value = (value << 1) | (one ? 1 : 0);
        }

        if (InnerMean(frame, 1, Bits) > middle || InnerMean(frame, 1, Bits + 1) < middle)
        {
            return false;
        }

        index = value;
        return true;
    }

    private static bool Bit(int index, int bit) => ((index >> (Bits - 1 - bit)) & 1) != 0;

    private static (int Left, int Top, int Right, int Bottom) Bounds(VideoFrame frame, int row, int column) =>
        (column * frame.Width / Columns, row * frame.Height / HeightDivisions, (column + 1) * frame.Width / Columns, (row + 1) * frame.Height / HeightDivisions);

    private static void Fill(VideoFrame frame, int row, int column, bool white)
    {
        var (left, top, right, bottom) = Bounds(frame, row, column);
        for (var y = top; y < bottom; y++)
        {
            frame.GetRow(0, y)[left..right].Fill(white ? (byte)255 : (byte)0);
        }
    }

    private static int InnerMean(VideoFrame frame, int row, int column)
    {
        var (left, top, right, bottom) = Bounds(frame, row, column);
        var insetX = (right - left) / 4;
        var insetY = (bottom - top) / 4;
        long sum = 0;
        var count = 0;
        for (var y = top + insetY; y < bottom - insetY; y++)
        {
            var line = frame.GetRow(0, y);
            for (var x = left + insetX; x < right - insetX; x++)
            {
                sum += line[x];
                count++;
            }
        }

        return count == 0 ? 0 : (int)(sum / count);
    }

    /// <summary>
    /// Decodes the track's frames and collects the stamped indices until <paramref name="done"/> says so or
    /// <paramref name="timeout"/> passes (then it returns what it saw; the caller asserts). The decoder's
    /// keyframe requests go back to the sender as PLIs, as a real receiver's would.
    /// </summary>
    public static async Task<(HashSet<int> Seen, long CorruptPackets)> DecodeUntilAsync(
        RemoteVideoTrack track, VideoFramePool frames, Func<HashSet<int>, bool> done, TimeSpan timeout)
    {
        var seen = new HashSet<int>();
        using var decoder = new Odyssey.Media.FFmpeg.VideoDecoder(track.Codec, frames);
        decoder.KeyframeRequested += (_, _) => track.RequestKeyframe();
        using var cancel = new CancellationTokenSource(timeout);
        while (!done(seen))
        {
            EncodedPacket packet;
            try
            {
                packet = await track.Frames.ReadAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                decoder.Send(packet);
            }
            finally
            {
                packet.Release();
            }

            while (decoder.TryReceive(out var frame))
            {
                if (TryRead(frame, out var index))
                {
                    seen.Add(index);
                }

                frame.Release();
            }
        }

        return (seen, decoder.CorruptPackets);
    }
}
