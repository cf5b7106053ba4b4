using System.Buffers;
using System.Text;
using Odyssey.WebRtc.DataChannels;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc;

/// <summary>W3C <c>RTCDataChannelState</c>.</summary>
public enum RtcDataChannelState
{
    /// <summary>Created; waiting for the SCTP association and, unless pre-negotiated, the DCEP ACK.</summary>
    Connecting,

    /// <summary>Messages flow both ways.</summary>
    Open,

    /// <summary>The stream reset is in progress; nothing more may be sent.</summary>
    Closing,

    /// <summary>Closed by either side or by the connection ending.</summary>
    Closed,
}

/// <summary>W3C <c>RTCDataChannelInit</c>: how a channel delivers (RFC 8831 §6.1, RFC 8832 §5.1).</summary>
public sealed record RtcDataChannelInit
{
    /// <summary>In-order delivery (false: unordered DATA chunks, the U bit).</summary>
    public bool Ordered { get; init; } = true;

    /// <summary>Partial reliability by retransmission count (RFC 3758); null = reliable. Exclusive with <see cref="MaxPacketLifeTime"/>.</summary>
    public int? MaxRetransmits { get; init; }

    /// <summary>Partial reliability by lifetime (RFC 3758); null = reliable. Exclusive with <see cref="MaxRetransmits"/>.</summary>
    public TimeSpan? MaxPacketLifeTime { get; init; }

    /// <summary>The DCEP protocol string.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>Pre-negotiated: no DCEP; both sides create the channel with the same <see cref="Id"/>.</summary>
    public bool Negotiated { get; init; }

    /// <summary>The SCTP stream id; required when <see cref="Negotiated"/>, chosen by the DTLS role otherwise (RFC 8832 §6).</summary>
    public ushort? Id { get; init; }

    /// <summary>The DCEP priority (RFC 8832 §5.1): 128 below normal, 256 normal (the default), 512 high, 1024 extra high.</summary>
    public ushort Priority { get; init; } = NormalPriority;

    /// <summary>RFC 8832 §5.1 "normal" priority, what browsers send by default.</summary>
    internal const ushort NormalPriority = 256;
}

/// <summary>One received message. <see cref="Data"/> is BORROWED: valid only during the handler; copy what you keep.</summary>
public readonly ref struct RtcDataChannelMessage
{
    /// <summary>Wraps a received payload.</summary>
    public RtcDataChannelMessage(ReadOnlySpan<byte> data, bool isBinary)
    {
        Data = data;
        IsBinary = isBinary;
    }

    /// <summary>The payload (UTF-8 for a string message); empty for an empty message (PPID 56/57 on the wire).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Binary (PPID 53/57) rather than string (51/56).</summary>
    public bool IsBinary { get; }

    /// <summary>The payload decoded as UTF-8 (allocates).</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Data);
}

/// <summary>Receives a message; the data is valid only for the call.</summary>
public delegate void RtcDataChannelMessageHandler(RtcDataChannel channel, RtcDataChannelMessage message);

/// <summary>
/// A WebRTC data channel (W3C <c>RTCDataChannel</c>) over the connection's SCTP association: DCEP open
/// (RFC 8832) or pre-negotiated, string and binary messages including empty ones, partial reliability,
/// and <see cref="BufferedAmount"/> with a low-water event so a sender can apply backpressure.
/// </summary>
/// <remarks>
/// Events are raised on the connection's receive thread: handlers must not block. Messages that arrive
/// while no <see cref="Message"/> handler is attached (e.g. before the <c>DataChannel</c> event's handler
/// subscribes) are copied and kept, up to <see cref="MaxUnreadMessages"/>, and handed to the first handler
/// in order, as browsers do.
/// </remarks>
public sealed class RtcDataChannel
{
    /// <summary>Messages kept while nobody listens; more means the application never reads this channel.</summary>
    public const int MaxUnreadMessages = 4096;

    /// <summary>Bytes kept while nobody listens (a few max-size messages more than the count limit allows at 4 KiB each).</summary>
    private const long MaxUnreadBytes = 16L * 1024 * 1024;

