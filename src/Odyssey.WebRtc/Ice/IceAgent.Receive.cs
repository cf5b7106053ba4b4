using System.Net;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Ice;

/// <summary>The receive side: datagram demultiplexing (RFC 7983) and the STUN requests and responses of ICE.</summary>
public sealed partial class IceAgent
{
    internal void SendData(ReadOnlySpan<byte> datagram)
    {
        var pair = _selected ?? _provisional;
        var state = _state;
        // RFC 7675 §5.1: once consent has expired nothing but consent checks may be sent.
        if (pair is null || state is IceConnectionState.Failed or IceConnectionState.Closed || !pair.Local.TrySend(datagram, pair.RemoteAddress))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task ReceiveLoopAsync(LocalSocket local)
    {
        var token = _stopping.Token;
        var memory = local.ReceiveBuffer.AsMemory();
        while (!token.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await local.Socket.ReceiveFromAsync(memory, SocketFlags.None, local.ReceiveAddress, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!token.IsCancellationRequested)
            {
                continue; // e.g. an ICMP error reported on a later receive: that datagram is lost, the socket is fine
            }
            catch (SocketException)
            {
                return;
            }

            OnDatagram(local, local.ReceiveBuffer.AsSpan(0, length));
        }
    }

    private void OnDatagram(LocalSocket local, ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length == 0)
        {
            return;
        }

        var allocations = local.Allocations;
        if (allocations.Length > 0)
        {
            foreach (var turn in allocations)
            {
                if (turn.ServerAddress.Equals(local.ReceiveAddress))
                {
                    if (OnTurnDatagram(turn, datagram))
                    {
                        return;
                    }

                    break;
                }
            }
        }

        var first = datagram[0];
        if (first < 4)
        {
            OnStun(local, datagram);
            return;
        }

        // RFC 7983 §7: 20..63 DTLS, 128..191 RTP/RTCP; anything else is not ours to deliver.
        if (first is < 20 or (> 63 and < 128) or > 191)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        var source = local.ReceiveAddress;
        var selected = _selected;
        if (selected is null || selected.Local != local || !selected.RemoteAddress.Equals(source))
        {
            // Before selection (or from another valid pair): the peer may start DTLS as soon as its side
            // nominated, a moment before our own check on that pair completes.
            CandidatePair? match = null;
            foreach (var pair in _pairSnapshot)
            {
                if (pair.Local == local && pair.RemoteAddress.Equals(source))
                {
                    match = pair;
                    break;
                }
            }

            if (match is null || _state is IceConnectionState.Failed or IceConnectionState.Closed)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            if (selected is null)
            {
                _provisional = match;
            }
        }

        t_callbackOwner = this;
        _transport.Deliver(datagram);
        t_callbackOwner = null;
    }

    // ---------------------------------------------------------------- STUN

