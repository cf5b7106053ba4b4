namespace Odyssey.WebRtc.Sctp;

/// <summary>
/// The send side: fragmentation into DATA chunks, bundling into packets, SACK processing, RTO (RFC 9260
/// §6.3), T3-rtx and fast retransmit (§6.3.3, §7.2.4), congestion control (§7.2), the peer's window
/// and partial reliability with FORWARD-TSN (RFC 3758 §3.5).
/// </summary>
/// <remarks>
/// TSNs are assigned when a message is queued, so one queue in TSN order holds everything from the
/// cumulative ack point on: sent chunks first, then <see cref="_unsentIndex"/> onwards the unsent ones.
/// </remarks>
internal sealed partial class SctpAssociation
{
    // §7.2.4: three miss indications trigger a fast retransmit.
    private const int FastRetransmitThreshold = 3;

    // Chunks kept for reuse per direction: about 2.4 MB of fragments, above what a 1 MiB window keeps in flight.
    private const int MaxPooledChunks = 2048;

    private readonly SctpDeque<SctpOutboundChunk> _outbound = new();
    private readonly Stack<SctpOutboundChunk> _outboundPool = new();
    private readonly Dictionary<ushort, SctpOutboundStream> _outStreams = [];
    private readonly List<ushort> _decreasedStreams = new(8);
    private readonly SctpForwardTsnStream[] _forwardStreams = new SctpForwardTsnStream[64];
    private uint _nextTsn;
    private int _unsentIndex;
    private long _nextMessageId;
    private uint _lastCumulativeAck;
    private long _flight;
    private long _cwnd;
    private long _ssthresh;
    private long _partialBytesAcked;
    private long _peerRwnd;
    private int _retransmitPending;
    private bool _fastRecovery;
    private uint _fastRecoveryExit;
    private bool _fastRetransmitBurst;
    private int _errorCount;

    // RTT measurement (§6.3.1): one chunk at a time, never a retransmitted one (Karn).
    private bool _rttMeasuring;
    private uint _rttTsn;
    private long _rttSentAt;
    private long _srtt;
    private long _rttvar;
    private long _rto;

    // Partial reliability: the Advanced.Peer.Ack.Point and whether a FORWARD-TSN must go out.
    private uint _advancedPeerAckPoint;
    private bool _forwardTsnRequired;

    private int Mtu => _options.MaxPacketSize;

    private SctpOutboundStream GetOutboundStream(ushort streamId)
    {
        if (!_outStreams.TryGetValue(streamId, out var stream))
        {
            stream = new SctpOutboundStream();
            _outStreams.Add(streamId, stream);
        }

        return stream;
    }

    private void EnqueueMessageLocked(ushort streamId, SctpOutboundStream stream, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions options)
    {
        var unordered = options.Unordered;
        var ssn = unordered ? (ushort)0 : stream.NextSsn;
        if (!unordered)
        {
            stream.NextSsn++;
        }

        // Partial reliability needs the peer to understand FORWARD-TSN; without it every message is reliable.
        var maxRetransmits = _peerForwardTsn && options.MaxRetransmits is { } retransmits ? Math.Max(0, retransmits) : int.MaxValue;
        var expiresAt = _peerForwardTsn && options.MaxLifetime is { } lifetime ? Now + Math.Max(0, lifetime.Ticks) : long.MaxValue;
        var messageId = ++_nextMessageId;
        var offset = 0;
        while (offset < payload.Length)
        {
            var length = Math.Min(_maxFragment, payload.Length - offset);
            var chunk = _outboundPool.Count > 0 ? _outboundPool.Pop() : new SctpOutboundChunk();
            chunk.Tsn = _nextTsn++;
            chunk.StreamId = streamId;
            chunk.Ssn = ssn;
            chunk.Ppid = ppid;
            chunk.Flags = (byte)((unordered ? SctpDataChunk.UnorderedFlag : 0)
                | (offset == 0 ? SctpDataChunk.BeginningFlag : 0)
                | (offset + length == payload.Length ? SctpDataChunk.EndingFlag : 0));
            chunk.Buffer ??= new byte[_maxFragment];
            payload.Slice(offset, length).CopyTo(chunk.Buffer);
            chunk.Length = length;
            chunk.State = SctpOutboundState.Unsent;
            chunk.Transmissions = 0;
            chunk.Misses = 0;
            chunk.FastRetransmitted = false;
            chunk.MessageId = messageId;
            chunk.MaxRetransmits = maxRetransmits;
            chunk.ExpiresAt = expiresAt;
            _outbound.PushBack(chunk);
            offset += length;
        }

        stream.Buffered += payload.Length;
    }

