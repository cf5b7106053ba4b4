using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Odyssey.Media;
using Odyssey.WebRtc.Payloads;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="RtpSinkBlock"/>.</summary>
public sealed class RtpSinkOptions : IValidatableObject
{
    /// <summary>The first dynamic RTP payload type (RFC 3551 §6): video codecs without a static number use 96–127.</summary>
    public const int FirstDynamicPayloadType = 96;

    /// <summary>The last 7-bit payload type.</summary>
    public const int LastPayloadType = 127;

    /// <summary>Receiver address: an IPv4/IPv6 literal or a host name (resolved once, at start).</summary>
    [Description("Receiver host or address (resolved once at start); RTP goes to host:port, RTCP to host:port+1.")]
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Receiver RTP port; RTCP (sender reports, the closing BYE) goes to the next port (RFC 3550 §11).</summary>
    [Description("Receiver RTP port; RTCP goes to port+1, so pick an even port (RFC 3550 §11).")]
    [Range(1, 65534)]
    public required int Port { get; init; }

    /// <summary>SDP file describing the stream for ffplay, ffmpeg, VLC or gst-launch; written at start.</summary>
    [Description("SDP file to write at start, for players: ffplay -protocol_whitelist file,udp,rtp -i FILE. Relative paths resolve against the working directory.")]
    public string? Sdp { get; init; }

    /// <summary>The codec to announce in the SDP at start; when not given, H.264 until the first packet shows otherwise.</summary>
    [Description("Codec of the stream (h264 or vp8), announced in the SDP at start so a player can open it before packets flow; default: taken from the first packet (the SDP says h264 until then).")]
    public EncodeCodec? Codec { get; init; }

    /// <summary>RTP payload type announced in the SDP.</summary>
    [Description("RTP payload type (dynamic range 96-127).")]
    [Range(FirstDynamicPayloadType, LastPayloadType)]
    public int PayloadType { get; init; } = FirstDynamicPayloadType;

    /// <summary>Largest RTP payload; the default fits the IPv6 minimum MTU with headers to spare.</summary>
    [Description("Largest RTP payload in bytes (default 1200 fits any path MTU).")]
    [Range(RtpPacketizer.MinMaxPayloadSize, MaxPayloadLimit)]
    public int MaxPayloadSize { get; init; } = RtpPacketizer.DefaultMaxPayloadSize;

    /// <summary>Send each frame when its timestamp is due (like <c>ffmpeg -re</c>) rather than as fast as frames arrive.</summary>
    [Description("Send each frame when its timestamp is due, like ffmpeg -re (a file source would otherwise burst faster than a player shows it).")]
    public bool Pace { get; init; } = true;

    /// <summary>
    /// How long the closing BYE trails the last media packet. A receiver polling its RTP and RTCP sockets
    /// together (ffmpeg reads RTCP first) may act on a BYE before reading media that arrived with it and end
    /// the stream short; a receiver starved of CPU needs longer than the default.
    /// </summary>
    [Description("Seconds the closing RTCP BYE waits after the last media packet, so a receiver reads all media before it ends the stream (default 0.2; raise it for receivers on busy machines).")]
    [Range(0.0, MaxByeDelaySeconds)]
    public double ByeDelay { get; init; } = 0.2;

    /// <summary>Synchronisation source; random when not given.</summary>
    [Description("RTP SSRC; random when not given.")]
    public long? Ssrc { get; init; }

    /// <summary>A UDP datagram carries at most 65507 bytes of IPv4 payload; leave room for the RTP header.</summary>
    internal const int MaxPayloadLimit = 65_000;

    /// <summary>A goodbye held longer than this is a mistake in the file, not patience.</summary>
    internal const double MaxByeDelaySeconds = 60;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return new ValidationResult("host must name the receiver", ["host"]);
        }

        if (Ssrc is { } ssrc && (ssrc < 0 || ssrc > uint.MaxValue))
        {
            yield return new ValidationResult($"ssrc {ssrc} is not a 32-bit unsigned number", ["ssrc"]);
        }

        if (Sdp is { } sdp && !sdp.EndsWith(".sdp", StringComparison.OrdinalIgnoreCase))
        {
            yield return new ValidationResult($"sdp \"{sdp}\" must end in .sdp (players pick the demuxer by extension)", ["sdp"]);
        }
    }
}

