using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Tests.Rtp;

public class ReceiverStatisticsTests
{
    [Fact]
    public void LossAndDuplicates_MatchHandComputedReportBlock()
    {
        var statistics = new ReceiverStatistics(0xAB, 90_000);
        var unwrapper = new SequenceUnwrapper();

        // 65530..65535, 0..3 expected (10 packets); 65533 and 2 lost; 65535 duplicated.
        ushort[] arrived = [65530, 65531, 65532, 65534, 65535, 65535, 0, 1, 3];
        foreach (var sequence in arrived)
        {
            statistics.OnPacket(unwrapper.Unwrap(sequence), 0, TimeSpan.Zero, retransmitted: true);
        }

        var block = statistics.CreateReportBlock(TimeSpan.Zero);

        // Expected 10, received 9 (duplicate included, RFC 3550 A.3) → cumulative lost 1,
        // fraction = (1 << 8) / 10 = 25; highest = one cycle + 3.
        Assert.Equal(0xABu, block.Ssrc);
        Assert.Equal(1, block.CumulativeLost);
        Assert.Equal(25, block.FractionLost);
        Assert.Equal(0x0001_0003u, block.ExtendedHighestSequence);

        // Next interval: 4..7 all arrive → no new loss.
        for (ushort sequence = 4; sequence < 8; sequence++)
        {
            statistics.OnPacket(unwrapper.Unwrap(sequence), 0, TimeSpan.Zero, retransmitted: true);
        }

        var next = statistics.CreateReportBlock(TimeSpan.Zero);
        Assert.Equal(0, next.FractionLost);
        Assert.Equal(1, next.CumulativeLost);
    }

    [Fact]
    public void Jitter_FollowsRfc3550IntegerEstimator()
    {
        var statistics = new ReceiverStatistics(1, 90_000);

        // Transit times 0, 1500, 0 (RTP units): D = 1500 twice.
        statistics.OnPacket(1, 0, TimeSpan.Zero, false);
        statistics.OnPacket(2, 3000, TimeSpan.FromMilliseconds(50), false);        // arrival 4500
        statistics.OnPacket(3, 6000, TimeSpan.FromTicks(666_667), false);           // arrival 6000

        // J16 = 1500, then 1500 + 1500 - ((1500 + 8) >> 4 = 94) = 2906; J = 2906 >> 4 = 181 (exact: 181.6).
        Assert.Equal(181u, statistics.Jitter);

        // Retransmissions do not move the estimate.
        statistics.OnPacket(4, 0, TimeSpan.FromSeconds(5), true);
        Assert.Equal(181u, statistics.Jitter);
    }

    [Fact]
    public void SenderReport_GivesLsrAndDlsr()
    {
        var statistics = new ReceiverStatistics(1, 90_000);
        statistics.OnPacket(1, 0, TimeSpan.Zero, false);
        statistics.OnSenderReport(0x0000_1234_5678_0000, TimeSpan.FromSeconds(1));

        var block = statistics.CreateReportBlock(TimeSpan.FromSeconds(1.5));

        Assert.Equal(0x1234_5678u, block.LastSenderReport);
        Assert.Equal(32768u, block.DelaySinceLastSenderReport);
    }

    [Fact]
    public void NoSenderReport_LeavesLsrAndDlsrZero()
    {
        var statistics = new ReceiverStatistics(1, 90_000);
        statistics.OnPacket(1, 0, TimeSpan.Zero, false);
        var block = statistics.CreateReportBlock(TimeSpan.FromSeconds(3));
        Assert.Equal(0u, block.LastSenderReport);
        Assert.Equal(0u, block.DelaySinceLastSenderReport);
    }
}
