using Odyssey.Media;

namespace Odyssey.WebRtc.Rtp;

/// <summary>How a receive-side jitter buffer reorders, waits for and gives up on packets.</summary>
public sealed record JitterBufferOptions
{
    /// <summary>Default latency bound: long enough for one or two NACK round trips on a normal path.</summary>
    public static readonly TimeSpan DefaultMaxLatency = TimeSpan.FromMilliseconds(200);

    /// <summary>Codec of the stream (selects the depacketizer).</summary>
    public VideoCodec Codec { get; init; } = VideoCodec.H264;

    /// <summary>RTP clock rate; 90 kHz for every video payload format.</summary>
    public int ClockRate { get; init; } = 90_000;

    /// <summary>
    /// How long (in wall time since its first packet arrived) an incomplete frame may wait for its
    /// missing packets before it is given up as lost.
    /// </summary>
    public TimeSpan MaxLatency { get; init; } = DefaultMaxLatency;

    /// <summary>Packets held at once; a power of two. 1024 is ≈ 1.2 MB of 1200-byte payloads: seconds of HD video.</summary>
    public int Capacity { get; init; } = 1024;

    /// <summary>Largest payload stored; larger ones do not fit a UDP datagram on a normal path and are discarded.</summary>
    public int MaxPayloadSize { get; init; } = 1500;

    /// <summary>NACKs sent per missing packet before it is given up (and its frame dropped).</summary>
    public int MaxNackRetries { get; init; } = 10;

    /// <summary>Wait between NACKs for one packet while no RTT is known; a known RTT replaces it.</summary>
    public TimeSpan NackRetryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Wait after a gap is seen before the first NACK, so plain reordering is not reported as loss.</summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Most missing packets tracked; a bigger gap is better served by a keyframe than by NACKs.</summary>
    public int MaxNackListSize { get; init; } = 500;

    /// <summary>Least time between two PLIs while a keyframe is still awaited.</summary>
    public TimeSpan KeyframeRequestInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 16, nameof(Capacity));
        if ((Capacity & (Capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "jitter buffer capacity must be a power of two");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(ClockRate, 1000, nameof(ClockRate));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPayloadSize, 64, nameof(MaxPayloadSize));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxNackRetries, nameof(MaxNackRetries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNackListSize, 1, nameof(MaxNackListSize));
        if (MaxLatency <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLatency), MaxLatency, "jitter buffer latency must be positive");
        }
    }
}

/// <summary>What the jitter buffer did with a packet.</summary>
public enum JitterInsertResult
{
    /// <summary>Stored.</summary>
    Stored,

    /// <summary>Already held: counted as a duplicate.</summary>
    Duplicate,

    /// <summary>Arrived after its frame was emitted or given up (a late copy of an emitted packet included): counted as late.</summary>
    Late,

    /// <summary>Payload larger than a slot: discarded and counted.</summary>
    Oversize,
}

/// <summary>Counters of one receive stream (cumulative).</summary>
public readonly record struct JitterBufferCounters(
    long Packets,
    long Bytes,
    long Duplicates,
    long Late,
    long Oversize,
    long Retransmitted,
    long Recovered,
    long FramesEmitted,
    long FramesDropped,
    long FramesDiscarded,
    long NackedPackets,
    long KeyframeRequests);
