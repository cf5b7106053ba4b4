using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>
/// Our agent against aioice 0.8 (the ICE library of aiortc, from Debian python3-aiortc) on loopback, in
/// both roles; candidates and credentials travel over the script's stdin and stdout.
/// </summary>
public sealed class IceAioiceInteropTests
{
    private const string Python = "/usr/bin/python3"; // Debian's interpreter: the one that sees python3-aiortc
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(40);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_AgainstAioice_DatagramsEchoBack(bool weControl)
    {
        var script = Path.Combine(Odyssey.Tests.RepositoryRoot.Path, "tests", "Odyssey.WebRtc.Tests", "Ice", "aioice_peer.py");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(weControl ? "controlled" : "controlling");
        using var peer = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stderr = peer.StandardError.ReadToEndAsync();
        await using var agent = new IceAgent(new IceAgentOptions { Controlling = weControl, LoopbackOnly = true });
        var received = Channel.CreateUnbounded<byte[]>();
        agent.Transport.Received += d => received.Writer.TryWrite(d.ToArray());
        try
        {
            using var timeout = new CancellationTokenSource(Guard);
            var theirs = await ReadJsonAsync(peer, timeout.Token, stderr);
            await agent.GatherAsync(timeout.Token);
            agent.Start(theirs.GetProperty("ufrag").GetString()!, theirs.GetProperty("pwd").GetString()!);
            foreach (var candidate in theirs.GetProperty("candidates").EnumerateArray())
            {
                agent.AddRemoteCandidate(IceCandidate.Parse(candidate.GetString()!));
            }

            agent.AddRemoteEndOfCandidates();
            var ours = JsonSerializer.Serialize(new
            {
                ufrag = agent.LocalUfrag,
                pwd = agent.LocalPassword,
                candidates = agent.LocalCandidates.Select(c => c.ToString()).ToArray(),
            });
            await peer.StandardInput.WriteLineAsync(ours.AsMemory(), timeout.Token);
            await peer.StandardInput.FlushAsync(timeout.Token);

            await agent.ConnectAsync(timeout.Token);
            var connected = await ReadJsonAsync(peer, timeout.Token, stderr);

            Assert.True(connected.GetProperty("connected").GetBoolean());
            Assert.Equal(!weControl, connected.GetProperty("controlling").GetBoolean());
            Assert.Equal("\u0017hello", System.Text.Encoding.ASCII.GetString(await received.Reader.ReadAsync(timeout.Token)));
            const int Count = 20;
            for (var i = 0; i < Count; i++)
            {
                byte[] datagram = [0x80, 96, 0, (byte)i, 1, 2, 3]; // RTP-shaped
                agent.Transport.Send(datagram);
                Assert.Equal(datagram, await received.Reader.ReadAsync(timeout.Token));
            }

            agent.Transport.Send("\u0017bye"u8);
            var summary = await ReadJsonAsync(peer, timeout.Token, stderr);
            Assert.Equal(Count, summary.GetProperty("echoed").GetInt32());
            Assert.Equal(IceCandidateType.Host, agent.SelectedPair!.Remote.Type);
            Assert.True(agent.State is IceConnectionState.Connected or IceConnectionState.Completed);
        }
        finally
        {
            if (!peer.HasExited)
            {
                peer.Kill();
            }

            await peer.WaitForExitAsync().WaitAsync(Guard);
        }
    }

    private static async Task<JsonElement> ReadJsonAsync(Process peer, CancellationToken cancellationToken, Task<string> stderr)
    {
        var line = await peer.StandardOutput.ReadLineAsync(cancellationToken);
        if (line is null)
        {
            await peer.WaitForExitAsync(cancellationToken);
            Assert.Fail($"aioice peer exited with {peer.ExitCode} before answering; stderr:\n{await stderr}");
        }

        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