    // Sends what is due: control chunks (SACK, FORWARD-TSN, RE-CONFIG) first, then retransmissions, then new
    // DATA as cwnd and the peer's window allow, bundled into packets of at most MaxPacketSize.
    private void TransmitLocked()
    {
        if (_state is not (SctpAssociationState.Established or SctpAssociationState.ShuttingDown))
        {
            return;
        }

        var now = Now;
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        if (_sackRequired)
        {
            WriteSackLocked(ref writer);
        }

        if (_forwardTsnRequired && ForwardTsnSafeLocked())
        {
            WriteForwardTsnLocked(ref writer);
        }

        WriteReConfigLocked(ref writer);

        // Offset of the last DATA chunk in the packet being filled; -1 once that packet is sent.
        var lastData = -1;

        // §7.2.4: the first packet of a fast retransmit goes out whatever cwnd says.
        var burst = _fastRetransmitBurst;
        _fastRetransmitBurst = false;
        if (_retransmitPending > 0)
        {
            for (var i = 0; i < _unsentIndex && _retransmitPending > 0; i++)
            {
                var chunk = _outbound[i];
                if (chunk.State != SctpOutboundState.NeedsRetransmit)
                {
                    continue;
                }

                if (now >= chunk.ExpiresAt)
                {
                    AbandonMessageLocked(i);
                    continue;
                }

                if (!burst && _flight >= _cwnd)
                {
                    break;
                }

                if (!Fits(ref writer, chunk))
                {
                    FlushLocked(ref writer);
                    lastData = -1;
                    if (burst)
                    {
                        burst = false;
                        if (_flight >= _cwnd)
                        {
                            break;
                        }
                    }
                }

                lastData = WriteDataLocked(ref writer, chunk, now);
                _retransmitPending--;
                _retransmissions++;
                if (_rttMeasuring && chunk.Tsn == _rttTsn)
                {
                    _rttMeasuring = false;
                }
            }
        }

        while (_unsentIndex < _outbound.Count && _retransmitPending == 0)
        {
            var chunk = _outbound[_unsentIndex];
            if (chunk.State == SctpOutboundState.Abandoned)
            {
                _unsentIndex++;
                continue;
            }

            if (now >= chunk.ExpiresAt)
            {
                AbandonMessageLocked(_unsentIndex);
                continue;
            }

            // §6.1 rules A and B: respect cwnd and the peer's window, but with nothing in flight one chunk may
            // probe a zero window.
            if (_flight > 0 && (_flight >= _cwnd || _peerRwnd < chunk.Length))
            {
                break;
            }

            if (!Fits(ref writer, chunk))
            {
                FlushLocked(ref writer);
                lastData = -1;
            }

            lastData = WriteDataLocked(ref writer, chunk, now);
            _unsentIndex++;
            if (!_rttMeasuring)
            {
                _rttMeasuring = true;
                _rttTsn = chunk.Tsn;
                _rttSentAt = now;
            }
        }

        if (lastData >= 0)
        {
            // RFC 7053: the burst ends here (queue empty, or cwnd or the peer's window full): ask for the SACK at
            // once, so an odd packet at the tail is not held by the peer's 200 ms delayed SACK.
            _packet[lastData + 1] |= SctpDataChunk.ImmediateFlag;
        }

        FlushLocked(ref writer);
        if (_forwardTsnRequired && ForwardTsnSafeLocked())
        {
            var fresh = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
            WriteForwardTsnLocked(ref fresh);
            FlushLocked(ref fresh);
        }

        UpdateT3Locked(now, restart: false);

        // Messages whose lifetime ran out while queued left the buffered amount here.
        RaiseDecreasedLocked();
        TryShutdownLocked();
    }

    private bool Fits(ref SctpPacketWriter writer, SctpOutboundChunk chunk) =>
        writer.Length + SctpPacket.Pad4(SctpPacket.ChunkHeaderSize + SctpDataChunk.FixedSize + chunk.Length) <= _packet.Length;

