namespace Odyssey.WebRtc.Sctp;

/// <summary>Counters and congestion state of one association, for tests, logs and benchmarks.</summary>
/// <param name="PacketsSent">SCTP packets handed to the send callback.</param>
/// <param name="PacketsReceived">Packets given to <c>ReceivePacket</c>.</param>
/// <param name="PacketsDropped">Packets dropped whole: bad checksum, wrong port or verification tag, malformed, out of the blue.</param>
/// <param name="ChunksDropped">Chunks skipped: malformed, unknown type, unexpected in the state, over the receive window.</param>
/// <param name="DataChunksSent">DATA chunks sent, retransmissions included.</param>
/// <param name="DataChunksReceived">DATA chunks received, duplicates included.</param>
/// <param name="DuplicateTsns">DATA chunks received twice.</param>
/// <param name="Retransmissions">DATA chunks sent again (T3 or fast retransmit).</param>
/// <param name="FastRetransmits">Chunks marked for fast retransmit after three miss reports.</param>
/// <param name="T3Expiries">T3-rtx timer expiries.</param>
/// <param name="MessagesAbandoned">Messages given up by partial reliability, all streams.</param>
/// <param name="CongestionWindow">cwnd in bytes.</param>
/// <param name="PeerReceiveWindow">The peer's receive window as we track it, in bytes.</param>
/// <param name="SmoothedRtt">SRTT; zero until measured.</param>
/// <param name="Rto">The current retransmission timeout.</param>
/// <param name="SendFailures">Packets whose send callback threw: counted as lost on the wire, the association carries on.</param>
/// <param name="InferredForwardTsns">Holes skipped as abandoned because the peer's one FORWARD-TSN was lost (aiortc; see StaleHoleResends).</param>
internal sealed record SctpAssociationStats(
    long PacketsSent,
    long PacketsReceived,
    long PacketsDropped,
    long ChunksDropped,
    long DataChunksSent,
    long DataChunksReceived,
    long DuplicateTsns,
    long Retransmissions,
    long FastRetransmits,
    long T3Expiries,
    long MessagesAbandoned,
    long CongestionWindow,
    long PeerReceiveWindow,
    TimeSpan SmoothedRtt,
    TimeSpan Rto,
    long SendFailures,
    long InferredForwardTsns = 0);

/// <summary>Where an outbound DATA chunk is in its life.</summary>
internal enum SctpOutboundState : byte
{
    /// <summary>Queued, never sent.</summary>
    Unsent,

    /// <summary>Sent and counted in the flight size.</summary>
    InFlight,

    /// <summary>Sent, judged lost (T3 or fast retransmit); waits to go again, not in the flight size.</summary>
    NeedsRetransmit,

    /// <summary>Reported received by a gap ack block; not in the flight size.</summary>
    GapAcked,

    /// <summary>Given up by partial reliability (RFC 3758); skipped with FORWARD-TSN.</summary>
    Abandoned,
}

/// <summary>One outbound DATA chunk; pooled, its payload in a rented buffer.</summary>
internal sealed class SctpOutboundChunk
{
    public uint Tsn;
    public ushort StreamId;
    public ushort Ssn;
    public uint Ppid;
    public byte Flags;
    public byte[]? Buffer;
    public int Length;
    public SctpOutboundState State;
    public int Transmissions;
    public int Misses;
    public bool FastRetransmitted;

    // Fragments of one message share the id; partial reliability gives them up together.
    public long MessageId;
    public int MaxRetransmits;
    public long ExpiresAt;

    public bool Unordered => (Flags & SctpDataChunk.UnorderedFlag) != 0;

    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);
}

/// <summary>One received DATA chunk waiting for reassembly or ordered delivery; pooled.</summary>
internal sealed class SctpInboundChunk
{
    public uint Tsn;
    public ushort Ssn;
    public uint Ppid;
    public byte Flags;
    public byte[]? Buffer;
    public int Length;

    public bool Unordered => (Flags & SctpDataChunk.UnorderedFlag) != 0;

    public bool Beginning => (Flags & SctpDataChunk.BeginningFlag) != 0;

    public bool Ending => (Flags & SctpDataChunk.EndingFlag) != 0;
}

/// <summary>Send-side state of one stream.</summary>
internal sealed class SctpOutboundStream
{
    public ushort NextSsn;
    public long Buffered;
    public long Abandoned;

    // Set by ResetStreams until the peer answers the reset request (RFC 6525 §5.1.2).
    public bool ResetPending;
}

/// <summary>Receive-side state of one stream: chunks held in TSN order.</summary>
internal sealed class SctpInboundStream
{
    public ushort NextSsn;
    public readonly List<SctpInboundChunk> Chunks = new(16);
}

/// <summary>What the dispatcher raises, outside the association's lock.</summary>
internal enum SctpEventKind : byte
{
    Message,
    StateChanged,
    StreamReset,
    BufferedAmountDecreased,
}

/// <summary>One queued event; a message's payload is a rented buffer returned after the handler ran.</summary>
internal readonly record struct SctpEvent(SctpEventKind Kind, ushort StreamId, uint Ppid, byte[]? Buffer, int Length, SctpAssociationState State);
