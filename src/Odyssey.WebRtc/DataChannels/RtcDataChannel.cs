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
/// <remarks>Events are raised on the connection's receive thread: handlers must not block.</remarks>
#pragma warning disable CS0067 // contract skeleton: the events are raised once issue 5 fills the class in
public sealed class RtcDataChannel
{
    internal RtcDataChannel(string label, RtcDataChannelInit init)
    {
        Label = label;
        Init = init;
    }

    /// <summary>The label (DCEP), e.g. <c>clientToStreamer</c>.</summary>
    public string Label { get; }

    /// <summary>The options it was created with (for an incoming channel: what the DCEP OPEN said).</summary>
    public RtcDataChannelInit Init { get; }

    /// <summary>The SCTP stream id; null until chosen (the DTLS role decides even/odd, RFC 8832 §6).</summary>
    public ushort? Id => throw new NotImplementedException("issue 5");

    /// <summary>The ready state.</summary>
    public RtcDataChannelState ReadyState => throw new NotImplementedException("issue 5");

    /// <summary>Bytes accepted by <c>SendAsync</c> and not yet acknowledged (or abandoned) by SCTP.</summary>
    public long BufferedAmount => throw new NotImplementedException("issue 5");

    /// <summary><see cref="BufferedAmountLow"/> fires when <see cref="BufferedAmount"/> falls to or below this.</summary>
    public long BufferedAmountLowThreshold { get; set; }

    /// <summary>Messages given up by partial reliability (sender side): how a lossy channel reports loss.</summary>
    public long MessagesAbandoned => throw new NotImplementedException("issue 5");

    /// <summary>The channel opened (DCEP ACK received or sent, or SCTP up for a pre-negotiated one).</summary>
    public event Action<RtcDataChannel>? Opened;

    /// <summary>The channel closed (stream reset either way, or the connection ended).</summary>
    public event Action<RtcDataChannel>? Closed;

    /// <summary>An error on this channel (e.g. a message over the size limit arrived, the association aborted).</summary>
    public event Action<RtcDataChannel, Exception>? Error;

    /// <summary>A message arrived.</summary>
    public event RtcDataChannelMessageHandler? Message;

    /// <summary><see cref="BufferedAmount"/> crossed down to <see cref="BufferedAmountLowThreshold"/>.</summary>
    public event Action<RtcDataChannel>? BufferedAmountLow;

    /// <summary>Completes when the channel is open; faults if it closes or fails first.</summary>
    public Task WhenOpenAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 5");

    /// <summary>
    /// Queues a UTF-8 string message (copied; the task completes once it is queued, not delivered).
    /// Throws <see cref="InvalidOperationException"/> unless open, <see cref="ArgumentException"/> when larger
    /// than the negotiated max-message-size.
    /// </summary>
    public ValueTask SendAsync(string text, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 5");

    /// <summary>Queues a binary message; as <see cref="SendAsync(string, CancellationToken)"/>.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 5");

    /// <summary>Closes by resetting the stream (RFC 8831 §6.7); <see cref="Closed"/> fires when both directions are reset.</summary>
    public void Close() => throw new NotImplementedException("issue 5");
}
