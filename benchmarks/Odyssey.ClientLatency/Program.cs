// Send → decoded latency on loopback (issue 7): the emulator records when each stamped frame index went to
// the network; our client records when it finished decoding (RGB24, what users get) that frame; an aiortc
// receiver (the Python client's media stack, also converting to RGB) on an identical emulator stream is the
// baseline. Prints p50/p95 and loss for each codec.
//
//   dotnet run -c Release --project benchmarks/Odyssey.ClientLatency -- [--seconds 20] [--codec h264|vp8|both] [--size 1280x704]
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Odyssey.Client;
using Odyssey.Emulator;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

var seconds = 20.0;
var codecs = new List<VideoCodec> { VideoCodec.H264, VideoCodec.Vp8 };
var (width, height) = (1280, 704);
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--codec":
            codecs = args[++i] switch { "h264" => [VideoCodec.H264], "vp8" => [VideoCodec.Vp8], _ => [VideoCodec.H264, VideoCodec.Vp8] };
            break;
        case "--size":
            var parts = args[++i].Split('x');
            (width, height) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
            break;
        default:
            Console.Error.WriteLine("usage: Odyssey.ClientLatency [--seconds S] [--codec h264|vp8|both] [--size WxH]");
            return 2;
    }
}

Console.WriteLine($"{width}x{height} 30 fps, {seconds} s per run after the first frame, first {Latency.WarmupFrames} frames skipped");
Console.WriteLine("receiver        codec  frames  lost   p50 ms   p95 ms   max ms");
foreach (var codec in codecs)
{
    var options = new EmulatorOptions { Codec = codec, Width = width, Height = height, MaxStreamDuration = null };
    Latency.Print("Odyssey.Client", codec, await Latency.OursAsync(options, seconds));
    Latency.Print("aiortc 1.4", codec, await Latency.AiortcAsync(options, seconds));
}

return 0;

internal static class Latency
{
    public const int WarmupFrames = 30;

    public static void Print(string receiver, VideoCodec codec, (List<double> Ms, int Lost) result)
    {
        var ms = result.Ms;
        ms.Sort();
        double P(double q) => ms.Count == 0 ? double.NaN : ms[(int)Math.Round(q * (ms.Count - 1))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{receiver,-15} {codec,-5} {ms.Count,7} {result.Lost,5} {P(0.5),8:F1} {P(0.95),8:F1} {P(1),8:F1}"));
    }

    public static async Task<(List<double>, int)> OursAsync(EmulatorOptions options, double seconds)
    {
        await using var emulator = await EmulatorServer.StartAsync(options);
        var decoded = new List<(long Index, DateTimeOffset At)>();
        var first = new TaskCompletionSource();
        await using var client = new OdysseyClient(new ClientConfig
        {
            ApiKey = emulator.ApiKey,
            ApiUrl = emulator.ApiUrl.ToString(),
            Advanced = new AdvancedConfig { PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } } },
        });
        await client.ConnectAsync(new OdysseyEventHandlers
        {
            OnVideoFrame = frame =>
            {
                var at = DateTimeOffset.UtcNow;
                if (FrameIndexCode.TryRead(frame, out var index))
                {
                    lock (decoded)
                    {
                        decoded.Add((index, at));
                    }

                    first.TrySetResult();
                }
            },
        });
        await client.StartStreamAsync("latency", portrait: false);
        await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var sessionId = client.SessionId!;
        await client.DisconnectAsync();
        lock (decoded)
        {
            return Summarise(emulator, sessionId, decoded);
        }
    }

    public static async Task<(List<double>, int)> AiortcAsync(EmulatorOptions options, double seconds)
    {
        await using var emulator = await EmulatorServer.StartAsync(options);
        await using var minter = new OdysseyClient(new ClientConfig { ApiKey = emulator.ApiKey, ApiUrl = emulator.ApiUrl.ToString() });
        var credentials = await minter.CreateClientCredentialsAsync();
        var decoded = new List<(long Index, DateTimeOffset At)>();
        var first = new TaskCompletionSource();
        var script = Path.Combine(AppContext.BaseDirectory, "aiortc_receiver.py");
        using var python = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        })!;
        using var socket = new ClientWebSocket();
        var ws = credentials.SignalingUrl.Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/');
        await socket.ConnectAsync(new Uri($"{ws}/client/{credentials.SessionId}?token={Uri.EscapeDataString(credentials.SessionToken)}"), CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var relayIn = Task.Run(async () =>
        {
            var buffer = new byte[1 << 20];
            while (!stop.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var message = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count))!;
                var line = (string?)message["type"] switch
                {
                    "offer" => new JsonObject { ["offer"] = (string?)message["sdp"] },
                    "ice_candidate" => new JsonObject { ["candidate"] = (string?)message["candidate"], ["sdpMid"] = (string?)message["sdpMid"], ["sdpMLineIndex"] = (int?)message["sdpMLineIndex"] },
                    _ => null,
                };
                if (line is not null)
                {
                    await python.StandardInput.WriteLineAsync(line.ToJsonString());
                    await python.StandardInput.FlushAsync();
                }
            }
        });
        var relayOut = Task.Run(async () =>
        {
            while (await python.StandardOutput.ReadLineAsync() is { } line)
            {
                var message = JsonNode.Parse(line)!;
                if (message["answer"] is { } answer)
                {
                    var json = new JsonObject { ["type"] = "answer", ["sdp"] = (string?)answer }.ToJsonString();
                    await socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
                }
                else if (message["frame"] is { } frame)
                {
                    var at = DateTimeOffset.FromUnixTimeMilliseconds(0).AddSeconds((double)message["t"]!);
                    lock (decoded)
                    {
                        decoded.Add(((long)frame, at));
                    }

                    first.TrySetResult();
                }
                else if (message["stopped"] is not null)
                {
                    return;
                }
            }
        });

        await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        await python.StandardInput.WriteLineAsync("{\"stop\": true}");
        await python.StandardInput.FlushAsync();
        await relayOut.WaitAsync(TimeSpan.FromSeconds(20));
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"client_disconnecting\"}"), WebSocketMessageType.Text, true, CancellationToken.None);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "Client disconnect", CancellationToken.None);
        await stop.CancelAsync();
        try
        {
            await relayIn.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or TimeoutException)
        {
        }

        if (!python.WaitForExit(10_000))
        {
            python.Kill();
        }

        lock (decoded)
        {
            return Summarise(emulator, credentials.SessionId, decoded);
        }
    }

    /// <summary>Latency of every decoded frame after the warm-up; loss = indices between the first and last decoded that never were.</summary>
    private static (List<double>, int) Summarise(EmulatorServer emulator, string sessionId, List<(long Index, DateTimeOffset At)> decoded)
    {
        var ms = new List<double>();
        var seen = new HashSet<long>();
        var startIndex = decoded.Count == 0 ? 0 : decoded[0].Index + WarmupFrames;
        foreach (var (index, at) in decoded)
        {
            if (index < startIndex || !seen.Add(index))
            {
                continue;
            }

            if (emulator.TryGetFrameSendTime(sessionId, index, out var sent))
            {
                ms.Add((at - sent).TotalMilliseconds);
            }
        }

        var lost = seen.Count == 0 ? 0 : (int)(seen.Max() - seen.Min() + 1 - seen.Count);
        return (ms, lost);
    }
}
