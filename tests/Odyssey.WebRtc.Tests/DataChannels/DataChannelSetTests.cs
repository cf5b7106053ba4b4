using System.Text;
using Odyssey.WebRtc.DataChannels;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.DataChannels;

/// <summary>DCEP (RFC 8832) and the channel state machine over an in-memory association (<see cref="ChannelPair"/>).</summary>
public sealed class DataChannelSetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static (List<RtcDataChannel> Incoming, ChannelPair Pair) Pair()
    {
        var pair = new ChannelPair();
        var incoming = new List<RtcDataChannel>();
        pair.B.ChannelOpened += incoming.Add;
        return (incoming, pair);
    }

    [Fact]
    public async Task Create_BeforeStart_OpensByDcepWithLabelProtocolAndAck()
    {
        var (incoming, pair) = Pair();
        var channel = pair.A.Create("clientToStreamer", new RtcDataChannelInit { Protocol = "json" });
        var opened = 0;
        channel.Opened += _ => opened++;
        Assert.Equal(RtcDataChannelState.Connecting, channel.ReadyState);
        Assert.Null(channel.Id);

        pair.Start();
        pair.Pump();

        await channel.WhenOpenAsync().WaitAsync(Timeout);
        Assert.Equal(RtcDataChannelState.Open, channel.ReadyState);
        Assert.Equal(1, opened);
        Assert.Equal((ushort)0, channel.Id);
        var theirs = Assert.Single(incoming);
        Assert.Equal("clientToStreamer", theirs.Label);
        Assert.Equal("json", theirs.Init.Protocol);
        Assert.True(theirs.Init.Ordered);
        Assert.Equal((ushort)0, theirs.Id);
        Assert.Equal(RtcDataChannelState.Open, theirs.ReadyState);

        var open = pair.ToB.Log[0];
        Assert.Equal(DcepPpid.Dcep, open.Ppid);
        Assert.Equal(new DcepOpen(DcepChannelType.Reliable, 256, 0, "clientToStreamer", "json"), Dcep.ReadOpen(open.Data));
        Assert.Equal(SctpSendOptions.Reliable, open.Options);
        var ack = Assert.Single(pair.ToA.Log);
        Assert.Equal(DcepPpid.Dcep, ack.Ppid);
        Assert.Equal([Dcep.AckMessageType], ack.Data);
    }

    [Fact]
    public void StreamIds_DtlsClientEvenServerOdd()
    {
        var (incoming, pair) = Pair();
        var ours = new[] { pair.A.Create("a0", null), pair.A.Create("a1", null), pair.A.Create("a2", null) };
        var theirs = new[] { pair.B.Create("b0", null), pair.B.Create("b1", null) };
        pair.Start();
        pair.Pump();

        Assert.Equal([(ushort)0, (ushort)2, (ushort)4], ours.Select(c => c.Id!.Value));
        Assert.Equal([(ushort)1, (ushort)3], theirs.Select(c => c.Id!.Value));
        Assert.All(ours.Concat(theirs), c => Assert.Equal(RtcDataChannelState.Open, c.ReadyState));
        Assert.Equal(3, incoming.Count);
    }

    [Fact]
    public void CreateAfterStart_SkipsIdsTheNegotiatedChannelsHold()
    {
        var (_, pair) = Pair();
        pair.A.Create("fixed", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        pair.Start();
        var later = pair.A.Create("later", null);
        pair.Pump();
        Assert.Equal((ushort)2, later.Id);
        Assert.Equal(RtcDataChannelState.Open, later.ReadyState);
    }

    [Theory]
    [InlineData(false, 0, null, DcepChannelType.PartialReliableRexmitUnordered, 0u)]
    [InlineData(true, 3, null, DcepChannelType.PartialReliableRexmit, 3u)]
    [InlineData(true, null, 500, DcepChannelType.PartialReliableTimed, 500u)]
    [InlineData(false, null, 250, DcepChannelType.PartialReliableTimedUnordered, 250u)]
    [InlineData(false, null, null, DcepChannelType.ReliableUnordered, 0u)]
    public async Task ChannelType_WrittenInOpenAndReadBackByPeer(bool ordered, int? retransmits, int? lifetimeMs, DcepChannelType type, uint parameter)
    {
        var (incoming, pair) = Pair();
        var lifetime = lifetimeMs is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        var ours = pair.A.Create("lossy", new RtcDataChannelInit { Ordered = ordered, MaxRetransmits = retransmits, MaxPacketLifeTime = lifetime, Priority = 512 });
        pair.Start();
        pair.Pump();

        var open = Dcep.ReadOpen(pair.ToB.Log[0].Data);
        Assert.Equal(type, open.ChannelType);
        Assert.Equal(parameter, open.ReliabilityParameter);
        Assert.Equal((ushort)512, open.Priority);
        var theirs = Assert.Single(incoming);
        Assert.Equal(ordered, theirs.Init.Ordered);
        Assert.Equal(retransmits, theirs.Init.MaxRetransmits);
        Assert.Equal(lifetime, theirs.Init.MaxPacketLifeTime);
        Assert.Equal((ushort)512, theirs.Init.Priority);

        await ours.SendAsync("x");
        Assert.Equal(new SctpSendOptions(!ordered, retransmits, lifetime), pair.ToB.Log[^1].Options);
    }

    [Fact]
    public async Task Messages_StringBinaryAndEmpty_UseTheirPpidsAndArriveAsSent()
    {
        var (incoming, pair) = Pair();
        var channel = pair.A.Create("chat", null);
        pair.Start();
        pair.Pump();
        var received = new List<(byte[] Data, bool Binary, string Text)>();
        incoming[0].Message += (_, m) => received.Add((m.Data.ToArray(), m.IsBinary, m.Text));

        await channel.SendAsync("héllo");
        await channel.SendAsync(new byte[] { 1, 2, 3 });
        await channel.SendAsync("");
        await channel.SendAsync(ReadOnlyMemory<byte>.Empty);
        var big = new string('z', 5000);
        await channel.SendAsync(big);
        pair.Pump();

        var ppids = pair.ToB.Log.Skip(1).Select(s => s.Ppid).ToArray();
        Assert.Equal([DcepPpid.String, DcepPpid.Binary, DcepPpid.StringEmpty, DcepPpid.BinaryEmpty, DcepPpid.String], ppids);
        Assert.Equal([0], pair.ToB.Log[3].Data); // RFC 8831 §6.6: one byte stands for the empty message
        Assert.Equal(5, received.Count);
        Assert.Equal(("héllo", false), (received[0].Text, received[0].Binary));
        Assert.Equal([1, 2, 3], received[1].Data);
        Assert.True(received[1].Binary);
        Assert.Equal((0, false), (received[2].Data.Length, received[2].Binary));
        Assert.Equal((0, true), (received[3].Data.Length, received[3].Binary));
        Assert.Equal(big, received[4].Text);
    }

    [Fact]
    public async Task Negotiated_SameIdBothSides_OpensWithoutDcepAndCarriesMessages()
    {
        var (incoming, pair) = Pair();
        var a = pair.A.Create("pre", new RtcDataChannelInit { Negotiated = true, Id = 7 });
        var b = pair.B.Create("pre", new RtcDataChannelInit { Negotiated = true, Id = 7 });
        pair.Start();
        await Task.WhenAll(a.WhenOpenAsync(), b.WhenOpenAsync()).WaitAsync(Timeout);
        string? got = null;
        b.Message += (_, m) => got = m.Text;
        await a.SendAsync("hi");
        pair.Pump();

        Assert.Equal("hi", got);
        Assert.Empty(incoming);
        Assert.DoesNotContain(pair.ToB.Log, s => s.Ppid == DcepPpid.Dcep);
        Assert.DoesNotContain(pair.ToA.Log, s => s.Ppid == DcepPpid.Dcep);
    }

    public static TheoryData<byte[]> BadOpens => new()
    {
        new byte[] { Dcep.OpenMessageType, 0, 1, 0 }, // shorter than the fixed part
        new byte[] { Dcep.OpenMessageType, 0x05, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, // unknown channel type
        new byte[] { Dcep.OpenMessageType, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0, 0, 1 }, // label length beyond the message
        new byte[] { Dcep.OpenMessageType, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF }, // label not UTF-8
        new byte[] { 0x07 }, // unknown DCEP message type
    };

    [Theory]
    [MemberData(nameof(BadOpens))]
    public void BadOpen_IsRejectedTypedAndTheStreamReset(byte[] message)
    {
        var (incoming, pair) = Pair();
        pair.Start();
        pair.ToA.Inject(3, DcepPpid.Dcep, message); // as if B's peer... delivered to A
        pair.Pump();

        Assert.Equal(1, pair.A.RejectedOpens);
        var rejection = Assert.IsType<SctpParseException>(pair.A.LastRejection);
        Assert.Equal(SctpError.BadMessage, rejection.Error);
        Assert.Contains((ushort)3, pair.ToB.Resets);
        Assert.Empty(incoming);
        Assert.DoesNotContain(pair.ToB.Log, s => s.Ppid == DcepPpid.Dcep);
    }

    [Fact]
    public void Open_OnStreamInUse_IsRefusedAndOurChannelKept()
    {
        var (_, pair) = Pair();
        var ours = pair.A.Create("mine", new RtcDataChannelInit { Negotiated = true, Id = 4 });
        pair.Start();
        var open = new byte[Dcep.GetOpenSize(new DcepOpen(DcepChannelType.Reliable, 256, 0, "intruder", ""))];
        Dcep.WriteOpen(new DcepOpen(DcepChannelType.Reliable, 256, 0, "intruder", ""), open);
        pair.ToA.Inject(4, DcepPpid.Dcep, open);
        pair.Pump();

        Assert.Equal(1, pair.A.RejectedOpens);
        Assert.Empty(pair.ToB.Resets);
        Assert.Equal(RtcDataChannelState.Open, ours.ReadyState);
    }

    [Fact]
    public async Task Close_ResetsBothDirections_BothSidesClosedOnce()
    {
        var (incoming, pair) = Pair();
        var ours = pair.A.Create("c", null);
        pair.Start();
        pair.Pump();
        var theirs = incoming[0];
        var closed = new List<string>();
        ours.Closed += _ => closed.Add("ours");
        theirs.Closed += _ => closed.Add("theirs");

        ours.Close();
        Assert.Equal(RtcDataChannelState.Closing, ours.ReadyState);
        pair.Pump();

        Assert.Equal(RtcDataChannelState.Closed, ours.ReadyState);
        Assert.Equal(RtcDataChannelState.Closed, theirs.ReadyState);
        Assert.Equal(["theirs", "ours"], closed);
        Assert.Equal([(ushort)0], pair.ToB.Resets);
        Assert.Equal([(ushort)0], pair.ToA.Resets);
        ours.Close(); // idempotent
        await Assert.ThrowsAsync<InvalidOperationException>(() => ours.SendAsync("late").AsTask());

        var again = pair.A.Create("again", null); // the id is free again
        pair.Pump();
        Assert.Equal((ushort)0, again.Id);
        Assert.Equal(RtcDataChannelState.Open, again.ReadyState);
    }

    [Fact]
    public async Task Messages_BeforeAHandlerIsAttached_AreKeptAndDeliveredInOrder()
    {
        var (incoming, pair) = Pair();
        var ours = pair.A.Create("early", null);
        pair.Start();
        pair.Pump();
        for (var i = 0; i < 5; i++)
        {
            await ours.SendAsync($"m{i}");
        }

        pair.Pump();
        var got = new List<string>();
        incoming[0].Message += (_, m) => got.Add(m.Text);
        await ours.SendAsync("m5");
        pair.Pump();

        Assert.Equal(["m0", "m1", "m2", "m3", "m4", "m5"], got);
    }

    [Fact]
    public async Task BufferedAmount_FallsToThreshold_RaisesLowOnce()
    {
        var (_, pair) = Pair();
        var ours = pair.A.Create("bulk", null);
        pair.Start();
        pair.Pump();
        ours.BufferedAmountLowThreshold = 150;
        var lows = 0;
        ours.BufferedAmountLow += _ => lows++;

        await ours.SendAsync(new byte[100]);
        await ours.SendAsync(new byte[100]);
        Assert.Equal(200, ours.BufferedAmount);
        pair.Pump();

        Assert.Equal(0, ours.BufferedAmount);
        Assert.Equal(1, lows);
    }

    [Fact]
    public async Task Send_OverMaxMessageSizeOrBeforeOpen_ThrowsTyped()
    {
        var (_, pair) = Pair();
        pair.A.MaxMessageSize = 1000;
        var ours = pair.A.Create("limits", null);
        var early = await Assert.ThrowsAsync<InvalidOperationException>(() => ours.SendAsync("too soon").AsTask());
        Assert.Contains("limits", early.Message, StringComparison.Ordinal);
        pair.Start();
        pair.Pump();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => ours.SendAsync(new byte[1001]).AsTask());
        Assert.Contains("1000", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => ours.SendAsync(new string('é', 501)).AsTask()); // 1002 UTF-8 bytes
        await ours.SendAsync(new byte[1000]);
    }

    [Fact]
    public async Task End_WithError_RaisesErrorThenClosedAndFaultsWhenOpen()
    {
        var (_, pair) = Pair();
        var waiting = pair.A.Create("never", null);
        var events = new List<string>();
        waiting.Error += (_, e) => events.Add("error:" + e.Message);
        waiting.Closed += _ => events.Add("closed");

        pair.A.End(new InvalidOperationException("ICE failed"));

        Assert.Equal(["error:ICE failed", "closed"], events);
        Assert.Equal(RtcDataChannelState.Closed, waiting.ReadyState);
        await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.WhenOpenAsync().WaitAsync(Timeout));
        Assert.Throws<InvalidOperationException>(() => pair.A.Create("after", null));
    }

    [Fact]
    public void Data_BeforeTheAck_OpensTheChannel()
    {
        var (_, pair) = Pair();
        var ours = pair.A.Create("racy", null);
        var got = new List<string>();
        ours.Message += (_, m) => got.Add(m.Text);
        pair.Start();

        // Unordered data may overtake the peer's ACK: it alone proves the OPEN was accepted.
        pair.ToA.Inject(0, DcepPpid.String, Encoding.UTF8.GetBytes("first"));
        Assert.True(pair.ToA.TryDeliverOne());

        Assert.Equal(RtcDataChannelState.Open, ours.ReadyState);
        Assert.Equal(["first"], got);
    }

    [Theory]
    [InlineData(true, null, null, 1, 1)]
    [InlineData(false, true, null, null, null)]
    [InlineData(false, false, 70000, null, null)]
    public void Create_InvalidInit_ThrowsArgumentException(bool bothReliabilities, bool? negotiatedWithoutId, int? id, int? retransmits, int? lifetime)
    {
        var set = new DataChannelSet();
        var init = new RtcDataChannelInit
        {
            MaxRetransmits = bothReliabilities ? retransmits : null,
            MaxPacketLifeTime = bothReliabilities ? TimeSpan.FromMilliseconds(lifetime!.Value) : null,
            Negotiated = negotiatedWithoutId is true || id is not null,
            Id = id is null ? null : (ushort)Math.Min(id.Value, ushort.MaxValue),
        };
        Assert.ThrowsAny<ArgumentException>(() => set.Create("bad", init));
    }

    [Fact]
    public void Message_OnUnknownStreamOrPpid_IsCountedNotThrown()
    {
        var (_, pair) = Pair();
        pair.Start();
        pair.ToA.Inject(9, DcepPpid.String, [1]);
        pair.ToA.Inject(9, 52, [1]); // deprecated partial string PPID
        pair.Pump();
        Assert.Equal(2, pair.A.UnroutedMessages);
    }
}
