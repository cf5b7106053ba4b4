using System.Buffers.Binary;

namespace Odyssey.WebRtc.Srtp;

/// <summary>
/// SRTP and SRTCP (RFC 3711, RFC 7714) for one direction of one association: a context made from
/// the local master key protects what we send, one made from the remote key unprotects what we
/// receive. Keeps per-SSRC rollover counters, SRTCP indices and replay windows.
/// </summary>
/// <remarks>
/// All operations work in place on the caller's buffer and allocate nothing once a stream is known.
/// Rejections are returned as <see cref="SrtpError"/> values and counted in <see cref="Statistics"/>;
/// no input makes these methods throw. After a rejection the buffer's contents are unspecified.
/// Calls are serialised by an internal lock, so RTP and RTCP may be processed from different threads.
/// </remarks>
public sealed class SrtpContext : IDisposable
{
    private const int RtpFixedHeader = 12;
    private const int RtpVersion = 2;

    private readonly Lock _gate = new();
    private readonly SrtpCipher _cipher;
    private readonly SrtpOptions _options;
    private readonly Dictionary<uint, Stream> _rtpStreams = [];
    private readonly Dictionary<uint, Stream> _rtcpStreams = [];
    private bool _disposed;

    private long _protected;
    private long _unprotected;
    private long _authenticationFailures;
    private long _replayed;
    private long _tooOld;
    private long _malformed;
    private long _tooManyStreams;

    /// <summary>Creates a context from a master key (RFC 5764: the local key to send, the remote key to receive).</summary>
    public SrtpContext(SrtpMasterKey masterKey, SrtpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(masterKey);
        _options = options ?? new SrtpOptions();
        _options.Validate();
        Profile = masterKey.Profile;
        _cipher = SrtpCipher.Create(masterKey);
    }

    /// <summary>The protection profile.</summary>
    public SrtpProfile Profile { get; }

    /// <summary>Bytes <see cref="ProtectRtp"/> appends; the buffer must have this much room past the packet.</summary>
    public int RtpOverhead => _cipher.TagLength;

    /// <summary>Bytes <see cref="ProtectRtcp"/> appends.</summary>
    public int RtcpOverhead => _cipher.TagLength + 4;