    // Returns the chunk's offset in the packet buffer.
    private int WriteDataLocked(ref SctpPacketWriter writer, SctpOutboundChunk chunk, long now)
    {
        var offset = writer.Length;
        writer.WriteData(chunk.Flags, chunk.Tsn, chunk.StreamId, chunk.Ssn, chunk.Ppid, chunk.Payload);
        chunk.State = SctpOutboundState.InFlight;
        chunk.Transmissions++;
        _flight += chunk.Length;
        _peerRwnd = Math.Max(0, _peerRwnd - chunk.Length);
        _dataChunksSent++;
        if (!IsArmed(TimerSlot.T3))
        {
            ArmLocked(TimerSlot.T3, now + _rto);
        }

        return offset;
    }

    private void FlushLocked(ref SctpPacketWriter writer)
    {
        if (writer.Length > SctpPacket.CommonHeaderSize)
        {
            SendLocked(ref writer);
            writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        }
    }

    private void HandleSackLocked(in SctpChunk chunk)
    {
        var sack = SctpSackChunk.Read(chunk);
        var cumulativeAck = sack.CumulativeTsnAck;

        // §6.2.1 D: a SACK older than the last one is stale; one for a TSN we never assigned is bogus.
        if (SctpSerial.Lt(cumulativeAck, _lastCumulativeAck) || SctpSerial.Ge(cumulativeAck, _nextTsn))
        {
            _chunksDropped++;
            return;
        }

        var now = Now;
        var flightBefore = _flight;
        var cumulativeAdvanced = SctpSerial.Gt(cumulativeAck, _lastCumulativeAck);
        _lastCumulativeAck = cumulativeAck;
        long newlyAcked = 0;
        var highestNewlyAcked = cumulativeAck;
        var anyGapNewlyAcked = false;
        _decreasedStreams.Clear();

        while (_outbound.Count > 0 && SctpSerial.Le(_outbound[0].Tsn, cumulativeAck))
        {
            var acked = _outbound.PopFront();
            if (_unsentIndex > 0)
            {
                _unsentIndex--;
            }

            if (acked.State is not (SctpOutboundState.GapAcked or SctpOutboundState.Abandoned))
            {
                newlyAcked += acked.Length;
                MeasureRttLocked(acked, now);
            }

            ForgetChunkLocked(acked);
            ReleaseOutbound(acked);
        }

        // Gap blocks (§6.2.1): mark what they cover; a chunk they no longer cover was reneged and is outstanding again.
        var blockCount = sack.GapBlockCount;
        var block = 0;
        for (var i = 0; i < _unsentIndex; i++)
        {
            var outstanding = _outbound[i];
            var offset = outstanding.Tsn - cumulativeAck;
            while (block < blockCount && sack.GetGapBlock(block).End < offset)
            {
                block++;
            }

            var covered = block < blockCount && sack.GetGapBlock(block).Start <= offset && offset <= ushort.MaxValue;
            if (covered && outstanding.State is SctpOutboundState.InFlight or SctpOutboundState.NeedsRetransmit)
            {
                RemoveFromFlightLocked(outstanding);
                outstanding.State = SctpOutboundState.GapAcked;
                newlyAcked += outstanding.Length;
                highestNewlyAcked = outstanding.Tsn;
                anyGapNewlyAcked = true;
                MeasureRttLocked(outstanding, now);
            }
            else if (!covered && outstanding.State == SctpOutboundState.GapAcked)
            {
                outstanding.State = SctpOutboundState.NeedsRetransmit;
                _retransmitPending++;
            }
        }

        if (anyGapNewlyAcked)
        {
            CountMissesLocked(highestNewlyAcked);
        }

        if (_fastRecovery && SctpSerial.Ge(cumulativeAck, _fastRecoveryExit))
        {
            _fastRecovery = false;
        }

        if (newlyAcked > 0)
        {
            // §8.3: the peer is reachable whenever it acknowledges DATA, by gap blocks too. Counting only cumulative
            // advances aborted a live association toward aiortc: while a FORWARD-TSN waited (ForwardTsnSafeLocked),
            // every chunk was gap-acked, yet ten T3 expiries in a row declared the peer dead.
            _errorCount = 0;
        }

        if (cumulativeAdvanced && newlyAcked > 0)
        {
            if (!_fastRecovery)
            {
                // §7.2.1 and §7.2.2: grow cwnd only when it was (close to) fully used.
                var fullyUsed = flightBefore + Mtu > _cwnd;
                if (_cwnd <= _ssthresh)
                {
                    if (fullyUsed)
                    {
                        _cwnd += Math.Min(newlyAcked, Mtu);
                    }
                }
                else
                {
                    _partialBytesAcked += newlyAcked;
                    if (_partialBytesAcked >= _cwnd && fullyUsed)
                    {
                        _partialBytesAcked -= _cwnd;
                        _cwnd += Mtu;
                    }
                }
            }
        }

        // §6.2.1: the peer's window is what it advertised less what is still in flight.
        _peerRwnd = Math.Max(0, (long)sack.AdvertisedWindow - _flight);
        AdvancePeerAckPointLocked();
        UpdateT3Locked(now, restart: cumulativeAdvanced);
        RaiseDecreasedLocked();
        TryStartReConfigLocked();
    }

