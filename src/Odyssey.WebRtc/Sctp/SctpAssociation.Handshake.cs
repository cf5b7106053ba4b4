using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Odyssey.WebRtc.Sctp;

/// <summary>Association set-up (RFC 9260 §5): INIT, INIT-ACK with a signed state cookie, COOKIE-ECHO, COOKIE-ACK.</summary>
internal sealed partial class SctpAssociation
{
    // Cookie layout: peer tag, our tag, peer initial TSN, peer a_rwnd, peer OS, peer MIS, extension flags, 3 spare, timestamp, HMAC-SHA256.
    private const int CookieMacOffset = 32;
    private const int CookieSize = CookieMacOffset + 32;
    private const byte ExtensionForwardTsn = 1;
    private const byte ExtensionReConfig = 2;

    // RFC 9260 §16: Valid.Cookie.Life 60 s.
    private static readonly TimeSpan CookieLifetime = TimeSpan.FromSeconds(60);

    private readonly byte[] _cookieKey = new byte[32];
    private readonly uint _localTag;
    private readonly uint _initialTsn;
    private uint _peerTag;
    private ushort _outboundStreams = StreamCount;
    private ushort _inboundStreams = StreamCount;
    private bool _peerForwardTsn;
    private bool _peerReConfig;
    private int _initRetransmissions;
    private long _t1Rto;
    private byte[]? _cookieEcho;

    // RFC 5061 §4.2.7 Supported Extensions as aiortc and Chromium announce them: RE-CONFIG and FORWARD-TSN.
    private static ReadOnlySpan<byte> SupportedExtensions => [SctpChunkType.ReConfig, SctpChunkType.ForwardTsn];

    // An association is used once: after SHUTDOWN or ABORT its TSNs and tags are spent (WebRTC opens a new DTLS session).
    private bool Finished => _state == SctpAssociationState.Aborted || (_state == SctpAssociationState.Closed && _established.Task.IsCompleted);

