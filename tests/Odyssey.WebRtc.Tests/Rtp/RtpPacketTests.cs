using CsCheck;
using Odyssey.WebRtc.Rtp;

namespace Odyssey.WebRtc.Tests.Rtp;

public class RtpPacketTests
{
    [Fact]
    public void Writer_AllFields_RoundTripThroughParse()
    {
        var buffer = new byte[1500];
        uint[] csrcs = [0x11111111, 0x22222222];
        var writer = new RtpPacketWriter(buffer, 97, 65535, 0xDEADBEEF, 0x01020304, marker: true, csrcs);
        writer.AddExtension(1, "0"u8);
        writer.AddExtension(2, [0x12, 0x34, 0x56]);
        "hello"u8.CopyTo(writer.Payload);
        var length = writer.Complete(5, paddingLength: 3);

        var packet = RtpPacket.Parse(buffer.AsSpan(0, length));

        Assert.True(packet.Marker);
        Assert.Equal(97, packet.PayloadType);
        Assert.Equal(65535, packet.SequenceNumber);
        Assert.Equal(0xDEADBEEF, packet.Timestamp);
        Assert.Equal(0x01020304u, packet.Ssrc);
        Assert.Equal(2, packet.CsrcCount);
        Assert.Equal(0x22222222u, packet.GetCsrc(1));
        Assert.True(packet.HasPadding);
        Assert.Equal(3, packet.PaddingSize);
        Assert.Equal(RtpPacket.OneByteExtensionProfile, packet.ExtensionProfile);
        Assert.True(packet.TryGetExtension(1, out var mid));
        Assert.Equal("0"u8.ToArray(), mid.ToArray());
        Assert.True(packet.TryGetExtension(2, out var absSendTime));
        Assert.Equal(new byte[] { 0x12, 0x34, 0x56 }, absSendTime.ToArray());
        Assert.False(packet.TryGetExtension(3, out _));
        Assert.Equal("hello"u8.ToArray(), packet.Payload.ToArray());
    }

    [Fact]
    public void Writer_TwoByteExtensions_CarryLargeIdsAndEmptyValues()
    {
        var buffer = new byte[200];
        var writer = new RtpPacketWriter(buffer, 96, 1, 2, 3, marker: false, twoByteExtensions: true);
        writer.AddExtension(200, new byte[20]);
        writer.AddExtension(7, []);
        var length = writer.Complete(0);

        var packet = RtpPacket.Parse(buffer.AsSpan(0, length));

        Assert.Equal(RtpPacket.TwoByteExtensionProfile, packet.ExtensionProfile & 0xFFF0);
        Assert.True(packet.TryGetExtension(200, out var big));
        Assert.Equal(20, big.Length);
        Assert.True(packet.TryGetExtension(7, out var empty));
        Assert.True(empty.IsEmpty);
        Assert.Equal(0, packet.Payload.Length);
        Assert.Equal(0, packet.ExtensionData.Length % 4);
    }