/// <summary>
/// Sends encoded H.264 or VP8 frames as RTP over UDP (RFC 3550; payloads RFC 6184 packetization-mode 1
/// and RFC 7741) with WebRtc's packetizers, and writes an SDP file a player opens to receive them. RTCP
/// sender reports go to port+1 once a second and a BYE when the input ends, which tells ffmpeg and
/// ffplay the stream is over. Plain RTP: no encryption, no retransmission; a lost datagram is lost.
/// </summary>
/// <remarks>
/// The codec comes from the first packet; a later packet of another codec is an error naming the block.
/// A send the receiver refuses (ICMP port unreachable: nobody listening yet) is counted in
/// <see cref="SendsRefused"/>, not fatal, as with any UDP sender.
/// </remarks>
[Block(TypeName, Description = "Sends encoded H.264/VP8 packets as RTP over UDP to host:port and writes an SDP file for players.")]
public sealed class RtpSinkBlock(RtpSinkOptions options) : SinkBlock<EncodedPacket, RtpSinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "rtp";

    /// <summary>Video RTP clock (RFC 6184 §8.2.1, RFC 7741 §6.1).</summary>
    private const int ClockRate = 90_000;

    /// <summary>RFC 3550 §6.2 suggests 5 s minimum between reports for large sessions; one receiver can take one a second.</summary>
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

    /// <summary>Room for the fixed header (no CSRCs or extensions are written).</summary>
    private const int HeaderRoom = RtpPacket.FixedHeaderSize;

    /// <summary>A sender report plus a BYE fit easily.</summary>
    private const int RtcpBufferSize = 256;

    private readonly byte[] _rtcp = new byte[RtcpBufferSize];
    private byte[] _packet = [];
    private Socket? _rtpSocket;
    private Socket? _rtcpSocket;
    private RtpPacketizer? _packetizer;
    private PtsPacer? _pacer;
    private uint _ssrc;
    private ushort _sequence;
    private uint _initialTimestamp;
    private uint _lastTimestamp;
    private uint _octets;
    private long _lastReport;

    /// <summary>RTP packets sent.</summary>
    public long PacketsSent { get; private set; }

    /// <summary>Frames sent.</summary>
    public long FramesSent { get; private set; }

    /// <summary>Datagrams the network refused (nobody listening on the port, reported by ICMP).</summary>
    public long SendsRefused { get; private set; }

    /// <summary>The resolved receiver, once started.</summary>
    public IPEndPoint? Destination { get; private set; }

    /// <summary>The SDP file written, once started (null when none was asked for).</summary>
    public string? SdpPath { get; private set; }

    /// <inheritdoc />
    protected override async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        var address = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        Destination = new IPEndPoint(address, Options.Port);
        _rtpSocket = Connect(Destination);
        _rtcpSocket = Connect(new IPEndPoint(address, Options.Port + 1));
        _ssrc = Options.Ssrc is { } ssrc ? (uint)ssrc : (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        _sequence = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        _initialTimestamp = (uint)Random.Shared.NextInt64(uint.MaxValue + 1L);
        _packet = new byte[HeaderRoom + Options.MaxPayloadSize];
        if (Options.Pace)
        {
            _pacer = new PtsPacer(TimeProvider.System);
        }

        if (Options.Sdp is { } sdp)
        {
            // A player should be able to open the file before packets flow: without a codec option,
            // announce H.264 (what `encode` makes by default) and rewrite the file if the first packet is VP8.
            SdpPath = Context.ResolvePath(sdp);
            WriteSdp(SdpPath, AnnouncedCodec);
        }
    }

    /// <inheritdoc />
    /// <remarks>Pooled builder: with pacing on, most frames wait, and a plain async ValueTask would box its state per frame.</remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask ConsumeAsync(EncodedPacket item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var socket = _rtpSocket ?? throw new InvalidOperationException($"rtp sink \"{Name}\" received a packet before it was started");
        if (_packetizer is null)
        {
            if (Options.Codec is not null && item.Codec != AnnouncedCodec)
            {
                throw new InvalidDataException($"rtp sink \"{Name}\": packet {item.Index} is {item.Codec} but option codec announces {AnnouncedCodec}");
            }

            _packetizer = RtpPacketizer.Create(item.Codec, Options.MaxPayloadSize);
            if (SdpPath is not null && item.Codec != AnnouncedCodec)
            {
                WriteSdp(SdpPath, item.Codec);
            }
        }
        else if (_packetizer.Codec != item.Codec)
        {
            throw new InvalidDataException($"rtp sink \"{Name}\": packet {item.Index} is {item.Codec} but the stream started as {_packetizer.Codec}");
        }

        if (_pacer is not null)
        {
            await _pacer.WaitAsync(item.Pts, cancellationToken).ConfigureAwait(false);
        }

        var timestamp = unchecked(_initialTimestamp + (uint)(item.Pts.Ticks * ClockRate / TimeSpan.TicksPerSecond));
        SendFrame(socket, item.Data, timestamp);
        _lastTimestamp = timestamp;
        FramesSent++;
        var now = Environment.TickCount64;
        if (now - _lastReport >= ReportInterval.TotalMilliseconds)
        {
            _lastReport = now;
            SendRtcp(bye: false);
        }
    }

    private void SendFrame(Socket socket, ReadOnlySpan<byte> frame, uint timestamp)
    {
        var packetizer = _packetizer!;
        packetizer.Begin(frame);
        while (true)
        {
            var writer = new RtpPacketWriter(_packet, (byte)Options.PayloadType, _sequence, timestamp, _ssrc, marker: false);
            if (!packetizer.TryWriteNext(frame, writer.Payload, out var written, out var marker))
            {
                return;
            }

            var length = writer.Complete(written);
            if (marker)
            {
                // The packetizer knows the frame's last packet only after writing it (RFC 3550 §5.1 M bit).
                _packet[1] |= RtpMarkerBit;
            }

            Send(socket, _packet.AsSpan(0, length));
            _sequence++;
            _octets += (uint)written;
            PacketsSent++;
        }
    }

    private const byte RtpMarkerBit = 0x80;

    private VideoCodec AnnouncedCodec => Options.Codec == EncodeCodec.Vp8 ? VideoCodec.Vp8 : VideoCodec.H264;

    /// <inheritdoc />
    protected override async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_rtcpSocket is null)
        {
            return;
        }

        if (PacketsSent > 0)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(Options.ByeDelay), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Aborting: say goodbye at once.
            }
        }

        // RFC 3550 §6.6: BYE says this source has left; ffmpeg's RTP demuxer ends the stream on it.
        SendRtcp(bye: true);
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _rtpSocket?.Dispose();
        _rtpSocket = null;
        _rtcpSocket?.Dispose();
        _rtcpSocket = null;
        _pacer?.Dispose();
        _pacer = null;
        return base.DisposeAsync();
    }

    private void SendRtcp(bool bye)
    {
        // RFC 3550 §6.1: every compound packet starts with a report; the SR maps RTP time to wall time.
        var ntp = NtpTime.FromDateTime(DateTime.UtcNow);
        var length = RtcpWriter.WriteSenderReport(_rtcp, _ssrc, ntp, _lastTimestamp, (uint)PacketsSent, _octets);
        if (bye)
        {
            ReadOnlySpan<uint> sources = [_ssrc];
            length += RtcpWriter.WriteBye(_rtcp.AsSpan(length), sources);
        }

        Send(_rtcpSocket!, _rtcp.AsSpan(0, length));
    }

    private void Send(Socket socket, ReadOnlySpan<byte> datagram)
    {
        try
        {
            socket.Send(datagram, SocketFlags.None);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
        {
            // An earlier datagram drew an ICMP error (nobody listening yet): UDP's loss, counted.
            SendsRefused++;
        }
    }

    private async ValueTask<IPAddress> ResolveAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(Options.Host, out var literal))
        {
            return literal;
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(Options.Host, cancellationToken).ConfigureAwait(false);
            foreach (var address in addresses)
            {
                if (address.AddressFamily == AddressFamily.InterNetwork)
                {
                    return address;
                }
            }

            return addresses.Length > 0 ? addresses[0] : throw new IOException($"rtp sink \"{Name}\": host \"{Options.Host}\" has no address");
        }
        catch (SocketException e)
        {
            throw new IOException($"rtp sink \"{Name}\": cannot resolve host \"{Options.Host}\": {e.Message}", e);
        }
    }

    private static Socket Connect(IPEndPoint destination)
    {
        // Connected, so each send names no endpoint (no per-datagram address allocation) and ICMP
        // errors come back as SocketExceptions we can count.
        var socket = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(destination);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void WriteSdp(string path, VideoCodec codec)
    {
        var destination = Destination!;
        var family = destination.AddressFamily == AddressFamily.InterNetworkV6 ? "IP6" : "IP4";
        var payloadType = Options.PayloadType;
        var builder = new StringBuilder();

        // RFC 8866 §5: fields in this order; a receiver-side file, so the connection address is ours to listen on.
        builder.Append("v=0\n");
        builder.Append(CultureInfo.InvariantCulture, $"o=- {_ssrc} 1 IN {family} {destination.Address}\n");
        builder.Append(CultureInfo.InvariantCulture, $"s=odyssey-pipeline {Name}\n");
        builder.Append(CultureInfo.InvariantCulture, $"c=IN {family} {destination.Address}\n");
        builder.Append("t=0 0\n");
        builder.Append(CultureInfo.InvariantCulture, $"m=video {destination.Port} RTP/AVP {payloadType}\n");
        switch (codec)
        {
            case VideoCodec.H264:
                builder.Append(CultureInfo.InvariantCulture, $"a=rtpmap:{payloadType} H264/{ClockRate}\n");

                // RFC 6184 §8.1: mode 1 allows the STAP-A and FU-A the packetizer writes.
                builder.Append(CultureInfo.InvariantCulture, $"a=fmtp:{payloadType} packetization-mode=1\n");
                break;
            case VideoCodec.Vp8:
                builder.Append(CultureInfo.InvariantCulture, $"a=rtpmap:{payloadType} VP8/{ClockRate}\n");
                break;
            default:
                throw new NotSupportedException($"rtp sink \"{Name}\": no RTP payload format for {codec}; VP8 and H.264 are supported");
        }

        builder.Append("a=recvonly\n");

        // Written aside and renamed, so a player polling for the file never reads half of it.
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var staged = path + ".partial";
        File.WriteAllText(staged, builder.ToString());
        File.Move(staged, path, overwrite: true);
    }
}
