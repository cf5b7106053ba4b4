namespace Odyssey.WebRtc;

/// <summary>Receives one datagram; the span is valid only during the call (the buffer is reused).</summary>
public delegate void DatagramHandler(ReadOnlySpan<byte> datagram);

/// <summary>
/// An unreliable, message-oriented path to one peer: the selected ICE candidate pair in a real
/// connection, a plain loopback UDP socket in tests. DTLS runs over it, then SRTP and SCTP over DTLS.
/// </summary>
/// <remarks>
/// UDP semantics: a send may be lost, duplicated or reordered, and nothing is retried here. The
/// receive side is an event rather than a read loop because one socket carries STUN, DTLS and
/// SRTP at once (RFC 7983), and the owner of the socket routes each datagram by its first byte.
/// </remarks>
public interface IDatagramTransport
{
    /// <summary>Largest datagram the path carries without fragmentation (bytes of payload).</summary>
    int MaxDatagramSize { get; }

    /// <summary>Raised once per datagram from the peer, on the transport's receive thread.</summary>
    event DatagramHandler? Received;

    /// <summary>Sends one datagram to the peer; never blocks on the network.</summary>
    void Send(ReadOnlySpan<byte> datagram);
}
