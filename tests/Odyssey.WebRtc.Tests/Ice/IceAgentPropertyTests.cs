using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using CsCheck;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>A connected agent under a stream of random and mutated datagrams keeps working and counts what it rejects.</summary>
public sealed class IceAgentPropertyTests
{
    [Fact]
    public async Task Agent_RandomAndMutatedStunAtItsSocket_StaysConnectedAndCountsRejects()
    {
        await using var harness = new AgentHarness(AgentHarness.Fast(true), AgentHarness.Fast(false));
        harness.Wire();
        await harness.GatherAndStartAsync();
        await harness.ConnectAsync();
        var target = harness.A.SelectedPair!.Local;
        var targetEndPoint = new IPEndPoint(target.IPAddress!, target.Port);
        using var attacker = new UdpClient(new IPEndPoint(targetEndPoint.Address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
        var valid = ValidCheck(harness.A.LocalUfrag, harness.A.LocalPassword);

        var mutated = Gen.Select(Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Array[1, 4], Gen.Int[20, valid.Length]).Select((edits, length) =>
        {
            var copy = valid.AsSpan(0, length).ToArray();
            foreach (var (position, value) in edits)
            {
                if (position < copy.Length)
                {
                    copy[position] = value;
                }
            }

            return copy;
        });
        var random = Gen.Byte.Array[1, 300].Select(b =>
        {
            b[0] &= 0x03; // STUN's first-byte range, so the parser and not the demultiplexer meets it
            return b;
        });
        var rejectedBefore = harness.A.Stats.StunRejected;

        Gen.OneOf(mutated, random).Sample(datagram => { attacker.Send(datagram, targetEndPoint); }, iter: 2000, threads: 1);

        // Rejections are counted as they arrive; wait until some have been, then check the pair still carries data.
        while (harness.A.Stats.StunRejected == rejectedBefore)
        {
            await Task.Delay(10).WaitAsync(AgentHarness.Guard);
        }

        var received = Channel.CreateUnbounded<byte>();
        harness.A.Transport.Received += d => received.Writer.TryWrite(d[0]);
        // The burst can fill A's socket buffer, and UDP drops what does not fit: probe until one gets through.
        var arrived = received.Reader.ReadAsync().AsTask();
        using var timeout = new CancellationTokenSource(AgentHarness.Guard);
        while (!arrived.IsCompleted)
        {
            timeout.Token.ThrowIfCancellationRequested();
            harness.B.Transport.Send([0x81, 1, 2, 3]);
            await Task.WhenAny(arrived, Task.Delay(50, timeout.Token));
        }

        Assert.Equal(0x81, await arrived);
        Assert.True(harness.A.State is IceConnectionState.Connected or IceConnectionState.Completed);
        Assert.Equal(IceCandidateType.Host, harness.A.SelectedPair!.Remote.Type);
    }

    [Fact]
    public async Task Gather_NamedLoopbackInterface_OnlyItsAddresses()
    {
        await using var agent = new IceAgent(new IceAgentOptions { Interfaces = ["lo"] });

        await agent.GatherAsync().WaitAsync(AgentHarness.Guard);

        Assert.NotEmpty(agent.LocalCandidates);
        Assert.All(agent.LocalCandidates, c => Assert.True(IPAddress.IsLoopback(c.IPAddress!)));
    }

    /// <summary>A well-formed, authenticated check such as the peer would send, for the mutations to start from.</summary>
    private static byte[] ValidCheck(string targetUfrag, string targetPassword)
    {
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, new byte[12]);
        writer.AddUsername(targetUfrag + ":fuzz");
        writer.AddPriority(1853817087);
        writer.AddIceControlled(42);
        writer.AddMessageIntegrity(System.Text.Encoding.UTF8.GetBytes(targetPassword));
        writer.AddFingerprint();
        return buffer.AsSpan(0, writer.Length).ToArray();
    }
}
