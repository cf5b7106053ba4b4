using System.Buffers;
using System.Text;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.DataChannels;

/// <summary>
/// The data channels of one connection: stream ids by DTLS role, DCEP (RFC 8832) open and ACK, routing of
/// received messages by stream, and closing by stream reset (RFC 8831 §6.7). The association feeds it through
/// <see cref="OnMessage"/>, <see cref="OnStreamReset"/> and <see cref="OnBufferedAmountDecreased"/>.
/// </summary>
/// <remarks>
/// Events (the incoming-channel one and each channel's) are raised without <see cref="_gate"/> held, on the
/// thread that delivered the packet, so a handler may create, send on or close channels.
/// </remarks>
internal sealed class DataChannelSet
{
    /// <summary>For channels built outside a connection (the contract's bare constructor): never binds, a limit of zero.</summary>
    internal static readonly DataChannelSet Detached = new() { MaxMessageSize = 0 };

    /// <summary>RFC 8832 §6: stream identifier 65535 is reserved.</summary>
    internal const int MaxStreamId = 65534;

    /// <summary>RFC 8841 §6: without a=max-message-size a peer can take 64 KiB; the connection sets the negotiated value.</summary>
    internal const long DefaultMaxMessageSize = 65536;

    private readonly Lock _gate = new();
    private readonly Dictionary<ushort, RtcDataChannel> _streams = [];
    private readonly List<RtcDataChannel> _waiting = [];
    private IDataChannelTransport? _transport;
    private bool _evenIds;
    private bool _ended;
    private long _maxMessageSize = DefaultMaxMessageSize;
    private long _rejectedOpens;
    private long _unroutedMessages;
    private Exception? _lastRejection;

    /// <summary>The peer opened a channel (DCEP OPEN accepted, ACK sent).</summary>
    public event Action<RtcDataChannel>? ChannelOpened;

    /// <summary>Largest message a channel may send (the negotiated max-message-size).</summary>
    public long MaxMessageSize
    {
        get => Interlocked.Read(ref _maxMessageSize);
        set => Interlocked.Exchange(ref _maxMessageSize, value);
    }

    /// <summary>DCEP messages refused (malformed OPEN, unknown type, OPEN on a stream in use).</summary>
    public long RejectedOpens => Interlocked.Read(ref _rejectedOpens);

    /// <summary>User messages on a stream without a channel, or with a PPID data channels do not use.</summary>
    public long UnroutedMessages => Interlocked.Read(ref _unroutedMessages);

    /// <summary>Why the last DCEP message was refused (a <see cref="SctpParseException"/> for malformed ones).</summary>
    public Exception? LastRejection
    {
        get
        {
            lock (_gate)
            {
                return _lastRejection;
            }
        }
    }

    /// <summary>True once SCTP is up.</summary>
    public bool IsStarted
    {
        get
        {
            lock (_gate)
            {
                return _transport is not null;
            }
        }
    }

    /// <summary>Creates a channel (W3C createDataChannel): it opens once SCTP is up, at once if it already is.</summary>
    public RtcDataChannel Create(string label, RtcDataChannelInit? init)
    {
        ArgumentNullException.ThrowIfNull(label);
        init ??= new RtcDataChannelInit();
        Validate(label, init);
        var channel = new RtcDataChannel(label, init, this);
        IDataChannelTransport? transport;
        lock (_gate)
        {
            if (_ended)
            {
                throw new InvalidOperationException($"CreateDataChannel('{label}'): the connection is closed");
            }

            if (init.Negotiated)
            {
                var id = init.Id!.Value;
                if (_streams.ContainsKey(id) || _waiting.Exists(c => c.Init.Negotiated && c.Init.Id == id))
                {
                    throw new ArgumentException($"CreateDataChannel('{label}'): stream id {id} is already used by another channel", nameof(init));
                }
            }

            transport = _transport;
            if (transport is null)
            {
                _waiting.Add(channel);
                return channel;
            }

            if (!TryBind(channel, transport))
            {
                channel.Terminate(new InvalidOperationException($"{channel}: no free SCTP stream id is left"));
                return channel;
            }
        }

        if (init.Negotiated)
        {
            // Usable as soon as it is returned; W3C fires open as a task, so the caller attaches its handler first.
            channel.TryOpen();
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.RaiseOpened(), channel, preferLocal: false);
        }
        else
        {
            Announce(channel, transport);
        }

