using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.Benchmarks;

/// <summary>
/// SRTP unprotect (and protect) of 1200-byte RTP packets, the receive path's per-packet crypto cost.
/// One operation = one packet: copy the protected datagram into the receive buffer (as a socket read
/// would), then authenticate and decrypt it in place. The replay windows are reset once per batch of
/// packets (allocation-free), so every packet takes the accepting path.
/// </summary>
[MemoryDiagnoser]
public class SrtpBenchmarks
{
    private const int Packets = 1024;
    private const int PacketSize = 1200;
    private const int HeaderSize = 12;

    private byte[][] _protected = [];
    private byte[] _tampered = [];
    private byte[] _work = [];
    private byte[] _plain = [];
    private SrtpContext _sender = null!;
    private SrtpContext _receiver = null!;
    private ushort _sequence;

    [Params(SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm)]
    public SrtpProfile Profile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[SrtpProfiles.MasterKeyLength(Profile)];
        var salt = new byte[SrtpProfiles.MasterSaltLength(Profile)];
        new Random(42).NextBytes(key);
        new Random(43).NextBytes(salt);
        var master = new SrtpMasterKey(Profile, key, salt);
        _sender = new SrtpContext(master);
        _receiver = new SrtpContext(master);
        int overhead = _sender.RtpOverhead;

        _plain = new byte[PacketSize + overhead];
        _plain[0] = 0x80;
        _plain[1] = 96;
        BinaryPrimitives.WriteUInt32BigEndian(_plain.AsSpan(8), 0x0DD5E7);
        new Random(44).NextBytes(_plain.AsSpan(HeaderSize, PacketSize - HeaderSize));

        _protected = new byte[Packets][];
        for (int i = 0; i < Packets; i++)
        {
            byte[] packet = _plain.ToArray();
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
            if (_sender.ProtectRtp(packet, PacketSize, out int length) != SrtpError.None || length != packet.Length)
            {
                throw new InvalidOperationException("benchmark setup: protect failed");
            }

            _protected[i] = packet;
        }

        _work = new byte[_plain.Length];
        _tampered = _protected[Packets - 1].ToArray();
        _tampered[600] ^= 0x01;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int Unprotect()
    {
        _receiver.ResetReplayWindows();
        int total = 0;
        for (int i = 0; i < Packets; i++)
        {
            byte[] packet = _protected[i];
            packet.CopyTo(_work, 0);
            if (_receiver.UnprotectRtp(_work.AsSpan(0, packet.Length), out int length) != SrtpError.None)
            {
                throw new InvalidOperationException("benchmark: unprotect rejected a packet");
            }

            total += length;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int Protect()
    {
        int total = 0;
        for (int i = 0; i < Packets; i++)
        {
            _plain.CopyTo(_work, 0);
            BinaryPrimitives.WriteUInt16BigEndian(_work.AsSpan(2), _sequence++);
            _sender.ProtectRtp(_work, PacketSize, out int length);
            total += length;
        }

        return total;
    }

    /// <summary>The cost of refusing a forged packet (AES-CM: one HMAC; GCM: AesGcm throws internally).</summary>
    [Benchmark]
    public SrtpError UnprotectTampered()
    {
        _tampered.CopyTo(_work, 0);
        SrtpError error = _receiver.UnprotectRtp(_work.AsSpan(0, _tampered.Length), out _);
        return error == SrtpError.AuthenticationFailed
            ? error
            : throw new InvalidOperationException("benchmark: a tampered packet was not refused");
    }
}