    private void CountMissesLocked(uint highestNewlyAcked)
    {
        for (var i = 0; i < _unsentIndex; i++)
        {
            var chunk = _outbound[i];
            if (SctpSerial.Ge(chunk.Tsn, highestNewlyAcked))
            {
                break;
            }

            if (chunk.State != SctpOutboundState.InFlight || chunk.FastRetransmitted || ++chunk.Misses < FastRetransmitThreshold)
            {
                continue;
            }

            _fastRetransmits++;
            if (chunk.Transmissions > chunk.MaxRetransmits)
            {
                AbandonMessageLocked(i);
                continue;
            }

            RemoveFromFlightLocked(chunk);
            chunk.State = SctpOutboundState.NeedsRetransmit;
            chunk.FastRetransmitted = true;
            _retransmitPending++;
            _fastRetransmitBurst = true;
            if (!_fastRecovery)
            {
                // §7.2.3 and §7.2.4: halve once per loss episode, until everything outstanding now is acked.
                _fastRecovery = true;
                _fastRecoveryExit = _nextTsn - 1;
                _ssthresh = Math.Max(_cwnd / 2, 4L * Mtu);
                _cwnd = _ssthresh;
                _partialBytesAcked = 0;
            }
        }
    }

    private void MeasureRttLocked(SctpOutboundChunk chunk, long now)
    {
        if (!_rttMeasuring || chunk.Tsn != _rttTsn)
        {
            return;
        }

        _rttMeasuring = false;
        if (chunk.Transmissions == 1)
        {
            UpdateRtoLocked(now - _rttSentAt);
        }
    }

    // RFC 9260 §6.3.1: SRTT, RTTVAR with alpha 1/8, beta 1/4; RTO = SRTT + 4 RTTVAR, clamped.
    private void UpdateRtoLocked(long rtt)
    {
        rtt = Math.Max(0, rtt);
        if (_srtt == 0)
        {
            _srtt = Math.Max(1, rtt);
            _rttvar = rtt / 2;
        }
        else
        {
            _rttvar = ((3 * _rttvar) + Math.Abs(_srtt - rtt)) / 4;
            _srtt = Math.Max(1, ((7 * _srtt) + rtt) / 8);
        }

        _rto = Math.Clamp(_srtt + (4 * _rttvar), _options.RtoMin.Ticks, _options.RtoMax.Ticks);
    }

    private void RemoveFromFlightLocked(SctpOutboundChunk chunk)
    {
        if (chunk.State == SctpOutboundState.InFlight)
        {
            _flight -= chunk.Length;
        }
        else if (chunk.State == SctpOutboundState.NeedsRetransmit)
        {
            _retransmitPending--;
        }
    }

    // The chunk leaves the queue (acked): its bytes leave the stream's buffered amount unless abandonment already took them.
    private void ForgetChunkLocked(SctpOutboundChunk chunk)
    {
        RemoveFromFlightLocked(chunk);
        if (chunk.State != SctpOutboundState.Abandoned)
        {
            DecreaseBufferedLocked(chunk.StreamId, chunk.Length);
        }
    }

    private void DecreaseBufferedLocked(ushort streamId, int bytes)
    {
        if (_outStreams.TryGetValue(streamId, out var stream))
        {
            stream.Buffered -= bytes;
        }

        if (!_decreasedStreams.Contains(streamId))
        {
            _decreasedStreams.Add(streamId);
        }
    }

