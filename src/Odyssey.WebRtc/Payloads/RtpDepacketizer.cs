using System.Diagnostics.CodeAnalysis;
using Odyssey.Media;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Payloads;

/// <summary>
/// Rebuilds one encoded frame from the RTP payloads of its packets, given in sequence order:
/// <see cref="Begin"/>, <see cref="TryAppend"/> per packet, then <see cref="TryFinish"/>. Frames are
/// assembled in a reusable buffer that grows to the largest frame seen, so the steady state allocates
/// nothing; the finished frame is copied once into a pooled <see cref="EncodedPacket"/>. A frame that
/// is not whole (a fragment missing) is rejected with <see cref="RtpError.IncompleteFrame"/>, never emitted.
/// </summary>
public abstract class RtpDepacketizer
{
    /// <summary>The largest frame accepted; a bigger one is malformed input, not a reason to grow without bound.</summary>
    public const int MaxFrameSize = 16 * 1024 * 1024;

    private const int InitialCapacity = 64 * 1024;

    private byte[] _frame = new byte[InitialCapacity];
    private int _length;

    /// <summary>The codec the frames are in.</summary>
    public abstract VideoCodec Codec { get; }

    /// <summary>Whether the frame being assembled is a keyframe, as far as seen.</summary>
    public bool IsKeyframe { get; protected set; }

    /// <summary>Bytes assembled so far.</summary>
    protected int Length => _length;

    /// <summary>A depacketizer for <paramref name="codec"/> (VP8 or H.264).</summary>
    public static RtpDepacketizer Create(VideoCodec codec) => codec switch
    {
        VideoCodec.Vp8 => new Vp8Depacketizer(),
        VideoCodec.H264 => new H264Depacketizer(),
        _ => throw new NotSupportedException($"no RTP depacketizer for {codec}; VP8 and H.264 are supported"),
    };

    /// <summary>
    /// True when <paramref name="payload"/> certainly starts a frame (VP8: S bit and partition 0;
    /// H.264: a delimiter or parameter set, as keyframes start). Used to resynchronise after loss,
    /// when only a keyframe helps anyway.
    /// </summary>
    public abstract bool IsFrameStart(ReadOnlySpan<byte> payload);

    /// <summary>Starts a new frame, forgetting any partial one.</summary>
    public virtual void Begin()
    {
        _length = 0;
        IsKeyframe = false;
    }

    /// <summary>Adds the next packet's payload; false (with the reason) when it is malformed or out of place.</summary>
    public abstract bool TryAppend(ReadOnlySpan<byte> payload, bool isFirst, out RtpError error);

    /// <summary>Ends the frame: an owned packet (release it) from <paramref name="pool"/>, or false when it is not whole.</summary>
    public bool TryFinish(EncodedPacketPool pool, [NotNullWhen(true)] out EncodedPacket? frame, out RtpError error)
    {
        ArgumentNullException.ThrowIfNull(pool);
        frame = null;
        error = CheckComplete();
        if (error == RtpError.None && _length == 0)
        {
            error = RtpError.IncompleteFrame;
        }

        if (error != RtpError.None)
        {
            return false;
        }

        frame = pool.Rent(_length);
        _frame.AsSpan(0, _length).CopyTo(frame.Data);
        frame.Codec = Codec;
        frame.IsKeyframe = IsKeyframe;
        return true;
    }

    /// <summary>Says whether the data appended so far is a whole frame (e.g. no FU-A left open).</summary>
    protected virtual RtpError CheckComplete() => RtpError.None;

    /// <summary>Reserves <paramref name="count"/> bytes at the end of the frame; false past <see cref="MaxFrameSize"/>.</summary>
    protected bool TryReserve(int count, out Span<byte> destination)
    {
        var needed = _length + count;
        if (needed > MaxFrameSize)
        {
            destination = default;
            return false;
        }

        if (needed > _frame.Length)
        {
            Array.Resize(ref _frame, Math.Min(MaxFrameSize, Math.Max(needed, _frame.Length * 2)));
        }

        destination = _frame.AsSpan(_length, count);
        _length = needed;
        return true;
    }
}
