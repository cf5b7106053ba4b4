using System.Text;
using CsCheck;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Tests.Rtp;

public class RtcpPacketTests
{
    private static readonly RtcpReportBlock Block = new(0xAABBCCDD, 25, -3, 0x0001FFFF, 123, 0x12345678, 65536);

    [Fact]
    public void Compound_SrSdesByeFeedback_RoundTrip()
    {
        var buffer = new byte[1500];
        var at = RtcpWriter.WriteSenderReport(buffer, 0x01, 0x1122334455667788, 9000, 42, 4200, [Block]);
        at += RtcpWriter.WriteSourceDescription(buffer.AsSpan(at), 0x01, "odyssey-cname");
        at += RtcpWriter.WriteNack(buffer.AsSpan(at), 0x01, 0x02, [10, 11, 26, 27, 100]);
        at += RtcpWriter.WritePictureLossIndication(buffer.AsSpan(at), 0x01, 0x02);
        at += RtcpWriter.WriteFullIntraRequest(buffer.AsSpan(at), 0x01, 0x02, 7);
        at += RtcpWriter.WriteRemb(buffer.AsSpan(at), 0x01, 1_500_000, [0x02, 0x03]);
        at += RtcpWriter.WriteBye(buffer.AsSpan(at), [0x01, 0x05], "done");

        Assert.Equal(7, RtcpCompoundReader.Validate(buffer.AsSpan(0, at)));
        var reader = new RtcpCompoundReader(buffer.AsSpan(0, at));

        Assert.True(reader.TryReadNext(out var packet));
        Assert.True(RtcpSenderReport.TryRead(packet, out var sr, out _));
        Assert.Equal(0x01u, sr.SenderSsrc);
        Assert.Equal(0x1122334455667788ul, sr.NtpTimestamp);
        Assert.Equal(9000u, sr.RtpTimestamp);
        Assert.Equal(42u, sr.PacketCount);
        Assert.Equal(4200u, sr.OctetCount);
        Assert.Equal(1, sr.ReportCount);
        Assert.Equal(Block, sr.GetReportBlock(0));

        Assert.True(reader.TryReadNext(out packet));
        Assert.True(RtcpSourceDescription.TryRead(packet, out var sdes, out _));
        Assert.True(sdes.TryGetCname(out var cnameSsrc, out var cname));
        Assert.Equal(0x01u, cnameSsrc);
        Assert.Equal("odyssey-cname", Encoding.UTF8.GetString(cname));

        Assert.True(reader.TryReadNext(out packet));
        Assert.True(RtcpFeedback.TryRead(packet, out var nack, out _));
        Assert.Equal(RtcpFeedbackKind.GenericNack, nack.Kind);
        Assert.Equal(0x02u, nack.MediaSsrc);
        Assert.Equal(3, nack.NackItemCount); // 10 covers 11 and 26; 27 and 100 start new items.
        Assert.Equal(new ushort[] { 10, 11, 26, 27, 100 }, Lost(nack));

        Assert.True(reader.TryReadNext(out packet));
        Assert.True(RtcpFeedback.TryRead(packet, out var pli, out _));
        Assert.Equal(RtcpFeedbackKind.PictureLossIndication, pli.Kind);
        Assert.Equal(0x02u, pli.MediaSsrc);

        Assert.True(reader.TryReadNext(out packet));
        Assert.True(RtcpFeedback.TryRead(packet, out var fir, out _));
        Assert.Equal(RtcpFeedbackKind.FullIntraRequest, fir.Kind);
        Assert.Equal((0x02u, (byte)7), fir.GetFirEntry(0));

        Assert.True(reader.TryReadNext(out packet));
        Assert.True(RtcpFeedback.TryRead(packet, out var remb, out _));
        Assert.True(remb.TryGetRemb(out var bitrate, out var sources));
        Assert.Equal(2, sources);
        Assert.InRange(bitrate, 1_499_990ul, 1_500_000ul);

        Assert.True(reader.TryReadNext(out packet));
        Assert.True(RtcpBye.TryRead(packet, out var bye, out _));
        Assert.Equal(2, bye.SourceCount);
        Assert.Equal(0x05u, bye.GetSource(1));
        Assert.Equal("done", Encoding.UTF8.GetString(bye.Reason));

        Assert.False(reader.TryReadNext(out _));
        Assert.Equal(RtpError.None, reader.Error);
    }

