using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Benchmarks;

/// <summary>
/// Data-channel throughput and message rate on loopback, in one run: our stack to our stack, our stack to
/// aiortc 1.4, and aiortc to aiortc (two peers in one Python process, the baseline of issue 5). One
/// operation moves <see cref="BatchBytes"/> in messages of <see cref="MessageSize"/> over one reliable,
/// ordered channel and ends when the receiver's "ack" to a closing "end" string is back: everything was
/// delivered. The sender waits on BufferedAmountLow above 1 MiB buffered. The Python side is
/// tests/Odyssey.WebRtc.Tests/Peer/aiortc_datachannel_peer.py (modes sink and pair), run by Debian's
/// /usr/bin/python3; only 127.0.0.1 is used. Allocation figures are process-wide (both peers, timers).
/// </summary>
[MemoryDiagnoser]
public class DataChannelBenchmarks
{
    public enum Peers
    {
        OursToOurs,
        OursToAiortc,
        AiortcToAiortc,
    }

    /// <summary>Bytes per operation: long enough to reach steady state, short enough for aiortc (≈2 MB/s).</summary>
    public const int BatchBytes = 4 * 1024 * 1024;

    private const long HighWater = 1 << 20;
    private const long LowWater = 256 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private PeerConnection? _offerer;
    private PeerConnection? _answerer;
    private RtcDataChannel? _channel;
    private Process? _python;
    private byte[] _payload = [];
    private TaskCompletionSource _ack = new();
    private TaskCompletionSource _low = new();

    [Params(Peers.OursToOurs, Peers.OursToAiortc, Peers.AiortcToAiortc)]
    public Peers Pair { get; set; }

    [Params(1024, 65536)]
    public int MessageSize { get; set; }

    private int Count => BatchBytes / MessageSize;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [Benchmark]
    public async Task Transfer()
    {
        if (Pair == Peers.AiortcToAiortc)
        {
            await _python!.StandardInput.WriteLineAsync("go");
            await _python.StandardInput.FlushAsync();
            await ReadUntilAsync("done");
            return;
        }

        var channel = _channel!;
        _ack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < Count; i++)
        {
            await channel.SendAsync(_payload);
            if (channel.BufferedAmount > HighWater)
            {
                _low = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (channel.BufferedAmount > LowWater)
                {
                    await _low.Task.WaitAsync(Timeout);
                }
            }
        }

        await channel.SendAsync("end");
        await _ack.Task.WaitAsync(Timeout);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_python is not null)
        {
            try
            {
                _python.StandardInput.WriteLine(Pair == Peers.AiortcToAiortc ? "stop" : JsonSerializer.Serialize(new { stop = true }));
                _python.StandardInput.Flush();
                _python.WaitForExit(5000);
            }
            catch (IOException)
            {
            }

            if (!_python.HasExited)
            {
                _python.Kill(entireProcessTree: true);
            }

            _python.Dispose();
        }

        _offerer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _answerer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task SetupAsync()
    {
        _payload = new byte[MessageSize];
        Random.Shared.NextBytes(_payload);
        var script = Path.Combine(RepositoryRoot(), "tests", "Odyssey.WebRtc.Tests", "Peer", "aiortc_datachannel_peer.py");
        var options = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } };
        if (Pair == Peers.AiortcToAiortc)
        {
            _python = StartPython(script, "pair", MessageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await ReadUntilAsync("ready");
            return;
        }

        _offerer = new PeerConnection(options);
        _channel = _offerer.CreateDataChannel("bench");
        _channel.BufferedAmountLowThreshold = LowWater;
        _channel.BufferedAmountLow += _ => _low.TrySetResult();
        _channel.Message += (_, m) =>
        {
            if (!m.IsBinary && m.Data.SequenceEqual("ack"u8))
            {
                _ack.TrySetResult();
            }
        };
        await _offerer.SetLocalDescriptionAsync(await _offerer.CreateOfferAsync());
        await _offerer.WhenGatheringCompleteAsync().WaitAsync(Timeout);
        string answer;
        if (Pair == Peers.OursToOurs)
        {
            _answerer = new PeerConnection(options);
            _answerer.DataChannel += channel => channel.Message += (c, m) =>
            {
                if (!m.IsBinary && m.Data.SequenceEqual("end"u8))
                {
                    _ = c.SendAsync("ack");
                }
            };
            await _answerer.SetRemoteDescriptionAsync(_offerer.LocalDescription!);
            await _answerer.SetLocalDescriptionAsync(await _answerer.CreateAnswerAsync());
            await _answerer.WhenGatheringCompleteAsync().WaitAsync(Timeout);
            answer = _answerer.LocalDescription!.Sdp;
        }
        else
        {
            _python = StartPython(script, "sink");
            await _python.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { offer = _offerer.LocalDescription!.Sdp }));
            await _python.StandardInput.FlushAsync();
            answer = (string)(await ReadUntilAsync("answer"))["answer"]!;
        }

        await _offerer.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Answer, answer));
        await _channel.WhenOpenAsync().WaitAsync(Timeout);
    }

    private static Process StartPython(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
    }

    private async Task<JsonNode> ReadUntilAsync(string key)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        while (true)
        {
            var line = await _python!.StandardOutput.ReadLineAsync(cancel.Token)
                ?? throw new InvalidOperationException($"aiortc_datachannel_peer.py ended before printing '{key}'");
            if (line.StartsWith('{') && JsonNode.Parse(line) is { } node && node[key] is not null)
            {
                return node;
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OdysseyPipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OdysseyPipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
