using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

public sealed class DcepTests
{
    [Theory]
    [InlineData(DcepChannelType.Reliable, 0u)]
    [InlineData(DcepChannelType.ReliableUnordered, 0u)]
    [InlineData(DcepChannelType.PartialReliableRexmit, 3u)]
    [InlineData(DcepChannelType.PartialReliableRexmitUnordered, 0u)]
    [InlineData(DcepChannelType.PartialReliableTimed, 1500u)]
    [InlineData(DcepChannelType.PartialReliableTimedUnordered, 100u)]
    public void Open_WriteThenRead_EveryChannelTypeRoundTrips(DcepChannelType type, uint reliability)
    {
        var open = new DcepOpen(type, 256, reliability, "clientToStreamer ✓", "odyssey/1");
        var buffer = new byte[Dcep.GetOpenSize(open)];

        Assert.Equal(buffer.Length, Dcep.WriteOpen(open, buffer));
        Assert.Equal(open, Dcep.ReadOpen(buffer));
    }

    [Fact]
    public void Open_EmptyLabelAndProtocol_RoundTrips()
    {
        var open = new DcepOpen(DcepChannelType.Reliable, 0, 0, "", "");
        var buffer = new byte[Dcep.GetOpenSize(open)];
        Dcep.WriteOpen(open, buffer);

        Assert.Equal(Dcep.OpenFixedSize, buffer.Length);
        Assert.Equal(open, Dcep.ReadOpen(buffer));
    }

    [Fact]
    public void Open_AiortcBytes_ReadAsSent()
    {
        // The user data of aiortc's DATA_CHANNEL_OPEN for a reliable channel "clientToStreamer".
        var bytes = Convert.FromHexString("03000000000000000010000063" + "6c69656e74546f53747265616d6572");

        Assert.Equal(new DcepOpen(DcepChannelType.Reliable, 0, 0, "clientToStreamer", ""), Dcep.ReadOpen(bytes));
    }

    [Fact]
    public void Ack_WriteThenCheck_Recognised()
    {
        var buffer = new byte[1];

        Assert.Equal(1, Dcep.WriteAck(buffer));
        Assert.True(Dcep.IsAck(buffer));
        Assert.False(Dcep.IsAck([Dcep.OpenMessageType]));
        Assert.False(Dcep.IsAck([]));
    }

    [Fact]
    public void ReadOpen_InvalidUtf8Label_ThrowsBadMessageAtLabel()
    {
        byte[] bytes = [3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF];

        var ex = Assert.Throws<SctpParseException>(() => Dcep.ReadOpen(bytes));

        Assert.Equal(SctpError.BadMessage, ex.Error);
        Assert.Equal(Dcep.OpenFixedSize, ex.Offset);
    }

    [Fact]
    public void ReadOpen_LengthsDisagree_ThrowsBadMessage()
    {
        byte[] bytes = [3, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, (byte)'a'];

        Assert.Equal(SctpError.BadMessage, Assert.Throws<SctpParseException>(() => Dcep.ReadOpen(bytes)).Error);
    }

    [Fact]
    public void ReadOpen_UnknownChannelType_ThrowsBadMessageAtTypeField()
    {
        byte[] bytes = [3, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

        Assert.Equal(1, Assert.Throws<SctpParseException>(() => Dcep.ReadOpen(bytes)).Offset);
    }

    [Fact]
    public void Ppids_Rfc8831Values_AreWireValues()
    {
        Assert.Equal([50u, 51u, 53u, 56u, 57u], [DcepPpid.Dcep, DcepPpid.String, DcepPpid.Binary, DcepPpid.StringEmpty, DcepPpid.BinaryEmpty]);
    }
}
