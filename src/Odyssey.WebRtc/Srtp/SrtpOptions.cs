namespace Odyssey.WebRtc.Srtp;

/// <summary>Tunables of an <see cref="SrtpContext"/>.</summary>
public sealed record SrtpOptions
{
    /// <summary>Default SRTP replay window: 1024 packets, as aiortc (libsrtp's default is 128); a
    /// NACK retransmission half a second late at 2,000 packets/s still fits.</summary>
    public const int DefaultRtpReplayWindow = 1024;

    /// <summary>Default SRTCP replay window (RTCP is a few packets per second; RFC 3711 asks for at least 64).</summary>
    public const int DefaultRtcpReplayWindow = 128;

    /// <summary>Default bound on tracked SSRCs: a video, its RTX, audio and some headroom.</summary>
    public const int DefaultMaxStreams = 64;

    /// <summary>Packets of the SRTP replay window; a multiple of 64, at least 64 (RFC 3711 §3.3.2).</summary>
    public int RtpReplayWindow { get; init; } = DefaultRtpReplayWindow;

    /// <summary>Packets of the SRTCP replay window; a multiple of 64, at least 64.</summary>
    public int RtcpReplayWindow { get; init; } = DefaultRtcpReplayWindow;

    /// <summary>How many SSRCs (per RTP and per RTCP) one context tracks. A stream is only created
    /// after its first packet authenticates, so a forger cannot fill the table.</summary>
    public int MaxStreams { get; init; } = DefaultMaxStreams;

    internal void Validate()
    {
        ValidateWindow(RtpReplayWindow, nameof(RtpReplayWindow));
        ValidateWindow(RtcpReplayWindow, nameof(RtcpReplayWindow));
        if (MaxStreams < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxStreams), MaxStreams, "SrtpOptions.MaxStreams must be at least 1.");
        }
    }

    private static void ValidateWindow(int value, string name)
    {
        const int MaxWindow = 1 << 15; // half the 16-bit sequence space: beyond it ROC estimation is ambiguous
        if (value < 64 || value % 64 != 0 || value > MaxWindow)
        {
            throw new ArgumentOutOfRangeException(
                name, value, $"SrtpOptions.{name} must be a multiple of 64 between 64 and {MaxWindow}.");
        }
    }
}
