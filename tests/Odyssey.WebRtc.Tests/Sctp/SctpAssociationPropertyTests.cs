using System.Buffers.Binary;
using CsCheck;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>
/// Random and mutated packets (starting from real ones captured from a pair) into an established
/// association: ReceivePacket never throws, and the timers that follow never throw or spin.
/// </summary>
public sealed class SctpAssociationPropertyTests
{
    private const int Iterations = 600;

    // Fixed initial TSNs so captured DATA, SACK and FORWARD-TSN packets carry TSNs that matter to a fresh pair.
    private static readonly SctpAssociationOptions OptionsA = new() { InitialTsn = 1000 };
    private static readonly SctpAssociationOptions OptionsB = new() { InitialTsn = 5000 };

    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private static readonly byte[][] Samples = CaptureSamples();

    [Fact]
    public void Capture_CoversTheChunkTypes()
    {
        var types = Samples.Where(p => p.Length > 12).Select(p => p[12]).ToHashSet();
        foreach (var type in new[] { SctpChunkType.Init, SctpChunkType.InitAck, SctpChunkType.CookieEcho, SctpChunkType.Data, SctpChunkType.Sack, SctpChunkType.Heartbeat, SctpChunkType.ReConfig, SctpChunkType.Shutdown })
        {
            Assert.Contains(type, types);
        }
    }

    [Fact]
    public async Task ReceivePacket_MutatedCapturedPackets_NeverThrowsOrHangs()
    {
        var edit = Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte);
        var packet = Gen.Select(Gen.Int[0, Samples.Length - 1], edit.Array[0, 6], Gen.Int[12, 1300]);
        await Task.Run(() => packet.Array[1, 4].Sample(packets =>
        {
            var pair = new SctpTestPair(1, OptionsA, OptionsB);
            pair.Connect();
            foreach (var (sample, edits, cut) in packets)
            {
                var bytes = Mutate(Samples[sample], pair.B.VerificationTag, edits, cut);
                pair.B.ReceivePacket(bytes);
            }

            pair.Settle(TimeSpan.FromSeconds(30));
        }, iter: Iterations, threads: 1)).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task ReceivePacket_RandomChunksWithValidHeader_NeverThrowsOrHangs()
    {
        var chunk = Gen.Select(Gen.Int[0, 17], Gen.Byte, Gen.Byte.Array[0, 48]).Select((type, flags, body) =>
        {
            var known = new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 130, 192, 0x47, 0x87, 0xC7 };
            var bytes = new byte[4 + body.Length];
            bytes[0] = known[type];
            bytes[1] = flags;
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)bytes.Length);
            body.CopyTo(bytes, 4);
            return bytes;
        });

        await Task.Run(() => chunk.Array[1, 4].Sample(chunks =>
        {
            var pair = new SctpTestPair(1, OptionsA, OptionsB);
            pair.Connect();
            var packet = new byte[12 + chunks.Sum(c => (c.Length + 3) & ~3)];
            BinaryPrimitives.WriteUInt16BigEndian(packet, 5000);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 5000);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), pair.B.VerificationTag);
            var at = 12;
            foreach (var c in chunks)
            {
                c.CopyTo(packet, at);
                at += (c.Length + 3) & ~3;
            }

            SctpPacket.WriteChecksum(packet);
            pair.B.ReceivePacket(packet);
            pair.Settle(TimeSpan.FromSeconds(30));
        }, iter: Iterations, threads: 1)).WaitAsync(HangGuard);
    }

    private static byte[] Mutate(byte[] sample, uint tag, (int Kind, int Position, byte Value)[] edits, int cut)
    {
        var bytes = new List<byte>(sample);
        if (BinaryPrimitives.ReadUInt32BigEndian(sample.AsSpan(4)) != 0)
        {
            // Captured with another pair's tag: give it the target's so it gets past the tag check.
            BinaryPrimitives.WriteUInt32BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)[4..], tag);
        }

        foreach (var (kind, position, value) in edits)
        {
            // Edits stay after the common header most of the time: the interesting parts are the chunks.
            var at = bytes.Count <= 12 ? bytes.Count : 12 + (position % (bytes.Count - 12));
            switch (kind)
            {
                case 0 when at < bytes.Count: bytes[at] = value; break;
                case 1 when at < bytes.Count: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, value); break;
                default:
                    if (at + 1 < bytes.Count)
                    {
                        bytes[at] ^= (byte)(1 << (value & 7));
                    }

                    break;
            }
        }

        var packet = bytes.Take(Math.Max(cut, 12)).ToArray();
        if (packet.Length >= 12 && cut % 7 != 0)
        {
            // Mostly a fresh checksum, so the mutation reaches the chunk handlers; now and then a stale one.
            SctpPacket.WriteChecksum(packet);
        }

        return packet;
    }

    private static byte[][] CaptureSamples()
    {
        var captured = new List<byte[]>();
        var pair = new SctpTestPair(2, OptionsA, OptionsB);
        pair.DropFromA = packet =>
        {
            captured.Add(packet);
            return false;
        };
        pair.DropFromB = packet =>
        {
            captured.Add(packet);
            return false;
        };
        pair.Connect(bothStart: true);
        pair.A.Send(1, 53, new byte[100], SctpSendOptions.Reliable);
        pair.A.Send(2, 51, new byte[3000], new SctpSendOptions(true, null, null));
        pair.A.Send(3, 53, new byte[50], new SctpSendOptions(false, 0, null));
        pair.RunUntil(() => pair.ReceivedByB.Count == 3);
        pair.DropFromA = packet =>
        {
            captured.Add(packet);
            return packet[12] == SctpChunkType.Data;
        };
        pair.A.Send(3, 53, new byte[50], new SctpSendOptions(false, 0, null));
        pair.A.Send(4, 53, new byte[50], SctpSendOptions.Reliable);
        pair.RunFor(TimeSpan.FromSeconds(5));
        pair.DropFromA = packet =>
        {
            captured.Add(packet);
            return false;
        };
        pair.RunUntil(() => pair.ReceivedByB.Count == 4);
        pair.A.ResetStreams([1]);
        pair.RunFor(TimeSpan.FromMinutes(1));
        _ = pair.A.ShutdownAsync();
        pair.RunUntil(() => pair.B.State == SctpAssociationState.Closed);
        return [.. captured];
    }
}
