using System.Buffers;
using System.Buffers.Binary;

namespace Odyssey.WebRtc.Sctp;

/// <summary>
/// The receive side: packet checks and chunk dispatch, DATA bookkeeping (cumulative TSN, gaps, duplicates),
/// reassembly and ordered delivery per stream, SACK generation and FORWARD-TSN (RFC 3758 §3.6).
/// </summary>
internal sealed partial class SctpAssociation
{
    // Gap blocks and duplicates per SACK: enough for heavy reordering, and the SACK stays far below one packet (checked in the constructor).
    private const int MaxGapBlocks = 64;
    private const int MaxDuplicates = 16;

    // A DATA chunk further ahead than this from the cumulative TSN cannot be reported in a 16-bit gap block offset.
    private const uint MaxTsnAhead = ushort.MaxValue;

    private readonly List<uint> _receivedAhead = new(256);
    private readonly uint[] _duplicates = new uint[MaxDuplicates];
    private readonly SctpGapBlock[] _gapBlocks = new SctpGapBlock[MaxGapBlocks];
    private readonly Dictionary<ushort, SctpInboundStream> _inStreams = [];
    private readonly Stack<SctpInboundChunk> _inboundPool = new();
    // aiortc 1.4 (rtcsctptransport.py) sends a FORWARD-TSN once, when abandoned chunks leave the front of its sent
    // queue, and never again: if that packet is lost, our cumulative TSN stays below the abandoned TSNs for good and
    // its T3 keeps resending its whole queue, which starts just above the hole. A peer that has used FORWARD-TSN
    // before and resends the chunk right above our hole this many times, never the hole itself, has abandoned the
    // hole: we take it as that FORWARD-TSN. Twice, so a retransmission of a genuinely outstanding chunk that was lost
    // once more is not mistaken for one (its sender resends it first, before the chunk above it).
    private const int StaleHoleResends = 2;

    private uint _cumulativeTsn;
    private bool _peerUsedForwardTsn;
    private uint _staleHoleAt;
    private int _staleHoleResends;
    private long _inferredForwardTsns;
    private int _duplicateCount;
    private long _receiveBuffered;
    private int _packetsWithData;
    private bool _sackRequired;
    private bool _sackImmediately;

    private void ReceivePacketLocked(ReadOnlySpan<byte> bytes)
    {
        if (!SctpPacket.TryParse(bytes, out var packet, out _, out _)
            || packet.DestinationPort != _options.LocalPort
            || packet.SourcePort != _options.RemotePort)
        {
            _packetsDropped++;
            return;
        }

        var enumerator = packet.Chunks;
        enumerator.MoveNext();
        var first = enumerator.Current;
        var chunkCount = 1;
        while (enumerator.MoveNext())
        {
            chunkCount++;
        }

        var tag = packet.VerificationTag;
        if (first.Type == SctpChunkType.Init)
        {
            TryHandle(first, chunkCount == 1, tag);
            return;
        }

        if (!TagAccepted(first, tag))
        {
            _packetsDropped++;
            return;
        }

        var dataSeen = false;
        foreach (var chunk in packet.Chunks)
        {
            if (chunk.Type == SctpChunkType.Data)
            {
                dataSeen = true;
            }

            if (!TryHandle(chunk, false, tag) || _state == SctpAssociationState.Aborted)
            {
                break;
            }
        }

        if (dataSeen && _state is SctpAssociationState.Established or SctpAssociationState.ShuttingDown)
        {
            // RFC 9260 §6.2: SACK at least every second packet with DATA, at once when something is out of order.
            _packetsWithData++;
            if (_sackImmediately || _packetsWithData >= 2)
            {
                _sackRequired = true;
            }
            else if (!IsArmed(TimerSlot.Sack))
            {
                ArmLocked(TimerSlot.Sack, Now + _options.DelayedSackTime.Ticks);
            }

            _sackImmediately = false;
        }

        if (_state is SctpAssociationState.Established or SctpAssociationState.ShuttingDown)
        {
            CheckDeferredResetLocked();
            TransmitLocked();
        }
    }

    // RFC 9260 §8.5 and §8.5.1: the tag is ours, except ABORT and SHUTDOWN-COMPLETE with the T bit, which carry the peer's.
    private bool TagAccepted(in SctpChunk first, uint tag)
    {
        var reflected = (first.Type == SctpChunkType.Abort || first.Type == SctpChunkType.ShutdownComplete)
            && (first.Flags & SctpSimpleChunks.TagReflectedFlag) != 0;
        return reflected ? _peerTag != 0 && tag == _peerTag : tag == _localTag;
    }

