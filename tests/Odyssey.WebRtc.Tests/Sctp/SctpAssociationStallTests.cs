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

    [Fact]
    public async Task SendCallback_ThrowsForSomePackets_CountedAsLostAndEverythingArrives()
    {
        await using var pair = new SctpTestPair(seed: 9);
        pair.Connect();
        var sent = 0;
        pair.DropFromA = _ => ++sent % 7 == 0 ? throw new IOException("send callback failed (test)") : false;
        var message = new byte[64 * 1024];
        new Random(3).NextBytes(message);
        for (var i = 0; i < 10; i++)
        {
            pair.A.Send(1, BinaryPpid, message, SctpSendOptions.Reliable);
        }

        pair.RunUntil(() => pair.ReceivedByB.Count == 10);
        Assert.All(pair.ReceivedByB, m => Assert.Equal(message, m.Payload));
        Assert.True(pair.A.Stats.SendFailures > 0, "the throwing callback must be counted");
        Assert.Null(pair.A.SendAccountingError());
        Assert.Equal(SctpAssociationState.Established, pair.A.State);
    }

    // aiortc, on a FORWARD-TSN, moves its cumulative TSN on over every TSN it holds after the new one and then drops
    // all reassembly fragments up to there: a run that ends inside a message loses that message for good (the
    // stall through 5 % loss). This oracle watches what the peer holds (the link is FIFO and loses only what the
    // test drops) and flags any FORWARD-TSN after which aiortc would discard part of a message.
    [Fact]
    public async Task ForwardTsn_AbandonedChunkBeforePartlyReceivedMessage_WaitsUntilAiortcCouldNotPruneThatMessage()
    {
        await using var pair = new SctpTestPair(seed: 2);
        pair.Connect();
        var held = new Dictionary<uint, byte>();
        var violations = new List<string>();
        var forwardTsns = 0;
        var dataPackets = 0;
        var dropAt = new HashSet<int> { 1, 31 };
        pair.DropFromA = packet =>
        {
            Assert.True(SctpPacket.TryParse(packet, out var parsed, out _, out _));
            var hasData = false;
            foreach (var chunk in parsed.Chunks)
            {
                hasData |= chunk.Type == SctpChunkType.Data;
            }

            if (hasData && dropAt.Contains(++dataPackets))
            {
                return true;
            }

            foreach (var chunk in parsed.Chunks)
            {
                if (chunk.Type == SctpChunkType.Data)
                {
                    held.TryAdd(SctpDataChunk.Read(chunk).Tsn, chunk.Flags);
                }
                else if (chunk.Type == SctpChunkType.ForwardTsn)
                {
                    forwardTsns++;
                    var point = SctpForwardTsnChunk.Read(chunk).NewCumulativeTsn;
                    var end = point;
                    while (held.ContainsKey(end + 1))
                    {
                        end++;
                    }

                    if (end != point && (held[end] & SctpDataChunk.EndingFlag) == 0)
                    {
                        violations.Add($"FORWARD-TSN to {point}: aiortc would run on to {end}, inside a message, and drop its fragments");
                    }
                }
            }

            return false;
        };

        pair.A.Send(2, BinaryPpid, new byte[100], new SctpSendOptions(true, 0, null));
        var message = new byte[200 * 1024];
        new Random(4).NextBytes(message);
        pair.A.Send(1, BinaryPpid, message, SctpSendOptions.Reliable);
        pair.A.Send(1, BinaryPpid, message, SctpSendOptions.Reliable);
        pair.RunUntil(() => pair.ReceivedByB.Count == 2 && pair.A.Stats.MessagesAbandoned == 1 && forwardTsns > 0);

        Assert.Empty(violations);
        Assert.All(pair.ReceivedByB, m => Assert.Equal(message, m.Payload));
        Assert.Null(pair.A.SendAccountingError());
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(17)]
    [InlineData(21)]
    [InlineData(24)]
    [InlineData(25)]
    public async Task ForwardTsn_LossyReorderingLinkBesideLargeMessages_NeverLetsAiortcPruneAPartlyHeldMessage(int seed)
    {
        await using var pair = new SctpTestPair(seed) { Loss = 0.05, Reorder = 0.05 };
        pair.Connect();
        var held = new Dictionary<uint, byte>();
        var violations = new List<string>();
        pair.DeliveringToB = packet => WatchAsAiortc(packet, held, violations);
        var message = new byte[200 * 1024];
        new Random(seed).NextBytes(message);
        var lossy = new SctpSendOptions(true, 0, null);
        for (var i = 0; i < 10; i++)
        {
            pair.A.Send(1, BinaryPpid, message, SctpSendOptions.Reliable);
            for (var k = 0; k < 30; k++)
            {
                pair.A.Send(2, BinaryPpid, new byte[100], lossy);
            }
        }

        pair.RunUntil(() => pair.ReceivedByB.Count(m => m.Stream == 1) == 10);
        Assert.Empty(violations);
    }

    private static void WatchAsAiortc(byte[] packet, Dictionary<uint, byte> held, List<string> violations)
    {
        if (!SctpPacket.TryParse(packet, out var parsed, out _, out _))
        {
            return;
        }

        foreach (var chunk in parsed.Chunks)
        {
            if (chunk.Type == SctpChunkType.Data)
            {
                held.TryAdd(SctpDataChunk.Read(chunk).Tsn, chunk.Flags);
            }
            else if (chunk.Type == SctpChunkType.ForwardTsn)
            {
                var point = SctpForwardTsnChunk.Read(chunk).NewCumulativeTsn;
                var end = point;
                while (held.ContainsKey(end + 1))
                {
                    end++;
                }

                if (end != point && (held[end] & SctpDataChunk.EndingFlag) == 0)
                {
                    violations.Add($"FORWARD-TSN to {point}: aiortc would run on to {end}, inside a message");
                }
            }
        }
    }

    // aiortc 1.4 as a sender (rtcsctptransport.py): a maxRetransmits 0 chunk is abandoned and announced by ONE
    // FORWARD-TSN, never repeated; its T3 then resends its whole sent queue, which starts just above the abandoned
    // TSN. Here the first FORWARD-TSN arrives (the peer is seen to use partial reliability), the second is lost.
    [Fact]
    public async Task Receive_AiortcLosesItsOnlyForwardTsnThenResendsItsQueue_HoleSkippedAndCumulativeAckMovesOn()
    {
        await using var pair = new SctpTestPair(seed: 3, optionsA: new SctpAssociationOptions { InitialTsn = 100 });
        pair.Connect();
        var acked = new List<uint>();
        pair.DropFromB = packet => Sacks(packet, acked);

        Inject(pair, (ref SctpPacketWriter w) => w.WriteData(LossyFlags, 100, 2, 0, BinaryPpid, new byte[10]));
        Inject(pair, (ref SctpPacketWriter w) => w.WriteForwardTsn(101, default)); // TSN 101 was abandoned; this FORWARD-TSN gets through
        // TSN 102 is abandoned too, and its FORWARD-TSN is lost; a three-fragment reliable message follows.
        SendMessage(pair, 103);
        Assert.Equal(101u, acked[^1]);

        SendMessage(pair, 103); // aiortc's T3: its queue again, from 103
        Assert.Equal(101u, acked[^1]);
        SendMessage(pair, 103);

        Assert.Equal(105u, acked[^1]);
        Assert.Equal(1, pair.B.Stats.InferredForwardTsns);
        Inject(pair, (ref SctpPacketWriter w) => w.WriteData(SctpDataChunk.BeginningFlag | SctpDataChunk.EndingFlag, 106, 1, 1, BinaryPpid, new byte[10]));
        Assert.Equal(106u, acked[^1]);
        Assert.Equal(3, pair.ReceivedByB.Count); // the lossy message, the reliable one once, the last one
        Assert.Equal(1200, pair.ReceivedByB[1].Payload.Length);
    }

    [Fact]
    public async Task Receive_PeerNeverUsedForwardTsn_ResendsAboveAHoleNeverSkipIt()
    {
        await using var pair = new SctpTestPair(seed: 3, optionsA: new SctpAssociationOptions { InitialTsn = 100 });
        pair.Connect();
        var acked = new List<uint>();
        pair.DropFromB = packet => Sacks(packet, acked);

        for (var round = 0; round < 5; round++)
        {
            SendMessage(pair, 101); // TSN 100 is missing, and it is reliable: it must be waited for
        }

        Assert.All(acked, ack => Assert.Equal(99u, ack));
        Assert.Equal(0, pair.B.Stats.InferredForwardTsns);
        Inject(pair, (ref SctpPacketWriter w) => w.WriteData(SctpDataChunk.BeginningFlag | SctpDataChunk.EndingFlag, 100, 3, 0, BinaryPpid, new byte[10]));
        Assert.Equal(103u, acked[^1]);
    }

    private const byte LossyFlags = SctpDataChunk.UnorderedFlag | SctpDataChunk.BeginningFlag | SctpDataChunk.EndingFlag;

    // aiortc puts one DATA chunk in each packet: the three fragments of a 1200-byte message on stream 1, SSN 0.
    private static void SendMessage(SctpTestPair pair, uint firstTsn)
    {
        Inject(pair, (ref SctpPacketWriter w) => w.WriteData(SctpDataChunk.BeginningFlag, firstTsn, 1, 0, BinaryPpid, new byte[400]));
        Inject(pair, (ref SctpPacketWriter w) => w.WriteData(0, firstTsn + 1, 1, 0, BinaryPpid, new byte[400]));
        Inject(pair, (ref SctpPacketWriter w) => w.WriteData(SctpDataChunk.EndingFlag, firstTsn + 2, 1, 0, BinaryPpid, new byte[400]));
    }

    private delegate void Chunks(ref SctpPacketWriter writer);

    private static void Inject(SctpTestPair pair, Chunks write)
    {
        var buffer = new byte[1200];
        var writer = new SctpPacketWriter(buffer, 5000, 5000, pair.B.VerificationTag);
        write(ref writer);
        pair.B.ReceivePacket(buffer.AsSpan(0, writer.Finish()));
        pair.Settle(TimeSpan.FromSeconds(1)); // B's delayed SACK
    }

    // Records the cumulative TSN of every SACK B sends. A still gets them (and drops those for TSNs it never sent):
    // it must hear B's heartbeat answers.
    private static bool Sacks(byte[] packet, List<uint> acked)
    {
        Assert.True(SctpPacket.TryParse(packet, out var parsed, out _, out _));
        foreach (var chunk in parsed.Chunks)
        {
            if (chunk.Type == SctpChunkType.Sack)
            {
                acked.Add(SctpSackChunk.Read(chunk).CumulativeTsnAck);
            }
        }

        return false;
    }
}