    /// <summary>Strings up to this many UTF-8 bytes are encoded on the stack; longer ones in a pooled buffer.</summary>
    private const int StackEncodeLimit = 1024;

    /// <summary>RFC 8831 §6.6: an empty message is sent as one byte (SCTP cannot carry zero) with PPID 56/57.</summary>
    private static readonly byte[] EmptyMessagePlaceholder = [0];

    private readonly DataChannelSet _owner;
    private readonly SctpSendOptions _sendOptions;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<(byte[] Data, bool IsBinary)> _unread = new();
    private RtcDataChannelMessageHandler? _message;
    private IDataChannelTransport? _transport;
    private int _id = -1;
    private int _state = (int)RtcDataChannelState.Connecting;
    private long _unreadBytes;
    private bool _draining;
    private bool _unreadOverflowReported;
    private int _aboveThreshold;
    private long _finalBuffered;
    private long _finalAbandoned;
    private long _unreadDropped;

    internal RtcDataChannel(string label, RtcDataChannelInit init)
        : this(label, init, DataChannelSet.Detached)
    {
    }

    internal RtcDataChannel(string label, RtcDataChannelInit init, DataChannelSet owner)
    {
        Label = label;
        Init = init;
        _owner = owner;
        _sendOptions = new SctpSendOptions(!init.Ordered, init.MaxRetransmits, init.MaxPacketLifeTime);
        if (init.Negotiated && init.Id is { } id)
        {
            _id = id;
        }

        _ = _opened.Task.Exception; // observed: nobody may wait for the open
    }

    /// <summary>The label (DCEP), e.g. <c>clientToStreamer</c>.</summary>
    public string Label { get; }

    /// <summary>The options it was created with (for an incoming channel: what the DCEP OPEN said).</summary>
    public RtcDataChannelInit Init { get; }

    /// <summary>The SCTP stream id; null until chosen (the DTLS role decides even/odd, RFC 8832 §6).</summary>
    public ushort? Id
    {
        get
        {
            var id = Volatile.Read(ref _id);
            return id < 0 ? null : (ushort)id;
        }
    }

    /// <summary>The ready state.</summary>
    public RtcDataChannelState ReadyState => (RtcDataChannelState)Volatile.Read(ref _state);

    /// <summary>Bytes accepted by <c>SendAsync</c> and not yet acknowledged (or abandoned) by SCTP.</summary>
    public long BufferedAmount
    {
        get
        {
            var transport = Volatile.Read(ref _transport);
            return transport is not null && ReadyState != RtcDataChannelState.Closed && Id is { } id
                ? transport.BufferedAmount(id)
                : Volatile.Read(ref _finalBuffered);
        }
    }

    /// <summary><see cref="BufferedAmountLow"/> fires when <see cref="BufferedAmount"/> falls to or below this.</summary>
    public long BufferedAmountLowThreshold { get; set; }

    /// <summary>Messages given up by partial reliability (sender side): how a lossy channel reports loss.</summary>
    public long MessagesAbandoned
    {
        get
        {
            var transport = Volatile.Read(ref _transport);
            return transport is not null && ReadyState != RtcDataChannelState.Closed && Id is { } id
                ? transport.AbandonedMessages(id)
                : Volatile.Read(ref _finalAbandoned);
        }
    }

    /// <summary>Received messages dropped because no <see cref="Message"/> handler took them and the unread queue was full.</summary>
    public long UnreadMessagesDropped => Interlocked.Read(ref _unreadDropped);

    /// <summary>The channel opened (DCEP ACK received or sent, or SCTP up for a pre-negotiated one).</summary>
    public event Action<RtcDataChannel>? Opened;

    /// <summary>The channel closed (stream reset either way, or the connection ended).</summary>
    public event Action<RtcDataChannel>? Closed;

    /// <summary>An error on this channel (e.g. a message over the size limit arrived, the association aborted).</summary>
    public event Action<RtcDataChannel, Exception>? Error;

