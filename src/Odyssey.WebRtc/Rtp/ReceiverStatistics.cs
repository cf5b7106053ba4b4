namespace Odyssey.WebRtc.Rtp;

/// <summary>
/// Reception statistics of one source for receiver reports (RFC 3550 §6.4.1, A.3 and A.8):
/// extended highest sequence number, cumulative and fractional loss, interarrival jitter, and
/// the LSR/DLSR pair that lets the sender measure the round trip.
/// </summary>
/// <remarks>
/// The source-validation probation of A.1 is left out: the SSRC comes from signalling (SDP), and
/// SRTP has already authenticated every packet, so a packet that reaches here is the source's.
/// </remarks>
internal sealed class ReceiverStatistics
{
    private readonly uint _ssrc;
    private readonly int _clockRate;
    private bool _started;
    private long _baseSequence;
    private long _maxSequence;
    private long _received;
    private long _expectedPrior;
    private long _receivedPrior;

    // A.8: the jitter estimate scaled by 16, updated with integer arithmetic.
    private long _jitterScaled;
    private long _lastTransit;
    private bool _hasTransit;

    private uint _lastSenderReport;
    private TimeSpan _lastSenderReportArrival;
    private bool _hasSenderReport;

    public ReceiverStatistics(uint ssrc, int clockRate)
    {
        _ssrc = ssrc;
        _clockRate = clockRate;
    }

    /// <summary>Packets received (duplicates and retransmissions included, as RFC 3550 counts them).</summary>
    public long Received => _received;

    /// <summary>Packets expected from the first to the highest sequence number seen.</summary>
    public long Expected => _started ? _maxSequence - _baseSequence + 1 : 0;

    /// <summary>Expected minus received; negative when duplicates outnumber losses.</summary>
    public long CumulativeLost => Expected - _received;

    /// <summary>Interarrival jitter in RTP timestamp units.</summary>
    public uint Jitter => (uint)(_jitterScaled >> 4);

    /// <summary>The extended highest sequence number: cycles in the high 16 bits.</summary>
    public uint ExtendedHighestSequence => (uint)_maxSequence;

    /// <summary>Records a packet: <paramref name="extendedSequence"/> unwrapped, arrival on the receiver's clock.</summary>
    public void OnPacket(long extendedSequence, uint timestamp, TimeSpan arrival, bool retransmitted)
    {
        if (!_started)
        {
            _started = true;
            _baseSequence = extendedSequence;
            _maxSequence = extendedSequence;
        }

        _received++;
        if (extendedSequence > _maxSequence)
        {
            _maxSequence = extendedSequence;
        }
        else if (extendedSequence < _baseSequence)
        {
            // Reordered from before the first packet seen: it was expected after all.
            _baseSequence = extendedSequence;
        }

        if (retransmitted)
        {
            // A retransmission's arrival time says nothing about the path's jitter.
            return;
        }

        // A.8: transit = arrival (in RTP units) - timestamp; J += (|D| - J) / 16.
        var arrivalUnits = arrival.Ticks * _clockRate / TimeSpan.TicksPerSecond;
        var transit = (long)(int)((uint)arrivalUnits - timestamp);
        if (_hasTransit)
        {
            var d = Math.Abs(transit - _lastTransit);
            _jitterScaled += d - ((_jitterScaled + 8) >> 4);
        }

        _lastTransit = transit;
        _hasTransit = true;
    }

    /// <summary>Records a sender report's NTP time and when it arrived, for LSR/DLSR.</summary>
    public void OnSenderReport(ulong ntpTimestamp, TimeSpan arrival)
    {
        _lastSenderReport = NtpTime.Middle32(ntpTimestamp);
        _lastSenderReportArrival = arrival;
        _hasSenderReport = true;
    }

    /// <summary>Builds the report block for now and starts a new reporting interval (A.3).</summary>
    public RtcpReportBlock CreateReportBlock(TimeSpan now)
    {
        var expected = Expected;
        var expectedInterval = expected - _expectedPrior;
        var receivedInterval = _received - _receivedPrior;
        var lostInterval = expectedInterval - receivedInterval;
        _expectedPrior = expected;
        _receivedPrior = _received;
        var fraction = expectedInterval == 0 || lostInterval <= 0 ? 0 : (int)Math.Min(255, (lostInterval << 8) / expectedInterval);
        var cumulative = (int)Math.Clamp(CumulativeLost, -RtcpReportBlock.MaxCumulativeLost - 1, RtcpReportBlock.MaxCumulativeLost);
        var delay = _hasSenderReport ? NtpTime.ToShortUnits(now - _lastSenderReportArrival) : 0;
        return new RtcpReportBlock(
            _ssrc,
            (byte)fraction,
            cumulative,
            ExtendedHighestSequence,
            Jitter,
            _hasSenderReport ? _lastSenderReport : 0,
            delay);
    }
}
