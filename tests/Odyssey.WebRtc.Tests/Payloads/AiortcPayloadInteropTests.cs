using System.Diagnostics;
using Odyssey.Media;
using Odyssey.Tests;
using Odyssey.WebRtc.Payloads;

namespace Odyssey.WebRtc.Tests.Payloads;

/// <summary>
/// Our packetizers and depacketizers against aiortc's (Debian python3-aiortc, the library the Odyssey
/// service and Python client use): payloads one side writes, the other reads back byte for byte.
/// </summary>
public class AiortcPayloadInteropTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    private static string Script => Path.Combine(RepositoryRoot.Path, "tests", "Odyssey.WebRtc.Tests", "Payloads", "aiortc_payloads.py");

    [Theory]
    [InlineData(VideoCodec.H264, true, 40_000)]
    [InlineData(VideoCodec.H264, false, 700)]
    [InlineData(VideoCodec.Vp8, true, 40_000)]
    [InlineData(VideoCodec.Vp8, false, 700)]
    public async Task AiortcPacketizes_WeDepacketize_SameFrame(VideoCodec codec, bool keyframe, int size)
    {
        var frame = codec == VideoCodec.Vp8 ? TestFrames.Vp8(size, keyframe, size) : TestFrames.H264(size, keyframe, size);
        var lines = await RunAsync("packetize", codec, frame, "300");
        var depacketizer = RtpDepacketizer.Create(codec);
        var pool = new EncodedPacketPool();

        depacketizer.Begin();
        for (var i = 0; i < lines.Length; i++)
        {
            var payload = Convert.FromHexString(lines[i]);
            Assert.InRange(payload.Length, 1, 1300);
            Assert.True(depacketizer.TryAppend(payload, i == 0, out var error), $"aiortc payload {i}: {error}");
        }

        Assert.True(depacketizer.TryFinish(pool, out var output, out _));
        Assert.Equal(frame, output.Data.ToArray());
        Assert.Equal(keyframe, output.IsKeyframe);
        output.Release();
    }

    [Theory]
    [InlineData(VideoCodec.H264, true, 40_000)]
    [InlineData(VideoCodec.H264, false, 700)]
    [InlineData(VideoCodec.Vp8, true, 40_000)]
    [InlineData(VideoCodec.Vp8, false, 700)]
    public async Task WePacketize_AiortcDepacketizes_SameFrame(VideoCodec codec, bool keyframe, int size)
    {
        var frame = codec == VideoCodec.Vp8 ? TestFrames.Vp8(size, keyframe, size) : TestFrames.H264(size, keyframe, size);
        var packetizer = codec == VideoCodec.Vp8 ? new Vp8Packetizer(RtpPacketizer.DefaultMaxPayloadSize, initialPictureId: 4660) : RtpPacketizer.Create(codec);
        var payloads = TestFrames.Packetize(packetizer, frame).Select(p => Convert.ToHexString(p.Payload)).ToArray();

        var lines = await RunAsync("depacketize", codec, System.Text.Encoding.ASCII.GetBytes(string.Join('\n', payloads)));

        Assert.Equal(frame, Convert.FromHexString(lines[0]));
        if (codec == VideoCodec.Vp8)
        {
            // aiortc reads our 15-bit PictureID from every packet.
            Assert.All(lines[1].Split(' '), id => Assert.Equal("4660", id));
        }
    }

    private static async Task<string[]> RunAsync(string mode, VideoCodec codec, byte[] input, string extra = "")
    {
        var file = Path.Combine(Path.GetTempPath(), $"odyssey-aiortc-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(file, input);
        try
        {
            var start = new ProcessStartInfo(Python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add(mode);
            start.ArgumentList.Add(codec == VideoCodec.H264 ? "h264" : "vp8");
            start.ArgumentList.Add(file);
            if (extra.Length > 0)
            {
                start.ArgumentList.Add(extra);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
            using var timeout = new CancellationTokenSource(ScriptTimeout);
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            Assert.True(process.ExitCode == 0, $"aiortc script failed ({process.ExitCode}): {await error}");
            return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
