using System.Net;
using System.Security.Cryptography;

namespace Odyssey.WebRtc.Ice;

/// <summary>The timer: check pacing, retransmission, nomination and consent freshness.</summary>
public sealed partial class IceAgent
{
    private async Task TimerLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.CheckPacing);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    Tick(NowMs);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    private void Tick(long now)
    {
        TickTurns(now);
        Retransmit(now);
        if (_remotePasswordKey is not null && _state is not (IceConnectionState.Failed or IceConnectionState.Closed))
        {
            SendNextCheck();
            if (IsControlling && _selected is null && _nominating is null)
            {
                Nominate();
            }

            if (_selected is not null)
            {
                KeepConsent(now);
            }
            else if (_state == IceConnectionState.Checking && (AllPairsFailed() || now - _checkingSinceMs > (long)_options.CheckingTimeout.TotalMilliseconds))
            {
                Fail(AllPairsFailed()
                    ? $"all {_pairs.Count} candidate pairs failed and the peer signalled end-of-candidates"
                    : $"no candidate pair succeeded within {_options.CheckingTimeout.TotalSeconds:0.#} s ({_pairs.Count} pairs, {_remoteCandidates.Count} remote candidates)");
            }

            if (_state == IceConnectionState.Connected && _remoteEndOfCandidates && _gatheringComplete && _triggered.Count == 0 && !HasPendingChecks())
            {
                SetState(IceConnectionState.Completed);
            }
        }
    }

    private void Retransmit(long now)
    {
        foreach (var transaction in _transactions.Values)
        {
            if (now < transaction.NextSendMs)
            {
                continue;
            }

            if (transaction.Kind == TransactionKind.Consent || transaction.Retransmissions >= _options.MaxRetransmissions)
            {
                _expired.Add(transaction);
                continue;
            }

            transaction.Retransmissions++;
            transaction.RtoMs = Math.Min(transaction.RtoMs * 2, (long)_options.MaxRto.TotalMilliseconds);
            transaction.NextSendMs = now + transaction.RtoMs;
            transaction.Local.TrySend(transaction.Message, transaction.DestinationAddress);
        }

        foreach (var transaction in _expired)
        {
            _transactions.Remove(transaction.Key);
            if (transaction.Kind == TransactionKind.Check && transaction.Pair is { } pair && pair.InFlight == transaction)
            {
                pair.InFlight = null;
                FailPair(pair);
            }
        }

        if (_expired.Count > 0)
        {
            _expired.Clear();
            UpdateGathering();
        }
    }

    /// <summary>RFC 8445 §6.1.4.2: one check per Ta, a triggered one first, else the best waiting pair.</summary>
    private void SendNextCheck()
    {
        while (_triggered.TryDequeue(out var triggered))
        {
            triggered.Triggered = false;
            if (triggered.InFlight is null && triggered.State != PairState.Failed)
            {
                SendCheck(triggered, TransactionKind.Check);
                return;
            }
        }

        if (_selected is not null)
        {
            return; // RFC 8445 §8.1.2: once selected, ordinary checks stop
        }

        CandidatePair? best = null;
        foreach (var pair in _pairs)
        {
            if (pair.State == PairState.Waiting && pair.InFlight is null && (best is null || pair.Priority > best.Priority))
            {
                best = pair;
            }
        }

        if (best is not null)
        {
            SendCheck(best, TransactionKind.Check);
        }
    }

    /// <summary>Regular nomination (RFC 8445 §8.1.1): a second check with USE-CANDIDATE on the best succeeded pair.</summary>
    private void Nominate()
    {
        CandidatePair? best = null;
        foreach (var pair in _pairs)
        {
            if (pair.State == PairState.Succeeded && (best is null || pair.Priority > best.Priority))
            {
                best = pair;
            }
        }

        if (best is null)
        {
            return;
        }

        _nominating = best;
        best.NominateNext = true;
        Trigger(best);
    }

    private void KeepConsent(long now)
    {
        var silence = now - _lastConsentMs;
        if (silence > (long)_options.ConsentTimeout.TotalMilliseconds)
        {
            Fail($"consent expired: no response from {_selected!.RemoteEndPoint} for {silence} ms (RFC 7675)");
            return;
        }

        if (silence > (long)_options.DisconnectedAfter.TotalMilliseconds && _state is IceConnectionState.Connected or IceConnectionState.Completed)
        {
            SetState(IceConnectionState.Disconnected);
        }

        if (now >= _nextConsentMs)
        {
            SendCheck(_selected!, TransactionKind.Consent);
            ScheduleConsent(now);
        }
    }

    private void ScheduleConsent(long now)
    {
        // RFC 7675 §5.1: randomised between 0.8 and 1.2 of the interval, so peers do not synchronise.
        var interval = _options.ConsentInterval.TotalMilliseconds * (0.8 + (0.4 * Random.Shared.NextDouble()));
        _nextConsentMs = now + (long)interval;
    }

    private void SendCheck(CandidatePair pair, TransactionKind kind)
    {
        var useCandidate = kind == TransactionKind.Check && pair.NominateNext && IsControlling;
        pair.NominateNext = false;
        Span<byte> id = stackalloc byte[Stun.TransactionIdLength];
        RandomNumberGenerator.Fill(id);
        Span<byte> buffer = stackalloc byte[StunBufferSize];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, id);
        writer.AddUsername(_username!);
        writer.AddPriority(PeerReflexivePriority(pair.Local));
        if (IsControlling)
        {
            writer.AddIceControlling(_tieBreaker);
        }
        else
        {
            writer.AddIceControlled(_tieBreaker);
        }

        if (useCandidate)
        {
            writer.AddUseCandidate();
        }

        writer.AddMessageIntegrity(_remotePasswordKey);
        writer.AddFingerprint();

        var rto = (long)_options.InitialRto.TotalMilliseconds;
        var now = NowMs;
        var transaction = new StunTransaction(TransactionKey.From(id), kind, pair.Local, pair.RemoteEndPoint, buffer[..writer.Length].ToArray(), now + rto, rto)
        {
            Pair = pair,
            UseCandidate = useCandidate,
            SentControlling = IsControlling,
        };
        _transactions[transaction.Key] = transaction;
        if (kind == TransactionKind.Check)
        {
            pair.InFlight = transaction;
            if (pair.State == PairState.Waiting)
            {
                pair.State = PairState.InProgress;
            }

            Interlocked.Increment(ref _checksSent);
        }
        else
        {
            Interlocked.Increment(ref _consentSent);
        }

        pair.Local.TrySend(transaction.Message, pair.RemoteAddress);
    }

    private void SendServerRequest(LocalSocket local, IPEndPoint server)
    {
        Span<byte> id = stackalloc byte[Stun.TransactionIdLength];
        RandomNumberGenerator.Fill(id);
        Span<byte> buffer = stackalloc byte[64];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, id);
        writer.AddFingerprint();
        var rto = (long)_options.InitialRto.TotalMilliseconds;
        var transaction = new StunTransaction(TransactionKey.From(id), TransactionKind.ServerReflexive, local, server, buffer[..writer.Length].ToArray(), NowMs + rto, rto);
        _transactions[transaction.Key] = transaction;
        local.TrySend(transaction.Message, transaction.DestinationAddress);
    }
}