    private void OnStun(LocalSocket local, ReadOnlySpan<byte> datagram)
    {
        if (!StunMessage.TryParse(datagram, out var message) || message.Method != Stun.BindingMethod ||
            (message.HasFingerprint && !message.VerifyFingerprint()))
        {
            Interlocked.Increment(ref _stunRejected);
            return;
        }

        var source = (IPEndPoint)local.EndPoint.Create(local.ReceiveAddress);
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            switch (message.Class)
            {
                case StunClass.Request:
                    OnRequest(local, source, message);
                    break;
                case StunClass.SuccessResponse:
                case StunClass.ErrorResponse:
                    OnResponse(local, source, message);
                    break;
                default:
                    break; // Binding indications are keepalives (RFC 8445 §11); nothing to do
            }
        }
    }

    private void OnRequest(LocalSocket local, IPEndPoint source, StunMessage request)
    {
        Interlocked.Increment(ref _checksReceived);
        Span<ushort> unknown = stackalloc ushort[8];
        var unknownCount = request.FindUnknownRequired(KnownRequired, unknown);
        if (unknownCount > 0)
        {
            RespondError(local, source, request, Stun.UnknownAttribute, "Unknown Attribute", unknown[..unknownCount], sign: false);
            return;
        }

        // RFC 8445 §7.3 with RFC 8489 §9.1.3: missing credentials → 400, wrong ones → 401.
        if (!request.HasMessageIntegrity || !request.Has(Stun.Username) || request.Priority is null)
        {
            Interlocked.Increment(ref _stunRejected);
            RespondError(local, source, request, Stun.BadRequest, "Bad Request", [], sign: false);
            return;
        }

        if (!request.UsernameStartsWith(LocalUfrag + ":") || !request.VerifyMessageIntegrity(_localPasswordKey))
        {
            Interlocked.Increment(ref _stunRejected);
            RespondError(local, source, request, Stun.Unauthorized, "Unauthorized", [], sign: false);
            return;
        }

        // RFC 8445 §7.3.1.1: role conflict.
        var theirControlling = request.IceControlling;
        var theirControlled = request.IceControlled;
        if (IsControlling && theirControlling is { } theirs)
        {
            if (_tieBreaker >= theirs)
            {
                RespondError(local, source, request, Stun.RoleConflict, "Role Conflict", [], sign: true);
                return;
            }

            SwitchRole(controlling: false);
        }
        else if (!IsControlling && theirControlled is { } theirsControlled)
        {
            if (_tieBreaker >= theirsControlled)
            {
                SwitchRole(controlling: true);
            }
            else
            {
                RespondError(local, source, request, Stun.RoleConflict, "Role Conflict", [], sign: true);
                return;
            }
        }

        Span<byte> buffer = stackalloc byte[StunBufferSize];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.SuccessResponse, request.TransactionId);
        writer.AddXorMappedAddress(source);
        writer.AddMessageIntegrity(_localPasswordKey);
        writer.AddFingerprint();
        local.TrySend(buffer[..writer.Length], local.ReceiveAddress);

        if (_remotePasswordKey is null)
        {
            // RFC 8445 §7.3: answer now; the triggered check waits for the peer's credentials.
            _earlyChecks.Add((local, source, request.Priority.Value, request.UseCandidate));
            return;
        }

        OnAuthenticatedCheck(local, source, request.Priority.Value, request.UseCandidate);
    }

    /// <summary>RFC 8445 §7.3.1.3–§7.3.1.5: learn a peer-reflexive candidate, trigger a check, note a nomination.</summary>
    private void OnAuthenticatedCheck(LocalSocket local, IPEndPoint source, uint priority, bool useCandidate)
    {
        var pair = FindPair(local, source);
        if (pair is null)
        {
            var remote = FindRemote(source);
            if (remote is null)
            {
                // Chromium may offer no candidates at all and find us through its checks.
                remote = new IceCandidate(NextFoundation(), Component, "udp", priority, source.Address.ToString(), source.Port, IceCandidateType.PeerReflexive);
                _remoteCandidates.Add(remote);
            }

            pair = TryAddPair(local, remote);
            PublishPairs();
            if (pair is null)
            {
                return;
            }
        }

        if (useCandidate && !IsControlling)
        {
            pair.RemoteNominated = true;
            if (pair.State == PairState.Succeeded)
            {
                pair.Nominated = true;
                Select(pair);
            }
        }

        if (pair.State is PairState.Waiting or PairState.Failed)
        {
            pair.State = PairState.Waiting;
            Trigger(pair);
        }
    }

    private void OnResponse(LocalSocket local, IPEndPoint source, StunMessage response)
    {
        var key = TransactionKey.From(response.TransactionId);
        if (!_transactions.TryGetValue(key, out var transaction) || transaction.Local != local)
        {
            Interlocked.Increment(ref _stunRejected);
            return;
        }

        if (transaction.Kind == TransactionKind.ServerReflexive)
        {
            _transactions.Remove(key);
            if (response.Class == StunClass.SuccessResponse && (response.XorMappedAddress ?? response.MappedAddress) is { } mapped)
            {
                AddServerReflexive(local, mapped);
            }

            UpdateGathering();
            return;
        }

        // RFC 8445 §7.2.5.2: a response that does not authenticate with the peer's password is ignored.
        if (_remotePasswordKey is null || !response.VerifyMessageIntegrity(_remotePasswordKey))
        {
            Interlocked.Increment(ref _stunRejected);
            return;
        }

        _transactions.Remove(key);
        var pair = transaction.Pair!;
        if (pair.InFlight == transaction)
        {
            pair.InFlight = null;
        }

        if (response.Class == StunClass.ErrorResponse)
        {
            if (response.Error is { Code: Stun.RoleConflict })
            {
                // RFC 8445 §7.2.5.1: take the other role than the one we claimed, and check again.
                if (transaction.SentControlling == IsControlling)
                {
                    SwitchRole(!transaction.SentControlling);
                }

                pair.State = PairState.Waiting;
                Trigger(pair);
            }
            else if (transaction.Kind == TransactionKind.Check)
            {
                FailPair(pair);
            }

            return;
        }

        // RFC 8445 §7.2.5.2.1: the response must come from where the request went (symmetric).
        if (!source.Equals(transaction.Destination))
        {
            if (transaction.Kind == TransactionKind.Check)
            {
                FailPair(pair);
            }

            return;
        }

        if (pair == _selected)
        {
            _lastConsentMs = NowMs;
            if (_state == IceConnectionState.Disconnected)
            {
                SetState(IceConnectionState.Connected);
            }
        }

        if (transaction.Kind != TransactionKind.Check)
        {
            return;
        }

        // RFC 8445 §7.2.5.3.1 builds the valid pair from the mapped address; a different mapped address
        // is a local peer-reflexive candidate on the same base, and data still leaves through the base, so
        // the checked pair itself is used (the local prflx candidate is only recorded).
        if (response.XorMappedAddress is { } mappedLocal && !mappedLocal.Equals(local.EndPoint) && FindLocal(mappedLocal) is null)
        {
            _localCandidates.Add(new IceCandidate(NextFoundation(), Component, "udp", PeerReflexivePriority(local),
                mappedLocal.Address.ToString(), mappedLocal.Port, IceCandidateType.PeerReflexive, local.EndPoint.Address.ToString(), local.EndPoint.Port));
        }

        pair.State = PairState.Succeeded;
        if ((transaction.UseCandidate && IsControlling) || (pair.RemoteNominated && !IsControlling))
        {
            pair.Nominated = true;
            Select(pair);
        }

        if (_nominating == pair && !pair.Nominated)
        {
            _nominating = null; // the role changed under the nomination; decide again on the next tick
        }
    }

    private void RespondError(LocalSocket local, IPEndPoint source, StunMessage request, int code, string reason, ReadOnlySpan<ushort> unknown, bool sign)
    {
        Span<byte> buffer = stackalloc byte[StunBufferSize];
        var writer = new StunWriter(buffer, request.Method, StunClass.ErrorResponse, request.TransactionId);
        writer.AddErrorCode(code, reason);
        if (!unknown.IsEmpty)
        {
            writer.AddUnknownAttributes(unknown);
        }

        if (sign)
        {
            writer.AddMessageIntegrity(_localPasswordKey);
        }

        writer.AddFingerprint();
        local.TrySend(buffer[..writer.Length], source.Serialize());
    }
}