    private void SendInitLocked()
    {
        // RFC 9260 §8.5.1: an INIT carries verification tag 0.
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, 0);
        writer.WriteInit(false, _localTag, _options.ReceiveWindow, StreamCount, StreamCount, _initialTsn, default, true, SupportedExtensions);
        SendLocked(ref writer);
    }

    private void HandleInitLocked(in SctpChunk chunk, bool alone, uint verificationTag)
    {
        var init = SctpInitChunk.Read(chunk);

        // RFC 9260 §8.5.1 and §3.3.2: INIT is alone in its packet, with tag 0, and its initiate tag is never 0.
        if (!alone || verificationTag != 0 || init.InitiateTag == 0 || Finished)
        {
            _chunksDropped++;
            return;
        }

        // §5.2.1 and §5.2.2: in every state answer with our own tag and initial TSN; with a fixed local tag an
        // INIT collision (both sides in COOKIE-WAIT) ends with both sides accepting each other's cookie.
        Span<byte> cookie = stackalloc byte[CookieSize];
        BinaryPrimitives.WriteUInt32BigEndian(cookie, init.InitiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(cookie[4..], _localTag);
        BinaryPrimitives.WriteUInt32BigEndian(cookie[8..], init.InitialTsn);
        BinaryPrimitives.WriteUInt32BigEndian(cookie[12..], init.AdvertisedWindow);
        BinaryPrimitives.WriteUInt16BigEndian(cookie[16..], init.OutboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(cookie[18..], init.InboundStreams);
        cookie[20] = ExtensionFlags(init);
        cookie[21] = cookie[22] = cookie[23] = 0;
        BinaryPrimitives.WriteInt64BigEndian(cookie[24..], Now);
        HMACSHA256.HashData(_cookieKey, cookie[..CookieMacOffset], cookie[CookieMacOffset..]);

        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, init.InitiateTag);
        writer.WriteInit(true, _localTag, _options.ReceiveWindow, StreamCount, StreamCount, _initialTsn, cookie, true, SupportedExtensions);
        SendLocked(ref writer);
    }

    private void HandleInitAckLocked(in SctpChunk chunk)
    {
        var initAck = SctpInitChunk.Read(chunk);
        if (_state != SctpAssociationState.CookieWait || initAck.InitiateTag == 0 || !initAck.TryGetStateCookie(out var cookie) || cookie.IsEmpty)
        {
            // §5.2.3: an INIT-ACK outside COOKIE-WAIT is discarded.
            _chunksDropped++;
            return;
        }

        AdoptPeerLocked(initAck.InitiateTag, initAck.InitialTsn, initAck.AdvertisedWindow, initAck.OutboundStreams, initAck.InboundStreams, ExtensionFlags(initAck));
        _cookieEcho = cookie.ToArray();
        SetStateLocked(SctpAssociationState.CookieEchoed);
        _initRetransmissions = 0;
        SendCookieEchoLocked();
        ArmLocked(TimerSlot.T1, Now + _t1Rto);
    }

    private void SendCookieEchoLocked()
    {
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        writer.WriteChunk(SctpChunkType.CookieEcho, 0, _cookieEcho);
        SendLocked(ref writer);
    }

    private void HandleCookieEchoLocked(in SctpChunk chunk)
    {
        var cookie = chunk.Value;
        Span<byte> mac = stackalloc byte[32];
        if (cookie.Length != CookieSize
            || HMACSHA256.HashData(_cookieKey, cookie[..CookieMacOffset], mac) != mac.Length
            || !CryptographicOperations.FixedTimeEquals(mac, cookie[CookieMacOffset..])
            || BinaryPrimitives.ReadUInt32BigEndian(cookie[4..]) != _localTag
            || Now - BinaryPrimitives.ReadInt64BigEndian(cookie[24..]) > CookieLifetime.Ticks)
        {
            // A forged, foreign or stale cookie (§5.1.5): drop it; the peer's T1 retries with a fresh INIT.
            _chunksDropped++;
            return;
        }

        var peerTag = BinaryPrimitives.ReadUInt32BigEndian(cookie);
        switch (_state)
        {
            case SctpAssociationState.Closed when !Finished:
            case SctpAssociationState.CookieWait:
            case SctpAssociationState.CookieEchoed:
                // §5.2.4 case D in COOKIE-ECHOED: both tags match, the collision resolves to ESTABLISHED.
                AdoptPeerLocked(peerTag, BinaryPrimitives.ReadUInt32BigEndian(cookie[8..]), BinaryPrimitives.ReadUInt32BigEndian(cookie[12..]),
                    BinaryPrimitives.ReadUInt16BigEndian(cookie[16..]), BinaryPrimitives.ReadUInt16BigEndian(cookie[18..]), cookie[20]);
                EnterEstablishedLocked();
                break;
            case SctpAssociationState.Established:
            case SctpAssociationState.ShuttingDown:
                if (peerTag != _peerTag)
                {
                    // A peer restart (§5.2.4 case A) is not supported: WebRTC peers open a new DTLS session instead.
                    _chunksDropped++;
                    return;
                }

                break;
            default:
                _chunksDropped++;
                return;
        }

        // Our COOKIE-ACK may have been lost: answer every valid echo.
        var writer = new SctpPacketWriter(_packet, _options.LocalPort, _options.RemotePort, _peerTag);
        writer.WriteChunk(SctpChunkType.CookieAck, 0, default);
        SendLocked(ref writer);
    }

    private void HandleCookieAckLocked()
    {
        if (_state == SctpAssociationState.CookieEchoed)
        {
            EnterEstablishedLocked();
        }
    }

    private void EnterEstablishedLocked()
    {
        DisarmLocked(TimerSlot.T1);
        _cookieEcho = null;
        _errorCount = 0;
        SetStateLocked(SctpAssociationState.Established);
        ArmLocked(TimerSlot.Heartbeat, Now + _options.HeartbeatInterval.Ticks + _rto);
    }

    private void AdoptPeerLocked(uint peerTag, uint peerInitialTsn, uint peerWindow, ushort peerOutbound, ushort peerInbound, byte extensions)
    {
        _peerTag = peerTag;
        _cumulativeTsn = peerInitialTsn - 1;
        _peerReconfigExpected = peerInitialTsn;
        _peerRwnd = peerWindow;
        _ssthresh = peerWindow;
        _outboundStreams = Math.Min(StreamCount, peerInbound);
        _inboundStreams = Math.Min(StreamCount, peerOutbound);
        _peerForwardTsn = (extensions & ExtensionForwardTsn) != 0;
        _peerReConfig = (extensions & ExtensionReConfig) != 0;
    }

    private static byte ExtensionFlags(in SctpInitChunk init)
    {
        var flags = init.ForwardTsnSupported ? ExtensionForwardTsn : (byte)0;
        if (init.TryGetSupportedExtensions(out var types))
        {
            if (types.Contains(SctpChunkType.ForwardTsn))
            {
                flags |= ExtensionForwardTsn;
            }

            if (types.Contains(SctpChunkType.ReConfig))
            {
                flags |= ExtensionReConfig;
            }
        }

        return flags;
    }

    private void OnT1Locked(long now)
    {
        if (_state is not (SctpAssociationState.CookieWait or SctpAssociationState.CookieEchoed))
        {
            return;
        }

        if (++_initRetransmissions > _options.MaxInitRetransmissions)
        {
            FailLocked($"no answer to {(_state == SctpAssociationState.CookieWait ? "INIT" : "COOKIE-ECHO")} after {_options.MaxInitRetransmissions} retransmissions");
            return;
        }

        // §6.3.3 rule E2 applies to T1 as well: back off.
        _t1Rto = Math.Min(_t1Rto * 2, _options.RtoMax.Ticks);
        if (_state == SctpAssociationState.CookieWait)
        {
            SendInitLocked();
        }
        else
        {
            SendCookieEchoLocked();
        }

        ArmLocked(TimerSlot.T1, now + _t1Rto);
    }

    private void SendLocked(ref SctpPacketWriter writer)
    {
        var length = writer.Finish();
        _packetsSent++;
        try
        {
            _sendPacket(_packet.AsSpan(0, length));
        }
#pragma warning disable CA1031 // The callback runs under our lock, often on the timer thread: whatever it throws, the packet is lost and retransmission repairs it.
        catch (Exception)
#pragma warning restore CA1031
        {
            _sendFailures++;
        }
    }
}