    /// <summary>A message arrived. Messages received before the first handler was attached are delivered to it first, in order.</summary>
    public event RtcDataChannelMessageHandler? Message
    {
        add
        {
            bool drain;
            lock (_gate)
            {
                _message += value;
                drain = _message is not null && _unread.Count > 0 && !_draining;
                _draining |= drain;
            }

            if (drain)
            {
                DrainUnread();
            }
        }

        remove
        {
            lock (_gate)
            {
                _message -= value;
            }
        }
    }

    /// <summary><see cref="BufferedAmount"/> crossed down to <see cref="BufferedAmountLowThreshold"/>.</summary>
    public event Action<RtcDataChannel>? BufferedAmountLow;

    /// <summary>Completes when the channel is open; faults if it closes or fails first.</summary>
    public Task WhenOpenAsync(CancellationToken cancellationToken = default) => _opened.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Queues a UTF-8 string message (copied; the task completes once it is queued, not delivered).
    /// Throws <see cref="InvalidOperationException"/> unless open, <see cref="ArgumentException"/> when larger
    /// than the negotiated max-message-size.
    /// </summary>
    public ValueTask SendAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        cancellationToken.ThrowIfCancellationRequested();
        if (text.Length == 0)
        {
            Send(EmptyMessagePlaceholder, DcepPpid.StringEmpty, 0);
            return ValueTask.CompletedTask;
        }

        var length = Encoding.UTF8.GetByteCount(text);
        if (length <= StackEncodeLimit)
        {
            Span<byte> buffer = stackalloc byte[StackEncodeLimit];
            var written = Encoding.UTF8.GetBytes(text, buffer);
            Send(buffer[..written], DcepPpid.String, written);
            return ValueTask.CompletedTask;
        }

