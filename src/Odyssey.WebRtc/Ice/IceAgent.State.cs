using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Ice;

/// <summary>Candidates, pairs, roles, states and the event dispatcher.</summary>
public sealed partial class IceAgent
{
    private void AddRemoteLocked(IceCandidate candidate, IPAddress address)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        var endPoint = new IPEndPoint(address, candidate.Port);
        var known = FindRemote(endPoint);
        if (known is not null)
        {
            // RFC 8445 §7.3.1.3: a signalled candidate replaces the peer-reflexive one learned for the same address.
            if (known.Type == IceCandidateType.PeerReflexive && candidate.Type != IceCandidateType.PeerReflexive)
            {
                _remoteCandidates[_remoteCandidates.IndexOf(known)] = candidate;
                foreach (var pair in _pairs)
                {
                    if (pair.Remote == known)
                    {
                        pair.Remote = candidate;
                    }
                }
            }

            return;
        }

        _remoteCandidates.Add(candidate);
        foreach (var local in _sockets)
        {
            TryAddPair(local, candidate);
        }

        PublishPairs();
    }

    private async Task ResolveAndAddAsync(IceCandidate candidate)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(candidate.Address, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ArgumentException)
        {
            Interlocked.Increment(ref _remoteIgnored); // an mDNS name without an mDNS resolver: skipped, as aioice does
            return;
        }

        if (addresses.Length == 0)
        {
            Interlocked.Increment(ref _remoteIgnored);
            return;
        }

        lock (_gate)
        {
            AddRemoteLocked(candidate, addresses[0]);
        }
    }

    private CandidatePair? TryAddPair(LocalSocket local, IceCandidate remote)
    {
        if (!local.FormsPairs)
        {
            return null;
        }

        var address = remote.IPAddress ?? IPAddress.Parse(remote.Address);
        // A loopback base reaches only loopback peers, and an address family only itself; a relay reaches
        // whatever its server can.
        var sameScope = local.Turn is not null || IPAddress.IsLoopback(address) == IPAddress.IsLoopback(local.EndPoint.Address);
        if (address.AddressFamily != local.Family || !sameScope || _pairs.Count >= MaxPairs)
        {
            return null;
        }

        var endPoint = new IPEndPoint(address, remote.Port);
        if (FindPair(local, endPoint) is { } existing)
        {
            return existing;
        }

        var pair = new CandidatePair(local, remote, endPoint);
        pair.Priority = PairPriority(pair);
        _pairs.Add(pair);
        local.Turn?.AddPeer(endPoint, NowMs); // RFC 8656 §9: the server relays nothing to or from a peer without a permission
        return pair;
    }

    private void AddServerReflexive(LocalSocket local, IPEndPoint mapped)
    {
        // RFC 8445 §5.1.3: a reflexive candidate equal to a known one (a host behind no NAT) is redundant.
        if (FindLocal(mapped) is not null)
        {
            return;
        }

        var candidate = new IceCandidate(NextFoundation(), Component, "udp",
            IceCandidate.ComputePriority(IceCandidateType.ServerReflexive, (ushort)local.LocalPreference, Component),
            mapped.Address.ToString(), mapped.Port, IceCandidateType.ServerReflexive, local.EndPoint.Address.ToString(), local.EndPoint.Port);
        _localCandidates.Add(candidate);
        Raise(new AgentEvent(EventKind.LocalCandidate, candidate));
    }

    private void UpdateGathering()
    {
        if (_gatheringComplete || _timerLoop is null)
        {
            return;
        }

        foreach (var transaction in _transactions.Values)
        {
            if (transaction.Kind == TransactionKind.ServerReflexive)
            {
                return;
            }
        }

        if (AllocationsPending())
        {
            return;
        }

        if (NoRelayGathered())
        {
            if (!_options.RelayFallback)
            {
                // Nothing can ever connect: fail now, saying which servers refused and why.
                _gatheringComplete = true;
                Raise(new AgentEvent(EventKind.GatheringComplete, null));
                Fail($"the relay-only policy gathered no relay candidate: {string.Join("; ", _turnFailures)}");
                return;
            }

            FallBackToHostCandidates();
            foreach (var transaction in _transactions.Values)
            {
                if (transaction.Kind == TransactionKind.ServerReflexive)
                {
                    return; // gathering completes when the srflx answers are in, as without TURN
                }
            }
        }

        _gatheringComplete = true;
        Raise(new AgentEvent(EventKind.GatheringComplete, null)); // GatherAsync completes once it is dispatched
    }

    private void Select(CandidatePair pair)
    {
        if (_selected is { } current && (current == pair || current.Priority >= pair.Priority))
        {
            return;
        }

        _selected = pair;
        _provisional = null;
        _nominating = null;
        var now = NowMs;
        _lastConsentMs = now;
        ScheduleConsent(now);
        if (_state is IceConnectionState.Checking or IceConnectionState.New)
        {
            SetState(IceConnectionState.Connected);
            _connected.TrySetResult();
        }
    }

    private void SwitchRole(bool controlling)
    {
        IsControlling = controlling;
        _nominating = null;
        foreach (var pair in _pairs)
        {
            pair.Priority = PairPriority(pair);
        }
    }

    private void FailPair(CandidatePair pair)
    {
        pair.State = PairState.Failed;
        if (_nominating == pair)
        {
            _nominating = null;
        }
    }

    private void Fail(string reason)
    {
        SetState(IceConnectionState.Failed);
        _connected.TrySetException(new IceFailedException(reason));
        _ = _connected.Task.Exception;
    }

    private void SetState(IceConnectionState state)
    {
        if (_state == state || _state is IceConnectionState.Closed || (_state == IceConnectionState.Failed && state != IceConnectionState.Closed))
        {
            return;
        }

        _state = state;
        Raise(new AgentEvent(EventKind.State, null, state));
    }

    private void Trigger(CandidatePair pair)
    {
        if (!pair.Triggered)
        {
            pair.Triggered = true;
            _triggered.Enqueue(pair);
        }
    }

    private bool AllPairsFailed()
    {
        // An allocation still in progress brings a relay base and new pairs: with none yet, nothing has failed.
        if (!_remoteEndOfCandidates || _triggered.Count > 0 || AllocationsPending())
        {
            return false;
        }

        foreach (var pair in _pairs)
        {
            if (pair.State != PairState.Failed)
            {
                return false;
            }
        }

        return true;
    }

    private bool HasPendingChecks()
    {
        foreach (var pair in _pairs)
        {
            if (pair.State is PairState.InProgress || pair.InFlight is not null)
            {
                return true;
            }
        }

        return false;
    }

    private ulong PairPriority(CandidatePair pair) => IsControlling
        ? CandidatePair.ComputePriority(pair.Local.Host.Priority, pair.Remote.Priority)
        : CandidatePair.ComputePriority(pair.Remote.Priority, pair.Local.Host.Priority);

    /// <summary>RFC 8445 §7.1.1: PRIORITY in a check is what this base would have as a peer-reflexive candidate.</summary>
    private static uint PeerReflexivePriority(LocalSocket local) =>
        IceCandidate.ComputePriority(IceCandidateType.PeerReflexive, (ushort)local.LocalPreference, Component);

    private CandidatePair? FindPair(LocalSocket local, IPEndPoint remote)
    {
        foreach (var pair in _pairs)
        {
            if (pair.Local == local && pair.RemoteEndPoint.Equals(remote))
            {
                return pair;
            }
        }

        return null;
    }

    private IceCandidate? FindRemote(IPEndPoint endPoint)
    {
        foreach (var candidate in _remoteCandidates)
        {
            if (candidate.Port == endPoint.Port && candidate.IPAddress is { } address && address.Equals(endPoint.Address))
            {
                return candidate;
            }
        }

        return null;
    }

    private IceCandidate? FindLocal(IPEndPoint endPoint)
    {
        foreach (var candidate in _localCandidates)
        {
            if (candidate.Port == endPoint.Port && candidate.IPAddress is { } address && address.Equals(endPoint.Address))
            {
                return candidate;
            }
        }

        return null;
    }

    private void PublishPairs() => _pairSnapshot = [.. _pairs];

    private string NextFoundation() => (++_foundations).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private List<IPAddress> HostAddresses()
    {
        var result = new List<IPAddress>();
        if (_options.LoopbackOnly)
        {
            if (_options.UseIPv4)
            {
                result.Add(IPAddress.Loopback);
            }

            if (_options.UseIPv6 && Socket.OSSupportsIPv6)
            {
                result.Add(IPAddress.IPv6Loopback);
            }

            return result;
        }

        foreach (var network in NetworkInterface.GetAllNetworkInterfaces())
        {
            var named = _options.Interfaces.Count > 0;
            if (network.OperationalStatus != OperationalStatus.Up && network.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            {
                continue;
            }

            if (named ? !_options.Interfaces.Contains(network.Name) : network.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }

            foreach (var unicast in network.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                var usable = address.AddressFamily switch
                {
                    AddressFamily.InterNetwork => _options.UseIPv4,
                    AddressFamily.InterNetworkV6 => _options.UseIPv6 && !address.IsIPv6LinkLocal && !address.IsIPv6SiteLocal && !address.IsIPv4MappedToIPv6,
                    _ => false,
                };
                if (usable && !result.Contains(address))
                {
                    result.Add(address);
                }
            }
        }

        return result;
    }

    // ---------------------------------------------------------------- events

    private void Raise(AgentEvent agentEvent) => _events.Writer.TryWrite(agentEvent);

    private async Task DispatchEventsAsync()
    {
        await foreach (var agentEvent in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            t_callbackOwner = this;
            try
            {
                switch (agentEvent.Kind)
                {
                    case EventKind.LocalCandidate:
                        LocalCandidate?.Invoke(agentEvent.Candidate!);
                        break;
                    case EventKind.GatheringComplete:
                        try
                        {
                            GatheringComplete?.Invoke();
                        }
                        finally
                        {
                            // After every LocalCandidate event: when GatherAsync returns, all were raised.
                            _gathered.TrySetResult();
                        }

                        break;
                    default:
                        StateChanged?.Invoke(agentEvent.State);
                        break;
                }
            }
#pragma warning disable CA1031 // a subscriber's bug must not stop the agent from reporting later events
            catch (Exception error)
#pragma warning restore CA1031
            {
                System.Diagnostics.Trace.TraceError($"IceAgent {LocalUfrag}: a {agentEvent.Kind} handler threw: {error}");
            }

            t_callbackOwner = null;
        }
    }

    private enum EventKind
    {
        LocalCandidate,
        GatheringComplete,
        State,
    }

    private readonly record struct AgentEvent(EventKind Kind, IceCandidate? Candidate, IceConnectionState State = default);
}
