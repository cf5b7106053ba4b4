using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>
/// Packets serialised by aiortc 1.x's own rtcsctptransport code (python3-aiortc), checksum included: our
/// reader must accept them and our writer must produce the same bytes.
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

    [Fact]
    public void OutgoingResetRequest_WrittenByUs_IdenticalToAiortc()
    {
        var buffer = new byte[64];
        var writer = new SctpPacketWriter(buffer, 5000, 5000, 0x99aabbcc);
        writer.WriteOutgoingSsnResetRequest(10, 20, 30, [1, 3, 5]);

        Assert.Equal(Convert.FromHexString("1388138899aabbcc52865b2f8200001a000d00160000000a000000140000001e0001000300050000"), buffer[..writer.Finish()]);
    }

    [Fact]
    public void ReConfigResponse_WrittenByUs_IdenticalToAiortc()
    {
        var buffer = new byte[64];
        var writer = new SctpPacketWriter(buffer, 5000, 5000, 0x99aabbcc);
        writer.WriteReConfigResponse(10, SctpReConfig.ResultPerformed);

        Assert.Equal(Convert.FromHexString("1388138899aabbcc33e78285820000100010000c0000000a00000001"), buffer[..writer.Finish()]);
    }

    [Fact]
    public void Heartbeat_WrittenByUs_IdenticalToAiortc()
    {
        // The chunk length (11) leaves out the last parameter's padding; the packet still ends padded.
        var buffer = new byte[64];
        var writer = new SctpPacketWriter(buffer, 5000, 5000, 0x99aabbcc);
        writer.WriteHeartbeat(false, [1, 2, 3]);

        Assert.Equal(Convert.FromHexString("1388138899aabbcceebaaa750400000b0001000701020300"), buffer[..writer.Finish()]);
    }

    [Fact]
    public void Init_WrittenByUs_IdenticalToAiortc()
    {
        // The chunk length (30) leaves out the last parameter's padding; the packet still ends padded.
        var buffer = new byte[64];
        var writer = new SctpPacketWriter(buffer, 5000, 5000, 0);
        writer.WriteInit(false, 0x11223344, 131072, 65535, 65535, 0x55667788, default, true, [SctpChunkType.ForwardTsn, SctpChunkType.ReConfig]);

        Assert.Equal(Convert.FromHexString("138813880000000071444cf00100001e1122334400020000ffffffff55667788c000000480080006c0820000"), buffer[..writer.Finish()]);
    }

    [Fact]
    public void Parse_FinalChunkPaddingMissing_Accepted()
    {
        // Some stacks drop the final chunk's padding; being lenient costs nothing since lengths are checked.
        var padded = Convert.FromHexString("138813880000000071444cf00100001e1122334400020000ffffffff55667788c000000480080006c0820000");
        var unpadded = padded[..42];
        SctpPacket.WriteChecksum(unpadded);
        var chunks = SctpPacket.Parse(unpadded).Chunks;
        Assert.True(chunks.MoveNext());

        Assert.True(SctpInitChunk.Read(chunks.Current).TryGetSupportedExtensions(out var types));
        Assert.Equal(2, types.Length);
    }
}