    [Fact]
    public void ReceiverReport_WithBlocks_RoundTrips()
    {
        var buffer = new byte[200];
        var second = Block with { Ssrc = 9, CumulativeLost = RtcpReportBlock.MaxCumulativeLost };
        var length = RtcpWriter.WriteReceiverReport(buffer, 0x77, [Block, second]);

        var reader = new RtcpCompoundReader(buffer.AsSpan(0, length));
        Assert.True(reader.TryReadNext(out var packet));
        Assert.True(RtcpReceiverReport.TryRead(packet, out var rr, out _));
        Assert.Equal(0x77u, rr.SenderSsrc);
        Assert.Equal(2, rr.ReportCount);
        Assert.Equal(Block, rr.GetReportBlock(0));
        Assert.Equal(second, rr.GetReportBlock(1));
        Assert.False(RtcpSenderReport.TryRead(packet, out _, out var error));
        Assert.Equal(RtpError.BadPacketType, error);
    }

    [Fact]
    public void Nack_AcrossSequenceWrap_PacksIntoOneItem()
    {
        var buffer = new byte[100];
        var length = RtcpWriter.WriteNack(buffer, 1, 2, [65534, 65535, 0, 3]);
        var reader = new RtcpCompoundReader(buffer.AsSpan(0, length));
        reader.TryReadNext(out var packet);
        RtcpFeedback.TryRead(packet, out var nack, out _);

        Assert.Equal(1, nack.NackItemCount);
        Assert.Equal(new ushort[] { 65534, 65535, 0, 3 }, Lost(nack));
    }

    [Fact]
    public void TransportCc_HandBuilt_IsClassifiedAndSkipped()
    {
        // RTPFB FMT 15 with an arbitrary 8-byte FCI: base seq 1, status count 2, reference time, fb count.
        byte[] data = [0x8F, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 2, 0, 0, 1, 0];
        var reader = new RtcpCompoundReader(data);
        Assert.True(reader.TryReadNext(out var packet));
        Assert.True(RtcpFeedback.TryRead(packet, out var feedback, out _));
        Assert.Equal(RtcpFeedbackKind.TransportCc, feedback.Kind);
        Assert.Equal(0, feedback.NackItemCount);
        Assert.False(feedback.GetLostSequenceNumbers().MoveNext(out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 200, 0 }, RtpError.Truncated)]
    [InlineData(new byte[] { 0x40, 201, 0, 1, 0, 0, 0, 1 }, RtpError.BadVersion)]
    [InlineData(new byte[] { 0x80, 201, 0, 5, 0, 0, 0, 1 }, RtpError.BadLength)]
    [InlineData(new byte[] { 0xA0, 201, 0, 1, 0, 0, 0, 9 }, RtpError.BadPadding)]
    public void Reader_MalformedHeader_ReportsTypedError(byte[] data, RtpError expected)
    {
        var reader = new RtcpCompoundReader(data);
        Assert.False(reader.TryReadNext(out _));
        Assert.Equal(expected, reader.Error);
        Assert.Equal(expected, Assert.Throws<RtpParseException>(() => RtcpCompoundReader.Validate(data)).Error);
    }