    // Handles one chunk; false stops processing the rest of the packet.
    private bool TryHandle(in SctpChunk chunk, bool alone, uint tag)
    {
        try
        {
            return Handle(chunk, alone, tag);
        }
        catch (SctpParseException)
        {
            // A chunk the typed view rejects is dropped; the packet's later chunks may still be good.
            _chunksDropped++;
            return true;
        }
    }

    private bool Handle(in SctpChunk chunk, bool alone, uint tag)
    {
        var established = _state is SctpAssociationState.Established or SctpAssociationState.ShuttingDown;
        switch (chunk.Type)
        {
            case SctpChunkType.Init:
                if (!alone)
                {
                    // §6.10: INIT is never bundled; a packet that tries is discarded from here on.
                    _chunksDropped++;
                    return false;
                }

                HandleInitLocked(chunk, alone, tag);
                return false;
            case SctpChunkType.InitAck:
                HandleInitAckLocked(chunk);
                return true;
            case SctpChunkType.CookieEcho:
                HandleCookieEchoLocked(chunk);
                return true;
            case SctpChunkType.CookieAck:
                HandleCookieAckLocked();
                return true;
            case SctpChunkType.Abort:
                HandleAbortLocked(chunk);
                return false;
            case SctpChunkType.Error:
                return true;
            case SctpChunkType.Heartbeat:
                HandleHeartbeatLocked(chunk);
                return true;
        }

        if (!established && chunk.Type == SctpChunkType.ShutdownAck && _state != SctpAssociationState.Aborted)
        {
            // §8.4 rule 5: our SHUTDOWN-COMPLETE was lost after we closed; complete the peer's shutdown with the T bit.
            var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, tag);
            writer.WriteChunk(SctpChunkType.ShutdownComplete, SctpSimpleChunks.TagReflectedFlag, default);
            SendLocked(ref writer);
            return false;
        }

        if (!established)
        {
            // DATA, SACK, SHUTDOWN... before the association exists are out of place (§8.4): skip them.
            _chunksDropped++;
            return true;
        }

