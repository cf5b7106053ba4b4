using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Odyssey.WebRtc.Ice;

/// <summary>
/// A parsed, validated view over one STUN message (RFC 8489); it copies nothing, so it lives only as
/// long as the span it was parsed from. Parsing checks the header, every attribute's framing and the
/// shape of every attribute ICE reads, so the typed getters below never fail afterwards.
/// </summary>
internal readonly ref struct StunMessage
{
    private readonly int _integrityOffset;
    private readonly int _fingerprintOffset;

    private StunMessage(ReadOnlySpan<byte> buffer, int integrityOffset, int fingerprintOffset)
    {
        Buffer = buffer;
        _integrityOffset = integrityOffset;
        _fingerprintOffset = fingerprintOffset;
    }

    /// <summary>The whole message, header included.</summary>
    public ReadOnlySpan<byte> Buffer { get; }

    public ushort MessageType => BinaryPrimitives.ReadUInt16BigEndian(Buffer);

    public ushort Method => Stun.MethodOf(MessageType);

    public StunClass Class => Stun.ClassOf(MessageType);

    public ReadOnlySpan<byte> TransactionId => Buffer.Slice(8, Stun.TransactionIdLength);

    public bool HasMessageIntegrity => _integrityOffset >= 0;

    public bool HasFingerprint => _fingerprintOffset >= 0;

    /// <summary>Parses and validates; throws <see cref="StunParseException"/> naming the field and offset.</summary>
    public static StunMessage Parse(ReadOnlySpan<byte> datagram)
    {
        var error = TryParseCore(datagram, out var message);
        if (error.Field is not null)
        {
            throw new StunParseException(error.Field, error.Offset, error.Reason!);
        }

        return message;
    }

    /// <summary>Parses without throwing, for the receive path where garbage is expected and is only counted.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out StunMessage message) =>
        TryParseCore(datagram, out message).Field is null;

    public bool TryGetAttribute(ushort type, out ReadOnlySpan<byte> value)
    {
        // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored.
        var end = _integrityOffset >= 0 ? _integrityOffset + 4 + Stun.MessageIntegrityLength : Buffer.Length;
        var offset = Stun.HeaderLength;
        while (offset + 4 <= end)
        {
            var attributeType = BinaryPrimitives.ReadUInt16BigEndian(Buffer[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(Buffer[(offset + 2)..]);
            if (attributeType == type)
            {
                value = Buffer.Slice(offset + 4, length);
                return true;
            }

            offset += 4 + Stun.Padded(length);
        }

        value = default;
        return false;
    }

    public bool Has(ushort type) => TryGetAttribute(type, out _);

    /// <summary>
    /// Copies into <paramref name="into"/> the comprehension-required attributes (type below 0x8000,
    /// RFC 8489 §14) that are not in <paramref name="known"/>; returns how many were found.
    /// </summary>
    public int FindUnknownRequired(ReadOnlySpan<ushort> known, Span<ushort> into)
    {
        var count = 0;
        var offset = Stun.HeaderLength;
        while (offset + 4 <= Buffer.Length)
        {
            var attributeType = BinaryPrimitives.ReadUInt16BigEndian(Buffer[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(Buffer[(offset + 2)..]);
            if (attributeType < 0x8000 && !known.Contains(attributeType) && count < into.Length)
            {
                into[count++] = attributeType;
            }

            offset += 4 + Stun.Padded(length);
        }

        return count;
    }

    public string? Username => TryGetAttribute(Stun.Username, out var value) ? Encoding.UTF8.GetString(value) : null;

    /// <summary>True when USERNAME begins with <paramref name="prefix"/> (ASCII), compared without allocating.</summary>
    public bool UsernameStartsWith(ReadOnlySpan<char> prefix)
    {
        if (!TryGetAttribute(Stun.Username, out var value) || value.Length < prefix.Length)
        {
            return false;
        }

        for (var i = 0; i < prefix.Length; i++)
        {
            if (value[i] != prefix[i])
            {
                return false;
            }
        }

        return true;
    }

    public uint? Priority => TryGetAttribute(Stun.Priority, out var value) ? BinaryPrimitives.ReadUInt32BigEndian(value) : null;

    public ulong? IceControlling => TryGetAttribute(Stun.IceControlling, out var value) ? BinaryPrimitives.ReadUInt64BigEndian(value) : null;

    public ulong? IceControlled => TryGetAttribute(Stun.IceControlled, out var value) ? BinaryPrimitives.ReadUInt64BigEndian(value) : null;

    public bool UseCandidate => Has(Stun.UseCandidate);

    public IPEndPoint? XorMappedAddress => TryGetAttribute(Stun.XorMappedAddress, out var value) ? ReadAddress(value, xor: true) : null;

    public IPEndPoint? MappedAddress => TryGetAttribute(Stun.MappedAddress, out var value) ? ReadAddress(value, xor: false) : null;

    public IPEndPoint? XorRelayedAddress => TryGetAttribute(Stun.XorRelayedAddress, out var value) ? ReadAddress(value, xor: true) : null;

    public IPEndPoint? XorPeerAddress => TryGetAttribute(Stun.XorPeerAddress, out var value) ? ReadAddress(value, xor: true) : null;

    /// <summary>LIFETIME in seconds (RFC 8656 §18.2).</summary>
    public uint? Lifetime => TryGetAttribute(Stun.Lifetime, out var value) ? BinaryPrimitives.ReadUInt32BigEndian(value) : null;

    /// <summary>ERROR-CODE as the number (300..699) and the reason phrase.</summary>
    public (int Code, string Reason)? Error
    {
        get
        {
            if (!TryGetAttribute(Stun.ErrorCode, out var value))
            {
                return null;
            }

            return ((value[2] & 0x07) * 100 + value[3], Encoding.UTF8.GetString(value[4..]));
        }
    }

    public ushort[] UnknownAttributes
    {
        get
        {
            if (!TryGetAttribute(Stun.UnknownAttributes, out var value))
            {
                return [];
            }

            var types = new ushort[value.Length / 2];
            for (var i = 0; i < types.Length; i++)
            {
                types[i] = BinaryPrimitives.ReadUInt16BigEndian(value[(2 * i)..]);
            }

            return types;
        }
    }

    /// <summary>
    /// Checks MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 over the message up to the attribute, with the
    /// header length rewritten to end just after it, so a FINGERPRINT added later does not change it.
    /// </summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key)
    {
        if (_integrityOffset < 0)
        {
            return false;
        }

        const int StackLimit = 1024;
        byte[]? rented = null;
        var prefix = _integrityOffset <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(_integrityOffset));
        try
        {
            prefix = prefix[.._integrityOffset];
            Buffer[.._integrityOffset].CopyTo(prefix);
            BinaryPrimitives.WriteUInt16BigEndian(prefix[2..], (ushort)(_integrityOffset + 4 + Stun.MessageIntegrityLength - Stun.HeaderLength));
            Span<byte> mac = stackalloc byte[Stun.MessageIntegrityLength];
            HMACSHA1.HashData(key, prefix, mac);
            return CryptographicOperations.FixedTimeEquals(mac, Buffer.Slice(_integrityOffset + 4, Stun.MessageIntegrityLength));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Checks FINGERPRINT (RFC 8489 §14.7); false when absent.</summary>
    public bool VerifyFingerprint()
    {
        if (_fingerprintOffset < 0)
        {
            return false;
        }

        var expected = StunCrc32.Compute(Buffer[.._fingerprintOffset]) ^ Stun.FingerprintXor;
        return BinaryPrimitives.ReadUInt32BigEndian(Buffer[(_fingerprintOffset + 4)..]) == expected;
    }

    private IPEndPoint ReadAddress(ReadOnlySpan<byte> value, bool xor)
    {
        Span<byte> address = stackalloc byte[value[1] == 1 ? 4 : 16];
        ushort port;
        if (xor)
        {
            port = ReadXor(value, address);
        }
        else
        {
            port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
            value.Slice(4, address.Length).CopyTo(address);
        }

        return new IPEndPoint(new IPAddress(address), port);
    }

    /// <summary>RFC 8489 §14.2: port and address are xor'd with the cookie, IPv6 also with the transaction ID.</summary>
    private ushort ReadXor(ReadOnlySpan<byte> value, Span<byte> address)
    {
        value.Slice(4, address.Length).CopyTo(address);
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, Stun.MagicCookie);
        TransactionId.CopyTo(mask[4..]);
        for (var i = 0; i < address.Length; i++)
        {
            address[i] ^= mask[i];
        }

        return (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (Stun.MagicCookie >> 16));
    }

    private readonly record struct ParseError(string? Field, int Offset, string? Reason);

    private static ParseError TryParseCore(ReadOnlySpan<byte> data, out StunMessage message)
    {
        message = default;
        if (data.Length < Stun.HeaderLength)
        {
            return new("header", 0, $"{data.Length} bytes, shorter than the 20-byte header");
        }

        if ((data[0] & 0xC0) != 0)
        {
            return new("message type", 0, "the two top bits are not zero");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if ((length & 3) != 0)
        {
            return new("message length", 2, $"{length} is not a multiple of 4");
        }

        if (Stun.HeaderLength + length != data.Length)
        {
            return new("message length", 2, $"header says {length} bytes of attributes, the datagram has {data.Length - Stun.HeaderLength}");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(data[4..]) != Stun.MagicCookie)
        {
            return new("magic cookie", 4, "not 0x2112A442 (an RFC 3489 message or not STUN)");
        }

        var integrity = -1;
        var fingerprint = -1;
        var offset = Stun.HeaderLength;
        while (offset < data.Length)
        {
            if (fingerprint >= 0)
            {
                return new("FINGERPRINT", fingerprint, "is not the last attribute");
            }

            if (offset + 4 > data.Length)
            {
                return new("attribute header", offset, "truncated");
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            if (offset + 4 + Stun.Padded(valueLength) > data.Length)
            {
                return new(AttributeName(type), offset, $"value of {valueLength} bytes runs past the end of the message");
            }

            var value = data.Slice(offset + 4, valueLength);
            var shape = CheckShape(type, value, integrity >= 0);
            if (shape is not null)
            {
                return new(AttributeName(type), offset, shape);
            }

            if (type == Stun.MessageIntegrity && integrity < 0)
            {
                integrity = offset;
            }
            else if (type == Stun.Fingerprint)
            {
                fingerprint = offset;
            }

            offset += 4 + Stun.Padded(valueLength);
        }

        message = new StunMessage(data, integrity, fingerprint);
        return default;
    }

    /// <summary>The shape rule for each attribute ICE reads; null when fine. Unknown attributes pass (the caller decides).</summary>
    private static string? CheckShape(ushort type, ReadOnlySpan<byte> value, bool afterIntegrity)
    {
        if (afterIntegrity && type != Stun.Fingerprint)
        {
            return null; // ignored by RFC 8489 §14.5, so not judged either
        }

        switch (type)
        {
            case Stun.MappedAddress:
            case Stun.XorMappedAddress:
            case Stun.XorPeerAddress:
            case Stun.XorRelayedAddress:
                if (value.Length < 4)
                {
                    return $"{value.Length} bytes, shorter than family and port";
                }

                return (value[1], value.Length) switch
                {
                    (1, 8) or (2, 20) => null,
                    (1 or 2, _) => $"{value.Length} bytes do not match address family {value[1]}",
                    _ => $"unknown address family {value[1]}",
                };
            case Stun.Username:
                return value.Length > Stun.MaxUsernameBytes ? $"{value.Length} bytes, longer than {Stun.MaxUsernameBytes}" : null;
            case Stun.MessageIntegrity:
                return value.Length == Stun.MessageIntegrityLength ? null : $"{value.Length} bytes, not 20";
            case Stun.Realm:
            case Stun.Nonce:
                return value.Length > Stun.MaxRealmOrNonceBytes ? $"{value.Length} bytes, longer than {Stun.MaxRealmOrNonceBytes}" : null;
            case Stun.Fingerprint:
            case Stun.Priority:
            case Stun.Lifetime:
            case Stun.ChannelNumber:
            case Stun.RequestedTransport:
                return value.Length == 4 ? null : $"{value.Length} bytes, not 4";
            case Stun.IceControlled:
            case Stun.IceControlling:
                return value.Length == 8 ? null : $"{value.Length} bytes, not 8";
            case Stun.UseCandidate:
                return value.Length == 0 ? null : $"{value.Length} bytes, not empty";
            case Stun.ErrorCode:
                if (value.Length < 4)
                {
                    return $"{value.Length} bytes, shorter than class and number";
                }

                var errorClass = value[2] & 0x07;
                return errorClass is < 3 or > 6 || value[3] > 99 ? $"class {errorClass} number {value[3]} is outside 300..699" : null;
            case Stun.UnknownAttributes:
                return (value.Length & 1) == 0 ? null : $"{value.Length} bytes, not a whole number of 16-bit types";
            default:
                return null;
        }
    }

    private static string AttributeName(ushort type) => type switch
    {
        Stun.MappedAddress => "MAPPED-ADDRESS",
        Stun.Username => "USERNAME",
        Stun.MessageIntegrity => "MESSAGE-INTEGRITY",
        Stun.ErrorCode => "ERROR-CODE",
        Stun.UnknownAttributes => "UNKNOWN-ATTRIBUTES",
        Stun.XorMappedAddress => "XOR-MAPPED-ADDRESS",
        Stun.Priority => "PRIORITY",
        Stun.UseCandidate => "USE-CANDIDATE",
        Stun.Software => "SOFTWARE",
        Stun.Fingerprint => "FINGERPRINT",
        Stun.IceControlled => "ICE-CONTROLLED",
        Stun.IceControlling => "ICE-CONTROLLING",
        Stun.ChannelNumber => "CHANNEL-NUMBER",
        Stun.Lifetime => "LIFETIME",
        Stun.XorPeerAddress => "XOR-PEER-ADDRESS",
        Stun.Data => "DATA",
        Stun.Realm => "REALM",
        Stun.Nonce => "NONCE",
        Stun.XorRelayedAddress => "XOR-RELAYED-ADDRESS",
        Stun.RequestedTransport => "REQUESTED-TRANSPORT",
        _ => "attribute",
    };
}
