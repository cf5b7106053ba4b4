using System.Buffers.Binary;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>Unordered delivery, partial reliability, stream reset, shutdown, abort and failure detection over the in-memory pair.</summary>
public class SctpAssociationReliabilityTests
{
    private const uint BinaryPpid = 53;

    [Fact]
    public async Task Send_UnorderedOverLossyReorderingLink_EveryMessageArrivesOnce()
    {
        await using var pair = new SctpTestPair(seed: 11) { Loss = 0.05, Reorder = 0.3 };
        pair.Connect();
        for (var i = 0; i < 300; i++)
        {
            pair.A.Send(4, BinaryPpid, Numbered(i), new SctpSendOptions(true, null, null));
        }

        pair.RunUntil(() => pair.ReceivedByB.Count == 300);
        var numbers = pair.ReceivedByB.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 300), numbers);
    }

    [Fact]
    public async Task Send_MaxRetransmitsZeroUnderLoss_AbandonsSomeAndStreamStaysUsable()
    {
        await using var pair = new SctpTestPair(seed: 3) { Loss = 0.1 };
        pair.Connect();
        for (var i = 0; i < 300; i++)
        {
            pair.A.Send(5, BinaryPpid, Numbered(i), new SctpSendOptions(false, 0, null));
        }

        pair.RunUntil(() => pair.A.BufferedAmount(5) == 0);
        var abandoned = pair.A.AbandonedMessages(5);
        var received = pair.ReceivedByB.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)).ToList();
        Assert.True(abandoned > 0, "10 % loss with no retransmissions must abandon messages");
        Assert.True(received.Count < 300);
        Assert.True(received.Count + abandoned >= 300, $"{received.Count} received + {abandoned} abandoned must cover 300 sent");
        Assert.Equal(received.Order(), received);

        // FORWARD-TSN moved the receiver past the gaps: reliable messages on the same stream still arrive in order.
        pair.Loss = 0;
        var before = pair.ReceivedByB.Count;
        for (var i = 1000; i < 1010; i++)
        {
            pair.A.Send(5, BinaryPpid, Numbered(i), SctpSendOptions.Reliable);
        }

        pair.RunUntil(() => pair.ReceivedByB.Count == before + 10);
        Assert.Equal(Enumerable.Range(1000, 10), pair.ReceivedByB.Skip(before).Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)));
    }

    [Fact]
    public async Task Send_LifetimeExpiresWhileLinkIsDown_MessageAbandonedAndNextOneDelivered()
    {
        await using var pair = new SctpTestPair();
        pair.Connect();
        pair.DropFromA = _ => true;
        pair.A.Send(6, BinaryPpid, Numbered(1), new SctpSendOptions(false, null, TimeSpan.FromMilliseconds(300)));
        pair.RunUntil(() => pair.A.AbandonedMessages(6) == 1);
        pair.DropFromA = null;
        pair.A.Send(6, BinaryPpid, Numbered(2), SctpSendOptions.Reliable);
        pair.RunUntil(() => pair.ReceivedByB.Count == 1 && pair.A.BufferedAmount(6) == 0);
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(pair.ReceivedByB[0].Payload));
    }

    [Fact]
    public async Task ResetStreams_BothDirections_PeerSeesResetAndSequenceRestarts()
    {
        await using var pair = new SctpTestPair(seed: 4) { Loss = 0.05 };
        pair.Connect();
        var resetAtB = new List<ushort>();
        var resetAtA = new List<ushort>();
        pair.B.StreamReset += resetAtB.Add;
        pair.A.StreamReset += resetAtA.Add;
        for (var i = 0; i < 5; i++)
        {
            pair.A.Send(7, BinaryPpid, Numbered(i), SctpSendOptions.Reliable);
        }

        pair.A.ResetStreams([7]);
        Assert.Throws<InvalidOperationException>(() => pair.A.Send(7, BinaryPpid, Numbered(99), SctpSendOptions.Reliable));
        pair.RunUntil(() => resetAtB.Count == 1);
        Assert.Equal(5, pair.ReceivedByB.Count);

        // The other side closes its half as data channels do (RFC 8831 §6.7).
        pair.B.ResetStreams([7]);
        pair.RunUntil(() => resetAtA.Count == 1 && CanSend(pair.A, 7));
        Assert.Equal([(ushort)7], resetAtB);
        Assert.Equal([(ushort)7], resetAtA);

        // SSNs restarted at 0 on both ends: a new message on the reused stream is delivered.
        pair.RunUntil(() => pair.ReceivedByB.Count == 6);
        Assert.Equal(100, BinaryPrimitives.ReadInt32BigEndian(pair.ReceivedByB[5].Payload));
    }

    [Fact]
    public async Task PeerReset_BeforeItsDataArrived_PerformedOnceTheDataIsIn()
    {
        // aiortc sends its reset request at once, with the last TSN it assigned; data may still be missing.
        await using var pair = new SctpTestPair(optionsA: new SctpAssociationOptions { InitialTsn = 1000 });
        pair.Connect();
        var events = new List<string>();
        pair.B.MessageReceived += (stream, _, _) => events.Add($"message {stream}");
        pair.B.StreamReset += stream => events.Add($"reset {stream}");
        var results = new List<uint>();
        pair.DropFromB = packet =>
        {
            foreach (var chunk in SctpPacket.Parse(packet).Chunks)
            {
                if (chunk.Type == SctpChunkType.ReConfig)
                {
                    foreach (var parameter in SctpReConfig.ReadParameters(chunk))
                    {
                        results.Add(SctpReConfigResponse.Read(parameter).Result);
                    }
                }
            }

            return false;
        };
        pair.DropFromA = packet => packet[12] == SctpChunkType.Data;
        for (var i = 0; i < 3; i++)
        {
            pair.A.Send(7, BinaryPpid, Numbered(i), SctpSendOptions.Reliable);
        }

        var request = new byte[64];
        var writer = new SctpPacketWriter(request, 5000, 5000, pair.B.VerificationTag);
        writer.WriteOutgoingSsnResetRequest(1000, 0, 1002, [7]);
        pair.B.ReceivePacket(request.AsSpan(0, writer.Finish()));
        Assert.Empty(events);

        pair.DropFromA = null;
        pair.RunUntil(() => events.Count == 4);
        Assert.Equal(["message 7", "message 7", "message 7", "reset 7"], events);
        Assert.Equal([SctpReConfig.ResultInProgress, SctpReConfig.ResultPerformed], results);
    }

    [Fact]
    public async Task Shutdown_AfterQueuedData_EverythingDeliveredThenBothClosed()
    {
        await using var pair = new SctpTestPair(seed: 8) { Loss = 0.05 };
        pair.Connect();
        for (var i = 0; i < 50; i++)
        {
            pair.A.Send(1, BinaryPpid, Numbered(i), SctpSendOptions.Reliable);
        }

        var shutdown = pair.A.ShutdownAsync();
        Assert.Throws<InvalidOperationException>(() => pair.A.Send(1, BinaryPpid, Numbered(0), SctpSendOptions.Reliable));
        pair.RunUntil(() => pair.A.State == SctpAssociationState.Closed && pair.B.State == SctpAssociationState.Closed);
        Assert.True(shutdown.IsCompletedSuccessfully);
        Assert.Equal(50, pair.ReceivedByB.Count);
    }

    [Fact]
    public async Task Abort_ByOneSide_PeerAbortedWithTheReason()
    {
        await using var pair = new SctpTestPair();
        pair.Connect();
        pair.A.Abort("user closed the session");
        pair.RunUntil(() => pair.B.State == SctpAssociationState.Aborted);
        Assert.Equal(SctpAssociationState.Aborted, pair.A.State);
        Assert.Contains("user closed the session", pair.B.AbortReason, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => pair.B.Send(1, BinaryPpid, Numbered(0), SctpSendOptions.Reliable));
    }

    [Fact]
    public async Task Send_InitialTsnNearWrapAround_DeliversAcrossTheWrap()
    {
        var options = new SctpAssociationOptions { InitialTsn = uint.MaxValue - 100 };
        await using var pair = new SctpTestPair(seed: 9, options, options) { Loss = 0.05, Reorder = 0.05 };
        pair.Connect();
        for (var i = 0; i < 400; i++)
        {
            pair.A.Send(1, BinaryPpid, Numbered(i), SctpSendOptions.Reliable);
            pair.B.Send(1, BinaryPpid, Numbered(i), i % 2 == 0 ? SctpSendOptions.Reliable : new SctpSendOptions(false, 0, null));
        }

        var large = new byte[100 * 1024];
        new Random(1).NextBytes(large);
        pair.A.Send(2, BinaryPpid, large, SctpSendOptions.Reliable);
        pair.RunUntil(() => pair.ReceivedByB.Count == 401 && pair.B.BufferedAmount(1) == 0);
        Assert.Equal(Enumerable.Range(0, 400), pair.ReceivedByB.Where(m => m.Stream == 1).Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)));
        Assert.Equal(large, pair.ReceivedByB.Single(m => m.Stream == 2).Payload);
        var fromB = pair.ReceivedByA.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)).ToList();
        Assert.Equal(fromB.Order(), fromB);
        Assert.True(fromB.Count + pair.B.AbandonedMessages(1) >= 400);
    }

    [Fact]
    public async Task DeadPeer_DataNeverAcknowledged_AbortsAfterMaxRetransmissions()
    {
        await using var pair = new SctpTestPair();
        pair.Connect();
        pair.DropFromA = _ => true;
        pair.A.Send(1, BinaryPpid, Numbered(1), SctpSendOptions.Reliable);
        pair.RunUntil(() => pair.A.State == SctpAssociationState.Aborted);
        Assert.Contains("unreachable", pair.A.AbortReason, StringComparison.Ordinal);
        Assert.Equal(new SctpAssociationOptions().MaxRetransmissions + 1, pair.A.Stats.T3Expiries);
    }

    [Fact]
    public async Task Heartbeat_IdlePeerAlive_StaysEstablished_IdlePeerDead_Fails()
    {
        await using var pair = new SctpTestPair();
        pair.Connect();
        var before = pair.PacketsFromA;
        pair.RunFor(TimeSpan.FromMinutes(5));
        Assert.True(pair.PacketsFromA > before, "an idle association sends heartbeats");
        Assert.Equal(SctpAssociationState.Established, pair.A.State);
        Assert.Equal(SctpAssociationState.Established, pair.B.State);

        pair.DropFromB = _ => true;
        pair.RunUntil(() => pair.A.State == SctpAssociationState.Aborted);
        Assert.Contains("heartbeat", pair.A.AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_MessageOverMaxMessageSize_AbortsInsteadOfBuffering()
    {
        await using var pair = new SctpTestPair(optionsA: new SctpAssociationOptions { MaxMessageSize = 64 * 1024 }, optionsB: new SctpAssociationOptions { MaxMessageSize = 16 * 1024 });
        pair.Connect();
        pair.A.Send(1, BinaryPpid, new byte[40 * 1024], SctpSendOptions.Reliable);
        pair.RunUntil(() => pair.B.State == SctpAssociationState.Aborted && pair.A.State == SctpAssociationState.Aborted);
        Assert.Contains("max-message-size", pair.B.AbortReason, StringComparison.Ordinal);
        Assert.Empty(pair.ReceivedByB);
    }

    [Fact]
    public async Task MessageReceived_HandlerSendsReply_NoDeadlockAndReplyArrives()
    {
        await using var pair = new SctpTestPair();
        pair.B.MessageReceived += (stream, ppid, payload) => pair.B.Send(stream, ppid, payload, SctpSendOptions.Reliable);
        pair.Connect();
        for (var i = 0; i < 20; i++)
        {
            pair.A.Send(2, BinaryPpid, Numbered(i), SctpSendOptions.Reliable);
        }

        pair.RunUntil(() => pair.ReceivedByA.Count == 20);
        Assert.Equal(Enumerable.Range(0, 20), pair.ReceivedByA.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)));
    }

    [Fact]
    public async Task Send_PeerWindowSmallerThanMessages_ZeroWindowProbingDeliversAll()
    {
        await using var pair = new SctpTestPair(seed: 12, optionsB: new SctpAssociationOptions { ReceiveWindow = 16 * 1024 }) { Loss = 0.02 };
        pair.Connect();
        var messages = Enumerable.Range(0, 3).Select(i => Enumerable.Repeat((byte)i, 64 * 1024).ToArray()).ToList();
        foreach (var message in messages)
        {
            pair.A.Send(1, BinaryPpid, message, SctpSendOptions.Reliable);
        }

        pair.RunUntil(() => pair.ReceivedByB.Count == 3);
        Assert.Equal(messages, pair.ReceivedByB.Select(m => m.Payload));
    }

    [Fact]
    public async Task Receive_UnknownChunkWithReportBits_SkippedReportedAndCounted()
    {
        await using var pair = new SctpTestPair();
        pair.Connect();
        var errors = 0;
        pair.DropFromB = packet =>
        {
            errors += packet[12] == SctpChunkType.Error ? 1 : 0;
            return false;
        };
        var packet = new byte[12 + 8];
        BinaryPrimitives.WriteUInt16BigEndian(packet, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 5000);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), pair.B.VerificationTag);
        packet[12] = 0xC7;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14), 8);
        SctpPacket.WriteChecksum(packet);
        pair.B.ReceivePacket(packet);
        Assert.Equal(1, errors);
        Assert.Equal(1, pair.B.Stats.ChunksDropped);
        Assert.Equal(SctpAssociationState.Established, pair.B.State);
    }

    private static bool CanSend(SctpAssociation association, ushort stream)
    {
        try
        {
            association.Send(stream, BinaryPpid, Numbered(100), SctpSendOptions.Reliable);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static byte[] Numbered(int number)
    {
        var payload = new byte[32];
        BinaryPrimitives.WriteInt32BigEndian(payload, number);
        return payload;
    }
}