    private void RaiseDecreasedLocked()
    {
        foreach (var streamId in _decreasedStreams)
        {
            _events.Enqueue(new SctpEvent(SctpEventKind.BufferedAmountDecreased, streamId, 0, null, 0, default));
        }

        _decreasedStreams.Clear();
    }

    // Chunks keep their fragment-sized buffer in the pool: a long queue would drain ArrayPool.Shared's few arrays per size.
    private void ReleaseOutbound(SctpOutboundChunk chunk)
    {
        if (_outboundPool.Count < MaxPooledChunks)
        {
            _outboundPool.Push(chunk);
        }
    }

    // Gives up every fragment of the message that holds _outbound[index] (RFC 3758 §3.5 A1).
    private void AbandonMessageLocked(int index)
    {
        var messageId = _outbound[index].MessageId;
        var start = index;
        while (start > 0 && _outbound[start - 1].MessageId == messageId)
        {
            start--;
        }

        var streamId = _outbound[index].StreamId;
        for (var i = start; i < _outbound.Count && _outbound[i].MessageId == messageId; i++)
        {
            var chunk = _outbound[i];
            if (chunk.State == SctpOutboundState.Abandoned)
            {
                continue;
            }

            RemoveFromFlightLocked(chunk);
            DecreaseBufferedLocked(streamId, chunk.Length);
            chunk.State = SctpOutboundState.Abandoned;
        }

        _messagesAbandoned++;
        GetOutboundStream(streamId).Abandoned++;
        AdvancePeerAckPointLocked();
    }

    // RFC 3758 §3.5 C: move the advanced peer ack point over abandoned chunks at the front; if it passes the cumulative ack, send FORWARD-TSN.
    private void AdvancePeerAckPointLocked()
    {
        if (!_peerForwardTsn)
        {
            return;
        }

        var point = _lastCumulativeAck;
        if (SctpSerial.Gt(_advancedPeerAckPoint, point))
        {
            point = _advancedPeerAckPoint;
        }

        for (var i = 0; i < _outbound.Count; i++)
        {
            var chunk = _outbound[i];
            if (SctpSerial.Le(chunk.Tsn, point))
            {
                continue;
            }

            if (chunk.State != SctpOutboundState.Abandoned || chunk.Tsn != point + 1)
            {
                break;
            }

            point = chunk.Tsn;
        }

        _advancedPeerAckPoint = point;
        if (SctpSerial.Gt(point, _lastCumulativeAck))
        {
            _forwardTsnRequired = true;
        }
    }

    // aiortc (rtcsctptransport.py, _receive_forward_tsn_chunk) moves its cumulative TSN to the FORWARD-TSN's and on
    // over every TSN it holds right after it, then discards from EVERY stream's reassembly queue all fragments up to
    // there, reliable ones included. If that run of held TSNs ends inside a message, the message's first fragments
    // are gone: it never completes, the ordered stream blocks behind it, and aiortc's window fills to zero while we
    // count those TSNs as acknowledged (the stall seen at 5 % loss). A chunk we sent may still arrive before the
    // FORWARD-TSN even when we think it lost (reordering), so the FORWARD-TSN waits until every chunk sent after the
    // new ack point is known to be held (or is itself abandoned, whose pruning harms nothing) and the next unsent
    // chunk begins a message. Receivers that follow RFC 3758 only see the FORWARD-TSN later.
    private bool ForwardTsnSafeLocked()
    {
        for (var i = 0; i < _unsentIndex; i++)
        {
            var chunk = _outbound[i];
            if (SctpSerial.Gt(chunk.Tsn, _advancedPeerAckPoint) && chunk.State is SctpOutboundState.InFlight or SctpOutboundState.NeedsRetransmit)
            {
                return false;
            }
        }

        return _unsentIndex >= _outbound.Count
            || (_outbound[_unsentIndex].Flags & SctpDataChunk.BeginningFlag) != 0
            || _outbound[_unsentIndex].State == SctpOutboundState.Abandoned;
    }