        switch (chunk.Type)
        {
            case SctpChunkType.Data:
                HandleDataLocked(chunk);
                return _state != SctpAssociationState.Aborted;
            case SctpChunkType.Sack:
                HandleSackLocked(chunk);
                return true;
            case SctpChunkType.HeartbeatAck:
                HandleHeartbeatAckLocked(chunk);
                return true;
            case SctpChunkType.Shutdown:
                HandleShutdownLocked(chunk);
                return true;
            case SctpChunkType.ShutdownAck:
                HandleShutdownAckLocked();
                return false;
            case SctpChunkType.ShutdownComplete:
                HandleShutdownCompleteLocked();
                return false;
            case SctpChunkType.ForwardTsn:
                HandleForwardTsnLocked(chunk);
                return true;
            case SctpChunkType.ReConfig:
                HandleReConfigLocked(chunk);
                return true;
            default:
                // §3.2: the upper two bits say whether to skip an unknown chunk or stop processing the packet, and whether to report it.
                _chunksDropped++;
                if (chunk.UnknownAction is SctpUnknownAction.StopAndReport or SctpUnknownAction.SkipAndReport)
                {
                    ReportUnrecognizedLocked(chunk);
                }

                return chunk.UnknownAction is SctpUnknownAction.Skip or SctpUnknownAction.SkipAndReport;
        }
    }

    // §3.3.10.6: an ERROR with an "Unrecognized Chunk Type" cause carrying the chunk, if it fits one packet.
    private void ReportUnrecognizedLocked(in SctpChunk chunk)
    {
        const ushort UnrecognizedChunkTypeCause = 6;
        var causeLength = 4 + SctpPacket.ChunkHeaderSize + chunk.Value.Length;
        if (SctpPacket.CommonHeaderSize + SctpPacket.ChunkHeaderSize + SctpPacket.Pad4(causeLength) > _packet.Length || _peerTag == 0)
        {
            return;
        }

        Span<byte> cause = stackalloc byte[causeLength];
        BinaryPrimitives.WriteUInt16BigEndian(cause, UnrecognizedChunkTypeCause);
        BinaryPrimitives.WriteUInt16BigEndian(cause[2..], (ushort)causeLength);
        cause[4] = chunk.Type;
        cause[5] = chunk.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(cause[6..], (ushort)(SctpPacket.ChunkHeaderSize + chunk.Value.Length));
        chunk.Value.CopyTo(cause[8..]);
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        writer.WriteChunk(SctpChunkType.Error, 0, cause);
        SendLocked(ref writer);
    }

    private void HandleDataLocked(in SctpChunk chunk)
    {
        var data = SctpDataChunk.Read(chunk);
        _dataChunksReceived++;
        if ((data.Flags & SctpDataChunk.ImmediateFlag) != 0)
        {
            // RFC 7053: the sender has nothing more to send for now and asks not to wait for the delayed SACK.
            _sackImmediately = true;
        }

        var tsn = data.Tsn;
        var userData = data.UserData;
        if (userData.IsEmpty)
        {
            // §6.2: DATA without user data is a protocol violation; drop it rather than deliver nothing.
            _chunksDropped++;
            return;
        }

        if (SctpSerial.Le(tsn, _cumulativeTsn) || IndexOfReceived(tsn) >= 0)
        {
            _duplicateTsns++;
            if (_duplicateCount < MaxDuplicates)
            {
                _duplicates[_duplicateCount++] = tsn;
            }

            // §6.2: a duplicate means our SACK was lost; answer at once.
            _sackImmediately = true;
            if (_peerUsedForwardTsn && _receivedAhead.Count > 0 && tsn == _receivedAhead[0])
            {
                NoteResendAboveHoleLocked(tsn);
            }

            return;
        }

        if (tsn - _cumulativeTsn > MaxTsnAhead)
        {
            _chunksDropped++;
            return;
        }

        // §6.2: over the window, drop new data, but always take the next expected TSN so the window can drain.
        if (_receiveBuffered + userData.Length > _options.ReceiveWindow && tsn != _cumulativeTsn + 1)
        {
            _chunksDropped++;
            _sackImmediately = true;
            return;
        }

        MarkReceivedLocked(tsn);
        var streamId = data.StreamId;
        if (streamId >= _inboundStreams)
        {
            // §6.5: acknowledge the TSN but discard data for a stream that does not exist.
            _chunksDropped++;
            return;
        }

        var stream = GetInboundStream(streamId);
        if (!data.Unordered && SctpSerial.Lt(data.StreamSequence, stream.NextSsn))
        {
            // Already delivered or skipped by FORWARD-TSN: keep the TSN, drop the data.
            _chunksDropped++;
            return;
        }

        var inbound = _inboundPool.Count > 0 ? _inboundPool.Pop() : new SctpInboundChunk();
        inbound.Tsn = tsn;
        inbound.Ssn = data.StreamSequence;
        inbound.Ppid = data.Ppid;
        inbound.Flags = data.Flags;
        inbound.Length = userData.Length;
        if (inbound.Buffer is null || inbound.Buffer.Length < userData.Length)
        {
            inbound.Buffer = new byte[Math.Max(userData.Length, _maxFragment)];
        }

        userData.CopyTo(inbound.Buffer);
        _receiveBuffered += userData.Length;

        var at = InsertByTsn(stream.Chunks, inbound);
        if (RunLength(stream.Chunks, at) > _options.MaxMessageSize)
        {
            AbortLocked($"incoming message on stream {streamId} exceeds the max-message-size {_options.MaxMessageSize} (TSN {tsn})", sendAbort: true);
            return;
        }

        DeliverFromLocked(streamId, stream, at);
    }

    private void MarkReceivedLocked(uint tsn)
    {
        if (tsn == _cumulativeTsn + 1)
        {
            _cumulativeTsn = tsn;
            AdvanceCumulativeLocked();
            return;
        }

        // Kept sorted by distance from the cumulative TSN, which stays right across the wrap-around.
        var list = _receivedAhead;
        var offset = tsn - _cumulativeTsn;
        var at = list.Count;
        while (at > 0 && list[at - 1] - _cumulativeTsn > offset)
        {
            at--;
        }

        list.Insert(at, tsn);
        _sackImmediately = true;
    }

    private void AdvanceCumulativeLocked()
    {
        var list = _receivedAhead;
        var drop = 0;
        while (drop < list.Count && SctpSerial.Le(list[drop], _cumulativeTsn + 1))
        {
            if (list[drop] == _cumulativeTsn + 1)
            {
                _cumulativeTsn++;
            }

            drop++;
        }

        if (drop > 0)
        {
            list.RemoveRange(0, drop);
        }
    }

    // Binary search by distance from the cumulative TSN (the list's sort key).
    private int IndexOfReceived(uint tsn)
    {
        var list = _receivedAhead;
        var offset = tsn - _cumulativeTsn;
        int low = 0, high = list.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var probe = list[middle] - _cumulativeTsn;
            if (probe == offset)
            {
                return middle;
            }

            if (probe < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private SctpInboundStream GetInboundStream(ushort streamId)
    {
        if (!_inStreams.TryGetValue(streamId, out var stream))
        {
            stream = new SctpInboundStream();
            _inStreams.Add(streamId, stream);
        }

        return stream;
    }

    private static int InsertByTsn(List<SctpInboundChunk> chunks, SctpInboundChunk chunk)
    {
        var at = chunks.Count;
        while (at > 0 && SctpSerial.Gt(chunks[at - 1].Tsn, chunk.Tsn))
        {
            at--;
        }

        chunks.Insert(at, chunk);
        return at;
    }

    // Bytes of the fragment run (consecutive TSNs from a B to an E chunk) that holds chunks[at], as far as it has arrived.
    private static long RunLength(List<SctpInboundChunk> chunks, int at)
    {
        var start = at;
        while (start > 0 && !chunks[start].Beginning && chunks[start - 1].Tsn == chunks[start].Tsn - 1 && !chunks[start - 1].Ending)
        {
            start--;
        }

        long total = chunks[start].Length;
        var end = start;
        while (!chunks[end].Ending && end + 1 < chunks.Count && chunks[end + 1].Tsn == chunks[end].Tsn + 1 && !chunks[end + 1].Beginning)
        {
            end++;
            total += chunks[end].Length;
        }

        return total;
    }

    // Delivers what the chunk just stored at index `at` completes: its own message if unordered or next in
    // order, then the ordered messages that were waiting behind it. Only the new chunk can unblock anything.
    private void DeliverFromLocked(ushort streamId, SctpInboundStream stream, int at)
    {
        var chunks = stream.Chunks;
        var start = at;
        while (start > 0 && !chunks[start].Beginning && chunks[start - 1].Tsn == chunks[start].Tsn - 1)
        {
            start--;
        }

        var first = chunks[start];
        if (!first.Beginning || (!first.Unordered && first.Ssn != stream.NextSsn) || !TryDeliverMessageLocked(streamId, stream, start) || first.Unordered)
        {
            return;
        }

        DeliverOrderedFromLocked(streamId, stream, start);
    }

    // Delivers every complete message the stream allows (after FORWARD-TSN or a reset changed NextSsn).
    private void DeliverAllLocked(ushort streamId, SctpInboundStream stream)
    {
        var chunks = stream.Chunks;
        var i = 0;
        while (i < chunks.Count)
        {
            if (!chunks[i].Unordered || !chunks[i].Beginning || !TryDeliverMessageLocked(streamId, stream, i))
            {
                i++;
            }
        }

        DeliverOrderedFromLocked(streamId, stream, 0);
    }

    // Chunks are in TSN order and a stream's SSNs rise with its TSNs, so the next ordered message lies after `from`.
    private void DeliverOrderedFromLocked(ushort streamId, SctpInboundStream stream, int from)
    {
        var chunks = stream.Chunks;
        var i = from;
        while (i < chunks.Count)
        {
            var chunk = chunks[i];
            if (chunk.Unordered || !chunk.Beginning || SctpSerial.Lt(chunk.Ssn, stream.NextSsn))
            {
                i++;
                continue;
            }

            if (chunk.Ssn != stream.NextSsn || !TryDeliverMessageLocked(streamId, stream, i))
            {
                return;
            }
        }
    }

    // Delivers the message whose B chunk is chunks[start] if all its fragments are here; removes them.
    private bool TryDeliverMessageLocked(ushort streamId, SctpInboundStream stream, int start)
    {
        var chunks = stream.Chunks;
        var first = chunks[start];
        var end = start;
        long total = first.Length;
        while (!chunks[end].Ending)
        {
            if (end + 1 >= chunks.Count || chunks[end + 1].Tsn != chunks[end].Tsn + 1 || chunks[end + 1].Beginning)
            {
                return false;
            }

            end++;
            total += chunks[end].Length;
        }

        // The event owns a rented copy: the chunks go back to the pool before the handler runs outside the lock.
        var buffer = ArrayPool<byte>.Shared.Rent((int)total);
        var at = 0;
        for (var k = start; k <= end; k++)
        {
            chunks[k].Payload().CopyTo(buffer.AsSpan(at));
            at += chunks[k].Length;
        }

        _events.Enqueue(new SctpEvent(SctpEventKind.Message, streamId, first.Ppid, buffer, (int)total, default));
        _receiveBuffered -= total;
        if (!first.Unordered)
        {
            stream.NextSsn++;
        }

        for (var k = start; k <= end; k++)
        {
            ReleaseInbound(chunks[k]);
        }

        chunks.RemoveRange(start, end - start + 1);
        return true;
    }

    private void ReleaseInbound(SctpInboundChunk chunk)
    {
        if (_inboundPool.Count < MaxPooledChunks)
        {
            _inboundPool.Push(chunk);
        }
    }

    private void WriteSackLocked(ref SctpPacketWriter writer)
    {
        var blocks = 0;
        var list = _receivedAhead;
        var i = 0;
        while (i < list.Count && blocks < MaxGapBlocks)
        {
            var start = list[i] - _cumulativeTsn;
            var end = start;
            i++;
            while (i < list.Count && list[i] - _cumulativeTsn == end + 1)
            {
                end++;
                i++;
            }

            if (end > ushort.MaxValue)
            {
                break;
            }

            _gapBlocks[blocks++] = new SctpGapBlock((ushort)start, (ushort)end);
        }

        writer.WriteSack(_cumulativeTsn, AdvertisedWindow(), _gapBlocks.AsSpan(0, blocks), _duplicates.AsSpan(0, _duplicateCount));
        _duplicateCount = 0;
        _packetsWithData = 0;
        _sackRequired = false;
        DisarmLocked(TimerSlot.Sack);
    }

    private int SackSize()
    {
        // An upper bound, so the SACK is sure to fit where it is placed.
        return SctpPacket.ChunkHeaderSize + SctpSackChunk.FixedSize + (4 * Math.Min(_receivedAhead.Count, MaxGapBlocks)) + (4 * _duplicateCount);
    }

    private uint AdvertisedWindow() => (uint)Math.Max(0, _options.ReceiveWindow - _receiveBuffered);

    // See StaleHoleResends: the lowest TSN held above the hole came again and the hole did not.
    private void NoteResendAboveHoleLocked(uint lowestHeld)
    {
        if (_staleHoleAt != _cumulativeTsn)
        {
            _staleHoleAt = _cumulativeTsn;
            _staleHoleResends = 0;
        }

        if (++_staleHoleResends < StaleHoleResends)
        {
            return;
        }

        _inferredForwardTsns++;
        _sackRequired = true;
        SkipToLocked(lowestHeld - 1);
        foreach (var (streamId, stream) in _inStreams)
        {
            if (stream.Chunks.Count > 0)
            {
                DeliverAllLocked(streamId, stream);
            }
        }
    }

    // Moves the cumulative TSN to newCumulative (and on over what is held right after it).
    private void SkipToLocked(uint newCumulative)
    {
        var list = _receivedAhead;
        var drop = 0;
        while (drop < list.Count && SctpSerial.Le(list[drop], newCumulative))
        {
            drop++;
        }

        list.RemoveRange(0, drop);
        _cumulativeTsn = newCumulative;
        AdvanceCumulativeLocked();
    }

    private void HandleForwardTsnLocked(in SctpChunk chunk)
    {
        var forward = SctpForwardTsnChunk.Read(chunk);

        // RFC 3758 §3.6: answer every FORWARD-TSN with a SACK at once.
        _sackRequired = true;
        _peerUsedForwardTsn = true;
        var newCumulative = forward.NewCumulativeTsn;
        if (SctpSerial.Le(newCumulative, _cumulativeTsn) || newCumulative - _cumulativeTsn > MaxTsnAhead)
        {
            return;
        }

        SkipToLocked(newCumulative);
        for (var i = 0; i < forward.StreamCount; i++)
        {
            var skipped = forward.GetStream(i);
            if (skipped.StreamId >= _inboundStreams)
            {
                continue;
            }

            var stream = GetInboundStream(skipped.StreamId);
            if (SctpSerial.Le(stream.NextSsn, skipped.StreamSequence))
            {
                stream.NextSsn = (ushort)(skipped.StreamSequence + 1);
            }
        }

        // Fragments at or below the new cumulative TSN that are still held belong to abandoned messages (complete
        // unordered ones left at once; ordered ones listed above are now behind NextSsn): drop them.
        foreach (var (streamId, stream) in _inStreams)
        {
            var chunks = stream.Chunks;
            var removed = false;
            for (var k = chunks.Count - 1; k >= 0; k--)
            {
                var held = chunks[k];
                if (SctpSerial.Le(held.Tsn, newCumulative) && (held.Unordered || SctpSerial.Lt(held.Ssn, stream.NextSsn)))
                {
                    _receiveBuffered -= held.Length;
                    ReleaseInbound(held);
                    chunks.RemoveAt(k);
                    removed = true;
                }
            }

            if (removed || chunks.Count > 0)
            {
                DeliverAllLocked(streamId, stream);
            }
        }
    }
}

/// <summary>Small helpers on the pooled chunk types.</summary>
internal static class SctpChunkExtensions
{
    public static ReadOnlySpan<byte> Payload(this SctpInboundChunk chunk) => chunk.Buffer.AsSpan(0, chunk.Length);
}
