using CsCheck;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>
/// Random and mutated bytes through the SCTP and DCEP readers: a typed <see cref="SctpParseException"/>
/// (or false from TryParse) only, never another exception or a hang; writer output always re-reads equal.
/// </summary>
public sealed class SctpPropertyTests
{
    /// <summary>Generous bound for a whole property run: reached only if something hangs, never by slowness.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private const int Iterations = 3000;

    private static readonly byte[][] Samples = BuildSamples();

    [Fact]
    public async Task Parse_RandomBytes_ParsesOrRejectsTyped()
    {
        await Run(() => Gen.Byte.Array[0, 160].Sample(bytes =>
        {
            ReadEverything(bytes, verifyChecksum: false);
            ReadEverything(bytes, verifyChecksum: true);
        }, iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Parse_RandomChunksWithValidChecksum_ParsesOrRejectsTyped()
    {
        // A correct header and checksum so random chunk bytes get past the CRC into the chunk readers.
        var chunk = Gen.Select(Gen.Int[0, 15], Gen.Byte, Gen.Byte.Array[0, 40]).Select((type, flags, body) =>
        {
            var known = new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 130, 192, 0xC7 };
            var bytes = new byte[4 + body.Length];
            bytes[0] = known[type];
            bytes[1] = flags;
            bytes[2] = (byte)(bytes.Length >> 8);
            bytes[3] = (byte)bytes.Length;
            body.CopyTo(bytes, 4);
            return bytes;
        });

        await Run(() => chunk.Array[1, 4].Sample(chunks =>
        {
            var packet = new byte[12 + chunks.Sum(c => (c.Length + 3) & ~3)];
            var at = 12;
            foreach (var c in chunks)
            {
                c.CopyTo(packet, at);
                at += (c.Length + 3) & ~3;
            }

            SctpPacket.WriteChecksum(packet);
            ReadEverything(packet, verifyChecksum: true);
        }, iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Parse_SampleWithByteEdits_ParsesOrRejectsTyped()
    {
        // Each edit: 0 replace, 1 delete, 2 insert at a position; then truncate to cut; the checksum is refreshed.
        var edit = Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Byte);

        await Run(() => Gen.Select(Gen.Int[0, Samples.Length - 1], edit.Array[1, 6], Gen.Int[0, 200]).Sample((sample, edits, cut) =>
        {
            var bytes = new List<byte>(Samples[sample]);
            foreach (var (kind, position, value) in edits)
            {
                var at = bytes.Count == 0 ? 0 : position % bytes.Count;
                switch (kind)
                {
                    case 0 when bytes.Count > 0: bytes[at] = value; break;
                    case 1 when bytes.Count > 0: bytes.RemoveAt(at); break;
                    default: bytes.Insert(at, value); break;
                }
            }

            var packet = bytes.Take(Math.Max(cut, 12)).ToArray();
            if (packet.Length >= SctpPacket.CommonHeaderSize)
            {
                SctpPacket.WriteChecksum(packet);
            }

            ReadEverything(packet, verifyChecksum: true);
        }, iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task ReadOpen_RandomAndMutatedBytes_ReadsOrRejectsTyped()
    {
        var valid = new byte[64];
        var length = Dcep.WriteOpen(new DcepOpen(DcepChannelType.PartialReliableTimed, 256, 500, "steer", "p"), valid);
        var mutated = Gen.Select(Gen.Int[0, length - 1], Gen.Byte, Gen.Int[0, length]).Select((at, value, cut) =>
        {
            var copy = valid[..length];
            copy[at] = value;
            return copy[..cut];
        });

        await Run(() => Gen.OneOf(Gen.Byte.Array[0, 40], mutated).Sample(bytes =>
        {
            try
            {
                var open = Dcep.ReadOpen(bytes);
                var buffer = new byte[Dcep.GetOpenSize(open)];
                Dcep.WriteOpen(open, buffer);
                Assert.Equal(open, Dcep.ReadOpen(buffer));
            }
            catch (SctpParseException)
            {
            }
        }, iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Writer_RandomDataAndSack_ReReadsEqual()
    {
        var gaps = Gen.Select(Gen.UShort, Gen.UShort).Select((s, e) => new SctpGapBlock(s, e)).Array[0, 20];
        var fields = Gen.Select(Gen.Byte, Gen.UInt, Gen.UShort, Gen.UShort, Gen.UInt, Gen.Byte.Array[0, 50]);

        await Run(() => Gen.Select(fields, gaps, Gen.UInt.Array[0, 20]).Sample((data, gapBlocks, duplicates) =>
        {
            var (flags, tsn, stream, ssn, ppid, user) = data;
            var buffer = new byte[512];
            var writer = new SctpPacketWriter(buffer, 1, 2, tsn);
            writer.WriteData(flags, tsn, stream, ssn, ppid, user);
            writer.WriteSack(tsn, ppid, gapBlocks, duplicates);
            var packet = SctpPacket.Parse(buffer.AsSpan(0, writer.Finish()));

            var chunks = packet.Chunks;
            Assert.True(chunks.MoveNext());
            var read = SctpDataChunk.Read(chunks.Current);
            Assert.Equal((flags, tsn, stream, ssn, ppid), (read.Flags, read.Tsn, read.StreamId, read.StreamSequence, read.Ppid));
            Assert.Equal(user, read.UserData.ToArray());
            Assert.True(chunks.MoveNext());
            var sack = SctpSackChunk.Read(chunks.Current);
            Assert.Equal(gapBlocks.Length, sack.GapBlockCount);
            for (var i = 0; i < gapBlocks.Length; i++)
            {
                Assert.Equal(gapBlocks[i], sack.GetGapBlock(i));
            }

            Assert.Equal(duplicates.Length, sack.DuplicateCount);
            for (var i = 0; i < duplicates.Length; i++)
            {
                Assert.Equal(duplicates[i], sack.GetDuplicate(i));
            }

            Assert.False(chunks.MoveNext());
        }, iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Writer_RandomInitForwardTsnAndReset_ReReadsEqual()
    {
        var init = Gen.Select(Gen.Bool, Gen.UInt, Gen.UShort, Gen.UInt, Gen.Byte.Array[0, 30], Gen.Bool, Gen.Byte.Array[0, 5]);
        var streams = Gen.UShort.Array[0, 12];

        await Run(() => Gen.Select(init, streams, Gen.UInt).Sample((fields, streamIds, number) =>
        {
            var (ack, tag, count, tsn, cookie, forward, extensions) = fields;
            var forwardStreams = streamIds.Select(id => new SctpForwardTsnStream(id, (ushort)(id ^ 0x5555))).ToArray();
            var buffer = new byte[512];
            var writer = new SctpPacketWriter(buffer, 1, 2, number);
            writer.WriteInit(ack, tag, number, count, (ushort)(count + 1), tsn, cookie, forward, extensions);
            writer.WriteForwardTsn(number, forwardStreams);
            writer.WriteOutgoingSsnResetRequest(number, tag, tsn, streamIds);
            writer.WriteIncomingSsnResetRequest(tag, streamIds);
            var chunks = SctpPacket.Parse(buffer.AsSpan(0, writer.Finish())).Chunks;

            Assert.True(chunks.MoveNext());
            var readInit = SctpInitChunk.Read(chunks.Current);
            Assert.Equal((ack, tag, number, count, (ushort)(count + 1), tsn, forward), (readInit.IsAck, readInit.InitiateTag, readInit.AdvertisedWindow, readInit.OutboundStreams, readInit.InboundStreams, readInit.InitialTsn, readInit.ForwardTsnSupported));
            Assert.Equal(cookie.Length > 0, readInit.TryGetStateCookie(out var readCookie));
            Assert.Equal(cookie, readCookie.ToArray());
            Assert.Equal(extensions.Length > 0, readInit.TryGetSupportedExtensions(out var readExtensions));
            Assert.Equal(extensions, readExtensions.ToArray());

            Assert.True(chunks.MoveNext());
            var fwd = SctpForwardTsnChunk.Read(chunks.Current);
            Assert.Equal(number, fwd.NewCumulativeTsn);
            Assert.Equal(forwardStreams.Length, fwd.StreamCount);
            for (var i = 0; i < forwardStreams.Length; i++)
            {
                Assert.Equal(forwardStreams[i], fwd.GetStream(i));
            }

            for (var outgoing = 1; outgoing >= 0; outgoing--)
            {
                Assert.True(chunks.MoveNext());
                var parameters = SctpReConfig.ReadParameters(chunks.Current);
                Assert.True(parameters.MoveNext());
                var request = SctpSsnResetRequest.Read(parameters.Current);
                Assert.False(parameters.MoveNext());
                Assert.Equal(outgoing == 1, request.IsOutgoing);
                Assert.Equal(outgoing == 1 ? number : tag, request.RequestSequence);
                Assert.Equal(streamIds.Length, request.StreamCount);
                for (var i = 0; i < streamIds.Length; i++)
                {
                    Assert.Equal(streamIds[i], request.GetStream(i));
                }
            }

            Assert.False(chunks.MoveNext());
        }, iter: Iterations, threads: 1));
    }

    private static async Task Run(Action property) => await Task.Run(property).WaitAsync(HangGuard);

    // Reads every field of every chunk through its typed view; only the typed exception may escape.
    private static void ReadEverything(byte[] bytes, bool verifyChecksum)
    {
        if (!SctpPacket.TryParse(bytes, out var packet, out var error, out var offset, verifyChecksum))
        {
            Assert.NotEqual(SctpError.None, error);
            Assert.InRange(offset, 0, bytes.Length);
            return;
        }

        foreach (var chunk in packet.Chunks)
        {
            try
            {
                ReadChunk(chunk);
            }
            catch (SctpParseException ex)
            {
                Assert.NotEqual(SctpError.None, ex.Error);
            }
        }
    }

    private static void ReadChunk(SctpChunk chunk)
    {
        long sum = (int)chunk.UnknownAction;
        switch (chunk.Type)
        {
            case SctpChunkType.Data:
                var data = SctpDataChunk.Read(chunk);
                sum += data.Tsn + data.StreamId + data.StreamSequence + data.Ppid + data.UserData.Length;
                if (data.Ppid == DcepPpid.Dcep)
                {
                    sum += Dcep.ReadOpen(data.UserData).Label.Length;
                }

                break;
            case SctpChunkType.Init or SctpChunkType.InitAck:
                var init = SctpInitChunk.Read(chunk);
                sum += init.InitiateTag + init.AdvertisedWindow + init.OutboundStreams + init.InboundStreams + init.InitialTsn;
                sum += init.ForwardTsnSupported ? 1 : 0;
                sum += init.TryGetStateCookie(out var cookie) ? cookie.Length : 0;
                sum += init.TryGetSupportedExtensions(out var types) ? types.Length : 0;
                foreach (var parameter in init.Parameters)
                {
                    sum += parameter.Value.Length + (int)parameter.UnknownAction;
                }

                break;
            case SctpChunkType.Sack:
                var sack = SctpSackChunk.Read(chunk);
                for (var i = 0; i < sack.GapBlockCount; i++)
                {
                    sum += sack.GetGapBlock(i).End;
                }

                for (var i = 0; i < sack.DuplicateCount; i++)
                {
                    sum += sack.GetDuplicate(i);
                }

                break;
            case SctpChunkType.Heartbeat or SctpChunkType.HeartbeatAck:
                sum += SctpSimpleChunks.ReadHeartbeatInfo(chunk).Length;
                break;
            case SctpChunkType.Shutdown:
                sum += SctpSimpleChunks.ReadShutdownCumulativeTsn(chunk);
                break;
            case SctpChunkType.Abort or SctpChunkType.Error:
                foreach (var cause in SctpSimpleChunks.ReadErrorCauses(chunk))
                {
                    sum += cause.Type + cause.Value.Length;
                }

                break;
            case SctpChunkType.ForwardTsn:
                var fwd = SctpForwardTsnChunk.Read(chunk);
                for (var i = 0; i < fwd.StreamCount; i++)
                {
                    sum += fwd.GetStream(i).StreamSequence;
                }

                break;
            case SctpChunkType.ReConfig:
                foreach (var parameter in SctpReConfig.ReadParameters(chunk))
                {
                    if (parameter.Type == SctpParameterType.ReConfigResponse)
                    {
                        sum += SctpReConfigResponse.Read(parameter).Result;
                        continue;
                    }

                    var request = SctpSsnResetRequest.Read(parameter);
                    for (var i = 0; i < request.StreamCount; i++)
                    {
                        sum += request.GetStream(i);
                    }
                }

                break;
            default:
                sum += chunk.Value.Length + chunk.Flags;
                break;
        }

        Assert.True(sum >= 0);
    }

    private static byte[][] BuildSamples()
    {
        var samples = new List<byte[]>
        {
            Convert.FromHexString("138813880000000071444cf00100001e1122334400020000ffffffff55667788c000000480080006c0820000"),
            Convert.FromHexString("1388138899aabbcc2bab2fd20003002c556677880001000000000032030000000000000000100000636c69656e74546f53747265616d6572"),
        };

        var buffer = new byte[256];
        var writer = new SctpPacketWriter(buffer, 1, 2, 3);
        writer.WriteInit(true, 1, 2, 3, 4, 5, [1, 2, 3], true, [SctpChunkType.ReConfig]);
        writer.WriteSack(1, 2, [new(1, 2)], [7]);
        writer.WriteHeartbeat(false, [1, 2, 3, 4, 5]);
        samples.Add(buffer[..writer.Finish()]);

        writer = new SctpPacketWriter(buffer, 1, 2, 3);
        writer.WriteOutgoingSsnResetRequest(1, 2, 3, [1, 2, 3]);
        writer.WriteIncomingSsnResetRequest(4, [5]);
        writer.WriteReConfigResponse(1, SctpReConfig.ResultPerformed);
        writer.WriteForwardTsn(9, [new(1, 2)]);
        writer.WriteShutdown(5);
        writer.WriteChunk(SctpChunkType.Abort, 1, [0, 12, 0, 5, 1, 0, 0, 0]);
        samples.Add(buffer[..writer.Finish()]);
        return samples.ToArray();
    }
}
