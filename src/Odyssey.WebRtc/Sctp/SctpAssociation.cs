using System.Buffers;
using System.Security.Cryptography;

namespace Odyssey.WebRtc.Sctp;

/// <summary>Association states (RFC 9260 §4), reduced to what callers observe.</summary>
internal enum SctpAssociationState
{
    Closed,
    CookieWait,
    CookieEchoed,
    Established,
    ShuttingDown,
    Aborted,
}

/// <summary>How one message is delivered: ordering and partial reliability (RFC 3758).</summary>
internal readonly record struct SctpSendOptions(bool Unordered, int? MaxRetransmits, TimeSpan? MaxLifetime)
{
    public static SctpSendOptions Reliable => default;
}

/// <summary>Settings of one association.</summary>
internal sealed record SctpAssociationOptions
{
    /// <summary>Our SCTP port and the peer's (both 5000 in WebRTC unless the SDP says otherwise).</summary>
    public ushort LocalPort { get; init; } = 5000;

    public ushort RemotePort { get; init; } = 5000;

    /// <summary>Largest message we accept and send (the negotiated a=max-message-size); at least 256 KiB is asked by issue 5.</summary>
    public int MaxMessageSize { get; init; } = 256 * 1024;

    /// <summary>The receive window we advertise.</summary>
    public uint ReceiveWindow { get; init; } = 1024 * 1024;

    /// <summary>Largest SCTP packet: DTLS record limits leave ~1200 bytes on a 1280-MTU path.</summary>
    public int MaxPacketSize { get; init; } = 1200;

    /// <summary>Clock for timers (tests use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// RTO.Initial. RFC 9260 says 1 s; usrsctp and aiortc use 3 s, Chromium's dcsctp 500 ms. 1 s keeps the
    /// RFC's value: a lost INIT or first DATA on a WebRTC path costs a second, not three.
    /// </summary>
    public TimeSpan RtoInitial { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>RTO.Min: dcsctp's 400 ms, above the peer's 200 ms delayed SACK so a delayed SACK is not taken for a loss.</summary>
    public TimeSpan RtoMin { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>RTO.Max (RFC 9260 §16: 60 s).</summary>
    public TimeSpan RtoMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Association.Max.Retrans (RFC 9260 §16: 10): consecutive T3/heartbeat failures before the peer is declared dead.</summary>
    public int MaxRetransmissions { get; init; } = 10;

    /// <summary>Max.Init.Retransmits (RFC 9260 §16: 8).</summary>
    public int MaxInitRetransmissions { get; init; } = 8;

    /// <summary>HB.interval (RFC 9260 §16: 30 s): an idle association probes the peer this often.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Delayed SACK timeout (RFC 9260 §6.2: at most 500 ms; 200 ms as usrsctp and aiortc).</summary>
    public TimeSpan DelayedSackTime { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Our initial TSN; random when null (tests set it near the wrap-around).</summary>
    public uint? InitialTsn { get; init; }
}

/// <summary>Receives one whole (reassembled) message. The payload is borrowed for the call.</summary>
internal delegate void SctpMessageHandler(ushort streamId, uint ppid, ReadOnlySpan<byte> payload);

/// <summary>
/// A user-land SCTP association over DTLS (RFC 8261): both roles, DATA/SACK, retransmission, congestion
/// and receive-window control, fragmentation, HEARTBEAT, SHUTDOWN/ABORT, FORWARD-TSN and stream reset.
/// </summary>
/// <remarks>
/// Packets come in through <see cref="ReceivePacket"/> (from <c>DtlsTransport.DataReceived</c>) and go out
/// through the send callback (to <c>DtlsTransport.Send</c>). Events are raised on the thread that called
/// <see cref="ReceivePacket"/> or on a timer thread; handlers must not block.
/// One lock guards all state; the send callback is called under it (it must not call back into the
/// association), events are queued under it and raised after it is released, one at a time and in order,
/// so a handler may call <see cref="Send"/>.
/// </remarks>
internal sealed partial class SctpAssociation : IAsyncDisposable
{
    // Bytes of the common header plus a DATA chunk's header and fixed fields: what a fragment leaves for user data.
    private const int DataOverhead = SctpPacket.CommonHeaderSize + SctpPacket.ChunkHeaderSize + SctpDataChunk.FixedSize;

    // Room for a SACK with all its gap blocks and duplicates (and an INIT-ACK) in one packet.
    private const int MinPacketSize = 512;

    // WebRTC stacks announce the maximum stream counts (aiortc, usrsctp): channels pick ids freely.
    private const ushort StreamCount = 65535;

    private readonly SctpAssociationOptions _options;
    private readonly DatagramHandler _sendPacket;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly long _epoch;
    private readonly byte[] _packet;
    private readonly int _maxFragment;
    private readonly ITimer _timer;
    private readonly Queue<SctpEvent> _events = new();
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SctpAssociationState _state;
    private string? _abortReason;
    private bool _dispatching;
    private bool _disposed;

    // Counters for Stats.
    private long _packetsSent;
    private long _sendFailures;
    private long _packetsReceived;
    private long _packetsDropped;
    private long _chunksDropped;
    private long _dataChunksSent;
    private long _dataChunksReceived;
    private long _duplicateTsns;
    private long _retransmissions;
    private long _fastRetransmits;
    private long _t3Expiries;
    private long _messagesAbandoned;

    public SctpAssociation(SctpAssociationOptions options, DatagramHandler sendPacket)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sendPacket);
        if (options.MaxPacketSize < MinPacketSize || options.MaxPacketSize > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxPacketSize, "SctpAssociationOptions.MaxPacketSize must be between 512 and 65535 bytes");
        }

        if (options.MaxMessageSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxMessageSize, "SctpAssociationOptions.MaxMessageSize must be positive");
        }

