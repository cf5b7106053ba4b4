using System.Diagnostics.CodeAnalysis;
using Odyssey.Media;
using Odyssey.WebRtc.Payloads;

namespace Odyssey.WebRtc.Rtp;

/// <summary>
/// The receive-side buffer of one media source: stores payloads by extended sequence number,
/// drops duplicates and late packets, emits whole frames in order (a frame is the run of packets
/// sharing a timestamp, closed by the marker bit or by the next timestamp), tracks the gaps it
/// sees as a generic-NACK list (RFC 4585) and gives a frame up — counting it and asking for a
/// keyframe — when a missing packet has used its retries or the frame has waited longer than
/// <see cref="JitterBufferOptions.MaxLatency"/> since its first packet. After a loss it skips delta frames until a keyframe.
/// </summary>
/// <remarks>
/// Time is passed in (<c>now</c>, any monotonic clock) so that behaviour is deterministic under test.
/// Payloads live in one preallocated array of <see cref="JitterBufferOptions.Capacity"/> slots: the
/// steady state allocates nothing but the pooled frames it hands out. Not thread-safe: one receive loop.
/// </remarks>
internal sealed class JitterBuffer
{
    /// <summary>Packets from before the first one received that are still accepted (plain reordering at start).</summary>
    private const int InitialReorderSlack = 32;

    /// <summary>Floor of the NACK retry interval when derived from a very small RTT (loopback).</summary>
    private static readonly TimeSpan MinRetryInterval = TimeSpan.FromMilliseconds(10);

    private readonly JitterBufferOptions _options;
    private readonly EncodedPacketPool _pool;
    private readonly RtpDepacketizer _depacketizer;
    private readonly Slot[] _slots;
    private readonly byte[] _payloads;
    private readonly long _mask;
    private readonly NackEntry[] _nacks;
    private int _nackCount;
    private SequenceUnwrapper _sequences;
    private TimestampUnwrapper _timestamps;
    private bool _started;
    private long _windowStart;
    private long _highest;
    private bool _continuous;
    private Previous _previous;
    private bool _waitingForKeyframe = true;
    private bool _keyframeNeeded;
    private TimeSpan _lastKeyframeRequest;
    private bool _keyframeRequested;
    private long _ptsOrigin = long.MinValue;
    private TimeSpan _retryInterval;

    private long _packets;
    private long _bytes;
    private long _duplicates;
    private long _late;
    private long _oversize;
    private long _retransmitted;
    private long _recovered;
    private long _framesEmitted;
    private long _framesDropped;
    private long _framesDiscarded;
    private long _nackedPackets;
    private long _keyframeRequests;

