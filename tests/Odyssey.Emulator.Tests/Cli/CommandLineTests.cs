using System.Net;
using Odyssey.Emulator.Cli;
using Odyssey.Media;

namespace Odyssey.Emulator.Tests.Cli;

/// <summary><c>odyssey-emulator</c>'s options: each maps onto <see cref="EmulatorOptions"/>; mistakes name the option.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void Parse_Nothing_DefaultsToLoopbackOnPort8090()
    {
        var (options, quiet) = CommandLine.Parse([]);
        Assert.Equal(IPAddress.Loopback, options.Host);
        Assert.Equal(CommandLine.DefaultPort, options.Port);
        Assert.False(quiet);
    }

    [Fact]
    public void Parse_EveryOption_LandsInTheOptions()
    {
        var (options, quiet) = CommandLine.Parse(
        [
            "--port", "0", "--api-key", "ody_custom_key_1", "--streamers", "2", "--codec", "vp8", "--size", "640x352", "--fps", "25",
            "--bitrate", "900", "--max-stream-seconds", "5", "--max-connection-seconds", "60", "--busy-responses", "3",
            "--concurrent-limit", "1", "--usage-error", "RATE_LIMITED", "--stream-error", "lease_denied",
            "--signaling-error", "streamer_disconnected", "--drop-after", "2.5", "--packet-loss", "0.1",
            "--ice-server", "stun:127.0.0.1:3478", "--ice-all-interfaces", "--quiet",
        ]);
        Assert.Equal(0, options.Port);
        Assert.Equal("ody_custom_key_1", options.ApiKey);
        Assert.Equal(2, options.StreamerCount);
        Assert.Equal(VideoCodec.Vp8, options.Codec);
        Assert.Equal((640, 352), (options.Width, options.Height));
        Assert.Equal(25, options.Fps);
        Assert.Equal(900, options.BitrateKbps);
        Assert.Equal(TimeSpan.FromSeconds(5), options.MaxStreamDuration);
        Assert.Equal(TimeSpan.FromSeconds(60), options.MaxConnectionDuration);
        Assert.Equal(3, options.BusyResponsesBeforeAssign);
        Assert.Equal(1, options.ConcurrentSessionLimit);
        Assert.Equal(UsageErrorCode.RateLimited, options.ForcedUsageError);
        Assert.Equal("lease_denied", options.ForcedStreamErrorReason);
        Assert.Equal("streamer_disconnected", options.SignalingErrorReason);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.DropConnectionAfter);
        Assert.Equal(0.1, options.MediaPacketLossRate);
        Assert.Equal(["stun:127.0.0.1:3478"], options.IceServers);
        Assert.False(options.LoopbackIceOnly);
        Assert.True(quiet);
    }

    [Fact]
    public void Parse_IceUsernameAndCredential_GoWithTheTurnServers()
    {
        var (options, _) = CommandLine.Parse(["--ice-server", "turn:127.0.0.1:3478", "--ice-username", "u", "--ice-credential", "p"]);

        Assert.Equal(["turn:127.0.0.1:3478"], options.IceServers);
        Assert.Equal("u", options.IceServerUsername);
        Assert.Equal("p", options.IceServerCredential);
    }

    [Theory]
    [InlineData("--host 0.0.0.0", "--allow-remote")]
    [InlineData("--port", "--port needs a value")]
    [InlineData("--port 70000", "--port")]
    [InlineData("--codec av1", "--codec")]
    [InlineData("--size 1280", "--size")]
    [InlineData("--size 1281x704", "even")]
    [InlineData("--packet-loss 2", "MediaPacketLossRate")]
    [InlineData("--usage-error NOPE", "--usage-error")]
    [InlineData("--frobnicate", "unknown option '--frobnicate'")]
    public void Parse_Mistake_ThrowsNamingTheOption(string arguments, string named)
    {
        var error = Assert.Throws<CommandLineException>(() => CommandLine.Parse(arguments.Split(' ')));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RemoteHostWithFlag_IsAllowed()
    {
        var (options, _) = CommandLine.Parse(["--host", "0.0.0.0", "--allow-remote"]);
        Assert.Equal(IPAddress.Any, options.Host);
    }

    [Fact]
    public async Task Executable_Started_PrintsUrlAndKeyAndServesTheApi()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "odyssey-emulator.dll");
        using var process = new ToolProcess("dotnet", [exe, "--port", "0", "--quiet"]);
        var urlLine = await process.WaitForLineAsync(l => l.StartsWith("API URL: ", StringComparison.Ordinal), TestClient.Timeout);
        var keyLine = await process.WaitForLineAsync(l => l.StartsWith("API key: ", StringComparison.Ordinal), TestClient.Timeout);
        Assert.Equal($"API key: {EmulatorOptions.DefaultApiKey}", keyLine);
        using var http = new HttpClient { BaseAddress = new Uri(urlLine["API URL: ".Length..]), Timeout = TestClient.Timeout };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/ping")).StatusCode);
    }
}