    [Fact]
    public void SenderReport_CountLargerThanBody_IsRejected()
    {
        byte[] data = [0x82, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var reader = new RtcpCompoundReader(data);
        Assert.True(reader.TryReadNext(out var packet));
        Assert.False(RtcpSenderReport.TryRead(packet, out _, out var error));
        Assert.Equal(RtpError.Truncated, error);
    }

    [Fact]
    public void NtpTime_Middle32AndShortUnits_AreConsistent()
    {
        var ntp = NtpTime.FromDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(500));
        Assert.Equal(0x80000000u, (uint)ntp);
        Assert.Equal(0x8000u, NtpTime.Middle32(ntp) & 0xFFFF);
        Assert.Equal(32768u, NtpTime.ToShortUnits(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(TimeSpan.FromMilliseconds(250), NtpTime.FromShortUnits(16384));
    }

    [Fact]
    public void Parsers_RandomBytes_OnlyTypedRejection()
    {
        Gen.Byte.Array[0, 200].Sample(bytes => ReadEverything(bytes), iter: 20_000);
    }

    [Fact]
    public void Parsers_MutatedCompound_OnlyTypedRejection()
    {
        var buffer = new byte[600];
        var at = RtcpWriter.WriteReceiverReport(buffer, 1, [Block]);
        at += RtcpWriter.WriteSourceDescription(buffer.AsSpan(at), 1, "x");
        at += RtcpWriter.WriteNack(buffer.AsSpan(at), 1, 2, [1, 5, 40]);
        at += RtcpWriter.WriteRemb(buffer.AsSpan(at), 1, 100_000, [2]);
        at += RtcpWriter.WriteFullIntraRequest(buffer.AsSpan(at), 1, 2, 1);
        at += RtcpWriter.WriteBye(buffer.AsSpan(at), [1], "r");
        var template = buffer.AsSpan(0, at).ToArray();
        var length = template.Length;

        Gen.Select(Gen.Int[0, length - 1].Array[1, 4], Gen.Byte.Array[4], Gen.Int[0, length]).Sample((positions, values, cut) =>
        {
            var bytes = (byte[])template.Clone();
            for (var i = 0; i < positions.Length; i++)
            {
                bytes[positions[i]] = values[i];
            }

            ReadEverything(bytes.AsSpan(0, cut).ToArray());
        }, iter: 20_000);
    }

    private static ushort[] Lost(RtcpFeedback nack)
    {
        var list = new List<ushort>();
        var lost = nack.GetLostSequenceNumbers();
        while (lost.MoveNext(out var sequence))
        {
            list.Add(sequence);
        }

        return [.. list];
    }

    private static void ReadEverything(byte[] bytes)
    {
        var reader = new RtcpCompoundReader(bytes);
        while (reader.TryReadNext(out var packet))
        {
            if (RtcpSenderReport.TryRead(packet, out var sr, out _))
            {
                for (var i = 0; i < sr.ReportCount; i++)
                {
                    sr.GetReportBlock(i);
                }
            }

            if (RtcpReceiverReport.TryRead(packet, out var rr, out _))
            {
                for (var i = 0; i < rr.ReportCount; i++)
                {
                    rr.GetReportBlock(i);
                }
            }

            if (RtcpSourceDescription.TryRead(packet, out var sdes, out _))
            {
                sdes.TryGetCname(out _, out _);
            }

            if (RtcpBye.TryRead(packet, out var bye, out _))
            {
                for (var i = 0; i < bye.SourceCount; i++)
                {
                    bye.GetSource(i);
                }
            }

            if (RtcpFeedback.TryRead(packet, out var feedback, out _))
            {
                var lost = feedback.GetLostSequenceNumbers();
                var guard = 0;
                while (lost.MoveNext(out _))
                {
                    Assert.True(++guard <= 17 * feedback.NackItemCount);
                }

                for (var i = 0; i < feedback.FirEntryCount; i++)
                {
                    feedback.GetFirEntry(i);
                }

                feedback.TryGetRemb(out _, out _);
            }
        }

        Assert.InRange(reader.ErrorOffset, 0, bytes.Length);
    }
}
