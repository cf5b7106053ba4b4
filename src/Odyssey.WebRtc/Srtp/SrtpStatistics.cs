namespace Odyssey.WebRtc.Srtp;

/// <summary>Counters of one <see cref="SrtpContext"/> (RTP and RTCP together), for stats.</summary>
public readonly record struct SrtpStatistics
{
    /// <summary>Packets protected (RTP and RTCP).</summary>
    public long Protected { get; init; }

    /// <summary>Packets that authenticated and were decrypted.</summary>
    public long Unprotected { get; init; }

    /// <summary>Packets whose tag did not verify (tampered or forged).</summary>
    public long AuthenticationFailures { get; init; }

    /// <summary>Packets whose index had already been accepted.</summary>
    public long Replayed { get; init; }

    /// <summary>Packets behind the replay window.</summary>
    public long TooOld { get; init; }

    /// <summary>Packets too short or with a broken header.</summary>
    public long Malformed { get; init; }

    /// <summary>Packets refused because the SSRC table was full.</summary>
    public long TooManyStreams { get; init; }

    /// <summary>All rejected incoming packets.</summary>
    public long Rejected => AuthenticationFailures + Replayed + TooOld + Malformed + TooManyStreams;
}
