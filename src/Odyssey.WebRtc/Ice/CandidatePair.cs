using System.Net;

namespace Odyssey.WebRtc.Ice;

/// <summary>RFC 8445 §6.1.2.6 pair states (Frozen is not used: one stream and one component need no freezing).</summary>
internal enum PairState
{
    Waiting,
    InProgress,
    Succeeded,
    Failed,
}

/// <summary>A local base and a remote candidate: the unit that is checked, nominated and selected.</summary>
internal sealed class CandidatePair
{
    public CandidatePair(LocalSocket local, IceCandidate remote, IPEndPoint remoteEndPoint)
    {
        Local = local;
        Remote = remote;
        RemoteEndPoint = remoteEndPoint;
        RemoteAddress = remoteEndPoint.Serialize();
    }

    public LocalSocket Local { get; }

    /// <summary>Replaced when a trickled candidate turns out to be a peer-reflexive one learned earlier.</summary>
    public IceCandidate Remote { get; set; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Serialized once, so data sends and source comparisons allocate nothing.</summary>
    public SocketAddress RemoteAddress { get; }

    public PairState State { get; set; } = PairState.Waiting;

    public ulong Priority { get; set; }

    /// <summary>The peer sent USE-CANDIDATE on this pair (we are controlled).</summary>
    public bool RemoteNominated { get; set; }

    /// <summary>Nominated: our USE-CANDIDATE check succeeded, or the peer's nomination met a succeeded check.</summary>
    public bool Nominated { get; set; }

    /// <summary>The next check on this pair carries USE-CANDIDATE (we are controlling and nominate it).</summary>
    public bool NominateNext { get; set; }

    public bool Triggered { get; set; }

    public StunTransaction? InFlight { get; set; }

    /// <summary>RFC 8445 §6.1.2.3: 2^32·min(G,D) + 2·max(G,D) + (G&gt;D ? 1 : 0), G the controlling side's candidate priority.</summary>
    public static ulong ComputePriority(uint controlling, uint controlled) =>
        ((ulong)Math.Min(controlling, controlled) << 32) + (2UL * Math.Max(controlling, controlled)) + (controlling > controlled ? 1UL : 0UL);

    public override string ToString() => $"{Local.EndPoint} -> {RemoteEndPoint} ({State})";
}
