using BenchmarkDotNet.Attributes;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.Benchmarks;

/// <summary>
/// SCTP wire format per packet: CRC32c over a full 1200-byte packet, writing one DATA chunk packet
/// (checksum included) and parsing it back (checksum verified) down to its user data.
/// </summary>
[MemoryDiagnoser]
public class SctpWireBenchmarks
{
    // A DATA packet that fills a typical DTLS-over-UDP budget: 12 header + 16 chunk header + user data.
    private const int PacketSize = 1200;
    private const int UserDataSize = PacketSize - 12 - 16;

    private readonly byte[] _userData = new byte[UserDataSize];
    private readonly byte[] _packet = new byte[PacketSize];
    private uint _tsn;

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_userData);
        WriteData();
    }

    [Benchmark]
    public uint Crc32c1200() => Crc32c.Compute(_packet);

    [Benchmark]
    public int WriteData()
    {
        var writer = new SctpPacketWriter(_packet, 5000, 5000, 0x01020304);
        writer.WriteData(SctpDataChunk.BeginningFlag | SctpDataChunk.EndingFlag, _tsn++, 1, 0, DcepPpid.Binary, _userData);
        return writer.Finish();
    }

    [Benchmark]
    public int ParseData()
    {
        var total = 0;
        foreach (var chunk in SctpPacket.Parse(_packet).Chunks)
        {
            total += SctpDataChunk.Read(chunk).UserData.Length;
        }

        return total;
    }
}