        return channel;
    }

    /// <summary>SCTP is up: channels made so far get their ids (client even, server odd, RFC 8832 §6) and open.</summary>
    public void Start(IDataChannelTransport transport, bool dtlsClient)
    {
        ArgumentNullException.ThrowIfNull(transport);
        List<RtcDataChannel> started = [];
        List<RtcDataChannel> failed = [];
        lock (_gate)
        {
            if (_ended || _transport is not null)
            {
                return;
            }

            _transport = transport;
            _evenIds = dtlsClient;

            // Pre-negotiated ids first: DCEP ids must avoid them.
            foreach (var channel in _waiting)
            {
                if (channel.Init.Negotiated)
                {
                    TryBind(channel, transport);
                    started.Add(channel);
                }
            }

            foreach (var channel in _waiting)
            {
                if (!channel.Init.Negotiated)
                {
                    (TryBind(channel, transport) ? started : failed).Add(channel);
                }
            }

            _waiting.Clear();
        }

        foreach (var channel in failed)
        {
            channel.Terminate(new InvalidOperationException($"{channel}: no free SCTP stream id is left"));
        }

        foreach (var channel in started)
        {
            Announce(channel, transport);
        }
    }

    /// <summary>One whole message from SCTP (hot path: a lookup and the handler, no allocation).</summary>
    public void OnMessage(ushort streamId, uint ppid, ReadOnlySpan<byte> payload)
    {
        if (ppid == DcepPpid.Dcep)
        {
            OnControl(streamId, payload);
            return;
        }

        var isBinary = ppid is DcepPpid.Binary or DcepPpid.BinaryEmpty;
        if (!isBinary && ppid is not (DcepPpid.String or DcepPpid.StringEmpty))
        {
            // The deprecated partial PPIDs 52/54 (RFC 8831 §8) and anything else are not ours to read.
            Interlocked.Increment(ref _unroutedMessages);
            return;
        }

        RtcDataChannel? channel;
        lock (_gate)
        {
            _streams.TryGetValue(streamId, out channel);
        }

        if (channel is null || channel.ReadyState == RtcDataChannelState.Closed)
        {
            Interlocked.Increment(ref _unroutedMessages);
            return;
        }

        if (channel.ReadyState == RtcDataChannelState.Connecting && channel.TryOpen())
        {
            // RFC 8832 §6: user data may follow the peer's ACK closely (unordered data can overtake it);
            // data on the stream proves the peer accepted the OPEN.
            channel.RaiseOpened();
        }

        channel.Deliver(ppid is DcepPpid.StringEmpty or DcepPpid.BinaryEmpty ? default : payload, isBinary);
    }

    /// <summary>The peer reset its outgoing stream (our incoming, RFC 6525): the channel closes, resetting ours too if we had not.</summary>
    public void OnStreamReset(ushort streamId)
    {
        RtcDataChannel? channel;
        IDataChannelTransport? transport;
        lock (_gate)
        {
            if (!_streams.Remove(streamId, out channel))
            {
                return;
            }

            transport = _transport;
        }

        if (channel.TryBeginClosing() && transport is not null)
        {
            // RFC 8831 §6.7: the side that sees its incoming stream reset resets its outgoing one.
            ResetQuietly(transport, streamId);
        }

        channel.Terminate(null);
    }

    /// <summary>Bytes of a stream were acknowledged or abandoned.</summary>
    public void OnBufferedAmountDecreased(ushort streamId)
    {
        RtcDataChannel? channel;
        lock (_gate)
        {
            _streams.TryGetValue(streamId, out channel);
        }

        channel?.OnBufferedAmountDecreased();
    }

    /// <summary>The association or the connection ended: every channel closes (with <paramref name="error"/> first when it failed).</summary>
    public void End(Exception? error)
    {
        List<RtcDataChannel> all;
        lock (_gate)
        {
            _ended = true;
            all = [.. _waiting, .. _streams.Values];
            _waiting.Clear();
            _streams.Clear();
        }

        foreach (var channel in all)
        {
            channel.Terminate(error);
        }
    }

    /// <summary>RtcDataChannel.Close: reset our outgoing stream; Closed follows when the peer resets its own.</summary>
    internal void CloseChannel(RtcDataChannel channel)
    {
        if (!channel.TryBeginClosing())
        {
            return;
        }

        IDataChannelTransport? transport;
        lock (_gate)
        {
            transport = channel.Transport;
            if (transport is null)
            {
                _waiting.Remove(channel); // never reached SCTP: nothing to reset
            }
        }

        if (transport is null || channel.Id is not { } id)
        {
            channel.Terminate(null);
            return;
        }

        ResetQuietly(transport, id);
    }

    // ---------------------------------------------------------------- DCEP

    private void OnControl(ushort streamId, ReadOnlySpan<byte> message)
    {
        if (Dcep.IsAck(message))
        {
            RtcDataChannel? channel;
            lock (_gate)
            {
                _streams.TryGetValue(streamId, out channel);
            }

            if (channel is not null && channel.TryOpen())
            {
                channel.RaiseOpened();
            }

            return; // a duplicate or late ACK changes nothing
        }

        DcepOpen open;
        try
        {
            open = Dcep.ReadOpen(message);
        }
        catch (SctpParseException malformed)
        {
            Reject(streamId, malformed, resetStream: true);
            return;
        }

        var init = InitOf(open, streamId);
        var incoming = new RtcDataChannel(open.Label, init, this);
        IDataChannelTransport transport;
        lock (_gate)
        {
            if (_transport is null || _ended)
            {
                return;
            }

            transport = _transport;
            if (_streams.ContainsKey(streamId))
            {
                incoming = null;
            }
            else
            {
                incoming.Bind(transport, streamId);
                incoming.TryOpen();
                _streams.Add(streamId, incoming);
            }
        }

        if (incoming is null)
        {
            // Both sides picked the same id (e.g. a peer that took the wrong parity): keep ours, refuse theirs.
            Reject(streamId, new InvalidOperationException($"DATA_CHANNEL_OPEN '{open.Label}' on stream {streamId}, which a channel already uses"), resetStream: false);
            return;
        }

        Span<byte> ack = stackalloc byte[1];
        try
        {
            transport.Send(streamId, DcepPpid.Dcep, ack[..Dcep.WriteAck(ack)], SctpSendOptions.Reliable);
        }
        catch (InvalidOperationException)
        {
            return; // the association went away meanwhile; End closes the channel
        }

        // Synchronously, before the next packet is read: a handler attached here sees every message.
        ChannelOpened?.Invoke(incoming);
        incoming.RaiseOpened();
    }

    private void Reject(ushort streamId, Exception reason, bool resetStream)
    {
        IDataChannelTransport? transport;
        lock (_gate)
        {
            _lastRejection = reason;
            transport = _transport;
        }

        Interlocked.Increment(ref _rejectedOpens);
        if (resetStream && transport is not null)
        {
            ResetQuietly(transport, streamId); // the peer's half-made channel closes instead of hanging
        }
    }

    /// <summary>Binds an id (pre-negotiated, or the next free one of our parity) and files the channel; under <see cref="_gate"/>.</summary>
    private bool TryBind(RtcDataChannel channel, IDataChannelTransport transport)
    {
        if (channel.Init.Negotiated)
        {
            var id = channel.Init.Id!.Value;
            channel.Bind(transport, id);
            _streams[id] = channel;
            return true;
        }

        for (var id = _evenIds ? 0 : 1; id <= MaxStreamId; id += 2)
        {
            if (!_streams.ContainsKey((ushort)id))
            {
                channel.Bind(transport, (ushort)id);
                _streams.Add((ushort)id, channel);
                return true;
            }
        }

        return false;
    }

    /// <summary>Opens a bound channel: directly when pre-negotiated, else by sending DATA_CHANNEL_OPEN.</summary>
    private void Announce(RtcDataChannel channel, IDataChannelTransport transport)
    {
        if (channel.Init.Negotiated)
        {
            if (channel.TryOpen())
            {
                channel.RaiseOpened();
            }

            return;
        }

        if (channel.ReadyState != RtcDataChannelState.Connecting || channel.Id is not { } id)
        {
            return;
        }

        var open = OpenOf(channel);
        var size = Dcep.GetOpenSize(open);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var length = Dcep.WriteOpen(open, buffer);
            // Control messages go reliable and ordered whatever the channel is (RFC 8832 §6).
            transport.Send(id, DcepPpid.Dcep, buffer.AsSpan(0, length), SctpSendOptions.Reliable);
        }
        catch (InvalidOperationException failure)
        {
            channel.Terminate(new InvalidOperationException($"{channel}: DATA_CHANNEL_OPEN could not be sent", failure));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static DcepOpen OpenOf(RtcDataChannel channel)
    {
        var init = channel.Init;
        var unordered = init.Ordered ? 0 : 0x80;
        var (type, parameter) = (init.MaxRetransmits, init.MaxPacketLifeTime) switch
        {
            ({ } retransmits, _) => (DcepChannelType.PartialReliableRexmit, (uint)retransmits),
            (_, { } lifetime) => (DcepChannelType.PartialReliableTimed, (uint)lifetime.TotalMilliseconds),
            _ => (DcepChannelType.Reliable, 0u),
        };
        return new DcepOpen((DcepChannelType)((int)type | unordered), init.Priority, parameter, channel.Label, init.Protocol);
    }

    /// <summary>What an incoming OPEN asks for, as an init (RFC 8832 §5.1: the high bit of the type is unordered).</summary>
    private static RtcDataChannelInit InitOf(DcepOpen open, ushort streamId)
    {
        var kind = (int)open.ChannelType & 0x7F;
        return new RtcDataChannelInit
        {
            Ordered = ((int)open.ChannelType & 0x80) == 0,
            MaxRetransmits = kind == (int)DcepChannelType.PartialReliableRexmit ? (int)Math.Min(open.ReliabilityParameter, int.MaxValue) : null,
            MaxPacketLifeTime = kind == (int)DcepChannelType.PartialReliableTimed ? TimeSpan.FromMilliseconds(open.ReliabilityParameter) : null,
            Protocol = open.Protocol,
            Priority = open.Priority,
            Id = streamId,
        };
    }

    private static void Validate(string label, RtcDataChannelInit init)
    {
        if (Encoding.UTF8.GetByteCount(label) > ushort.MaxValue)
        {
            throw new ArgumentException("CreateDataChannel: the label is limited to 65535 UTF-8 bytes (RFC 8832 §5.1)", nameof(label));
        }

        if (init.Protocol is null || Encoding.UTF8.GetByteCount(init.Protocol) > ushort.MaxValue)
        {
            throw new ArgumentException($"CreateDataChannel('{label}'): Protocol must be a string of at most 65535 UTF-8 bytes", nameof(init));
        }

        if (init.MaxRetransmits is not null && init.MaxPacketLifeTime is not null)
        {
            throw new ArgumentException($"CreateDataChannel('{label}'): MaxRetransmits and MaxPacketLifeTime are exclusive", nameof(init));
        }

        if (init.MaxRetransmits is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(init), init.MaxRetransmits, $"CreateDataChannel('{label}'): MaxRetransmits must not be negative");
        }

        if (init.MaxPacketLifeTime is { } lifetime && (lifetime < TimeSpan.Zero || lifetime.TotalMilliseconds > uint.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(init), lifetime, $"CreateDataChannel('{label}'): MaxPacketLifeTime must be 0 to {uint.MaxValue} ms");
        }

        if (init.Negotiated && init.Id is null)
        {
            throw new ArgumentException($"CreateDataChannel('{label}'): a negotiated channel needs an Id", nameof(init));
        }

        if (init.Id is > MaxStreamId)
        {
            throw new ArgumentOutOfRangeException(nameof(init), init.Id, $"CreateDataChannel('{label}'): stream id 65535 is reserved (RFC 8832 §6)");
        }
    }

    private static void ResetQuietly(IDataChannelTransport transport, ushort streamId)
    {
        try
        {
            transport.ResetStream(streamId);
        }
        catch (InvalidOperationException)
        {
            // The association is gone (or disposed): the connection's End closes everything.
        }
    }
}
