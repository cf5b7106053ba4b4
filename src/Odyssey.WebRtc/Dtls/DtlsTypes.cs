using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Dtls;

/// <summary>Which side of the DTLS handshake we take (RFC 5763 §5: a=setup decides).</summary>
public enum DtlsRole
{
    /// <summary>We send the ClientHello (a=setup:active).</summary>
    Client,

    /// <summary>We wait for the ClientHello (a=setup:passive).</summary>
    Server,
}

/// <summary>Maps SDP a=setup values to a role.</summary>
public static class DtlsRoles
{
    /// <summary>
    /// The role our own a=setup value gives us: active is the client, passive the server. "actpass" is
    /// only ever an offer; whoever answers must pick one, so it is refused here.
    /// </summary>
    public static DtlsRole FromLocalSetup(string setup) => setup?.Trim().ToLowerInvariant() switch
    {
        "active" => DtlsRole.Client,
        "passive" => DtlsRole.Server,
        _ => throw new ArgumentException(
            $"a=setup:{setup} does not fix a DTLS role (expected active or passive after the answer).", nameof(setup)),
    };
}

/// <summary>Life cycle of a <see cref="DtlsTransport"/> (modelled on RTCDtlsTransportState).</summary>
public enum DtlsState
{
    /// <summary>Created, handshake not started.</summary>
    New,

    /// <summary>Handshake in progress.</summary>
    Connecting,

    /// <summary>Handshake done, peer authenticated, keys exported.</summary>
    Connected,

    /// <summary>Closed by us (dispose) or by the peer's close_notify.</summary>
    Closed,

    /// <summary>The handshake failed or the association broke with an error.</summary>
    Failed,
}

/// <summary>Why a DTLS handshake failed.</summary>
public enum DtlsFailureReason
{
    /// <summary>The peer's certificate does not match any a=fingerprint from its SDP.</summary>
    FingerprintMismatch,

    /// <summary>The peer presented no certificate (WebRTC requires one from both sides).</summary>
    NoPeerCertificate,

    /// <summary>No answer within <see cref="DtlsOptions.HandshakeTimeout"/>.</summary>
    Timeout,

    /// <summary>The peer sent a fatal alert.</summary>
    AlertReceived,

    /// <summary>The peer violated the protocol or offered nothing we accept (versions, suites, SRTP profiles).</summary>
    ProtocolError,

    /// <summary>The transport was closed or the handshake cancelled.</summary>
    Closed,
}

/// <summary>A failed DTLS handshake, with the reason as data.</summary>
public sealed class DtlsHandshakeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DtlsHandshakeException(DtlsFailureReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Creates the exception (for serializers and analyzers).</summary>
    public DtlsHandshakeException()
        : this(DtlsFailureReason.ProtocolError, "DTLS handshake failed.")
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers).</summary>
    public DtlsHandshakeException(string message)
        : this(DtlsFailureReason.ProtocolError, message)
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers).</summary>
    public DtlsHandshakeException(string message, Exception innerException)
        : this(DtlsFailureReason.ProtocolError, message, innerException)
    {
    }

    /// <summary>Why it failed.</summary>
    public DtlsFailureReason Reason { get; }

    /// <summary>The TLS alert description involved (sent or received), if any (RFC 5246 §7.2).</summary>
    public int? Alert { get; init; }
}

/// <summary>Tunables of a <see cref="DtlsTransport"/>.</summary>
public sealed record DtlsOptions
{
    /// <summary>Give up on a handshake after this long: 30 s, as browsers (retransmissions double from 1 s, so ~5 tries).</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>First retransmission of a handshake flight: RFC 6347 §4.2.4.1 recommends 1 s, doubling each time.</summary>
    public static readonly TimeSpan DefaultInitialRetransmitTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Datagrams queued for the DTLS engine before newer ones are dropped (UDP semantics). One SCTP receive
    /// window (1 MiB in ≈ 1,163-byte records, ≈ 900 datagrams) may arrive in a burst while the engine's
    /// thread waits for a core; 256 dropped ≈ 1 record in 100 of a large transfer on loopback.
    /// </summary>
    public const int DefaultReceiveQueueCapacity = 1024;

    /// <summary>Upper bound for the whole handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = DefaultHandshakeTimeout;

    /// <summary>Wait before the first retransmission of an unanswered flight.</summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = DefaultInitialRetransmitTimeout;

    /// <summary>
    /// SRTP profiles for use_srtp, most preferred first. As client we offer them in this order; as
    /// server we pick the first of these the client offered. Empty: no use_srtp (data channels only).
    /// </summary>
    public IReadOnlyList<SrtpProfile> SrtpProfiles { get; init; } = [SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80];

    /// <summary>Bound of the receive queue between the network thread and the DTLS engine.</summary>
    public int ReceiveQueueCapacity { get; init; } = DefaultReceiveQueueCapacity;

    internal void Validate()
    {
        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "DtlsOptions.HandshakeTimeout must be positive.");
        }

        if (InitialRetransmitTimeout <= TimeSpan.Zero || InitialRetransmitTimeout > HandshakeTimeout)
        {
            throw new ArgumentOutOfRangeException(
                nameof(InitialRetransmitTimeout), InitialRetransmitTimeout, "DtlsOptions.InitialRetransmitTimeout must be positive and below HandshakeTimeout.");
        }

        if (ReceiveQueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveQueueCapacity), ReceiveQueueCapacity, "DtlsOptions.ReceiveQueueCapacity must be at least 1.");
        }

        foreach (SrtpProfile profile in SrtpProfiles)
        {
            if (!Srtp.SrtpProfiles.IsSupported((int)profile))
            {
                throw new ArgumentOutOfRangeException(nameof(SrtpProfiles), profile, "DtlsOptions.SrtpProfiles lists an unsupported profile.");
            }
        }
    }
}
