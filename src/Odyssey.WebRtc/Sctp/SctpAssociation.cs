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
/// </remarks>
internal sealed class SctpAssociation : IAsyncDisposable
{
    public SctpAssociation(SctpAssociationOptions options, DatagramHandler sendPacket) => throw new NotImplementedException("issue 5");

    public SctpAssociationState State => throw new NotImplementedException("issue 5");

    /// <summary>The peer's receive window and our limits allow messages up to this size.</summary>
    public int MaxMessageSize => throw new NotImplementedException("issue 5");

#pragma warning disable CS0067 // contract skeleton until issue 5 fills it in
    public event Action<SctpAssociationState>? StateChanged;

    public event SctpMessageHandler? MessageReceived;

    /// <summary>The peer reset these incoming streams of ours (RFC 6525): their channels close.</summary>
    public event Action<ushort>? StreamReset;

    /// <summary>Bytes of a stream were acknowledged or abandoned: <see cref="BufferedAmount"/> fell.</summary>
    public event Action<ushort>? BufferedAmountDecreased;
#pragma warning restore CS0067

    /// <summary>Starts the association: sends INIT (either side may; an INIT collision is resolved as RFC 9260 §5.2 says).</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 5");

    /// <summary>Feeds one SCTP packet received from DTLS.</summary>
    public void ReceivePacket(ReadOnlySpan<byte> packet) => throw new NotImplementedException("issue 5");

    /// <summary>Queues one message (copied, fragmented as needed). Throws if too large or not established.</summary>
    public void Send(ushort streamId, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions options) => throw new NotImplementedException("issue 5");

    /// <summary>Bytes queued or in flight on a stream.</summary>
    public long BufferedAmount(ushort streamId) => throw new NotImplementedException("issue 5");

    /// <summary>Messages of a stream given up by partial reliability.</summary>
    public long AbandonedMessages(ushort streamId) => throw new NotImplementedException("issue 5");

    /// <summary>Resets our outgoing streams (RFC 6525 §5.1.2) after what is queued on them is sent.</summary>
    public void ResetStreams(ReadOnlySpan<ushort> streamIds) => throw new NotImplementedException("issue 5");

    /// <summary>Graceful SHUTDOWN after the queued data is acknowledged.</summary>
    public Task ShutdownAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 5");

    /// <summary>ABORT with a user-initiated cause.</summary>
    public void Abort(string reason) => throw new NotImplementedException("issue 5");

    public ValueTask DisposeAsync() => throw new NotImplementedException("issue 5");
}
