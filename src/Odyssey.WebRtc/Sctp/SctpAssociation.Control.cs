using System.Buffers.Binary;
using System.Text;

namespace Odyssey.WebRtc.Sctp;

/// <summary>HEARTBEAT (RFC 9260 §8.3), SHUTDOWN (§9.2), ABORT (§9.1) and stream reset (RFC 6525).</summary>
internal sealed partial class SctpAssociation
{
    // §3.3.10.12: the cause code of a user-initiated abort, which carries the reason as text.
    private const ushort UserInitiatedAbortCause = 12;

    // Abort reasons are cut to this many characters: the ABORT must fit in one small packet.
    private const int MaxAbortReasonChars = 200;

    // RFC 6525 §4.4 result codes beyond the two the wire-format type names.
    private const uint ResultNothingToDo = 0;
    private const uint ResultBadSequence = 5;

    private const int HeartbeatInfoSize = 16;

    private readonly List<ushort> _resetQueue = [];
    private readonly List<(uint Sequence, uint Result)> _reconfigResponses = [];
    private ushort[] _resetStreams = [];
    private int _resetStreamCount;
    private bool _reconfigInFlight;
    private bool _reconfigSendPending;
    private uint _reconfigRequestSequence;
    private uint _reconfigLastTsn;
    private uint _nextReconfigSequence;
    private uint _peerReconfigExpected;
    private uint _lastPeerReconfigResult = SctpReConfig.ResultPerformed;

    // A peer's reset request waiting for its data (RFC 6525 §5.2.2).
    private bool _deferredReset;
    private uint _deferredSequence;
    private uint _deferredLastTsn;
    private ushort[] _deferredStreams = [];
    private int _deferredCount;

    private bool _heartbeatOutstanding;
    private long _heartbeatNonce;

    private bool _shutdownRequested;
    private bool _shutdownSent;
    private bool _shutdownAckSent;
    private bool _peerShutdown;

