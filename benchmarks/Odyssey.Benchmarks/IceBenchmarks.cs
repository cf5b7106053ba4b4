using System.Text;
using BenchmarkDotNet.Attributes;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Benchmarks;

/// <summary>
/// ICE costs on the media path and the control path. <see cref="DatagramRoundTrip"/>: one 1200-byte
/// RTP-shaped datagram from one connected agent to the other over loopback UDP and out of the receiver's
/// Received event (socket send, receive loop, RFC 7983 demultiplexing, source check); the allocation
/// column is process-wide, so it also holds the agents' timers. <see cref="ParseAndAuthenticateCheck"/>:
/// what a consent or connectivity check costs to accept (parse, MESSAGE-INTEGRITY, FINGERPRINT).
/// </summary>
[MemoryDiagnoser]
public class IceBenchmarks
{
    /// <summary>RFC 5769 §2.1 sample request: a real ICE check with every attribute a browser sends.</summary>
    private static readonly byte[] SampleRequest = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74" +
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836765920202000080014" +
        "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");

    private static readonly byte[] SamplePassword = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");

    private const int LossGuardMs = 1000;

    private readonly byte[] _datagram = new byte[1200];
    private readonly SemaphoreSlim _arrived = new(0);
    private IceAgent _sender = null!;
    private IceAgent _receiver = null!;

    [GlobalSetup(Target = nameof(DatagramRoundTrip))]
    public void ConnectAgents()
    {
        var options = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false };
        _sender = new IceAgent(options with { Controlling = true });
        _receiver = new IceAgent(options);
        _sender.LocalCandidate += c => _receiver.AddRemoteCandidate(c);
        _receiver.LocalCandidate += c => _sender.AddRemoteCandidate(c);
        Task.WhenAll(_sender.GatherAsync(), _receiver.GatherAsync()).GetAwaiter().GetResult();
        _sender.Start(_receiver.LocalUfrag, _receiver.LocalPassword);
        _receiver.Start(_sender.LocalUfrag, _sender.LocalPassword);
        Task.WhenAll(_sender.ConnectAsync(), _receiver.ConnectAsync()).WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        _datagram[0] = 0x80;
        _receiver.Transport.Received += _ => _arrived.Release();
    }

    [GlobalCleanup(Target = nameof(DatagramRoundTrip))]
    public void Close()
    {
        _sender.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public void DatagramRoundTrip()
    {
        _sender.Transport.Send(_datagram);
        _arrived.Wait(LossGuardMs); // a lost datagram (rare even on loopback) must not hang the run
    }

    [Benchmark]
    public bool ParseAndAuthenticateCheck()
    {
        var message = StunMessage.Parse(SampleRequest);
        return message.VerifyMessageIntegrity(SamplePassword) && message.VerifyFingerprint();
    }
}