    private void WriteForwardTsnLocked(ref SctpPacketWriter writer)
    {
        // The largest skipped SSN of each ordered stream among the abandoned chunks up to the new point.
        var streams = 0;
        for (var i = 0; i < _outbound.Count && SctpSerial.Le(_outbound[i].Tsn, _advancedPeerAckPoint); i++)
        {
            var chunk = _outbound[i];
            if (chunk.Unordered || chunk.State != SctpOutboundState.Abandoned)
            {
                continue;
            }

            var found = false;
            for (var k = 0; k < streams; k++)
            {
                if (_forwardStreams[k].StreamId == chunk.StreamId)
                {
                    if (SctpSerial.Lt(_forwardStreams[k].StreamSequence, chunk.Ssn))
                    {
                        _forwardStreams[k] = new SctpForwardTsnStream(chunk.StreamId, chunk.Ssn);
                    }

                    found = true;
                    break;
                }
            }

            if (!found && streams < _forwardStreams.Length)
            {
                _forwardStreams[streams++] = new SctpForwardTsnStream(chunk.StreamId, chunk.Ssn);
            }
        }

        var size = SctpPacket.ChunkHeaderSize + SctpForwardTsnChunk.FixedSize + (4 * streams);
        if (writer.Length + size > _packet.Length)
        {
            return;
        }

        writer.WriteForwardTsn(_advancedPeerAckPoint, _forwardStreams.AsSpan(0, streams));
        _forwardTsnRequired = false;
    }

    private void UpdateT3Locked(long now, bool restart)
    {
        var outstanding = _flight > 0 || _retransmitPending > 0 || SctpSerial.Gt(_advancedPeerAckPoint, _lastCumulativeAck);
        if (!outstanding)
        {
            DisarmLocked(TimerSlot.T3);
        }
        else if (restart || !IsArmed(TimerSlot.T3))
        {
            ArmLocked(TimerSlot.T3, now + _rto);
        }
    }

    // §6.3.3: T3-rtx expired: back off, collapse cwnd, and send everything outstanding again.
    private void OnT3Locked(long now)
    {
        if (_state is not (SctpAssociationState.Established or SctpAssociationState.ShuttingDown))
        {
            return;
        }

        _t3Expiries++;
        if (++_errorCount > _options.MaxRetransmissions)
        {
            FailLocked($"peer unreachable: {_options.MaxRetransmissions} retransmissions without acknowledgement");
            return;
        }

        _ssthresh = Math.Max(_cwnd / 2, 4L * Mtu);
        _cwnd = Mtu;
        _partialBytesAcked = 0;
        _fastRecovery = false;
        _rto = Math.Min(_rto * 2, _options.RtoMax.Ticks);
        _rttMeasuring = false;
        for (var i = 0; i < _unsentIndex; i++)
        {
            var chunk = _outbound[i];
            if (chunk.State != SctpOutboundState.InFlight)
            {
                continue;
            }

            if (chunk.Transmissions > chunk.MaxRetransmits || now >= chunk.ExpiresAt)
            {
                AbandonMessageLocked(i);
                continue;
            }

            _flight -= chunk.Length;
            chunk.State = SctpOutboundState.NeedsRetransmit;
            chunk.FastRetransmitted = false;
            chunk.Misses = 0;
            _retransmitPending++;
        }

        if (SctpSerial.Gt(_advancedPeerAckPoint, _lastCumulativeAck))
        {
            _forwardTsnRequired = true;
        }

        RaiseDecreasedLocked();
        ArmLocked(TimerSlot.T3, now + _rto);
        TransmitLocked();
    }
}

/// <summary>Consistency checks of the send-side bookkeeping, for tests.</summary>
internal sealed partial class SctpAssociation
{
    /// <summary>Null when the flight size and the retransmission count agree with the chunks' states; else what disagrees.</summary>
    internal string? SendAccountingError()
    {
        lock (_lock)
        {
            long flight = 0;
            var pending = 0;
            for (var i = 0; i < _outbound.Count; i++)
            {
                var chunk = _outbound[i];
                if (i >= _unsentIndex && chunk.State is not (SctpOutboundState.Unsent or SctpOutboundState.Abandoned))
                {
                    return $"chunk TSN {chunk.Tsn} at index {i} is {chunk.State} but lies beyond the unsent index {_unsentIndex}";
                }

                if (chunk.State == SctpOutboundState.InFlight)
                {
                    flight += chunk.Length;
                }
                else if (chunk.State == SctpOutboundState.NeedsRetransmit)
                {
                    pending++;
                }
            }

            return flight != _flight || pending != _retransmitPending
                ? $"flight {_flight} (chunks say {flight}), retransmissions pending {_retransmitPending} (chunks say {pending})"
                : null;
        }
    }
}