    [Fact]
    public void Parse_OneByteExtensionWithPaddingAndStopId_FindsElementsBeforeStop()
    {
        // Header with X; block: 0xBEDE, 2 words: [id1 len1: AA BB] [pad 00] [id 15 stop] [id2 ...]
        byte[] data =
        [
            0x90, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
            0xBE, 0xDE, 0x00, 0x02,
            0x11, 0xAA, 0xBB, 0x00, 0xF0, 0x20, 0xCC, 0x00,
            0x55,
        ];

        var packet = RtpPacket.Parse(data);

        Assert.True(packet.TryGetExtension(1, out var one));
        Assert.Equal(new byte[] { 0xAA, 0xBB }, one.ToArray());
        Assert.False(packet.TryGetExtension(2, out _));
        Assert.Equal(new byte[] { 0x55 }, packet.Payload.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0 }, RtpError.Truncated)]
    [InlineData(new byte[] { 0x40, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2 }, RtpError.BadVersion)]
    [InlineData(new byte[] { 0x81, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2 }, RtpError.Truncated)]
    [InlineData(new byte[] { 0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xBE, 0xDE, 0, 1 }, RtpError.BadExtension)]
    [InlineData(new byte[] { 0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xBE, 0xDE, 0, 1, 0x13, 0, 0, 0 }, RtpError.BadExtension)]
    [InlineData(new byte[] { 0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x00 }, RtpError.BadPadding)]
    [InlineData(new byte[] { 0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x05 }, RtpError.BadPadding)]
    public void TryParse_MalformedHeader_ReportsTypedError(byte[] data, RtpError expected)
    {
        Assert.False(RtpPacket.TryParse(data, out _, out var error, out _));
        Assert.Equal(expected, error);
        var exception = Assert.Throws<RtpParseException>(() => RtpPacket.Parse(data));
        Assert.Equal(expected, exception.Error);
    }

    [Fact]
    public void TryParse_SteadyState_AllocatesNothing()
    {
        var buffer = new byte[1200];
        var writer = new RtpPacketWriter(buffer, 96, 7, 8, 9, marker: true);
        writer.AddExtension(1, "a"u8);
        var length = writer.Complete(1000);
        var sum = 0;
        for (var i = 0; i < 10; i++)
        {
            RtpPacket.TryParse(buffer.AsSpan(0, length), out var p, out _, out _);
            sum += p.Payload.Length;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            RtpPacket.TryParse(buffer.AsSpan(0, length), out var p, out _, out _);
            p.TryGetExtension(1, out _);
            sum += p.Payload.Length;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_010_000, sum);
    }

    [Fact]
    public void Sequence_IsNewer_HandlesWrap()
    {
        Assert.True(RtpSequence.IsNewer(0, 65535));
        Assert.False(RtpSequence.IsNewer(65535, 0));
        Assert.True(RtpSequence.IsNewer(10, 5));
        Assert.False(RtpSequence.IsNewer(5, 5));
    }

    [Fact]
    public void Unwrapper_AcrossWrapAndReorder_GivesMonotonicExtendedNumbers()
    {
        var unwrapper = new SequenceUnwrapper();
        var a = unwrapper.Unwrap(65534);
        var b = unwrapper.Unwrap(65535);
        var c = unwrapper.Unwrap(1);
        var d = unwrapper.Unwrap(0);
        Assert.Equal(a + 1, b);
        Assert.Equal(b + 2, c);
        Assert.Equal(b + 1, d);
    }

    [Fact]
    public void TryParse_RandomBytes_OnlyTypedRejection()
    {
        Gen.Byte.Array[0, 300].Sample(bytes => ParseEverything(bytes), iter: 20_000);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryParse_MutatedValidPackets_OnlyTypedRejection(bool twoByteExtensions)
    {
        var valid = new byte[64];
        var writer = new RtpPacketWriter(valid, 96, 1, 2, 3, marker: true, [5u], twoByteExtensions);
        writer.AddExtension(1, "mid"u8);
        writer.AddExtension(3, [1, 2, 3]);
        var length = writer.Complete(20, 4);
        var template = valid.AsSpan(0, length).ToArray();

        Gen.Select(Gen.Int[0, length - 1].Array[1, 4], Gen.Byte.Array[4], Gen.Int[0, length]).Sample((positions, values, cut) =>
        {
            var bytes = (byte[])template.Clone();
            for (var i = 0; i < positions.Length; i++)
            {
                bytes[positions[i]] = values[i];
            }

            ParseEverything(bytes.AsSpan(0, cut).ToArray());
        }, iter: 20_000);
    }

    private static void ParseEverything(byte[] bytes)
    {
        if (RtpPacket.TryParse(bytes, out var packet, out var error, out var offset))
        {
            _ = packet.Payload.Length + packet.HeaderSize + packet.ExtensionProfile;
            for (var id = 1; id < 256; id++)
            {
                packet.TryGetExtension(id, out _);
            }

            for (var i = 0; i < packet.CsrcCount; i++)
            {
                packet.GetCsrc(i);
            }
        }
        else
        {
            Assert.NotEqual(RtpError.None, error);
            Assert.InRange(offset, 0, bytes.Length);
        }
    }
}
