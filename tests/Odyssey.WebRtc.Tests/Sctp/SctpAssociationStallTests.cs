using System.Buffers.Binary;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>
/// The traffic of the aiortc data-channel run that stalled: large reliable messages beside a maxRetransmits 0
/// unordered stream, both ways, through loss and reordering; the send bookkeeping is checked after every step.
/// </summary>
public class SctpAssociationStallTests
{
    private const uint BinaryPpid = 53;

    [Fact]
    public async Task Send_LargeReliableBesidePartialReliabilityUnderLoss_AllLargeArriveAndAccountingStaysConsistent()
    {
        await using var pair = new SctpTestPair(seed: 5) { Loss = 0.05, Reorder = 0.05 };
        pair.Connect();
        var large = new List<byte[]>();
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            var message = new byte[200 * 1024];
            random.NextBytes(message);
            large.Add(message);
            pair.A.Send(1, BinaryPpid, message, SctpSendOptions.Reliable);
            pair.B.Send(1, BinaryPpid, message, SctpSendOptions.Reliable);
        }

        var lossy = new SctpSendOptions(true, 0, null);
        Span<byte> small = stackalloc byte[100];
        for (var i = 0; i < 300; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(small, i);
            pair.A.Send(2, BinaryPpid, small, lossy);
            pair.B.Send(2, BinaryPpid, small, lossy);
        }

        pair.RunUntil(() =>
        {
            Assert.Null(pair.A.SendAccountingError());
            Assert.Null(pair.B.SendAccountingError());
            return pair.ReceivedByB.Count(m => m.Stream == 1) == 20 && pair.ReceivedByA.Count(m => m.Stream == 1) == 20;
        });

        Assert.Equal(large, pair.ReceivedByB.Where(m => m.Stream == 1).Select(m => m.Payload).ToList());
        Assert.Equal(large, pair.ReceivedByA.Where(m => m.Stream == 1).Select(m => m.Payload).ToList());
    }
}
