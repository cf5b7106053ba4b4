using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>The rtp sink, checked by a receiver we did not write: the ffmpeg CLI opening the SDP the sink wrote.</summary>
public sealed partial class RtpSinkBlockTests
{
    private const int Width = 320;
    private const int Height = 240;
    private const int FrameCount = 30;

    /// <summary>
    /// ffmpeg reads RTCP before RTP, so the BYE ends its stream even with media still unread in its socket.
    /// At load ~45 it lagged a quarter of a second behind the unpaced sender and lost the last 9 frames to
    /// the default 0.2 s; waiting for its output to grow instead made its stream probing stall for 10–20 s.
    /// </summary>
    private const double ReceiverByeDelay = 2.0;

    /// <summary>ffmpeg starts in well under a second; this only turns a broken receiver into a failure.</summary>
    private static readonly TimeSpan ReceiverTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(EncodeCodec.H264)]
    [InlineData(EncodeCodec.Vp8)]
    public async Task Send_EncodedTestPattern_FfmpegDecodesEveryFrameInOrderFromTheSdp(EncodeCodec codec)
    {
        using var context = new TestBlockContext("send");
        var packets = await EncodeAsync(context, codec);
        var port = FreeRtpPort();
        var sink = await BlockHarness.StartAsync(new RtpSinkBlock(new RtpSinkOptions { Port = port, Sdp = "out/stream.sdp", Codec = codec, Pace = false, ByeDelay = ReceiverByeDelay }), context);
        var sdp = Path.Combine(context.BaseDirectory, "out", "stream.sdp");
        var raw = Path.Combine(context.BaseDirectory, "received.gray");
        Process? ffmpeg = null;
        try
        {
            // The receiver opens the SDP the sink wrote at start, before any packet flows.
            ffmpeg = await StartReceiverAsync(sdp, raw, port);
            foreach (var packet in packets)
            {
                await BlockHarness.ConsumeAsync(sink, packet);

                // UDP has no backpressure: a short breath per frame keeps loopback's socket buffer from
                // overflowing (the sink's own pacing would do it, at the cost of a second per 30 frames).
                await Task.Delay(5);
            }

            await BlockHarness.CompleteAsync(sink);
            await ffmpeg!.WaitForExitAsync().WaitAsync(ReceiverTimeout);
            var error = await ffmpeg.StandardError.ReadToEndAsync();
            Assert.True(ffmpeg.ExitCode == 0, $"ffmpeg failed: {error}");
        }
        finally
        {
            if (ffmpeg is { HasExited: false })
            {
                ffmpeg.Kill();
            }

            ffmpeg?.Dispose();
            await sink.DisposeAsync();
            foreach (var packet in packets)
            {
                packet.Release();
            }
        }

        var indices = ReadStamps(raw, context.FramePool);
        Assert.Equal(Enumerable.Range(0, FrameCount).Select(i => (long)i), indices);
        Assert.True(sink.PacketsSent >= FrameCount);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Start_H264_WritesAPlayableSdpNamingHostPortAndPayloadType()
    {
        using var context = new TestBlockContext("send");
        var sink = await BlockHarness.StartAsync(new RtpSinkBlock(new RtpSinkOptions { Port = 5004, PayloadType = 102, Sdp = "a.sdp" }), context);
        await sink.DisposeAsync();

        var lines = await File.ReadAllLinesAsync(Path.Combine(context.BaseDirectory, "a.sdp"));
        Assert.Equal("v=0", lines[0]);
        Assert.Contains("c=IN IP4 127.0.0.1", lines);
        Assert.Contains("m=video 5004 RTP/AVP 102", lines);
        Assert.Contains("a=rtpmap:102 H264/90000", lines);
        Assert.Contains("a=fmtp:102 packetization-mode=1", lines);
    }

    [Theory]
    [InlineData(95, null, "127.0.0.1", "PayloadType")]
    [InlineData(96, "out.txt", "127.0.0.1", "sdp")]
    [InlineData(96, null, " ", "host")]
    public void Options_Invalid_NameTheOption(int payloadType, string? sdp, string host, string member)
    {
        var options = new RtpSinkOptions { Port = 5004, PayloadType = payloadType, Sdp = sdp, Host = host };
        var results = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains(member, StringComparer.OrdinalIgnoreCase));
    }

    private static async Task<List<EncodedPacket>> EncodeAsync(TestBlockContext source, EncodeCodec codec)
    {
        var pattern = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = Width, Height = Height, Frames = FrameCount, Format = PixelFormat.I420 }), source);
        var frames = await BlockHarness.ProduceAsync(pattern);
        var context = new PortedBlockContext(source.FramePool, "enc");
        context.Feed("in", frames);
        var encoder = new EncodeBlock(new EncodeOptions { Codec = codec, KeyframeInterval = 10 });
        await BlockHarness.StartAsync(encoder, context);
        await encoder.RunAsync(CancellationToken.None).WaitAsync(BlockHarness.Timeout);
        await encoder.DisposeAsync();
        return context.Output<EncodedPacket>("out").Items;
    }

    /// <summary>ffmpeg receiving per the SDP and writing grey frames; returns once its RTP port is bound.</summary>
    private static async Task<Process> StartReceiverAsync(string sdp, string output, int port)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-hide_banner", "-nostdin", "-loglevel", "error", "-protocol_whitelist", "file,udp,rtp", "-i", sdp, "-f", "rawvideo", "-pix_fmt", "gray", "-y", output })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(ReceiverTimeout);
        while (!IsUdpPortBound(port))
        {
            if (process.HasExited)
            {
                Assert.Fail($"ffmpeg exited ({process.ExitCode}) before listening on {port}: {await process.StandardError.ReadToEndAsync()}");
            }
            await Task.Delay(20, timeout.Token);
        }

        return process;
    }

    /// <summary>True when some socket is bound to UDP <paramref name="port"/> (Linux /proc/net/udp and udp6, ports in hex).</summary>
    private static bool IsUdpPortBound(int port)
    {
        foreach (var table in new[] { "/proc/net/udp", "/proc/net/udp6" })
        {
            foreach (var line in File.ReadLines(table))
            {
                // "  sl: LOCAL_IP:PORT REMOTE_IP:PORT ...": the local port is the hex after the first address's colon.
                if (LocalPort().Match(line) is { Success: true } match && int.Parse(match.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    return true;
                }
            }
        }

        return false;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*\d+:\s+[0-9A-F]+:([0-9A-F]{4})\s")]
    private static partial System.Text.RegularExpressions.Regex LocalPort();

    /// <summary>An even UDP port whose successor (RTCP) is free too, as RFC 3550 §11 pairs them.</summary>
    private static int FreeRtpPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)probe.LocalEndPoint!).Port & ~1;
            probe.Dispose();
            if (port > 1024 && port < 65534 && !IsUdpPortBound(port) && !IsUdpPortBound(port + 1))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free even UDP port pair on loopback");
    }

    private static List<long> ReadStamps(string raw, VideoFramePool pool)
    {
        var bytes = File.ReadAllBytes(raw);
        var size = Width * Height;
        Assert.True(bytes.Length % size == 0, $"{bytes.Length} bytes is not a whole number of {Width}x{Height} grey frames");
        var indices = new List<long>();
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var frame = pool.Rent(Width, Height, PixelFormat.Gray8);
            try
            {
                for (var y = 0; y < Height; y++)
                {
                    bytes.AsSpan(offset + (y * Width), Width).CopyTo(frame.GetRow(0, y));
                }

                Assert.True(FrameIndexCode.TryRead(frame, out var index), $"received frame {indices.Count} carries no readable index stamp");
                indices.Add(index);
            }
            finally
            {
                frame.Release();
            }
        }

        return indices;
    }
}
