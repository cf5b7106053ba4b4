using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>
/// Packets serialised by aiortc 1.x's own rtcsctptransport code (python3-aiortc), checksum included: our
/// reader must accept them as a real peer sends them, e.g. an INIT whose last chunk is not padded.
/// </summary>
public sealed class SctpAiortcPacketTests
{
    [Fact]
    public void Init_FromAiortc_ParsedWithExtensions()
    {
        var bytes = Convert.FromHexString("138813880000000071444cf00100001e1122334400020000ffffffff55667788c000000480080006c0820000");
        var chunks = SctpPacket.Parse(bytes).Chunks;
        Assert.True(chunks.MoveNext());

        var init = SctpInitChunk.Read(chunks.Current);

        Assert.Equal(0x11223344u, init.InitiateTag);
        Assert.Equal(131072u, init.AdvertisedWindow);
        Assert.Equal(65535, init.OutboundStreams);
        Assert.Equal(0x55667788u, init.InitialTsn);
        Assert.True(init.ForwardTsnSupported);
        Assert.True(init.TryGetSupportedExtensions(out var types));
        Assert.Equal(new[] { SctpChunkType.ForwardTsn, SctpChunkType.ReConfig }, types.ToArray());
        Assert.False(chunks.MoveNext());
    }

    [Fact]
    public void DataOpen_FromAiortc_ParsedAsDcepOpen()
    {
        var bytes = Convert.FromHexString("1388138899aabbcc2bab2fd20003002c556677880001000000000032030000000000000000100000636c69656e74546f53747265616d6572");
        var chunks = SctpPacket.Parse(bytes).Chunks;
        Assert.True(chunks.MoveNext());

        var data = SctpDataChunk.Read(chunks.Current);

        Assert.True(data.Beginning && data.Ending && !data.Unordered);
        Assert.Equal(DcepPpid.Dcep, data.Ppid);
        Assert.Equal(1, data.StreamId);
        Assert.Equal("clientToStreamer", Dcep.ReadOpen(data.UserData).Label);
    }

    [Fact]
    public void Sack_FromAiortc_ParsedAndRewrittenIdentically()
    {
        var bytes = Convert.FromHexString("1388138899aabbcc2954d5220300001c000000640002000000020001000200030005000500000062");
        var chunks = SctpPacket.Parse(bytes).Chunks;
        Assert.True(chunks.MoveNext());
        var sack = SctpSackChunk.Read(chunks.Current);
        Assert.Equal(new SctpGapBlock(5, 5), sack.GetGapBlock(1));
        Assert.Equal(98u, sack.GetDuplicate(0));

        var buffer = new byte[64];
        var writer = new SctpPacketWriter(buffer, 5000, 5000, 0x99aabbcc);
        writer.WriteSack(100, 131072, [new(2, 3), new(5, 5)], [98]);

        Assert.Equal(bytes, buffer[..writer.Finish()]);
    }

    [Fact]
    public void ForwardTsn_FromAiortc_ParsedAndRewrittenIdentically()
    {
        var bytes = Convert.FromHexString("1388138899aabbccb6b44351c000000c000000c800010007");
        var chunks = SctpPacket.Parse(bytes).Chunks;
        Assert.True(chunks.MoveNext());
        Assert.Equal(new SctpForwardTsnStream(1, 7), SctpForwardTsnChunk.Read(chunks.Current).GetStream(0));

        var buffer = new byte[64];
        var writer = new SctpPacketWriter(buffer, 5000, 5000, 0x99aabbcc);
        writer.WriteForwardTsn(200, [new(1, 7)]);

        Assert.Equal(bytes, buffer[..writer.Finish()]);
    }
}