    public JitterBuffer(JitterBufferOptions options, EncodedPacketPool pool)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pool);
        options.Validate();
        _options = options;
        _pool = pool;
        _depacketizer = RtpDepacketizer.Create(options.Codec);
        _slots = new Slot[options.Capacity];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i].Sequence = -1;
        }

        _payloads = new byte[options.Capacity * options.MaxPayloadSize];
        _mask = options.Capacity - 1;
        _nacks = new NackEntry[options.MaxNackListSize];
        _retryInterval = options.NackRetryInterval;
    }

    /// <summary>True until a keyframe has been emitted after the start or the last loss.</summary>
    public bool IsWaitingForKeyframe => _waitingForKeyframe;

    /// <summary>Packets currently tracked as missing.</summary>
    public int MissingCount => _nackCount;

    /// <summary>A snapshot of the counters.</summary>
    public JitterBufferCounters Counters => new(
        _packets, _bytes, _duplicates, _late, _oversize, _retransmitted, _recovered,
        _framesEmitted, _framesDropped, _framesDiscarded, _nackedPackets, _keyframeRequests);

    /// <summary>Stores one packet's payload; says what became of it and its extended sequence number.</summary>
    public JitterInsertResult Insert(ushort sequenceNumber, uint timestamp, bool marker, ReadOnlySpan<byte> payload, TimeSpan now, bool retransmitted, out long extendedSequence)
    {
        var sequence = _sequences.Unwrap(sequenceNumber);
        var extendedTimestamp = _timestamps.Unwrap(timestamp);
        extendedSequence = sequence;
        _packets++;
        _bytes += payload.Length;
        if (retransmitted)
        {
            _retransmitted++;
        }

        if (!_started)
        {
            _started = true;
            _windowStart = sequence - Math.Min(InitialReorderSlack, _slots.Length / 4);
            _highest = sequence - 1;
        }

        if (sequence < _windowStart)
        {
            _late++;
            return JitterInsertResult.Late;
        }

        if (payload.Length > _options.MaxPayloadSize)
        {
            _oversize++;
            return JitterInsertResult.Oversize;
        }

        if (sequence >= _windowStart + _slots.Length)
        {
            // Too far ahead to hold beside what is waiting: what is waiting is given up.
            DropThrough(sequence - _slots.Length + 1);
        }

        ref var slot = ref _slots[sequence & _mask];
        if (slot.Sequence == sequence)
        {
            _duplicates++;
            return JitterInsertResult.Duplicate;
        }

        slot.Sequence = sequence;
        slot.Timestamp = extendedTimestamp;
        slot.Marker = marker;
        slot.Length = payload.Length;
        slot.Arrival = now;
        payload.CopyTo(_payloads.AsSpan((int)(sequence & _mask) * _options.MaxPayloadSize));

        if (sequence > _highest)
        {
            AddMissing(_highest + 1, sequence - 1, now);
            _highest = sequence;
        }
        else if (RemoveMissing(sequence))
        {
            _recovered++;
        }

        return JitterInsertResult.Stored;
    }

    /// <summary>
    /// The next whole frame in order, as an owned packet (release it); false when none is ready.
    /// Call after every insert and on a timer, so that frames that cannot complete are given up in time.
    /// </summary>
    public bool TryGetFrame(TimeSpan now, [NotNullWhen(true)] out EncodedPacket? frame)
    {
        frame = null;
        while (_started)
        {
            if (!_continuous && !Resynchronize(now))
            {
                return false;
            }

            if (SkipPadding())
            {
                continue;
            }

            var start = _windowStart;
            if (Measure(start, out var end, out var frameTimestamp, out var firstMissing, out var firstArrival))
            {
                var whole = Assemble(start, end, out frame);
                Consume(end + 1);
                if (!whole)
                {
                    _framesDropped++;
                    EnterKeyframeWait();
                    continue;
                }

                if (_waitingForKeyframe && !frame!.IsKeyframe)
                {
                    // A delta frame cannot be decoded without the reference that was lost.
                    frame.Release();
                    frame = null;
                    _framesDiscarded++;
                    _keyframeNeeded = true;
                    continue;
                }

                if (frame!.IsKeyframe)
                {
                    _waitingForKeyframe = false;
                    _keyframeNeeded = false;
                }

                if (_ptsOrigin == long.MinValue)
                {
                    _ptsOrigin = frameTimestamp;
                }

                frame.Pts = TimeSpan.FromTicks((frameTimestamp - _ptsOrigin) * TimeSpan.TicksPerSecond / _options.ClockRate);
                frame.Index = _framesEmitted++;
                return true;
            }

            if (!ShouldGiveUp(now, frameTimestamp, firstMissing, firstArrival))
            {
                return false;
            }

            DropFrame(start, frameTimestamp);
        }

        return false;
    }

    /// <summary>
    /// Writes the sequence numbers due a NACK now (oldest first) into <paramref name="destination"/>;
    /// each is asked for at most <see cref="JitterBufferOptions.MaxNackRetries"/> times, one retry interval apart.
    /// </summary>
    public int GetNackList(TimeSpan now, Span<ushort> destination)
    {
        var count = 0;
        for (var i = 0; i < _nackCount && count < destination.Length; i++)
        {
            ref var entry = ref _nacks[i];
            if (entry.GivenUp)
            {
                continue;
            }

            var due = entry.Retries == 0 ? now - entry.Detected >= _options.ReorderDelay : now - entry.LastSent >= _retryInterval;
            if (!due)
            {
                continue;
            }

            if (entry.Retries >= _options.MaxNackRetries)
            {
                // The last retry had its interval to answer: the packet is lost for good.
                entry.GivenUp = true;
                continue;
            }

            entry.Retries++;
            entry.LastSent = now;
            destination[count++] = (ushort)entry.Sequence;
        }

        _nackedPackets += count;
        return count;
    }

    /// <summary>Asks for a keyframe (the decoder lost its reference); see <see cref="TakeKeyframeRequest"/>.</summary>
    public void RequestKeyframe() => _keyframeNeeded = true;

    /// <summary>True when a PLI should be sent now: a keyframe is needed and none was asked for within the request interval.</summary>
    public bool TakeKeyframeRequest(TimeSpan now)
    {
        if (!_keyframeNeeded || (_keyframeRequested && now - _lastKeyframeRequest < _options.KeyframeRequestInterval))
        {
            return false;
        }

        _keyframeRequested = true;
        _lastKeyframeRequest = now;
        _keyframeRequests++;
        return true;
    }

    /// <summary>Sets the NACK retry interval from a measured round-trip time.</summary>
    public void SetRoundTripTime(TimeSpan roundTripTime) =>
        _retryInterval = roundTripTime > MinRetryInterval ? roundTripTime : MinRetryInterval;

    private ReadOnlySpan<byte> PayloadOf(long sequence) =>
        _payloads.AsSpan((int)(sequence & _mask) * _options.MaxPayloadSize, _slots[sequence & _mask].Length);

    private bool Has(long sequence) => _slots[sequence & _mask].Sequence == sequence;

    /// <summary>
    /// Finds the frame starting at <paramref name="start"/>: true with its last packet when every
    /// packet is there; otherwise its timestamp (or long.MinValue when unknown) and first hole.
    /// </summary>
    private bool Measure(long start, out long end, out long timestamp, out long firstMissing, out TimeSpan firstArrival)
    {
        end = -1;
        firstMissing = start;
        timestamp = long.MinValue;
        firstArrival = TimeSpan.MaxValue;
        if (!Has(start))
        {
            // The frame's first packet is missing: judge its age by the first packet that is here.
            for (var s = start + 1; s <= _highest; s++)
            {
                if (Has(s))
                {
                    timestamp = _slots[s & _mask].Timestamp;
                    firstArrival = _slots[s & _mask].Arrival;
                    break;
                }
            }

            return false;
        }

        ref var first = ref _slots[start & _mask];
        timestamp = first.Timestamp;
        firstArrival = first.Arrival;
        for (var s = start; ; s++)
        {
            ref var slot = ref _slots[s & _mask];
            if (slot.Marker)
            {
                end = s;
                return true;
            }

            var next = s + 1;
            if (next > _highest)
            {
                firstMissing = next;
                return false;
            }

            if (!Has(next))
            {
                firstMissing = next;
                return false;
            }

            if (_slots[next & _mask].Timestamp != timestamp)
            {
                // The marker was lost, but the next packet's new timestamp closes the frame just as well.
                end = s;
                return true;
            }
        }
    }

    /// <summary>
    /// Steps over a padding-only packet at the window start. Senders probe bandwidth with them on the
    /// media SSRC (when RTX is not negotiated): they hold a sequence number but no media, and must
    /// neither break continuity nor be taken for a frame.
    /// </summary>
    private bool SkipPadding()
    {
        ref var slot = ref _slots[_windowStart & _mask];
        if (slot.Sequence != _windowStart || slot.Length != 0)
        {
            return false;
        }

        slot.Sequence = -1;
        if (_previous.Valid && _previous.Sequence == _windowStart - 1)
        {
            _previous = _previous with { Sequence = _windowStart };
        }

        _windowStart++;
        RemoveMissingBelow(_windowStart);
        return true;
    }

    private bool Assemble(long start, long end, out EncodedPacket? frame)
    {
        frame = null;
        _depacketizer.Begin();
        for (var s = start; s <= end; s++)
        {
            if (_slots[s & _mask].Length == 0)
            {
                continue;
            }

            if (!_depacketizer.TryAppend(PayloadOf(s), s == start, out _))
            {
                return false;
            }
        }

        return _depacketizer.TryFinish(_pool, out frame, out _);
    }

    private bool ShouldGiveUp(TimeSpan now, long timestamp, long firstMissing, TimeSpan firstArrival)
    {
        if (IsGivenUp(firstMissing))
        {
            return true;
        }

        if (timestamp == long.MinValue)
        {
            return false;
        }

        // Wall time only. Media time said "8 frames behind" the moment a burst arrived, and bursts are what load
        // makes: packets queued while our receive thread (or the sender) waited for a core come in together, and a
        // frame was given up before its NACK could even be sent (AiortcLossTests, under a loaded full run). The
        // latency bound a viewer sees is wall time since the frame's first packet, which this keeps.
        return now - firstArrival > _options.MaxLatency;
    }

    /// <summary>Gives up the (incomplete) frame at <paramref name="start"/>, whose timestamp is <paramref name="timestamp"/>.</summary>
    private void DropFrame(long start, long timestamp)
    {
        var next = _highest + 1;
        var startPresent = Has(start);
        for (var s = start; s <= _highest; s++)
        {
            if (!Has(s))
            {
                continue;
            }

            ref var slot = ref _slots[s & _mask];
            if (slot.Timestamp != timestamp)
            {
                next = s;
                break;
            }

            // With the frame's first packet missing, a packet that certainly starts a frame
            // means the hole belonged to an earlier frame, and this one can still complete.
            if (!startPresent && s > start && _depacketizer.IsFrameStart(PayloadOf(s)))
            {
                next = s;
                break;
            }
        }

        DropThrough(next);
    }

    /// <summary>Discards everything before <paramref name="newStart"/>; the next frame is in doubt until a start is seen.</summary>
    private void DropThrough(long newStart)
    {
        Consume(newStart);
        _continuous = Has(newStart) ? IsKnownFrameStart(newStart) : newStart > _highest && _previous.Valid && _previous.Sequence == newStart - 1 && _previous.Marker;
        _framesDropped++;
        EnterKeyframeWait();
    }

    private void EnterKeyframeWait()
    {
        _waitingForKeyframe = true;
        _keyframeNeeded = true;
    }

    /// <summary>Clears slots below <paramref name="newStart"/>, remembering the last one for frame-start checks.</summary>
    private void Consume(long newStart)
    {
        var last = Math.Min(newStart - 1, _highest);
        var first = Math.Max(_windowStart, last - _slots.Length + 1);
        for (var s = first; s <= last; s++)
        {
            ref var slot = ref _slots[s & _mask];
            if (slot.Sequence == s)
            {
                if (s == newStart - 1)
                {
                    _previous = new Previous(true, s, slot.Timestamp, slot.Marker);
                }

                slot.Sequence = -1;
            }
        }

        if (newStart > _windowStart)
        {
            _windowStart = newStart;
        }

        _continuous = true;
        RemoveMissingBelow(_windowStart);
    }

    /// <summary>True when the packet at <paramref name="sequence"/> (present) certainly begins a frame.</summary>
    private bool IsKnownFrameStart(long sequence)
    {
        var timestamp = _slots[sequence & _mask].Timestamp;
        var before = sequence - 1;
        if (before >= _windowStart && Has(before))
        {
            ref var previous = ref _slots[before & _mask];
            return previous.Marker || previous.Timestamp != timestamp;
        }

        if (before < _windowStart && _previous.Valid && _previous.Sequence == before)
        {
            return _previous.Marker || _previous.Timestamp != timestamp;
        }

        return _depacketizer.IsFrameStart(PayloadOf(sequence));
    }

    /// <summary>Looks for a packet that certainly starts a frame; drops what comes before it.</summary>
    private bool Resynchronize(TimeSpan now)
    {
        for (var s = _windowStart; s <= _highest; s++)
        {
            if (Has(s) && IsKnownFrameStart(s))
            {
                var dropped = false;
                for (var d = _windowStart; d < s && !dropped; d++)
                {
                    dropped = Has(d);
                }

                Consume(s);
                if (dropped)
                {
                    _framesDropped++;
                    EnterKeyframeWait();
                }

                return true;
            }
        }

        // No start in sight: give up the oldest partial frame once it is too old to matter.
        for (var s = _windowStart; s <= _highest; s++)
        {
            if (Has(s))
            {
                ref var slot = ref _slots[s & _mask];
                if (ShouldGiveUp(now, slot.Timestamp, s, slot.Arrival))
                {
                    DropFrame(s, slot.Timestamp);
                    _continuous = _continuous && Has(_windowStart);
                    return _continuous;
                }

                break;
            }
        }

        _continuous = false;
        return false;
    }

    private void AddMissing(long from, long to, TimeSpan now)
    {
        var count = to - from + 1;
        if (count <= 0)
        {
            return;
        }

        if (_nackCount + count > _nacks.Length)
        {
            // More holes than NACKs can repair in time: ask for a fresh start instead.
            _nackCount = 0;
            _keyframeNeeded = true;
            return;
        }

        for (var s = from; s <= to; s++)
        {
            _nacks[_nackCount++] = new NackEntry { Sequence = s, Detected = now };
        }
    }

    private int FindMissing(long sequence)
    {
        int low = 0, high = _nackCount - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var value = _nacks[mid].Sequence;
            if (value == sequence)
            {
                return mid;
            }

            if (value < sequence)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return ~low;
    }

    private bool RemoveMissing(long sequence)
    {
        var index = FindMissing(sequence);
        if (index < 0)
        {
            return false;
        }

        Array.Copy(_nacks, index + 1, _nacks, index, _nackCount - index - 1);
        _nackCount--;
        return true;
    }

    private void RemoveMissingBelow(long sequence)
    {
        var index = FindMissing(sequence);
        var keepFrom = index >= 0 ? index : ~index;
        if (keepFrom == 0)
        {
            return;
        }

        Array.Copy(_nacks, keepFrom, _nacks, 0, _nackCount - keepFrom);
        _nackCount -= keepFrom;
    }

    private bool IsGivenUp(long sequence)
    {
        var index = FindMissing(sequence);
        return index >= 0 && _nacks[index].GivenUp;
    }

    private struct Slot
    {
        public long Sequence;
        public long Timestamp;
        public bool Marker;
        public int Length;
        public TimeSpan Arrival;
    }

    private struct NackEntry
    {
        public long Sequence;
        public TimeSpan Detected;
        public TimeSpan LastSent;
        public int Retries;
        public bool GivenUp;
    }

    private readonly record struct Previous(bool Valid, long Sequence, long Timestamp, bool Marker);
}
