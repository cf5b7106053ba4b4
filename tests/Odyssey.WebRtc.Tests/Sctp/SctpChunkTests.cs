using System.Buffers.Binary;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

public sealed class SctpChunkTests
{
    private const ushort Port = 5000;
    private const uint Tag = 0xA1B2C3D4;

    private static byte[] Write(WriteAction write)
    {
        var buffer = new byte[2048];
        var writer = new SctpPacketWriter(buffer, Port, Port, Tag);
        write(ref writer);
        return buffer[..writer.Finish()];
    }

    private delegate void WriteAction(ref SctpPacketWriter writer);

    private static SctpChunk Single(byte[] bytes)
    {
        var packet = SctpPacket.Parse(bytes);
        Assert.Equal(Port, packet.SourcePort);
        Assert.Equal(Port, packet.DestinationPort);
        Assert.Equal(Tag, packet.VerificationTag);
        Assert.Equal(0, bytes.Length % 4);
        var chunks = packet.Chunks;
        Assert.True(chunks.MoveNext());
        var chunk = chunks.Current;
        Assert.False(chunks.MoveNext());
        return chunk;
    }

    [Fact]
    public void Data_WriteThenRead_FieldsAndUserDataRoundTrip()
    {
        var bytes = Write((ref SctpPacketWriter w) => w.WriteData(
            SctpDataChunk.UnorderedFlag | SctpDataChunk.BeginningFlag, 0xFFFFFFF0, 3, 77, DcepPpid.Binary, [1, 2, 3, 4, 5]));

        var data = SctpDataChunk.Read(Single(bytes));

        Assert.True(data.Unordered);
        Assert.True(data.Beginning);
        Assert.False(data.Ending);
        Assert.Equal(0xFFFFFFF0u, data.Tsn);
        Assert.Equal(3, data.StreamId);
        Assert.Equal(77, data.StreamSequence);
        Assert.Equal(DcepPpid.Binary, data.Ppid);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, data.UserData.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Init_WriteThenRead_FieldsAndParametersRoundTrip(bool ack)
    {
        byte[] cookie = [9, 8, 7, 6, 5];
        byte[] extensions = [SctpChunkType.ReConfig, SctpChunkType.ForwardTsn];
        var bytes = Write((ref SctpPacketWriter w) => w.WriteInit(ack, 0x11223344, 131072, 1024, 2048, 42, ack ? cookie : default, true, extensions));

        var chunk = Single(bytes);
        var init = SctpInitChunk.Read(chunk);

        Assert.Equal(ack ? SctpChunkType.InitAck : SctpChunkType.Init, chunk.Type);
        Assert.Equal(ack, init.IsAck);
        Assert.Equal(0x11223344u, init.InitiateTag);
        Assert.Equal(131072u, init.AdvertisedWindow);
        Assert.Equal(1024, init.OutboundStreams);
        Assert.Equal(2048, init.InboundStreams);
        Assert.Equal(42u, init.InitialTsn);
        Assert.True(init.ForwardTsnSupported);
        Assert.True(init.TryGetSupportedExtensions(out var listed));
        Assert.Equal(extensions, listed.ToArray());
        Assert.Equal(ack, init.TryGetStateCookie(out var readCookie));
        if (ack)
        {
            Assert.Equal(cookie, readCookie.ToArray());
        }
    }

    [Fact]
    public void Sack_WriteThenRead_GapBlocksAndDuplicatesRoundTrip()
    {
        SctpGapBlock[] gaps = [new(2, 3), new(7, 9)];
        uint[] dups = [100, 0xFFFFFFFF];
        var bytes = Write((ref SctpPacketWriter w) => w.WriteSack(99, 65536, gaps, dups));

        var sack = SctpSackChunk.Read(Single(bytes));

        Assert.Equal(99u, sack.CumulativeTsnAck);
        Assert.Equal(65536u, sack.AdvertisedWindow);
        Assert.Equal(2, sack.GapBlockCount);
        Assert.Equal(gaps[1], sack.GetGapBlock(1));
        Assert.Equal(2, sack.DuplicateCount);
        Assert.Equal(0xFFFFFFFFu, sack.GetDuplicate(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Heartbeat_WriteThenRead_InfoRoundTrips(bool ack)
    {
        byte[] info = [1, 2, 3];
        var chunk = Single(Write((ref SctpPacketWriter w) => w.WriteHeartbeat(ack, info)));

        Assert.Equal(ack ? SctpChunkType.HeartbeatAck : SctpChunkType.Heartbeat, chunk.Type);
        Assert.Equal(info, SctpSimpleChunks.ReadHeartbeatInfo(chunk).ToArray());
    }

    [Fact]
    public void Shutdown_WriteThenRead_CumulativeTsnRoundTrips()
    {
        Assert.Equal(0xDEADBEEFu, SctpSimpleChunks.ReadShutdownCumulativeTsn(Single(Write((ref SctpPacketWriter w) => w.WriteShutdown(0xDEADBEEF)))));
    }

    [Theory]
    [InlineData(SctpChunkType.Abort)]
    [InlineData(SctpChunkType.Error)]
    public void AbortAndError_WriteThenRead_CausesRoundTrip(byte type)
    {
        // Cause 12 "user initiated abort" carrying 3 bytes of reason, padded inside the chunk.
        byte[] causes = [0, 12, 0, 7, (byte)'b', (byte)'y', (byte)'e', 0];
        var chunk = Single(Write((ref SctpPacketWriter w) => w.WriteChunk(type, SctpSimpleChunks.TagReflectedFlag, causes)));

        var enumerator = SctpSimpleChunks.ReadErrorCauses(chunk);
        Assert.True(enumerator.MoveNext());
        Assert.Equal(12, enumerator.Current.Type);
        Assert.Equal("bye"u8.ToArray(), enumerator.Current.Value.ToArray());
        Assert.False(enumerator.MoveNext());
        Assert.Equal(SctpSimpleChunks.TagReflectedFlag, chunk.Flags);
    }

    [Theory]
    [InlineData(SctpChunkType.CookieAck)]
    [InlineData(SctpChunkType.ShutdownAck)]
    [InlineData(SctpChunkType.ShutdownComplete)]
    [InlineData(SctpChunkType.CookieEcho)]
    public void OpaqueChunks_WriteThenRead_TypeAndValueRoundTrip(byte type)
    {
        byte[] value = type == SctpChunkType.CookieEcho ? [1, 2, 3, 4, 5, 6] : [];
        var chunk = Single(Write((ref SctpPacketWriter w) => w.WriteChunk(type, 0, value)));

        Assert.Equal(type, chunk.Type);
        Assert.Equal(value, chunk.Value.ToArray());
    }

    [Fact]
    public void ForwardTsn_WriteThenRead_StreamsRoundTrip()
    {
        SctpForwardTsnStream[] streams = [new(1, 5), new(4, 65535)];
        var fwd = SctpForwardTsnChunk.Read(Single(Write((ref SctpPacketWriter w) => w.WriteForwardTsn(1234, streams))));

        Assert.Equal(1234u, fwd.NewCumulativeTsn);
        Assert.Equal(2, fwd.StreamCount);
        Assert.Equal(streams[1], fwd.GetStream(1));
    }

    [Fact]
    public void OutgoingResetRequest_WriteThenRead_RoundTrips()
    {
        ushort[] streams = [1, 3, 5];
        var chunk = Single(Write((ref SctpPacketWriter w) => w.WriteOutgoingSsnResetRequest(10, 20, 30, streams)));

        var parameters = SctpReConfig.ReadParameters(chunk);
        Assert.True(parameters.MoveNext());
        var request = SctpSsnResetRequest.Read(parameters.Current);
        Assert.False(parameters.MoveNext());
        Assert.True(request.IsOutgoing);
        Assert.Equal(10u, request.RequestSequence);
        Assert.Equal(20u, request.ResponseSequence);
        Assert.Equal(30u, request.SenderLastTsn);
        Assert.Equal(3, request.StreamCount);
        Assert.Equal(5, request.GetStream(2));
    }

    [Fact]
    public void IncomingResetRequest_WriteThenRead_RoundTrips()
    {
        ushort[] streams = [2, 4];
        var parameters = SctpReConfig.ReadParameters(Single(Write((ref SctpPacketWriter w) => w.WriteIncomingSsnResetRequest(11, streams))));
        Assert.True(parameters.MoveNext());
        var request = SctpSsnResetRequest.Read(parameters.Current);

        Assert.False(request.IsOutgoing);
        Assert.Equal(11u, request.RequestSequence);
        Assert.Equal(2, request.StreamCount);
        Assert.Equal(4, request.GetStream(1));
    }

    [Fact]
    public void ReConfigResponse_WriteThenRead_RoundTrips()
    {
        var parameters = SctpReConfig.ReadParameters(Single(Write((ref SctpPacketWriter w) => w.WriteReConfigResponse(10, SctpReConfig.ResultPerformed))));
        Assert.True(parameters.MoveNext());

        Assert.Equal(new SctpReConfigResponse(10, SctpReConfig.ResultPerformed), SctpReConfigResponse.Read(parameters.Current));
    }

    [Fact]
    public void UnknownChunk_WriteThenRead_TypeFlagsAndHandlingPreserved()
    {
        var chunk = Single(Write((ref SctpPacketWriter w) => w.WriteChunk(0xC7, 0x5A, [1, 2, 3])));

        Assert.Equal(0xC7, chunk.Type);
        Assert.Equal(0x5A, chunk.Flags);
        Assert.Equal(SctpUnknownAction.SkipAndReport, chunk.UnknownAction);
        Assert.Equal(new byte[] { 1, 2, 3 }, chunk.Value.ToArray());
    }

    [Fact]
    public void Packet_SeveralChunks_EnumeratedInOrderWithPaddingSkipped()
    {
        var bytes = Write((ref SctpPacketWriter w) =>
        {
            w.WriteData(SctpDataChunk.BeginningFlag | SctpDataChunk.EndingFlag, 1, 0, 0, DcepPpid.String, "a"u8);
            w.WriteChunk(SctpChunkType.CookieAck, 0, default);
            w.WriteSack(5, 100, default, default);
        });

        var types = new List<byte>();
        foreach (var chunk in SctpPacket.Parse(bytes).Chunks)
        {
            types.Add(chunk.Type);
        }

        Assert.Equal(new[] { SctpChunkType.Data, SctpChunkType.CookieAck, SctpChunkType.Sack }, types);
    }

    [Fact]
    public void Parse_OneBitFlipped_ThrowsBadChecksumAtChecksumField()
    {
        var bytes = Write((ref SctpPacketWriter w) => w.WriteShutdown(1));
        bytes[^1] ^= 0x01;

        var ex = Assert.Throws<SctpParseException>(() => SctpPacket.Parse(bytes));

        Assert.Equal(SctpError.BadChecksum, ex.Error);
        Assert.Equal(8, ex.Offset);
    }

    [Fact]
    public void Parse_ChunkLengthPastEnd_ThrowsBadLengthNamingLengthField()
    {
        var bytes = Write((ref SctpPacketWriter w) => w.WriteShutdown(1));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14), 64);
        SctpPacket.WriteChecksum(bytes);

        var ex = Assert.Throws<SctpParseException>(() => SctpPacket.Parse(bytes));

        Assert.Equal(SctpError.BadLength, ex.Error);
        Assert.Equal(14, ex.Offset);
    }

    [Fact]
    public void Read_WrongType_ThrowsWrongChunkType()
    {
        var bytes = Write((ref SctpPacketWriter w) => w.WriteShutdown(1));

        var ex = Assert.Throws<SctpParseException>(() => SctpDataChunk.Read(Single(bytes)));

        Assert.Equal(SctpError.WrongChunkType, ex.Error);
    }

    [Fact]
    public void Checksum_KnownPacket_StoredLeastSignificantByteFirst()
    {
        // The CRC of the packet with a zero checksum field, stored little-endian as usrsctp and pion do.
        var bytes = Write((ref SctpPacketWriter w) => w.WriteChunk(SctpChunkType.CookieAck, 0, default));
        var copy = bytes.ToArray();
        copy.AsSpan(8, 4).Clear();

        Assert.Equal(Crc32c.Compute(copy), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
    }
}
