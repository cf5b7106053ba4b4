namespace Odyssey.WebRtc.Sctp;

/// <summary>SCTP chunk types used by WebRTC data channels (RFC 9260 §3.2, RFC 3758, RFC 6525).</summary>
public static class SctpChunkType
{
    /// <summary>Payload data.</summary>
    public const byte Data = 0;

    /// <summary>Initiation.</summary>
    public const byte Init = 1;

    /// <summary>Initiation acknowledgement.</summary>
    public const byte InitAck = 2;

    /// <summary>Selective acknowledgement.</summary>
    public const byte Sack = 3;

    /// <summary>Heartbeat request.</summary>
    public const byte Heartbeat = 4;

    /// <summary>Heartbeat acknowledgement.</summary>
    public const byte HeartbeatAck = 5;

    /// <summary>Abort.</summary>
    public const byte Abort = 6;

    /// <summary>Shutdown.</summary>
    public const byte Shutdown = 7;

    /// <summary>Shutdown acknowledgement.</summary>
    public const byte ShutdownAck = 8;

    /// <summary>Operation error.</summary>
    public const byte Error = 9;

    /// <summary>State cookie echo.</summary>
    public const byte CookieEcho = 10;

    /// <summary>Cookie acknowledgement.</summary>
    public const byte CookieAck = 11;

    /// <summary>Shutdown complete.</summary>
    public const byte ShutdownComplete = 14;

    /// <summary>Stream re-configuration (RFC 6525).</summary>
    public const byte ReConfig = 130;

    /// <summary>Forward cumulative TSN (RFC 3758).</summary>
    public const byte ForwardTsn = 192;
}

/// <summary>SCTP parameter types used here (RFC 9260 §3.3.2, RFC 3758, RFC 5061, RFC 6525).</summary>
public static class SctpParameterType
{
    /// <summary>Heartbeat info inside HEARTBEAT / HEARTBEAT-ACK.</summary>
    public const ushort HeartbeatInfo = 1;

    /// <summary>State cookie inside INIT-ACK.</summary>
    public const ushort StateCookie = 7;

    /// <summary>Outgoing SSN reset request (RFC 6525 §4.1).</summary>
    public const ushort OutgoingSsnResetRequest = 13;

    /// <summary>Incoming SSN reset request (RFC 6525 §4.2).</summary>
    public const ushort IncomingSsnResetRequest = 14;

    /// <summary>Re-configuration response (RFC 6525 §4.4).</summary>
    public const ushort ReConfigResponse = 16;

    /// <summary>Supported extensions: a list of chunk types (RFC 5061 §4.2.7).</summary>
    public const ushort SupportedExtensions = 0x8008;

    /// <summary>Forward-TSN supported (RFC 3758 §3.1).</summary>
    public const ushort ForwardTsnSupported = 0xC000;
}

/// <summary>
/// What a receiver does with a chunk or parameter type it does not know: the type's upper two bits
/// (RFC 9260 §3.2 and §3.2.1).
/// </summary>
public enum SctpUnknownAction
{
    /// <summary>00: stop processing this packet, discard it.</summary>
    Stop = 0,

    /// <summary>01: stop processing and report it in an ERROR (or INIT-ACK).</summary>
    StopAndReport = 1,

    /// <summary>10: skip it and continue.</summary>
    Skip = 2,

    /// <summary>11: skip it, continue, and report it.</summary>
    SkipAndReport = 3,
}