        _options = options;
        _sendPacket = sendPacket;
        _time = options.Time;
        _epoch = _time.GetTimestamp();
        _packet = new byte[options.MaxPacketSize];

        // A fragment's chunk is padded to 4 bytes; keep the user data a multiple of 4 so a full fragment fills the packet exactly.
        _maxFragment = (options.MaxPacketSize - DataOverhead) & ~3;
        _localTag = RandomTag();
        _initialTsn = options.InitialTsn ?? RandomTag();
        _nextTsn = _initialTsn;
        _lastCumulativeAck = _initialTsn - 1;
        _advancedPeerAckPoint = _initialTsn - 1;
        _nextReconfigSequence = _initialTsn;
        _rto = options.RtoInitial.Ticks;
        _cwnd = InitialCwnd();
        _ssthresh = options.ReceiveWindow;
        _peerRwnd = options.ReceiveWindow;
        RandomNumberGenerator.Fill(_cookieKey);
        Array.Fill(_deadlines, long.MaxValue);
        _timer = _time.CreateTimer(static state => ((SctpAssociation)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public SctpAssociationState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Why the association was aborted (by us, the peer, or a failure); null otherwise.</summary>
    public string? AbortReason
    {
        get
        {
            lock (_lock)
            {
                return _abortReason;
            }
        }
    }

    /// <summary>Our verification tag: what the peer puts in the common header of every packet but INIT.</summary>
    public uint VerificationTag => _localTag;

    /// <summary>The peer's receive window and our limits allow messages up to this size.</summary>
    public int MaxMessageSize => _options.MaxMessageSize;

    /// <summary>A snapshot of the counters and congestion state.</summary>
    public SctpAssociationStats Stats
    {
        get
        {
            lock (_lock)
            {
                return new SctpAssociationStats(_packetsSent, _packetsReceived, _packetsDropped, _chunksDropped, _dataChunksSent, _dataChunksReceived,
                    _duplicateTsns, _retransmissions, _fastRetransmits, _t3Expiries, _messagesAbandoned, _cwnd, _peerRwnd, TimeSpan.FromTicks(_srtt), TimeSpan.FromTicks(_rto), _sendFailures, _inferredForwardTsns);
            }
        }
    }

    public event Action<SctpAssociationState>? StateChanged;

    public event SctpMessageHandler? MessageReceived;

    /// <summary>The peer reset these incoming streams of ours (RFC 6525): their channels close.</summary>
    public event Action<ushort>? StreamReset;

    /// <summary>Bytes of a stream were acknowledged or abandoned: <see cref="BufferedAmount"/> fell.</summary>
    public event Action<ushort>? BufferedAmountDecreased;

    // Time since construction in TimeSpan ticks: monotonic, and free of the overflow that raw timestamps times 1000 would risk.
    private long Now => _time.GetElapsedTime(_epoch).Ticks;

    /// <summary>Starts the association: sends INIT (either side may; an INIT collision is resolved as RFC 9260 §5.2 says).</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state == SctpAssociationState.Closed && !_established.Task.IsCompleted)
            {
                SetStateLocked(SctpAssociationState.CookieWait);
                _initRetransmissions = 0;
                _t1Rto = _options.RtoInitial.Ticks;
                SendInitLocked();
                ArmLocked(TimerSlot.T1, Now + _t1Rto);
                ScheduleLocked();
            }
        }

        DrainEvents();
        return _established.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Feeds one SCTP packet received from DTLS. Never throws: bad input is dropped and counted in <see cref="Stats"/>.</summary>
    public void ReceivePacket(ReadOnlySpan<byte> packet)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _packetsReceived++;
                ReceivePacketLocked(packet);
                ScheduleLocked();
            }
        }

        DrainEvents();
    }

    /// <summary>Queues one message (copied, fragmented as needed). Throws if too large or not established.</summary>
    public void Send(ushort streamId, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions options)
    {
        if (payload.IsEmpty)
        {
            // RFC 9260 §3.3.1: a DATA chunk must carry user data; RFC 8832 sends empty messages as one byte with PPID 56/57.
            throw new ArgumentException($"SCTP cannot send an empty message on stream {streamId}", nameof(payload));
        }

        if (payload.Length > _options.MaxMessageSize)
        {
            throw new ArgumentException($"message of {payload.Length} bytes on stream {streamId} exceeds the max-message-size {_options.MaxMessageSize}", nameof(payload));
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state != SctpAssociationState.Established || _shutdownRequested)
            {
                throw new InvalidOperationException($"SCTP association is {_state}{(_shutdownRequested ? " (shutting down)" : string.Empty)}: cannot send on stream {streamId}");
            }

            if (streamId >= _outboundStreams)
            {
                throw new ArgumentOutOfRangeException(nameof(streamId), streamId, $"the peer accepts streams below {_outboundStreams}");
            }

            var stream = GetOutboundStream(streamId);
            if (stream.ResetPending)
            {
                throw new InvalidOperationException($"SCTP stream {streamId} is being reset: no new messages until the peer confirms");
            }

            EnqueueMessageLocked(streamId, stream, ppid, payload, options);
            TransmitLocked();
            ScheduleLocked();
        }

        DrainEvents();
    }

    /// <summary>Bytes queued or in flight on a stream.</summary>
    public long BufferedAmount(ushort streamId)
    {
        lock (_lock)
        {
            return _outStreams.TryGetValue(streamId, out var stream) ? stream.Buffered : 0;
        }
    }

    /// <summary>Messages of a stream given up by partial reliability.</summary>
    public long AbandonedMessages(ushort streamId)
    {
        lock (_lock)
        {
            return _outStreams.TryGetValue(streamId, out var stream) ? stream.Abandoned : 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (_state is SctpAssociationState.CookieWait or SctpAssociationState.CookieEchoed or SctpAssociationState.Established or SctpAssociationState.ShuttingDown)
            {
                AbortLocked("association disposed", sendAbort: true);
            }

            ReleaseAllLocked();
            _disposed = true;
        }

        DrainEvents();
        await _timer.DisposeAsync().ConfigureAwait(false);
    }

    private static uint RandomTag()
    {
        // A verification tag must not be zero (RFC 9260 §5.3.1); the TSN may be anything but shares the helper.
        Span<byte> bytes = stackalloc byte[4];
        uint tag;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            tag = BitConverter.ToUInt32(bytes);
        }
        while (tag == 0);
        return tag;
    }

    // RFC 9260 §7.2.1: initial cwnd = min(4 * MTU, max(2 * MTU, 4380 bytes)).
    private long InitialCwnd() => Math.Min(4L * _options.MaxPacketSize, Math.Max(2L * _options.MaxPacketSize, 4380));

    private void SetStateLocked(SctpAssociationState state)
    {
        if (_state == state)
        {
            return;
        }

        _state = state;
        _events.Enqueue(new SctpEvent(SctpEventKind.StateChanged, 0, 0, null, 0, state));
        switch (state)
        {
            case SctpAssociationState.Established:
                _established.TrySetResult();
                break;
            case SctpAssociationState.Closed:
                _established.TrySetException(new InvalidOperationException("SCTP association closed before it was established"));
                _closed.TrySetResult();
                break;
            case SctpAssociationState.Aborted:
                _established.TrySetException(new InvalidOperationException($"SCTP association aborted: {_abortReason}"));
                _closed.TrySetResult();
                break;
        }
    }

    // Raises queued events outside the lock, one thread at a time so they keep their order; a handler that
    // calls back in (Send from MessageReceived) finds _dispatching set and leaves the raising to this loop.
    private void DrainEvents()
    {
        while (true)
        {
            SctpEvent e;
            lock (_lock)
            {
                if (_dispatching || _events.Count == 0)
                {
                    return;
                }

                _dispatching = true;
                e = _events.Dequeue();
            }

            try
            {
                Raise(e);
            }
            finally
            {
                if (e.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(e.Buffer);
                }

                lock (_lock)
                {
                    _dispatching = false;
                }
            }
        }
    }

    private void Raise(in SctpEvent e)
    {
        switch (e.Kind)
        {
            case SctpEventKind.Message:
                MessageReceived?.Invoke(e.StreamId, e.Ppid, e.Buffer.AsSpan(0, e.Length));
                break;
            case SctpEventKind.StateChanged:
                StateChanged?.Invoke(e.State);
                break;
            case SctpEventKind.StreamReset:
                StreamReset?.Invoke(e.StreamId);
                break;
            case SctpEventKind.BufferedAmountDecreased:
                BufferedAmountDecreased?.Invoke(e.StreamId);
                break;
        }
    }
}
