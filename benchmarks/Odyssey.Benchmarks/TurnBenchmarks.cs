using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Benchmarks;

/// <summary>
/// TURN costs. The framing on the media path, with a send that only counts: <see cref="ChannelDataSend"/> (a
/// bound channel, what every relayed packet costs once set up), <see cref="SendIndicationSend"/> (before the
/// channel is bound) and <see cref="ChannelDataReceive"/>. Then one 1200-byte datagram between two connected
/// agents over loopback, directly (<see cref="DirectRoundTrip"/>) and through a real coturn relay
/// (<see cref="RelayedRoundTrip"/>: our ChannelData to coturn, coturn's UDP to the peer).
/// </summary>
[MemoryDiagnoser]
public class TurnBenchmarks
{
    private const int LossGuardMs = 1000;

    private static readonly IceTurnServer Server = new("turn:127.0.0.1:3478", "u", "p");
    private static readonly IPEndPoint Peer = new(IPAddress.Loopback, 6000);

    private readonly byte[] _datagram = new byte[1200];
    private readonly byte[] _channelData = new byte[1204];
    private readonly SocketAddress _peerAddress = Peer.Serialize();
    private readonly SemaphoreSlim _arrived = new(0);
    private TurnClient _bound = null!;
    private TurnClient _unbound = null!;
    private Process? _coturn;
    private IceAgent _sender = null!;
    private IceAgent _receiver = null!;
    private long _sent;

    [GlobalSetup(Targets = [nameof(ChannelDataSend), nameof(SendIndicationSend), nameof(ChannelDataReceive)])]
    public void AllocateOffline()
    {
        _datagram[0] = 0x80;
        _bound = Allocated(bind: true);
        _unbound = Allocated(bind: false);
        TurnChannelData.Write(_channelData, TurnChannelData.FirstChannel, _datagram);
    }

    [GlobalSetup(Target = nameof(DirectRoundTrip))]
    public void ConnectDirect() => Connect(relay: false);

    [GlobalSetup(Target = nameof(RelayedRoundTrip))]
    public void ConnectRelayed() => Connect(relay: true);

    [GlobalCleanup(Targets = [nameof(DirectRoundTrip), nameof(RelayedRoundTrip)])]
    public void Close()
    {
        _sender.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_coturn is not null)
        {
            _coturn.Kill();
            _coturn.WaitForExit();
            _coturn.Dispose();
        }
    }

    [Benchmark]
    public bool ChannelDataSend() => _bound.TrySend(_datagram, _peerAddress);

    [Benchmark]
    public bool SendIndicationSend() => _unbound.TrySend(_datagram, _peerAddress);

    [Benchmark]
    public int ChannelDataReceive() => _bound.TryReadChannelData(_channelData, out _, out var data) ? data.Length : 0;

    [Benchmark]
    public void DirectRoundTrip()
    {
        _sender.Transport.Send(_datagram);
        _arrived.Wait(LossGuardMs); // a lost datagram must not hang the run
    }

    [Benchmark]
    public void RelayedRoundTrip()
    {
        _sender.Transport.Send(_datagram);
        _arrived.Wait(LossGuardMs);
    }

    private void Connect(bool relay)
    {
        _datagram[0] = 0x80;
        var options = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false };
        var sender = options with { Controlling = true };
        if (relay)
        {
            var port = FreeUdpPort();
            _coturn = Process.Start(new ProcessStartInfo("/usr/bin/turnserver",
                ["-n", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--allow-loopback-peers", "--user", "u:p", "--realm", "test",
                 "--lt-cred-mech", "--no-tls", "--no-dtls", "--no-cli", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "--pidfile", Path.Combine(Path.GetTempPath(), $"odyssey-bench-turn-{port}.pid"), "--log-file", "stdout", "--no-stdout-log"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            Thread.Sleep(1000); // coturn binds in well under a second; a failed start shows as an allocation failure below
            sender = sender with { TurnServers = [new IceTurnServer($"turn:127.0.0.1:{port}", "u", "p")], TransportPolicy = IceTransportPolicy.Relay };
        }

        _sender = new IceAgent(sender);
        _receiver = new IceAgent(options);
        _sender.LocalCandidate += c => _receiver.AddRemoteCandidate(c);
        _receiver.LocalCandidate += c => _sender.AddRemoteCandidate(c);
        Task.WhenAll(_sender.GatherAsync(), _receiver.GatherAsync()).GetAwaiter().GetResult();
        _sender.Start(_receiver.LocalUfrag, _receiver.LocalPassword);
        _receiver.Start(_sender.LocalUfrag, _sender.LocalPassword);
        Task.WhenAll(_sender.ConnectAsync(), _receiver.ConnectAsync()).WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        if ((_sender.SelectedPair!.Local.Type == IceCandidateType.Relay) != relay)
        {
            throw new InvalidOperationException($"expected relay={relay}, selected {_sender.SelectedPair.Local}; TURN: {string.Join("; ", _sender.TurnFailures)}");
        }

        // Let the ChannelBind complete so the measured path is ChannelData, not Send indications.
        Thread.Sleep(500);
        _receiver.Transport.Received += _ => _arrived.Release();
    }

    private TurnClient Allocated(bool bind)
    {
        var sent = new List<byte[]>();
        var turn = new TurnClient(Server, new IPEndPoint(IPAddress.Loopback, 3478), d =>
        {
            if (sent.Count < 16)
            {
                sent.Add(d.ToArray());
            }

            Interlocked.Increment(ref _sent);
            return true;
        }, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3), 6);
        turn.Start(0);
        turn.OnResponse(StunMessage.Parse(Response(sent[^1], Stun.AllocateMethod, StunClass.ErrorResponse, null, unauthorized: true)), 0);
        var key = TurnClient.ComputeKey("u", "test"u8, "p"u8);
        turn.OnResponse(StunMessage.Parse(Response(sent[^1], Stun.AllocateMethod, StunClass.SuccessResponse, key, unauthorized: false)), 0);
        turn.AddPeer(Peer, 0);
        if (bind)
        {
            turn.OnResponse(StunMessage.Parse(Response(sent[^1], Stun.ChannelBindMethod, StunClass.SuccessResponse, key, unauthorized: false)), 0);
        }

        return turn;
    }

    private static byte[] Response(byte[] request, ushort method, StunClass stunClass, byte[]? key, bool unauthorized)
    {
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, method, stunClass, request.AsSpan(8, 12));
        if (unauthorized)
        {
            writer.AddErrorCode(401, "Unauthorized");
            writer.AddRealmOrNonce(Stun.Realm, "test"u8);
            writer.AddRealmOrNonce(Stun.Nonce, "n"u8);
        }
        else if (method == Stun.AllocateMethod)
        {
            writer.AddXorRelayedAddress(new IPEndPoint(IPAddress.Loopback, 50000));
            writer.AddLifetime(600);
        }

        if (key is not null)
        {
            writer.AddMessageIntegrity(key);
        }

        return buffer[..writer.Length];
    }

    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