    /// <summary>A snapshot of the counters.</summary>
    public SrtpStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new SrtpStatistics
                {
                    Protected = _protected,
                    Unprotected = _unprotected,
                    AuthenticationFailures = _authenticationFailures,
                    Replayed = _replayed,
                    TooOld = _tooOld,
                    Malformed = _malformed,
                    TooManyStreams = _tooManyStreams,
                };
            }
        }
    }

    /// <summary>
    /// Encrypts the RTP packet in buffer[..length] and appends its tag. The buffer must extend
    /// <see cref="RtpOverhead"/> bytes past the packet.
    /// </summary>
    public SrtpError ProtectRtp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if ((uint)length > (uint)buffer.Length)
        {
            return SrtpError.BufferTooSmall;
        }

        SrtpError error = ParseRtpHeader(buffer[..length], out int headerLength);
        if (error != SrtpError.None)
        {
            return error;
        }

        if (buffer.Length - length < _cipher.TagLength)
        {
            return SrtpError.BufferTooSmall;
        }

        if (length - headerLength > AesCounterMode.MaxLength)
        {
            return SrtpError.MalformedHeader;
        }

        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Stream? stream = GetOrAddStream(_rtpStreams, ssrc, _options.RtpReplayWindow);
            if (stream is null)
            {
                return SrtpError.TooManyStreams;
            }

            error = EstimateIndex(stream.Window, sequence, out ulong index);
            if (error == SrtpError.TooOld)
            {
                // A sender may resend a packet from before a wrap it has already passed; only a true
                // exhaustion of the 48-bit index is an error here.
                index = sequence;
            }
            else if (error != SrtpError.None)
            {
                return error;
            }

            stream.Window.Accept(index);
            _cipher.ProtectRtp(buffer, headerLength, length, ssrc, index);
            _protected++;
        }

        protectedLength = length + _cipher.TagLength;
        return SrtpError.None;
    }

    /// <summary>
    /// Authenticates and decrypts the SRTP packet in place; on success <paramref name="length"/> is the
    /// plain RTP packet's length (the tag stripped).
    /// </summary>
    public SrtpError UnprotectRtp(Span<byte> packet, out int length)
    {
        length = 0;
        int tag = _cipher.TagLength;
        if (packet.Length < RtpFixedHeader + tag)
        {
            return Count(SrtpError.TooShort);
        }

        int rtpLength = packet.Length - tag;
        SrtpError error = ParseRtpHeader(packet[..rtpLength], out int headerLength);
        if (error != SrtpError.None)
        {
            return Count(error);
        }

        if (rtpLength - headerLength > AesCounterMode.MaxLength)
        {
            return Count(SrtpError.MalformedHeader);
        }

        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ulong index = sequence;
            _rtpStreams.TryGetValue(ssrc, out Stream? stream);
            if (stream is not null)
            {
                error = EstimateIndex(stream.Window, sequence, out index);
                if (error == SrtpError.None)
                {
                    error = stream.Window.Check(index);
                }

                if (error != SrtpError.None)
                {
                    return CountLocked(error);
                }
            }

            if (!_cipher.UnprotectRtp(packet, headerLength, rtpLength, ssrc, index))
            {
                return CountLocked(SrtpError.AuthenticationFailed);
            }

            stream ??= GetOrAddStream(_rtpStreams, ssrc, _options.RtpReplayWindow);
            if (stream is null)
            {
                return CountLocked(SrtpError.TooManyStreams);
            }

            stream.Window.Accept(index);
            _unprotected++;
        }

        length = rtpLength;
        return SrtpError.None;
    }

    /// <summary>
    /// Encrypts the (compound) RTCP packet in buffer[..length] and appends the E+index word and the tag.
    /// The buffer must extend <see cref="RtcpOverhead"/> bytes past the packet.
    /// </summary>
    public SrtpError ProtectRtcp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if ((uint)length > (uint)buffer.Length)
        {
            return SrtpError.BufferTooSmall;
        }

        if (length < SrtpCipher.RtcpClearHeader)
        {
            return SrtpError.TooShort;
        }

        if (buffer[0] >> 6 != RtpVersion || length - SrtpCipher.RtcpClearHeader > AesCounterMode.MaxLength)
        {
            return SrtpError.MalformedHeader;
        }

        if (buffer.Length - length < RtcpOverhead)
        {
            return SrtpError.BufferTooSmall;
        }

        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Stream? stream = GetOrAddStream(_rtcpStreams, ssrc, _options.RtcpReplayWindow);
            if (stream is null)
            {
                return SrtpError.TooManyStreams;
            }

            uint index = stream.NextRtcpIndex;
            if (index > MaxRtcpIndex)
            {
                return SrtpError.IndexExhausted;
            }

            stream.NextRtcpIndex = index + 1;
            protectedLength = _cipher.ProtectRtcp(buffer, length, ssrc, index);
            _protected++;
        }

        return SrtpError.None;
    }

    /// <summary>Authenticates and decrypts an SRTCP packet in place; <paramref name="length"/> is the plain RTCP length.</summary>
    public SrtpError UnprotectRtcp(Span<byte> packet, out int length)
    {
        length = 0;
        if (packet.Length < SrtpCipher.RtcpClearHeader + RtcpOverhead)
        {
            return Count(SrtpError.TooShort);
        }

        if (packet[0] >> 6 != RtpVersion || packet.Length - SrtpCipher.RtcpClearHeader > AesCounterMode.MaxLength)
        {
            return Count(SrtpError.MalformedHeader);
        }

        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        uint indexWord = BinaryPrimitives.ReadUInt32BigEndian(packet[^_cipher.RtcpIndexOffsetFromEnd..]);
        ulong index = indexWord & MaxRtcpIndex;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _rtcpStreams.TryGetValue(ssrc, out Stream? stream);
            if (stream is not null)
            {
                SrtpError error = stream.Window.Check(index);
                if (error != SrtpError.None)
                {
                    return CountLocked(error);
                }
            }

            if (!_cipher.UnprotectRtcp(packet, packet.Length, ssrc, indexWord, out int plainLength))
            {
                return CountLocked(SrtpError.AuthenticationFailed);
            }

            stream ??= GetOrAddStream(_rtcpStreams, ssrc, _options.RtcpReplayWindow);
            if (stream is null)
            {
                return CountLocked(SrtpError.TooManyStreams);
            }

            stream.Window.Accept(index);
            _unprotected++;
            length = plainLength;
        }

        return SrtpError.None;
    }

    /// <summary>Releases the AES/HMAC state.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _cipher.Dispose();
        }
    }

    /// <summary>
    /// Forgets the replay state of every known stream without freeing it, so a benchmark can feed the
    /// same protected packets again and still measure the accepting path. Not for protocol use.
    /// </summary>
    internal void ResetReplayWindows()
    {
        lock (_gate)
        {
            foreach (Stream stream in _rtpStreams.Values)
            {
                stream.Window.Reset();
            }

            foreach (Stream stream in _rtcpStreams.Values)
            {
                stream.Window.Reset();
            }
        }
    }

    private const uint MaxRtcpIndex = 0x7FFF_FFFF;

    /// <summary>Finds where the payload starts: fixed header, CSRCs, then the optional extension (RFC 3550 §5.3.1).</summary>
    private static SrtpError ParseRtpHeader(ReadOnlySpan<byte> packet, out int headerLength)
    {
        headerLength = 0;
        if (packet.Length < RtpFixedHeader)
        {
            return SrtpError.TooShort;
        }

        if (packet[0] >> 6 != RtpVersion)
        {
            return SrtpError.MalformedHeader;
        }

        int length = RtpFixedHeader + (4 * (packet[0] & 0x0F));
        if ((packet[0] & 0x10) != 0)
        {
            if (length + 4 > packet.Length)
            {
                return SrtpError.MalformedHeader;
            }

            length += 4 + (4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(length + 2)..]));
        }

        if (length > packet.Length)
        {
            return SrtpError.MalformedHeader;
        }

        headerLength = length;
        return SrtpError.None;
    }

    /// <summary>
    /// RFC 3711 §3.3.1 (Appendix A): guess the rollover counter of a sequence number from the highest
    /// index accepted so far, s_l. A first packet starts ROC at 0 (RFC 5764 keys start fresh).
    /// </summary>
    private static SrtpError EstimateIndex(ReplayWindow window, ushort sequence, out ulong index)
    {
        if (!window.HasAccepted)
        {
            index = sequence;
            return SrtpError.None;
        }

        long roc = (long)(window.Highest >> 16);
        int highestSequence = (int)(window.Highest & 0xFFFF);
        long guess;
        if (highestSequence < 32768)
        {
            guess = sequence - highestSequence > 32768 ? roc - 1 : roc;
        }
        else
        {
            guess = highestSequence - 32768 > sequence ? roc + 1 : roc;
        }

        if (guess < 0)
        {
            // From before the first packet seen, across a wrap: cannot be placed, so it is too old.
            index = 0;
            return SrtpError.TooOld;
        }

        if (guess > uint.MaxValue)
        {
            index = 0;
            return SrtpError.IndexExhausted;
        }

        index = ((ulong)guess << 16) | sequence;
        return SrtpError.None;
    }

    private Stream? GetOrAddStream(Dictionary<uint, Stream> streams, uint ssrc, int window)
    {
        if (streams.TryGetValue(ssrc, out Stream? stream))
        {
            return stream;
        }

        if (streams.Count >= _options.MaxStreams)
        {
            return null;
        }

        stream = new Stream(window);
        streams.Add(ssrc, stream);
        return stream;
    }

    private SrtpError Count(SrtpError error)
    {
        lock (_gate)
        {
            return CountLocked(error);
        }
    }

    private SrtpError CountLocked(SrtpError error)
    {
        switch (error)
        {
            case SrtpError.AuthenticationFailed: _authenticationFailures++; break;
            case SrtpError.Replayed: _replayed++; break;
            case SrtpError.TooOld: _tooOld++; break;
            case SrtpError.TooManyStreams: _tooManyStreams++; break;
            case SrtpError.TooShort:
            case SrtpError.MalformedHeader:
            case SrtpError.IndexExhausted:
                _malformed++;
                break;
            default:
                break;
        }

        return error;
    }

    /// <summary>Per-SSRC state: the replay window (whose highest index also carries ROC and s_l) and the next SRTCP index.</summary>
    private sealed class Stream(int window)
    {
        internal ReplayWindow Window { get; } = new(window);

        internal uint NextRtcpIndex { get; set; }
    }
}
