namespace Odyssey.WebRtc.Ice;

/// <summary>The class bits of a STUN message type (RFC 8489 §5).</summary>
internal enum StunClass
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}

/// <summary>STUN wire constants shared by the reader and the writer; one place for the numbers.</summary>
internal static class Stun
{
    public const int HeaderLength = 20;
    public const int TransactionIdLength = 12;
    public const uint MagicCookie = 0x2112A442;

    /// <summary>RFC 8489 §14.7: CRC-32 of the message xor this, so a STUN fingerprint never equals a plain CRC of other protocols.</summary>
    public const uint FingerprintXor = 0x5354554E;

    public const int MessageIntegrityLength = 20;
    public const int FingerprintLength = 4;

    /// <summary>RFC 8489 §14.3: a USERNAME value is under 513 bytes.</summary>
    public const int MaxUsernameBytes = 512;

    public const ushort BindingMethod = 0x001;

    // TURN methods (RFC 8656 §17).
    public const ushort AllocateMethod = 0x003;
    public const ushort RefreshMethod = 0x004;
    public const ushort SendMethod = 0x006;
    public const ushort DataMethod = 0x007;
    public const ushort CreatePermissionMethod = 0x008;
    public const ushort ChannelBindMethod = 0x009;

    // Attribute types (RFC 8489 §18.3, RFC 8445 §16.1).
    public const ushort MappedAddress = 0x0001;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort ChannelNumber = 0x000C;
    public const ushort Lifetime = 0x000D;
    public const ushort XorPeerAddress = 0x0012;
    public const ushort Data = 0x0013;
    public const ushort Realm = 0x0014;
    public const ushort Nonce = 0x0015;
    public const ushort XorRelayedAddress = 0x0016;
    public const ushort RequestedTransport = 0x0019;
    public const ushort Priority = 0x0024;
    public const ushort UseCandidate = 0x0025;
    public const ushort Software = 0x8022;
    public const ushort Fingerprint = 0x8028;
    public const ushort IceControlled = 0x8029;
    public const ushort IceControlling = 0x802A;

    // Error codes used by ICE (RFC 8489 §14.8, RFC 8445 §7.3.1.1).
    public const int BadRequest = 400;
    public const int Unauthorized = 401;
    public const int UnknownAttribute = 420;
    public const int RoleConflict = 487;

    // Error codes of long-term credentials and TURN (RFC 8489 §9.2, RFC 8656 §18).
    public const int Forbidden = 403;
    public const int AllocationMismatch = 437;
    public const int StaleNonce = 438;
    public const int InsufficientCapacity = 508;

    /// <summary>RFC 8489 §14.9/§14.10: REALM and NONCE values are under 764 bytes.</summary>
    public const int MaxRealmOrNonceBytes = 763;

    /// <summary>Interleaves the 12 method bits with the 2 class bits (RFC 8489 §5, figure 3).</summary>
    public static ushort MessageType(ushort method, StunClass stunClass)
    {
        var c = (int)stunClass;
        return (ushort)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
    }

    public static ushort MethodOf(ushort messageType) =>
        (ushort)((messageType & 0x000F) | ((messageType & 0x00E0) >> 1) | ((messageType & 0x3E00) >> 2));

    public static StunClass ClassOf(ushort messageType) =>
        (StunClass)(((messageType >> 4) & 1) | ((messageType >> 7) & 2));

    /// <summary>RFC 7983 §7: a datagram whose first byte is 0..3 is STUN; DTLS, RTP and the rest have other first bytes.</summary>
    public static bool LooksLikeStun(ReadOnlySpan<byte> datagram) => datagram.Length >= HeaderLength && datagram[0] < 4;

    public static int Padded(int length) => (length + 3) & ~3;
}
