using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Odyssey.WebRtc.Ice;

/// <summary>
/// Builds one STUN message into a caller's buffer (RFC 8489): header first, then attributes in call
/// order, MESSAGE-INTEGRITY and FINGERPRINT last. Writes no heap memory for the fixed-size attributes.
/// </summary>
internal ref struct StunWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public StunWriter(Span<byte> buffer, ushort method, StunClass stunClass, ReadOnlySpan<byte> transactionId)
    {
        if (transactionId.Length != Stun.TransactionIdLength)
        {
            throw new ArgumentException($"a STUN transaction ID is 12 bytes, got {transactionId.Length}", nameof(transactionId));
        }

        _buffer = buffer;
        EnsureRoom(Stun.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, Stun.MessageType(method, stunClass));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], Stun.MagicCookie);
        transactionId.CopyTo(buffer[8..]);
        _length = Stun.HeaderLength;
    }

    /// <summary>Bytes written so far; the message is <c>buffer[..Length]</c>.</summary>
    public readonly int Length => _length;

    public void AddAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        value.CopyTo(Begin(type, value.Length));
        End(value.Length);
    }

    public void AddUsername(string username)
    {
        var byteCount = Encoding.UTF8.GetByteCount(username);
        if (byteCount > Stun.MaxUsernameBytes)
        {
            throw new ArgumentException($"USERNAME of {byteCount} bytes is longer than {Stun.MaxUsernameBytes}", nameof(username));
        }

        Encoding.UTF8.GetBytes(username, Begin(Stun.Username, byteCount));
        End(byteCount);
    }

    public void AddPriority(uint priority)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Begin(Stun.Priority, 4), priority);
        End(4);
    }

    public void AddUseCandidate()
    {
        Begin(Stun.UseCandidate, 0);
        End(0);
    }

    public void AddIceControlling(ulong tieBreaker) => AddTieBreaker(Stun.IceControlling, tieBreaker);

    public void AddIceControlled(ulong tieBreaker) => AddTieBreaker(Stun.IceControlled, tieBreaker);

    public void AddXorMappedAddress(IPEndPoint endPoint) => AddAddress(Stun.XorMappedAddress, endPoint, xor: true);

    public void AddMappedAddress(IPEndPoint endPoint) => AddAddress(Stun.MappedAddress, endPoint, xor: false);

    public void AddXorPeerAddress(IPEndPoint endPoint) => AddAddress(Stun.XorPeerAddress, endPoint, xor: true);

    public void AddXorRelayedAddress(IPEndPoint endPoint) => AddAddress(Stun.XorRelayedAddress, endPoint, xor: true);

    /// <summary>REALM or NONCE echoed back exactly as the server sent them (RFC 8489 §9.2.3).</summary>
    public void AddRealmOrNonce(ushort type, ReadOnlySpan<byte> value)
    {
        if (value.Length > Stun.MaxRealmOrNonceBytes)
        {
            throw new ArgumentException($"attribute 0x{type:X4} of {value.Length} bytes is longer than {Stun.MaxRealmOrNonceBytes}", nameof(value));
        }

        AddAttribute(type, value);
    }

    /// <summary>RFC 8656 §18.7: the protocol number in the first byte, then three RFFU bytes.</summary>
    public void AddRequestedTransport(byte protocol)
    {
        var value = Begin(Stun.RequestedTransport, 4);
        value.Clear();
        value[0] = protocol;
        End(4);
    }

    /// <summary>RFC 8656 §18.2: seconds; 0 in a Refresh deletes the allocation.</summary>
    public void AddLifetime(uint seconds)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Begin(Stun.Lifetime, 4), seconds);
        End(4);
    }

    /// <summary>RFC 8656 §18.1: the channel number, then two RFFU bytes.</summary>
    public void AddChannelNumber(ushort channel)
    {
        var value = Begin(Stun.ChannelNumber, 4);
        BinaryPrimitives.WriteUInt16BigEndian(value, channel);
        value[2] = 0;
        value[3] = 0;
        End(4);
    }

    public void AddErrorCode(int code, string reason)
    {
        if (code is < 300 or > 699)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "a STUN error code is 300..699");
        }

        var reasonBytes = Encoding.UTF8.GetByteCount(reason);
        var value = Begin(Stun.ErrorCode, 4 + reasonBytes);
        value[0] = 0;
        value[1] = 0;
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, value[4..]);
        End(4 + reasonBytes);
    }

    public void AddUnknownAttributes(ReadOnlySpan<ushort> types)
    {
        var value = Begin(Stun.UnknownAttributes, 2 * types.Length);
        for (var i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value[(2 * i)..], types[i]);
        }

        End(2 * types.Length);
    }

    /// <summary>HMAC-SHA1 keyed with <paramref name="key"/> (the ICE password's UTF-8 bytes for short-term credentials).</summary>
    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        var start = _length;
        var value = Begin(Stun.MessageIntegrity, Stun.MessageIntegrityLength);
        // RFC 8489 §14.5: the length field covers the attribute itself while hashing.
        SetHeaderLength(start + 4 + Stun.MessageIntegrityLength);
        HMACSHA1.HashData(key, _buffer[..start], value);
        End(Stun.MessageIntegrityLength);
    }

    public void AddFingerprint()
    {
        var start = _length;
        var value = Begin(Stun.Fingerprint, Stun.FingerprintLength);
        SetHeaderLength(start + 4 + Stun.FingerprintLength);
        BinaryPrimitives.WriteUInt32BigEndian(value, StunCrc32.Compute(_buffer[..start]) ^ Stun.FingerprintXor);
        End(Stun.FingerprintLength);
    }

    private void AddTieBreaker(ushort type, ulong tieBreaker)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Begin(type, 8), tieBreaker);
        End(8);
    }

    private void AddAddress(ushort type, IPEndPoint endPoint, bool xor)
    {
        var ipv4 = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        var addressLength = ipv4 ? 4 : 16;
        var value = Begin(type, 4 + addressLength);
        value[0] = 0;
        value[1] = (byte)(ipv4 ? 1 : 2);
        var port = (ushort)endPoint.Port;
        var address = value.Slice(4, addressLength);
        if (!endPoint.Address.TryWriteBytes(address, out _))
        {
            throw new ArgumentException($"cannot write address {endPoint.Address}", nameof(endPoint));
        }

        if (xor)
        {
            port ^= (ushort)(Stun.MagicCookie >> 16);
            Span<byte> mask = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(mask, Stun.MagicCookie);
            _buffer.Slice(8, Stun.TransactionIdLength).CopyTo(mask[4..]);
            for (var i = 0; i < addressLength; i++)
            {
                address[i] ^= mask[i];
            }
        }

        BinaryPrimitives.WriteUInt16BigEndian(value[2..], port);
        End(4 + addressLength);
    }

    private readonly void SetHeaderLength(int messageEnd) =>
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(messageEnd - Stun.HeaderLength));

    /// <summary>Writes the attribute header and returns the value's room; <see cref="End"/> pads and fixes the header length.</summary>
    private readonly Span<byte> Begin(ushort type, int valueLength)
    {
        if (valueLength > ushort.MaxValue)
        {
            throw new ArgumentException($"attribute 0x{type:X4} value of {valueLength} bytes does not fit a STUN attribute");
        }

        EnsureRoom(4 + Stun.Padded(valueLength));
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
        return _buffer.Slice(_length + 4, valueLength);
    }

    private void End(int valueLength)
    {
        var padded = Stun.Padded(valueLength);
        _buffer.Slice(_length + 4 + valueLength, padded - valueLength).Clear();
        _length += 4 + padded;
        SetHeaderLength(_length);
    }

    private readonly void EnsureRoom(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            throw new ArgumentException($"STUN message needs {_length + bytes} bytes, the buffer has {_buffer.Length}");
        }
    }
}
