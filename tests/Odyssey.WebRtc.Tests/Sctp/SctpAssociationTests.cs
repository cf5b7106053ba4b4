using System.Buffers.Binary;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

public class SctpAssociationTests
{
    private const uint BinaryPpid = 53;

    [Fact]
    public async Task Connect_OneSideStarts_BothEstablished()
    {
        await using var pair = new SctpTestPair();
        var states = new List<SctpAssociationState>();
        pair.B.StateChanged += states.Add;
        pair.Connect();
        Assert.Equal([SctpAssociationState.Established], states);
    }

    [Fact]
    public async Task Connect_BothStart_InitCollisionEndsEstablished()
    {
        await using var pair = new SctpTestPair();
        pair.Connect(bothStart: true);
        SendNumbered(pair.A, 0, 10);
        SendNumbered(pair.B, 0, 10);
        pair.RunUntil(() => pair.ReceivedByA.Count == 10 && pair.ReceivedByB.Count == 10);
        AssertNumbered(pair.ReceivedByB, 10);
        AssertNumbered(pair.ReceivedByA, 10);
    }

    [Fact]
    public async Task Connect_InitLost_T1RetransmitsAndEstablishes()
    {
        await using var pair = new SctpTestPair();
        var inits = 0;
        pair.DropFromA = packet => packet[12] == SctpChunkType.Init && ++inits <= 2;
        pair.Connect();
        Assert.Equal(3, inits);
    }

    [Fact]
    public async Task Send_1000OrderedMessages_ArriveInOrder()
    {
        await using var pair = new SctpTestPair();
        pair.Connect();
        SendNumbered(pair.A, 1, 1000);
        pair.RunUntil(() => pair.ReceivedByB.Count == 1000);
        AssertNumbered(pair.ReceivedByB, 1000);
        pair.RunUntil(() => pair.A.BufferedAmount(1) == 0);
    }

    [Fact]
    public async Task Send_200KiBMessages_ReassembledIntact()
    {
        await using var pair = new SctpTestPair();
        pair.Connect();
        var messages = LargeMessages(20, 200 * 1024);
        foreach (var message in messages)
        {
            pair.A.Send(3, BinaryPpid, message, SctpSendOptions.Reliable);
        }

        pair.RunUntil(() => pair.ReceivedByB.Count == messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.Equal(3, pair.ReceivedByB[i].Stream);
            Assert.Equal(messages[i], pair.ReceivedByB[i].Payload);
        }
    }

    [Fact]
    public async Task Send_LossyReorderingLink_1000OrderedAnd20LargeArriveIntact()
    {
        await using var pair = new SctpTestPair(seed: 5) { Loss = 0.05, Reorder = 0.05, Duplicate = 0.02 };
        pair.Connect();
        SendNumbered(pair.A, 1, 1000);
        var large = LargeMessages(20, 200 * 1024);
        foreach (var message in large)
        {
            pair.A.Send(2, BinaryPpid, message, SctpSendOptions.Reliable);
        }

        SendNumbered(pair.B, 1, 1000);
        pair.RunUntil(() => pair.ReceivedByB.Count == 1020 && pair.ReceivedByA.Count == 1000);
        AssertNumbered(pair.ReceivedByB.Where(m => m.Stream == 1).ToList(), 1000);
        AssertNumbered(pair.ReceivedByA, 1000);
        var largeReceived = pair.ReceivedByB.Where(m => m.Stream == 2).Select(m => m.Payload).ToList();
        Assert.Equal(large, largeReceived);
        var stats = pair.A.Stats;
        Assert.True(stats.Retransmissions > 0, "a 5 % lossy link must cause retransmissions");
        Assert.True(stats.FastRetransmits > 0, "gaps in a long transfer are repaired by fast retransmit");
    }

    private static void SendNumbered(SctpAssociation association, ushort stream, int count)
    {
        Span<byte> payload = stackalloc byte[100];
        for (var i = 0; i < count; i++)
        {
            payload.Fill((byte)i);
            BinaryPrimitives.WriteInt32BigEndian(payload, i);
            association.Send(stream, BinaryPpid, payload, SctpSendOptions.Reliable);
        }
    }

    private static void AssertNumbered(List<(ushort Stream, uint Ppid, byte[] Payload)> received, int count)
    {
        Assert.Equal(count, received.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(100, received[i].Payload.Length);
            Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(received[i].Payload));
            Assert.Equal(BinaryPpid, received[i].Ppid);
        }
    }

    private static List<byte[]> LargeMessages(int count, int size)
    {
        var random = new Random(42);
        var messages = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var message = new byte[size];
            random.NextBytes(message);
            messages.Add(message);
        }

        return messages;
    }
}
