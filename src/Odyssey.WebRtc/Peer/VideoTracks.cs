using System.Threading.Channels;
using Odyssey.Media;

namespace Odyssey.WebRtc;

/// <summary>
/// The peer's video as whole encoded frames (W3C's track event, but encoded: decoding is the consumer's).
/// </summary>
/// <remarks>
/// Ownership: every <see cref="EncodedPacket"/> read from <see cref="Frames"/> is OWNED by the reader, who
/// must <see cref="EncodedPacket.Release"/> it. Frames still queued when the connection is disposed are
/// released by the connection. Each frame carries its codec, keyframe flag and a Pts relative to the
/// stream's first frame (from the RTP timestamp); <see cref="EncodedPacket.Index"/> counts emitted frames,
/// so a gap shows a frame the jitter buffer gave up. H.264 comes as Annex-B, VP8 as the raw frame.
/// </remarks>
public sealed class RemoteVideoTrack
{
    private readonly Channel<EncodedPacket> _frames;
    private volatile MediaSession? _session;

    internal RemoteVideoTrack(string mid, VideoCodec codec, uint ssrc, int capacity)
    {
        Mid = mid;
        Codec = codec;
        Ssrc = ssrc;
        _frames = Channel.CreateBounded<EncodedPacket>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails instead of waiting; the writer drops and counts
        });
    }

    /// <summary>The m-line's mid.</summary>
    public string Mid { get; }

    /// <summary>The negotiated codec (what the first payload type of our answer names).</summary>
    public VideoCodec Codec { get; }

    /// <summary>The media SSRC the remote SDP announced.</summary>
    public uint Ssrc { get; }

    /// <summary>Whole frames, in order, owned by whoever reads them. Completes when the connection closes.</summary>
    public ChannelReader<EncodedPacket> Frames => _frames.Reader;

    /// <summary>
    /// Asks the sender for a keyframe (a PLI goes out with the next RTCP tick): wire the decoder's
    /// <c>KeyframeRequested</c> here. Harmless before the connection is up.
    /// </summary>
    public void RequestKeyframe() => _session?.RequestKeyframe();

    internal ChannelWriter<EncodedPacket> Writer => _frames.Writer;

    internal void Attach(MediaSession session) => _session = session;

    /// <summary>Completes the channel and releases what nobody read.</summary>
    internal void Close()
    {
        _session = null;
        _frames.Writer.TryComplete();
        while (_frames.Reader.TryRead(out var frame))
        {
            frame.Release();
        }
    }
}

/// <summary>
/// Our video to the peer: hand it encoded frames; it packetizes, protects, paces, answers NACKs, and
/// raises <see cref="KeyframeRequested"/> for the encoder when the peer sends PLI or FIR.
/// </summary>
public sealed class LocalVideoTrack
{
    private volatile MediaSession? _session;
    private long _notSent;

    internal LocalVideoTrack(string mid, uint ssrc)
    {
        Mid = mid;
        Ssrc = ssrc;
    }

    /// <summary>Raised when the peer asks for a keyframe (PLI/FIR), and once when media starts flowing; never under a lock.</summary>
    public event EventHandler? KeyframeRequested;

    /// <summary>The m-line's mid.</summary>
    public string Mid { get; }

    /// <summary>Our media SSRC.</summary>
    public uint Ssrc { get; }

    /// <summary>The codec the answer chose; null until the answer is applied.</summary>
    public VideoCodec? Codec { get; internal set; }

    /// <summary>True once frames handed to <see cref="SendFrame"/> leave for the peer.</summary>
    public bool IsSending => _session is not null;

    internal long NotSent => Interlocked.Read(ref _notSent);

    /// <summary>
    /// Sends one encoded frame (BORROWED: the caller keeps and releases it) at its Pts. Returns false, and
    /// counts it, when the connection is not up yet or the codec differs from the negotiated one.
    /// </summary>
    public bool SendFrame(EncodedPacket frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (_session is not { } session || frame.Codec != Codec || !session.SendFrame(frame))
        {
            Interlocked.Increment(ref _notSent);
            return false;
        }

        return true;
    }

    internal void Attach(MediaSession? session) => _session = session;

    internal void RaiseKeyframeRequested() => KeyframeRequested?.Invoke(this, EventArgs.Empty);
}
