using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Tests.DataChannels;
using Exchange = Odyssey.WebRtc.Tests.DataChannels.DataChannelExchange;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>Data channels between two of our own connections on loopback, and the SDP side of max-message-size.</summary>
public sealed class DataChannelPeerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<(PeerConnection Offerer, PeerConnection Answerer)> ConnectAsync(DtlsRole answererRole, Action<PeerConnection, PeerConnection>? beforeNegotiation = null)
    {
        var offerer = new PeerConnection(PeerConnectionTests.LoopbackOptions());
        var answerer = new PeerConnection(PeerConnectionTests.LoopbackOptions() with { PreferredDtlsRole = answererRole });
        beforeNegotiation?.Invoke(offerer, answerer);
        await PeerConnectionTests.NegotiateAsync(offerer, answerer);
        await Task.WhenAll(offerer.WhenConnectedAsync(), answerer.WhenConnectedAsync()).WaitAsync(Timeout);
        return (offerer, answerer);
    }

    [Theory]
    [InlineData(DtlsRole.Client)]
    [InlineData(DtlsRole.Server)]
    public async Task Loopback_ChannelBothWays_StringsAndLargeMessagesArriveInOrder(DtlsRole answererRole)
    {
        RtcDataChannel? ours = null;
        var announced = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        Exchange.Receiver? answererReceives = null;
        var (offerer, answerer) = await ConnectAsync(answererRole, (o, a) =>
        {
            ours = o.CreateDataChannel("clientToStreamer", new RtcDataChannelInit { Protocol = "odyssey" });
            a.DataChannel += channel =>
            {
                answererReceives = new Exchange.Receiver(channel); // attached inside the event: nothing is missed
                announced.TrySetResult(channel);
            };
        });
        await using (offerer)
        await using (answerer)
        {
            var offererReceives = new Exchange.Receiver(ours!);
            var theirs = await announced.Task.WaitAsync(Timeout);
            await ours!.WhenOpenAsync().WaitAsync(Timeout);
            Assert.Equal("odyssey", theirs.Init.Protocol);
            Assert.Equal(ours.Id, theirs.Id);
            var offererIsClient = answererRole == DtlsRole.Server;
            Assert.Equal(offererIsClient ? 0 : 1, ours.Id!.Value % 2); // RFC 8832 §6
            Assert.Equal(262144, offerer.SctpMaxMessageSize);

            using var cancel = new CancellationTokenSource(Timeout);
            await Task.WhenAll(
                Exchange.SendAsync(ours, Exchange.Small, Exchange.Big, cancel.Token),
                Exchange.SendAsync(theirs, Exchange.Small, Exchange.Big, cancel.Token),
                offererReceives.Completed,
                answererReceives!.Completed).WaitAsync(Timeout);

            Assert.Empty(offererReceives.Errors);
            Assert.Empty(answererReceives.Errors);
            Assert.Equal(Exchange.Small, answererReceives.Strings);
            Assert.Equal(Exchange.Big, answererReceives.Binaries);
        }
    }

    [Fact]
    public async Task Loopback_NegotiatedAndUnorderedChannels_OpenAndCarryEmptyMessages()
    {
        RtcDataChannel? a = null, b = null, unordered = null;
        var dcep = 0;
        var incoming = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (offerer, answerer) = await ConnectAsync(DtlsRole.Client, (o, n) =>
        {
            a = o.CreateDataChannel("pre", new RtcDataChannelInit { Negotiated = true, Id = 9 });
            b = n.CreateDataChannel("pre", new RtcDataChannelInit { Negotiated = true, Id = 9 });
            unordered = o.CreateDataChannel("fast", new RtcDataChannelInit { Ordered = false, MaxRetransmits = 2 });
            n.DataChannel += channel =>
            {
                Interlocked.Increment(ref dcep);
                incoming.TrySetResult(channel);
            };
        });
        await using (offerer)
        await using (answerer)
        {
            await Task.WhenAll(a!.WhenOpenAsync(), b!.WhenOpenAsync(), unordered!.WhenOpenAsync()).WaitAsync(Timeout);
            var fast = await incoming.Task.WaitAsync(Timeout);
            Assert.Equal("fast", fast.Label);
            Assert.False(fast.Init.Ordered);
            Assert.Equal(2, fast.Init.MaxRetransmits);

            var got = new List<(int Length, bool Binary)>();
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            b.Message += (_, m) =>
            {
                lock (got)
                {
                    got.Add((m.Data.Length, m.IsBinary));
                    if (got.Count == 3)
                    {
                        all.TrySetResult();
                    }
                }
            };
            await a.SendAsync("");
            await a.SendAsync(ReadOnlyMemory<byte>.Empty);
            await a.SendAsync("x");
            await all.Task.WaitAsync(Timeout);

            Assert.Equal([(0, false), (0, true), (1, false)], got);
            Assert.Equal(1, dcep); // only "fast" went through DCEP
        }
    }

    [Fact]
    public async Task Close_ByOneSide_BothSidesReachClosed_AndDisposeClosesTheRest()
    {
        RtcDataChannel? ours = null, other = null;
        var incoming = new List<RtcDataChannel>();
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (offerer, answerer) = await ConnectAsync(DtlsRole.Client, (o, a) =>
        {
            ours = o.CreateDataChannel("first");
            other = o.CreateDataChannel("second");
            a.DataChannel += channel =>
            {
                lock (incoming)
                {
                    incoming.Add(channel);
                    if (incoming.Count == 2)
                    {
                        both.TrySetResult();
                    }
                }
            };
        });
        await using (answerer)
        {
            await using (offerer)
            {
                await both.Task.WaitAsync(Timeout);
                var theirs = incoming.Single(c => c.Label == "first");
                var theirClosed = AiortcDataChannelTests.WhenClosedAsync(theirs);
                var ourClosed = AiortcDataChannelTests.WhenClosedAsync(ours!);

                ours!.Close();
                await Task.WhenAll(theirClosed, ourClosed).WaitAsync(Timeout);
                Assert.Equal(RtcDataChannelState.Closed, theirs.ReadyState);
                Assert.Equal(RtcDataChannelState.Open, other!.ReadyState);
                await Assert.ThrowsAsync<InvalidOperationException>(() => ours.SendAsync("after close").AsTask());
            }

            // The offerer went away with SHUTDOWN: the answerer's remaining channel closes too.
            var second = incoming.Single(c => c.Label == "second");
            await AiortcDataChannelTests.WhenClosedAsync(second).WaitAsync(Timeout);
            Assert.Equal(RtcDataChannelState.Closed, other!.ReadyState);
        }
    }

    [Fact]
    public async Task CreateDataChannel_AfterConnecting_OpensAtOnceWithTheRoleParity()
    {
        var incoming = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (offerer, answerer) = await ConnectAsync(DtlsRole.Client, (o, _) => o.DataChannel += c => incoming.TrySetResult(c));
        await using (offerer)
        await using (answerer)
        {
            var late = answerer.CreateDataChannel("late"); // the answerer is the DTLS client: even ids
            await late.WhenOpenAsync().WaitAsync(Timeout);
            var theirs = await incoming.Task.WaitAsync(Timeout);
            Assert.Equal(0, late.Id!.Value % 2);
            Assert.Equal(late.Id, theirs.Id);
            Assert.Equal("late", theirs.Label);
        }
    }

    [Theory]
    [InlineData(null, 65536)] // RFC 8841 §6: absent means 64 KiB
    [InlineData("0", 262144)] // 0: the peer takes any size; ours caps it
    [InlineData("100000", 100000)]
    [InlineData("1048576", 262144)]
    public async Task SctpMaxMessageSize_IsThePeersLimitCappedByOurs(string? advertised, long expected)
    {
        await using var offerer = new PeerConnection(PeerConnectionTests.LoopbackOptions());
        await using var answerer = new PeerConnection(PeerConnectionTests.LoopbackOptions());
        var offer = await offerer.CreateOfferAsync();
        var sdp = offer.Sdp.Replace("a=max-message-size:262144\r\n", advertised is null ? "" : $"a=max-message-size:{advertised}\r\n", StringComparison.Ordinal);
        Assert.Equal(0, answerer.SctpMaxMessageSize);

        await answerer.SetRemoteDescriptionAsync(offer with { Sdp = sdp });

        Assert.Equal(expected, answerer.SctpMaxMessageSize);
    }

    [Fact]
    public async Task CreateDataChannel_WithDataChannelsOff_StillPutsTheApplicationLineInTheOffer()
    {
        await using var offerer = new PeerConnection(PeerConnectionTests.LoopbackOptions() with { DataChannels = false });
        Assert.DoesNotContain("m=application", (await offerer.CreateOfferAsync()).Sdp, StringComparison.Ordinal);
        offerer.CreateDataChannel("wanted");
        Assert.Contains("m=application", (await offerer.CreateOfferAsync()).Sdp, StringComparison.Ordinal);
    }
}
