using System.Buffers.Binary;
using System.Net;

namespace Odyssey.WebRtc.Ice;

internal enum TransactionKind
{
    /// <summary>A connectivity check on a pair (ordinary, triggered or nominating).</summary>
    Check,

    /// <summary>An RFC 7675 consent check on the selected pair: sent once, never retransmitted.</summary>
    Consent,

    /// <summary>A Binding request to a STUN server for a server-reflexive candidate.</summary>
    ServerReflexive,
}

/// <summary>The 96-bit transaction ID as a dictionary key without allocating.</summary>
internal readonly record struct TransactionKey(ulong High, uint Low)
{
    public static TransactionKey From(ReadOnlySpan<byte> id) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(id), BinaryPrimitives.ReadUInt32BigEndian(id[8..]));
}

/// <summary>A request in flight: the bytes to retransmit and what to do with the answer.</summary>
internal sealed class StunTransaction
{
    public StunTransaction(TransactionKey key, TransactionKind kind, LocalSocket local, IPEndPoint destination, byte[] message, long nextSendMs, long rtoMs)
    {
        Key = key;
        Kind = kind;
        Local = local;
        Destination = destination;
        DestinationAddress = destination.Serialize();
        Message = message;
        NextSendMs = nextSendMs;
        RtoMs = rtoMs;
    }

    public TransactionKey Key { get; }

    public TransactionKind Kind { get; }

    public LocalSocket Local { get; }

    public IPEndPoint Destination { get; }

    public System.Net.SocketAddress DestinationAddress { get; }

    public byte[] Message { get; }

    public CandidatePair? Pair { get; init; }

    public bool UseCandidate { get; init; }

    /// <summary>The role we claimed in the request, to react to a 487 only once (RFC 8445 §7.2.5.1).</summary>
    public bool SentControlling { get; init; }

    public int Retransmissions { get; set; }

    public long NextSendMs { get; set; }

    public long RtoMs { get; set; }
}
