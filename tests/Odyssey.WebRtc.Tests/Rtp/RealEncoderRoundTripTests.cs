using System.Diagnostics;
using Odyssey.Media;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Tests.Rtp;

/// <summary>
/// Real bitstreams (libx264 baseline as aiortc sends, libvpx VP8) through the whole plaintext path:
/// send stream → a link that loses packets → receive stream with NACK/RTX → FFmpeg decoder.
/// </summary>
public class RealEncoderRoundTripTests
{
    private const int FrameCount = 30;
    private static readonly TimeSpan EncodeTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public async Task EncodedClip_OverLossyLinkWithNack_DecodesEveryFrame(VideoCodec codec)
    {
        var folder = Path.Combine(Path.GetTempPath(), "odyssey-rtp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var pool = new EncodedPacketPool();
        var originals = new List<EncodedPacket>();
        try
        {
            var file = await EncodeAsync(codec, folder);
            using (var reader = new MediaFileReader(file, pool))
            {
                while (reader.TryRead(out var packet))
                {
                    originals.Add(packet);
                }
            }

            Assert.Equal(FrameCount, originals.Count);
            var received = Transfer(codec, originals, pool);

            Assert.Equal(FrameCount, received.Count);
            for (var i = 0; i < FrameCount; i++)
            {
                Assert.Equal(NalUnits(codec, originals[i].Data.ToArray()), NalUnits(codec, received[i].Data.ToArray()));
                Assert.Equal(originals[i].IsKeyframe, received[i].IsKeyframe);
            }

            using var decoder = new VideoDecoder(codec, new VideoFramePool());
            var decoded = 0;
            foreach (var frame in received)
            {
                decoder.Send(frame);
                while (decoder.TryReceive(out var picture))
                {
                    decoded++;
                    picture.Release();
                }
            }

            decoder.SendEndOfStream();
            while (decoder.TryReceive(out var picture))
            {
                decoded++;
                picture.Release();
            }

            Assert.Equal(FrameCount, decoded);
            Assert.Equal(0, decoder.CorruptPackets);
            received.ForEach(f => f.Release());
        }
        finally
        {
            originals.ForEach(p => p.Release());
            Directory.Delete(folder, recursive: true);
        }

        Assert.Equal(0, pool.Outstanding);
    }

    private static List<EncodedPacket> Transfer(VideoCodec codec, List<EncodedPacket> frames, EncodedPacketPool pool)
    {
        var receiver = RtpTestStream.CreateReceiver(codec, pool);
        var now = TimeSpan.Zero;
        var originalPackets = 0;
        var sender = new RtpSendStream(
            new RtpSendStreamOptions
            {
                Ssrc = RtpTestStream.MediaSsrc,
                PayloadType = RtpTestStream.PayloadType,
                RtxSsrc = RtpTestStream.RtxSsrc,
                RtxPayloadType = RtpTestStream.RtxPayloadType,
                Codec = codec,
            },
            packet =>
            {
                // Every 9th original packet is lost on the way; retransmissions get through.
                if (RtpPacket.Parse(packet).Ssrc != RtpTestStream.MediaSsrc || ++originalPackets % 9 != 0)
                {
                    receiver.ReceiveRtp(packet, now);
                }
            });

        var received = new List<EncodedPacket>();
        var rtcp = new byte[1500];
        foreach (var frame in frames)
        {
            sender.SendFrame(frame, now);
            now += TimeSpan.FromMilliseconds(10);
            var length = receiver.WriteRtcp(rtcp, now, includeReport: true);
            sender.ReceiveRtcp(rtcp.AsSpan(0, length), now);
            while (receiver.TryGetFrame(now, out var output))
            {
                received.Add(output);
            }

            now += TimeSpan.FromMilliseconds(23);
        }

        Assert.True(receiver.Stats.Buffer.Recovered >= originalPackets / 9, "every lost packet must come back by RTX");
        Assert.True(receiver.Stats.Buffer.Recovered > 0);
        Assert.Equal(receiver.Stats.Buffer.Recovered, sender.Stats.Retransmissions);
        Assert.Equal(0, receiver.Stats.Buffer.FramesDropped);
        return received;
    }

    /// <summary>The NAL units of an Annex-B frame (start code length aside), or the VP8 frame whole.</summary>
    private static List<string> NalUnits(VideoCodec codec, byte[] data)
    {
        if (codec != VideoCodec.H264)
        {
            return [Convert.ToHexString(data)];
        }

        var units = new List<string>();
        var start = -1;
        for (var i = 0; i + 2 < data.Length; i++)
        {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
            {
                if (start >= 0)
                {
                    units.Add(Convert.ToHexString(data.AsSpan(start, i - start).TrimEnd((byte)0)));
                }

                start = i + 3;
                i += 2;
            }
        }

        units.Add(Convert.ToHexString(data.AsSpan(start).TrimEnd((byte)0)));
        return units;
    }

    private static async Task<string> EncodeAsync(VideoCodec codec, string folder)
    {
        var file = Path.Combine(folder, codec == VideoCodec.H264 ? "clip.h264" : "clip.ivf");
        var encoder = codec == VideoCodec.H264
            ? "-c:v libx264 -profile:v baseline -bsf:v h264_mp4toannexb -f h264"
            : "-c:v libvpx -b:v 1M -f ivf";
        using var process = Process.Start(new ProcessStartInfo("ffmpeg", $"-nostdin -v error -y -f lavfi -i testsrc2=size=640x360:rate=30 -frames:v {FrameCount} -pix_fmt yuv420p -g 10 -threads 1 {encoder} {file}")
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start ffmpeg");
        using var timeout = new CancellationTokenSource(EncodeTimeout);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"ffmpeg failed: {await errors}");
        return file;
    }
}
