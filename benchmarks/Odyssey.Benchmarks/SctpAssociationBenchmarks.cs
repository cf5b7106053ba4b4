using BenchmarkDotNet.Attributes;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.Benchmarks;

/// <summary>
/// Two associations joined in memory (no DTLS, no sockets), one thread pumping packets both ways:
/// throughput with 64 KiB messages and message rate with 100-byte messages, reliable and ordered.
/// What is measured is the SCTP work per packet: fragmentation, CRC32c both ways, SACKs, reassembly.
/// </summary>
[MemoryDiagnoser]
public class SctpAssociationBenchmarks
{
    private const int LargeMessages = 16;
    private const int LargeSize = 64 * 1024;
    private const int SmallMessages = 1000;
    private const int SmallSize = 100;

    private readonly byte[] _large = new byte[LargeSize];
    private readonly byte[] _small = new byte[SmallSize];
    private InMemoryLink _toA = null!;
    private InMemoryLink _toB = null!;
    private SctpAssociation _a = null!;
    private SctpAssociation _b = null!;
    private long _received;

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_large);
        _toA = new InMemoryLink();
        _toB = new InMemoryLink();
        _a = new SctpAssociation(new SctpAssociationOptions(), _toB.Send);
        _b = new SctpAssociation(new SctpAssociationOptions(), _toA.Send);
        _b.MessageReceived += (_, _, payload) => _received += payload.Length > 0 ? 1 : 0;
        var connected = _a.ConnectAsync();
        while (!connected.IsCompleted)
        {
            Pump();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _b.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>One 64 KiB message end to end (MB/s = 0.0655 / mean in ms × 1000).</summary>
    [Benchmark(OperationsPerInvoke = LargeMessages)]
    public long Throughput64KiB()
    {
        var target = _received + LargeMessages;
        for (var i = 0; i < LargeMessages; i++)
        {
            _a.Send(1, 53, _large, SctpSendOptions.Reliable);
        }

        while (_received < target)
        {
            Pump();
        }

        return _received;
    }

    /// <summary>One 100-byte message end to end.</summary>
    [Benchmark(OperationsPerInvoke = SmallMessages)]
    public long MessageRate100B()
    {
        var target = _received + SmallMessages;
        for (var i = 0; i < SmallMessages; i++)
        {
            _a.Send(2, 53, _small, SctpSendOptions.Reliable);
        }

        while (_received < target)
        {
            Pump();
        }

        return _received;
    }

    private void Pump()
    {
        var moved = _toB.DeliverOne(_b) | _toA.DeliverOne(_a);
        if (!moved)
        {
            // Waiting on a timer (RTO or delayed SACK) on a pool thread; nothing to deliver yet.
            Thread.Yield();
        }
    }

    /// <summary>A packet queue with recycled buffers; timers may send from pool threads, hence the lock.</summary>
    private sealed class InMemoryLink
    {
        private readonly Lock _lock = new();
        private readonly Queue<(byte[] Buffer, int Length)> _queue = new();
        private readonly Stack<byte[]> _free = new();
        private byte[] _delivering = new byte[2048];

        public void Send(ReadOnlySpan<byte> packet)
        {
            lock (_lock)
            {
                var buffer = _free.Count > 0 ? _free.Pop() : new byte[2048];
                packet.CopyTo(buffer);
                _queue.Enqueue((buffer, packet.Length));
            }
        }

        public bool DeliverOne(SctpAssociation to)
        {
            int length;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    return false;
                }

                // Swap buffers so the receiver reads outside the lock while senders keep the queue.
                var (buffer, packetLength) = _queue.Dequeue();
                _free.Push(_delivering);
                _delivering = buffer;
                length = packetLength;
            }

            to.ReceivePacket(_delivering.AsSpan(0, length));
            return true;
        }
    }
}
