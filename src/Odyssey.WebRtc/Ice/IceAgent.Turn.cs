using System.Net;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Ice;

/// <summary>Relay candidates: one TURN allocation per TURN server and host base, and the relayed traffic in and out.</summary>
public sealed partial class IceAgent
{
    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        try
        {
            return await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return []; // an unresolvable server yields no candidate, as in browsers
        }
    }

    /// <summary>Starts an Allocate from each host base that can reach the server (same family, loopback with loopback).</summary>
    private void StartAllocations(IceTurnServer server, IPAddress[] resolved, int port, int hostBases)
    {
        if (resolved.Length == 0)
        {
            _turnFailures.Add($"TURN server {server.Url}: the host name did not resolve");
            return;
        }

        var started = false;
        for (var i = 0; i < hostBases; i++)
        {
            var local = _sockets[i];
            var target = Array.Find(resolved, a => a.AddressFamily == local.Family && IPAddress.IsLoopback(a) == IPAddress.IsLoopback(local.EndPoint.Address));
            if (target is null)
            {
                continue;
            }

            var endPoint = new IPEndPoint(target, port);
            var serverAddress = endPoint.Serialize();
            var turn = new TurnClient(server, endPoint, datagram => local.TrySend(datagram, serverAddress), _options.InitialRto, _options.MaxRto, _options.MaxRetransmissions)
            {
                HostBase = local,
            };
            local.Allocations = [.. local.Allocations, turn];
            _turns.Add(turn);
            turn.Start(NowMs);
            started = true;
        }

        if (!started)
        {
            _turnFailures.Add($"TURN server {server.Url}: no local address can reach {string.Join(", ", (IEnumerable<IPAddress>)resolved)}");
        }
    }

    /// <summary>
    /// A datagram from a TURN server on a host base: ChannelData and Data indications carry a peer's datagram,
    /// delivered as if received on the relay base from that peer; responses drive the allocation.
    /// Returns false when it is not TURN's (a STUN server's Binding response from the same address).
    /// </summary>
    private bool OnTurnDatagram(TurnClient turn, ReadOnlySpan<byte> datagram)
    {
        var relay = turn.RelayBase;
        if (TurnChannelData.LooksLikeChannelData(datagram))
        {
            if (relay is not null && turn.TryReadChannelData(datagram, out var peer, out var data))
            {
                relay.SetReceiveAddress(peer!);
                OnDatagram(relay, data);
            }
            else
            {
                Interlocked.Increment(ref _dropped);
            }

            return true;
        }

        if (!StunMessage.TryParse(datagram, out var message) || (message.HasFingerprint && !message.VerifyFingerprint()))
        {
            Interlocked.Increment(ref _stunRejected);
            return true;
        }

        if (message.Class == StunClass.Indication && message.Method == Stun.DataMethod)
        {
            if (relay is not null && turn.TryReadDataIndication(message, out var peer, out var data))
            {
                relay.SetReceiveAddress(peer!);
                OnDatagram(relay, data);
            }
            else
            {
                Interlocked.Increment(ref _dropped);
            }

            return true;
        }

        if (message.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse))
        {
            Interlocked.Increment(ref _stunRejected);
            return true;
        }

        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return true;
            }

            if (!turn.Owns(message))
            {
                return false;
            }

            OnTurnOutcome(turn, turn.OnResponse(message, NowMs));
        }

        return true;
    }

    private void TickTurns(long now)
    {
        foreach (var turn in _turns)
        {
            OnTurnOutcome(turn, turn.Tick(now));
        }
    }

    private void OnTurnOutcome(TurnClient turn, TurnOutcome outcome)
    {
        switch (outcome)
        {
            case TurnOutcome.Allocated:
                AddRelayCandidate(turn);
                UpdateGathering();
                break;
            case TurnOutcome.Failed:
                _turnFailures.Add(turn.FailureReason!);
                System.Diagnostics.Trace.TraceWarning($"IceAgent {LocalUfrag}: {turn.FailureReason}");
                UpdateGathering();
                break;
            default:
                break;
        }
    }

    /// <summary>RFC 8445 §5.1.2.2: relay candidates have type preference 0; raddr/rport is the mapped address (RFC 8839 §5.1).</summary>
    private void AddRelayCandidate(TurnClient turn)
    {
        var host = turn.HostBase!;
        var relayed = turn.RelayedAddress!;
        var mapped = turn.MappedAddress ?? host.EndPoint;
        var candidate = new IceCandidate(NextFoundation(), Component, "udp",
            IceCandidate.ComputePriority(IceCandidateType.Relay, (ushort)host.LocalPreference, Component),
            relayed.Address.ToString(), relayed.Port, IceCandidateType.Relay, mapped.Address.ToString(), mapped.Port);
        var relay = new LocalSocket(host, candidate, relayed, turn);
        turn.RelayBase = relay;
        _sockets.Add(relay);
        _localCandidates.Add(candidate);
        Raise(new AgentEvent(EventKind.LocalCandidate, candidate));
        foreach (var remote in _remoteCandidates)
        {
            TryAddPair(relay, remote);
        }

        PublishPairs();
    }

    private bool AllocationsPending()
    {
        foreach (var turn in _turns)
        {
            if (turn.State == TurnState.Allocating)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One Binding request per STUN server and host base (same family, loopback with loopback): the srflx candidates.</summary>
    private void SendServerRequests()
    {
        foreach (var (resolved, port) in _stunServers)
        {
            foreach (var local in _sockets)
            {
                if (local.Turn is not null)
                {
                    continue;
                }

                var target = Array.Find(resolved, a => a.AddressFamily == local.Family && IPAddress.IsLoopback(a) == IPAddress.IsLoopback(local.EndPoint.Address));
                if (target is not null)
                {
                    SendServerRequest(local, new IPEndPoint(target, port));
                }
            }
        }
    }

    /// <summary>Relay-only, every allocation over, none succeeded.</summary>
    private bool NoRelayGathered()
    {
        if (_options.TransportPolicy != IceTransportPolicy.Relay || _fellBack)
        {
            return false;
        }

        foreach (var turn in _turns)
        {
            if (turn.State is TurnState.Allocated or TurnState.Allocating)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <see cref="IceAgentOptions.RelayFallback"/>: no TURN server gave a relay, so the host bases become ordinary
    /// ones after all: their candidates are raised (trickled), paired, and STUN servers asked for srflx ones.
    /// </summary>
    private void FallBackToHostCandidates()
    {
        _fellBack = true;
        System.Diagnostics.Trace.TraceWarning($"IceAgent {LocalUfrag}: no relay candidate ({string.Join("; ", _turnFailures)}); falling back to host and server-reflexive candidates");
        foreach (var local in _sockets)
        {
            if (local.Turn is not null || local.FormsPairs)
            {
                continue;
            }

            local.FormsPairs = true;
            _localCandidates.Add(local.Host);
            Raise(new AgentEvent(EventKind.LocalCandidate, local.Host));
            foreach (var remote in _remoteCandidates)
            {
                TryAddPair(local, remote);
            }
        }

        PublishPairs();
        SendServerRequests();
    }
}
