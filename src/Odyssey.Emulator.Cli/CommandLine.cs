using System.Globalization;
using System.Net;
using Odyssey.Media;

namespace Odyssey.Emulator.Cli;

/// <summary>Parses <c>odyssey-emulator</c>'s arguments into <see cref="EmulatorOptions"/>; errors name the option.</summary>
internal static class CommandLine
{
    public const string Usage = """
        odyssey-emulator --port P [options]     a local Odyssey-compatible service (API, signalling, WebRTC streamer)

          --port P                 TCP port (0: any free one; default 8090)
          --host ADDRESS           listen address (default 127.0.0.1; anything else needs --allow-remote)
          --allow-remote           allow a non-loopback --host
          --api-key KEY            the accepted API key (default ody_emulator_test_key)
          --streamers N            concurrent sessions before 503 (default 4)
          --codec h264|vp8         video codec (default h264)
          --size WxH               landscape size; portrait swaps it (default 1280x704)
          --fps F                  frame rate (default 30)
          --bitrate KBPS           encoder bit rate (default 2000)
          --recordings DIR         keep recordings here (default: a temporary directory, deleted at exit)
          --ice-all-interfaces     gather ICE candidates on every interface, not only loopback
          --ice-server URL         STUN/TURN URL returned by GET /config (repeatable)
          --ice-username NAME      username /config gives with each turn: URL (TURN long-term credentials)
          --ice-credential SECRET  credential /config gives with each turn: URL
        limits and faults:
          --max-stream-seconds S   per-stream limit, then session_timeout (default 150)
          --max-connection-seconds S  per-connection limit, then duration_limit_reached (default 3600)
          --busy-responses N       answer the first N session requests 503 (queue behaviour)
          --concurrent-limit N     per-key session limit (429 CONCURRENT_LIMIT_REACHED)
          --usage-error CODE       every session request answers 429 CODE (MONTHLY_LIMIT_REACHED, CONCURRENT_LIMIT_REACHED,
                                   STREAM_DURATION_EXCEEDED, ACCOUNT_SUSPENDED, RATE_LIMITED)
          --stream-error REASON    every interactive_stream_start gets interactive_stream_error REASON
          --signaling-error REASON the WebSocket sends error REASON at once and closes
          --drop-after S           drop the connection S seconds into each stream
          --packet-loss RATE       drop this fraction (0-1) of outgoing RTP packets
          --quiet                  print only the URL and key
        """;

    /// <summary>The port when none is given: the JS client's localhost signalling port (PROTOCOL.md §3).</summary>
    public const int DefaultPort = 8090;

    public static (EmulatorOptions Options, bool Quiet) Parse(IReadOnlyList<string> args)
    {
        var options = new EmulatorOptions { Port = DefaultPort };
        var quiet = false;
        var iceServers = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new CommandLineException($"{name} needs a value");
                }

                return args[++i];
            }

            options = name switch
            {
                "--port" => options with { Port = Int(name, Value(), 0, IPEndPoint.MaxPort) },
                "--host" => options with { Host = IPAddress.TryParse(Value(), out var host) ? host : throw new CommandLineException($"--host: '{args[i]}' is not an IP address") },
                "--allow-remote" => options with { AllowRemoteBinding = true },
                "--api-key" => options with { ApiKey = Value() },
                "--streamers" => options with { StreamerCount = Int(name, Value(), 1, 1000) },
                "--codec" => options with { Codec = Value().ToUpperInvariant() switch { "H264" => VideoCodec.H264, "VP8" => VideoCodec.Vp8, _ => throw new CommandLineException($"--codec: '{args[i]}' is not h264 or vp8") } },
                "--size" => WithSize(options, Value()),
                "--fps" => options with { Fps = Double(name, Value()) },
                "--bitrate" => options with { BitrateKbps = Int(name, Value(), 1, 100_000) },
                "--recordings" => options with { RecordingsDirectory = Path.GetFullPath(Value()) },
                "--ice-all-interfaces" => options with { LoopbackIceOnly = false },
                "--ice-server" => AddIce(options, iceServers, Value()),
                "--ice-username" => options with { IceServerUsername = Value() },
                "--ice-credential" => options with { IceServerCredential = Value() },
                "--max-stream-seconds" => options with { MaxStreamDuration = TimeSpan.FromSeconds(Double(name, Value())) },
                "--max-connection-seconds" => options with { MaxConnectionDuration = TimeSpan.FromSeconds(Double(name, Value())) },
                "--busy-responses" => options with { BusyResponsesBeforeAssign = Int(name, Value(), 0, int.MaxValue) },
                "--concurrent-limit" => options with { ConcurrentSessionLimit = Int(name, Value(), 1, 1000) },
                "--usage-error" => options with { ForcedUsageError = UsageCode(Value()) },
                "--stream-error" => options with { ForcedStreamErrorReason = Value() },
                "--signaling-error" => options with { SignalingErrorReason = Value() },
                "--drop-after" => options with { DropConnectionAfter = TimeSpan.FromSeconds(Double(name, Value())) },
                "--packet-loss" => options with { MediaPacketLossRate = Double(name, Value()) },
                "--quiet" => SetQuiet(options, ref quiet),
                _ => throw new CommandLineException($"unknown option '{name}'"),
            };
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CommandLineException(e.Message);
        }

        return (options, quiet);
    }

    private static EmulatorOptions SetQuiet(EmulatorOptions options, ref bool quiet)
    {
        quiet = true;
        return options;
    }

    private static EmulatorOptions AddIce(EmulatorOptions options, List<string> servers, string url)
    {
        servers.Add(url);
        return options with { IceServers = [.. servers] };
    }

    private static EmulatorOptions WithSize(EmulatorOptions options, string text)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length != 2)
        {
            throw new CommandLineException($"--size: '{text}' is not WxH (e.g. 1280x704)");
        }

        return options with { Width = Int("--size", parts[0], 16, 8192), Height = Int("--size", parts[1], 16, 8192) };
    }

    private static UsageErrorCode UsageCode(string text) => text.ToUpperInvariant() switch
    {
        "MONTHLY_LIMIT_REACHED" => UsageErrorCode.MonthlyLimitReached,
        "CONCURRENT_LIMIT_REACHED" => UsageErrorCode.ConcurrentLimitReached,
        "STREAM_DURATION_EXCEEDED" => UsageErrorCode.StreamDurationExceeded,
        "ACCOUNT_SUSPENDED" => UsageErrorCode.AccountSuspended,
        "RATE_LIMITED" => UsageErrorCode.RateLimited,
        _ => throw new CommandLineException($"--usage-error: '{text}' is not one of MONTHLY_LIMIT_REACHED, CONCURRENT_LIMIT_REACHED, STREAM_DURATION_EXCEEDED, ACCOUNT_SUSPENDED, RATE_LIMITED"),
    };

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new CommandLineException($"{name}: '{text}' is not a whole number in [{min}, {max}]");

    private static double Double(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= 0
            ? value
            : throw new CommandLineException($"{name}: '{text}' is not a non-negative number");
}

/// <summary>A bad command line; the message names the option.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