    /// <summary>Resets our outgoing streams (RFC 6525 §5.1.2) after what is queued on them is sent.</summary>
    /// <remarks>
    /// The request goes out once the streams' queued messages are acknowledged or abandoned (aiortc resets
    /// on receipt without waiting for the announced last TSN); until the peer answers, sending on them throws.
    /// </remarks>
    public void ResetStreams(ReadOnlySpan<ushort> streamIds)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state is not (SctpAssociationState.Established or SctpAssociationState.ShuttingDown))
            {
                throw new InvalidOperationException($"SCTP association is {_state}: cannot reset streams");
            }

            if (!_peerReConfig)
            {
                throw new NotSupportedException("the SCTP peer did not announce RE-CONFIG (RFC 6525) support: streams cannot be reset");
            }

            foreach (var streamId in streamIds)
            {
                QueueResetLocked(streamId);
            }

            TryStartReConfigLocked();
            TransmitLocked();
            ScheduleLocked();
        }

        DrainEvents();
    }

    /// <summary>Graceful SHUTDOWN after the queued data is acknowledged.</summary>
    public Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            switch (_state)
            {
                case SctpAssociationState.Established:
                case SctpAssociationState.ShuttingDown:
                    _shutdownRequested = true;
                    TryShutdownLocked();
                    ScheduleLocked();
                    break;
                case SctpAssociationState.CookieWait:
                case SctpAssociationState.CookieEchoed:
                    AbortLocked("shut down before the association was established", sendAbort: true);
                    break;
                default:
                    return Task.CompletedTask;
            }
        }

        DrainEvents();
        return _closed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>ABORT with a user-initiated cause.</summary>
    public void Abort(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (_lock)
        {
            if (!_disposed && _state is not (SctpAssociationState.Closed or SctpAssociationState.Aborted))
            {
                AbortLocked(reason, sendAbort: true);
            }
        }

        DrainEvents();
    }

    private void QueueResetLocked(ushort streamId)
    {
        var stream = GetOutboundStream(streamId);
        if (!stream.ResetPending)
        {
            stream.ResetPending = true;
            _resetQueue.Add(streamId);
        }
    }

    private void TryStartReConfigLocked()
    {
        if (_reconfigInFlight || _resetQueue.Count == 0 || _state is not (SctpAssociationState.Established or SctpAssociationState.ShuttingDown))
        {
            return;
        }

        for (var i = 0; i < _outbound.Count; i++)
        {
            var chunk = _outbound[i];
            if (chunk.State != SctpOutboundState.Abandoned && _resetQueue.Contains(chunk.StreamId))
            {
                return;
            }
        }

        if (_resetStreams.Length < _resetQueue.Count)
        {
            _resetStreams = new ushort[_resetQueue.Count];
        }

        _resetQueue.CopyTo(_resetStreams);
        _resetStreamCount = _resetQueue.Count;
        _resetQueue.Clear();
        _reconfigRequestSequence = _nextReconfigSequence++;
        _reconfigLastTsn = _nextTsn - 1;
        _reconfigInFlight = true;
        _reconfigSendPending = true;
        ArmLocked(TimerSlot.ReConfig, Now + _rto);
    }

    private void WriteReConfigLocked(ref SctpPacketWriter writer)
    {
        foreach (var (sequence, result) in _reconfigResponses)
        {
            if (writer.Length + 16 > _packet.Length)
            {
                FlushLocked(ref writer);
            }

            writer.WriteReConfigResponse(sequence, result);
        }

        _reconfigResponses.Clear();
        if (_reconfigSendPending)
        {
            var size = SctpPacket.Pad4(SctpPacket.ChunkHeaderSize + 16 + (2 * _resetStreamCount));
            if (writer.Length + size > _packet.Length)
            {
                FlushLocked(ref writer);
            }

            writer.WriteOutgoingSsnResetRequest(_reconfigRequestSequence, _peerReconfigExpected - 1, _reconfigLastTsn, _resetStreams.AsSpan(0, _resetStreamCount));
            _reconfigSendPending = false;
        }
    }

    private void OnReConfigTimerLocked(long now)
    {
        if (!_reconfigInFlight || _state is not (SctpAssociationState.Established or SctpAssociationState.ShuttingDown))
        {
            return;
        }

        _reconfigSendPending = true;
        ArmLocked(TimerSlot.ReConfig, now + _rto);
        TransmitLocked();
    }

    private void HandleReConfigLocked(in SctpChunk chunk)
    {
        foreach (var parameter in SctpReConfig.ReadParameters(chunk))
        {
            switch (parameter.Type)
            {
                case SctpParameterType.OutgoingSsnResetRequest:
                    HandlePeerOutgoingResetLocked(SctpSsnResetRequest.Read(parameter));
                    break;
                case SctpParameterType.IncomingSsnResetRequest:
                    HandlePeerIncomingResetLocked(SctpSsnResetRequest.Read(parameter));
                    break;
                case SctpParameterType.ReConfigResponse:
                    HandleReConfigResponseLocked(SctpReConfigResponse.Read(parameter));
                    break;
                default:
                    _chunksDropped++;
                    break;
            }
        }
    }

    // RFC 6525 §5.2.2: the peer will send no more on these streams (our incoming ones); their SSNs restart at 0.
    private void HandlePeerOutgoingResetLocked(in SctpSsnResetRequest request)
    {
        if (!CheckPeerSequenceLocked(request.RequestSequence))
        {
            return;
        }

        if (_deferredReset || SctpSerial.Gt(request.SenderLastTsn, _cumulativeTsn))
        {
            // Data sent before the reset is still missing: answer "in progress" and perform it when that data is in
            // (CheckDeferredResetLocked). aiortc takes any answer as done and never asks again, so we must not wait for a repeat.
            if (!_deferredReset)
            {
                _deferredReset = true;
                _deferredSequence = request.RequestSequence;
                _deferredLastTsn = request.SenderLastTsn;
                _deferredCount = request.StreamCount;
                if (_deferredStreams.Length < _deferredCount)
                {
                    _deferredStreams = new ushort[_deferredCount];
                }

                for (var i = 0; i < _deferredCount; i++)
                {
                    _deferredStreams[i] = request.GetStream(i);
                }
            }

            _reconfigResponses.Add((request.RequestSequence, SctpReConfig.ResultInProgress));
            return;
        }

        if (request.StreamCount == 0)
        {
            ResetAllInboundLocked();
        }
        else
        {
            for (var i = 0; i < request.StreamCount; i++)
            {
                var streamId = request.GetStream(i);
                ResetInboundLocked(streamId, GetInboundStream(streamId));
            }
        }

        AnswerPeerLocked(request.RequestSequence, SctpReConfig.ResultPerformed);
    }

    // Performs a peer's reset request once everything it sent before the request has arrived.
    private void CheckDeferredResetLocked()
    {
        if (!_deferredReset || SctpSerial.Gt(_deferredLastTsn, _cumulativeTsn))
        {
            return;
        }

        _deferredReset = false;
        if (_deferredCount == 0)
        {
            ResetAllInboundLocked();
        }
        else
        {
            for (var i = 0; i < _deferredCount; i++)
            {
                ResetInboundLocked(_deferredStreams[i], GetInboundStream(_deferredStreams[i]));
            }
        }

        AnswerPeerLocked(_deferredSequence, SctpReConfig.ResultPerformed);
    }

    private void ResetAllInboundLocked()
    {
        foreach (var (streamId, stream) in _inStreams)
        {
            ResetInboundLocked(streamId, stream);
        }
    }

    // RFC 6525 §5.2.3: the peer asks us to reset our outgoing streams; we send our own request for them.
    private void HandlePeerIncomingResetLocked(in SctpSsnResetRequest request)
    {
        if (!CheckPeerSequenceLocked(request.RequestSequence))
        {
            return;
        }

        for (var i = 0; i < request.StreamCount; i++)
        {
            QueueResetLocked(request.GetStream(i));
        }

        AnswerPeerLocked(request.RequestSequence, ResultNothingToDo);
        TryStartReConfigLocked();
    }

    // True when the request is the next one expected; a repeat of the last gets its answer again, anything else an error (§5.2.1).
    private bool CheckPeerSequenceLocked(uint sequence)
    {
        if (sequence == _peerReconfigExpected)
        {
            return true;
        }

        _reconfigResponses.Add((sequence, sequence == _peerReconfigExpected - 1 ? _lastPeerReconfigResult : ResultBadSequence));
        return false;
    }

    private void AnswerPeerLocked(uint sequence, uint result)
    {
        _peerReconfigExpected++;
        _lastPeerReconfigResult = result;
        _reconfigResponses.Add((sequence, result));
    }

    private void ResetInboundLocked(ushort streamId, SctpInboundStream stream)
    {
        foreach (var held in stream.Chunks)
        {
            _receiveBuffered -= held.Length;
            ReleaseInbound(held);
        }

        stream.Chunks.Clear();
        stream.NextSsn = 0;
        _events.Enqueue(new SctpEvent(SctpEventKind.StreamReset, streamId, 0, null, 0, default));
    }

    private void HandleReConfigResponseLocked(SctpReConfigResponse response)
    {
        if (!_reconfigInFlight || response.ResponseSequence != _reconfigRequestSequence || response.Result == SctpReConfig.ResultInProgress)
        {
            // "In progress" keeps the request pending: the ReConfig timer sends it again.
            return;
        }

        _reconfigInFlight = false;
        DisarmLocked(TimerSlot.ReConfig);
        var performed = response.Result is SctpReConfig.ResultPerformed or ResultNothingToDo;
        for (var i = 0; i < _resetStreamCount; i++)
        {
            var stream = GetOutboundStream(_resetStreams[i]);
            stream.ResetPending = false;
            if (performed)
            {
                stream.NextSsn = 0;
            }
        }

        _resetStreamCount = 0;
        TryStartReConfigLocked();
    }

    private void OnHeartbeatLocked(long now)
    {
        if (_state != SctpAssociationState.Established)
        {
            return;
        }

        if (_heartbeatOutstanding && ++_errorCount > _options.MaxRetransmissions)
        {
            FailLocked($"peer unreachable: {_options.MaxRetransmissions} heartbeats without answer");
            return;
        }

        // §8.3: probe only an idle path; with data in flight T3 already notices a dead peer.
        _heartbeatOutstanding = _flight == 0 && _retransmitPending == 0;
        if (_heartbeatOutstanding)
        {
            Span<byte> info = stackalloc byte[HeartbeatInfoSize];
            BinaryPrimitives.WriteInt64BigEndian(info, now);
            BinaryPrimitives.WriteInt64BigEndian(info[8..], ++_heartbeatNonce);
            var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
            writer.WriteHeartbeat(false, info);
            SendLocked(ref writer);
        }

        ArmLocked(TimerSlot.Heartbeat, now + _options.HeartbeatInterval.Ticks + _rto);
    }

    private void HandleHeartbeatLocked(in SctpChunk chunk)
    {
        var info = SctpSimpleChunks.ReadHeartbeatInfo(chunk);
        if (_peerTag == 0 || _state is SctpAssociationState.Closed or SctpAssociationState.Aborted
            || SctpPacket.CommonHeaderSize + SctpPacket.ChunkHeaderSize + 4 + SctpPacket.Pad4(info.Length) > _packet.Length)
        {
            _chunksDropped++;
            return;
        }

        // §8.3: echo the sender's information unchanged.
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        writer.WriteHeartbeat(true, info);
        SendLocked(ref writer);
    }

    private void HandleHeartbeatAckLocked(in SctpChunk chunk)
    {
        var info = SctpSimpleChunks.ReadHeartbeatInfo(chunk);
        if (info.Length != HeartbeatInfoSize || BinaryPrimitives.ReadInt64BigEndian(info[8..]) != _heartbeatNonce || !_heartbeatOutstanding)
        {
            _chunksDropped++;
            return;
        }

        _heartbeatOutstanding = false;
        _errorCount = 0;
        UpdateRtoLocked(Now - BinaryPrimitives.ReadInt64BigEndian(info));
    }

    // §9.2: SHUTDOWN once everything we queued is acknowledged; SHUTDOWN-ACK once the peer's SHUTDOWN came and ours is acked.
    private void TryShutdownLocked()
    {
        if (_outbound.Count > 0 || _state is not (SctpAssociationState.Established or SctpAssociationState.ShuttingDown))
        {
            return;
        }

        if (_peerShutdown)
        {
            if (!_shutdownAckSent)
            {
                _shutdownAckSent = true;
                SendShutdownAckLocked();
                ArmLocked(TimerSlot.T2, Now + _rto);
            }
        }
        else if (_shutdownRequested && !_shutdownSent)
        {
            _shutdownSent = true;
            SetStateLocked(SctpAssociationState.ShuttingDown);
            SendShutdownLocked();
            ArmLocked(TimerSlot.T2, Now + _rto);
        }
    }

    private void SendShutdownLocked()
    {
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        writer.WriteShutdown(_cumulativeTsn);
        SendLocked(ref writer);
    }

    private void SendShutdownAckLocked()
    {
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        writer.WriteChunk(SctpChunkType.ShutdownAck, 0, default);
        SendLocked(ref writer);
    }

    private void HandleShutdownLocked(in SctpChunk chunk)
    {
        var cumulativeAck = SctpSimpleChunks.ReadShutdownCumulativeTsn(chunk);

        // §9.2: the SHUTDOWN's cumulative TSN acks like a SACK without gap blocks.
        Span<byte> sack = stackalloc byte[SctpSackChunk.FixedSize];
        BinaryPrimitives.WriteUInt32BigEndian(sack, cumulativeAck);
        BinaryPrimitives.WriteUInt32BigEndian(sack[4..], (uint)Math.Min(uint.MaxValue, _peerRwnd + _flight));
        BinaryPrimitives.WriteUInt32BigEndian(sack[8..], 0);
        HandleSackLocked(new SctpChunk(SctpChunkType.Sack, 0, sack, chunk.Offset));
        _peerShutdown = true;
        SetStateLocked(SctpAssociationState.ShuttingDown);
        TryShutdownLocked();
    }

    private void HandleShutdownAckLocked()
    {
        if (!_shutdownSent && !_shutdownAckSent)
        {
            _chunksDropped++;
            return;
        }

        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        writer.WriteChunk(SctpChunkType.ShutdownComplete, 0, default);
        SendLocked(ref writer);
        CloseLocked();
    }

    private void HandleShutdownCompleteLocked()
    {
        if (!_shutdownAckSent)
        {
            _chunksDropped++;
            return;
        }

        CloseLocked();
    }

    private void OnT2Locked(long now)
    {
        if (_state != SctpAssociationState.ShuttingDown)
        {
            return;
        }

        if (++_errorCount > _options.MaxRetransmissions)
        {
            FailLocked($"no answer to SHUTDOWN after {_options.MaxRetransmissions} retransmissions");
            return;
        }

        _rto = Math.Min(_rto * 2, _options.RtoMax.Ticks);
        if (_shutdownAckSent)
        {
            SendShutdownAckLocked();
        }
        else
        {
            SendShutdownLocked();
        }

        ArmLocked(TimerSlot.T2, now + _rto);
    }

    private void CloseLocked()
    {
        ReleaseAllLocked();
        SetStateLocked(SctpAssociationState.Closed);
    }

    private void FailLocked(string reason) => AbortLocked(reason, sendAbort: true);

    private void AbortLocked(string reason, bool sendAbort)
    {
        if (_state == SctpAssociationState.Aborted)
        {
            return;
        }

        if (sendAbort && _state != SctpAssociationState.Closed)
        {
            SendAbortLocked(reason);
        }

        _abortReason = reason;
        ReleaseAllLocked();
        SetStateLocked(SctpAssociationState.Aborted);
    }

    private void SendAbortLocked(string reason)
    {
        var text = reason.Length > MaxAbortReasonChars ? reason[..MaxAbortReasonChars] : reason;
        Span<byte> cause = stackalloc byte[4 + Encoding.UTF8.GetMaxByteCount(MaxAbortReasonChars)];
        var length = 4 + Encoding.UTF8.GetBytes(text, cause[4..]);
        BinaryPrimitives.WriteUInt16BigEndian(cause, UserInitiatedAbortCause);
        BinaryPrimitives.WriteUInt16BigEndian(cause[2..], (ushort)length);

        // §8.5.1: without the peer's tag (before INIT-ACK) the ABORT carries ours and sets the T bit.
        var reflected = _peerTag == 0;
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, reflected ? _localTag : _peerTag);
        writer.WriteChunk(SctpChunkType.Abort, reflected ? SctpSimpleChunks.TagReflectedFlag : (byte)0, cause[..length]);
        SendLocked(ref writer);
    }

    private void HandleAbortLocked(in SctpChunk chunk)
    {
        if (_state is SctpAssociationState.Closed or SctpAssociationState.Aborted)
        {
            return;
        }

        var reason = "peer aborted";
        foreach (var cause in SctpSimpleChunks.ReadErrorCauses(chunk))
        {
            reason = cause.Type == UserInitiatedAbortCause
                ? $"peer aborted: {Encoding.UTF8.GetString(cause.Value)}"
                : $"peer aborted with cause {cause.Type}";
            break;
        }

        AbortLocked(reason, sendAbort: false);
    }

    // Returns every pooled buffer and stops all timers: the association sends nothing more.
    private void ReleaseAllLocked()
    {
        Array.Fill(_deadlines, long.MaxValue);
        while (_outbound.Count > 0)
        {
            ReleaseOutbound(_outbound.PopFront());
        }

        _unsentIndex = 0;
        _flight = 0;
        _retransmitPending = 0;
        foreach (var stream in _outStreams.Values)
        {
            stream.Buffered = 0;
        }

        foreach (var stream in _inStreams.Values)
        {
            foreach (var held in stream.Chunks)
            {
                ReleaseInbound(held);
            }

            stream.Chunks.Clear();
        }

        _receiveBuffered = 0;
    }
}