        CheckSize(length); // before renting: a huge string must not cost a huge buffer
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            Send(rented.AsSpan(0, written), DcepPpid.String, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Queues a binary message; as <see cref="SendAsync(string, CancellationToken)"/>.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (data.IsEmpty)
        {
            Send(EmptyMessagePlaceholder, DcepPpid.BinaryEmpty, 0);
        }
        else
        {
            Send(data.Span, DcepPpid.Binary, data.Length);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Closes by resetting the stream (RFC 8831 §6.7); <see cref="Closed"/> fires when both directions are reset.</summary>
    public void Close() => _owner.CloseChannel(this);

    /// <inheritdoc/>
    public override string ToString() => $"data channel '{Label}' (id {Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, {ReadyState})";

    // ---------------------------------------------------------------- called by DataChannelSet

    internal SctpSendOptions SendOptions => _sendOptions;

    internal IDataChannelTransport? Transport => Volatile.Read(ref _transport);

    internal void Bind(IDataChannelTransport transport, ushort id)
    {
        Volatile.Write(ref _id, id);
        Volatile.Write(ref _transport, transport);
    }

    /// <summary>Connecting → Open; false when it was not connecting any more.</summary>
    internal bool TryOpen()
    {
        if (Interlocked.CompareExchange(ref _state, (int)RtcDataChannelState.Open, (int)RtcDataChannelState.Connecting) != (int)RtcDataChannelState.Connecting)
        {
            return false;
        }

        _opened.TrySetResult();
        return true;
    }

    internal void RaiseOpened() => Opened?.Invoke(this);

    /// <summary>Open or Connecting → Closing; false when already closing or closed.</summary>
    internal bool TryBeginClosing()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state is (int)RtcDataChannelState.Closing or (int)RtcDataChannelState.Closed)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, (int)RtcDataChannelState.Closing, state) == state)
            {
                return true;
            }
        }
    }

    /// <summary>Ends the channel: Error first when <paramref name="error"/> is set, then Closed; once only.</summary>
    internal void Terminate(Exception? error)
    {
        var transport = Volatile.Read(ref _transport);
        if (transport is not null && Id is { } id)
        {
            // Kept for readers after close: the association may be gone by then.
            Volatile.Write(ref _finalBuffered, SafeRead(transport.BufferedAmount, id));
            Volatile.Write(ref _finalAbandoned, SafeRead(transport.AbandonedMessages, id));
        }

        if (Interlocked.Exchange(ref _state, (int)RtcDataChannelState.Closed) == (int)RtcDataChannelState.Closed)
        {
            return;
        }

        var reason = error ?? new InvalidOperationException($"{Label}: the data channel closed before it opened");
        _opened.TrySetException(reason);
        if (error is not null)
        {
            Error?.Invoke(this, error);
        }

        Closed?.Invoke(this);
    }

    internal void RaiseError(Exception error) => Error?.Invoke(this, error);

    /// <summary>One received user message (hot path: no allocation while a handler is attached).</summary>
    internal void Deliver(ReadOnlySpan<byte> data, bool isBinary)
    {
        RtcDataChannelMessageHandler? handler;
        var overflowed = false;
        lock (_gate)
        {
            handler = _message;
            if (handler is null || _draining)
            {
                handler = null;
                overflowed = !Keep(data, isBinary);
            }
        }

        if (handler is not null)
        {
            handler(this, new RtcDataChannelMessage(data, isBinary));
        }
        else if (overflowed)
        {
            RaiseError(new InvalidOperationException($"{this}: no Message handler is attached and {MaxUnreadMessages} messages or {MaxUnreadBytes} bytes are unread; further messages are dropped"));
        }
    }

    /// <summary>SCTP acknowledged or abandoned bytes of this stream: W3C bufferedamountlow on the downward crossing.</summary>
    internal void OnBufferedAmountDecreased()
    {
        if (BufferedAmount <= BufferedAmountLowThreshold)
        {
            if (Interlocked.Exchange(ref _aboveThreshold, 0) == 1)
            {
                BufferedAmountLow?.Invoke(this);
            }
        }
    }

    private void Send(ReadOnlySpan<byte> payload, uint ppid, int messageLength)
    {
        var state = ReadyState;
        if (state != RtcDataChannelState.Open)
        {
            throw new InvalidOperationException($"{this}: SendAsync needs an open channel (state {state})");
        }

        CheckSize(messageLength);
        var transport = Volatile.Read(ref _transport)!;
        var id = (ushort)Volatile.Read(ref _id);
        transport.Send(id, ppid, payload, _sendOptions);
        if (transport.BufferedAmount(id) > BufferedAmountLowThreshold)
        {
            Volatile.Write(ref _aboveThreshold, 1);
        }
    }

    private void CheckSize(int length)
    {
        var limit = _owner.MaxMessageSize;
        if (length > limit)
        {
            throw new ArgumentException($"{this}: a message of {length} bytes exceeds the negotiated max-message-size of {limit} bytes", "data");
        }
    }

    /// <summary>Copies a message nobody listens to yet; false only the first time one had to be dropped (the caller reports it once).</summary>
    private bool Keep(ReadOnlySpan<byte> data, bool isBinary)
    {
        if (_unread.Count >= MaxUnreadMessages || _unreadBytes + data.Length > MaxUnreadBytes)
        {
            Interlocked.Increment(ref _unreadDropped);
            var first = !_unreadOverflowReported;
            _unreadOverflowReported = true;
            return !first;
        }

        _unread.Enqueue((data.ToArray(), isBinary));
        _unreadBytes += data.Length;
        return true;
    }

    private void DrainUnread()
    {
        while (true)
        {
            RtcDataChannelMessageHandler? handler;
            (byte[] Data, bool IsBinary) next;
            lock (_gate)
            {
                handler = _message;
                if (handler is null || _unread.Count == 0)
                {
                    _draining = false;
                    return;
                }

                next = _unread.Dequeue();
                _unreadBytes -= next.Data.Length;
            }

            handler(this, new RtcDataChannelMessage(next.Data, next.IsBinary));
        }
    }

    private static long SafeRead(Func<ushort, long> read, ushort id)
    {
        try
        {
            return read(id);
        }
        catch (InvalidOperationException)
        {
            return 0;
        }
    }
}
