using System.Net;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>
/// A UDP relay on loopback between two peers that drops a share of the RTP (never STUN, DTLS or RTCP, so
/// the handshake and the feedback that repairs the loss get through) and swaps neighbouring packets. With
/// <c>dropDtlsData</c> it treats DTLS application-data records (content type 23: SCTP, after the handshake)
/// the same way, for data-channel tests.
/// Each peer is told the relay's port in place of the other's candidate: side A talks to <see cref="PortForA"/>,
/// side B to <see cref="PortForB"/>. Deterministic: a seeded random decides.
/// </summary>
internal sealed class LossyRelay : IDisposable
{
    private readonly UdpClient _forA = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly UdpClient _forB = new(new IPEndPoint(IPAddress.Loopback, 0));
    private volatile IPEndPoint? _realA;
    private volatile IPEndPoint? _realB;
    private readonly double _dropRate;
    private readonly double _reorderRate;
    private readonly double _duplicateRate;
    private readonly double _tamperRate;
    private readonly bool _dropDtlsData;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private long _dropped;
    private long _duplicated;
    private long _tampered;
    private long _reordered;
    private long _forwarded;

    /// <summary>DTLS record content type of application data (RFC 6347 §4.1, RFC 5246 §6.2.1).</summary>
    private const byte DtlsApplicationData = 23;

    public LossyRelay(double dropRate, double reorderRate, int seed, double duplicateRate = 0, double tamperRate = 0, bool dropDtlsData = false)
    {
        _dropDtlsData = dropDtlsData;
        _duplicateRate = duplicateRate;
        _tamperRate = tamperRate;
        _dropRate = dropRate;
        _reorderRate = reorderRate;
        _random = new Random(seed);
        _loops = [Task.Run(() => PumpAsync(_forA, _forB, towardB: true)), Task.Run(() => PumpAsync(_forB, _forA, towardB: false))];
    }

    /// <summary>The port A must believe is B.</summary>
    public int PortForA => ((IPEndPoint)_forA.Client.LocalEndPoint!).Port;

    /// <summary>The port B must believe is A.</summary>
    public int PortForB => ((IPEndPoint)_forB.Client.LocalEndPoint!).Port;

    /// <summary>A's real address (its candidate); until set, datagrams toward A are discarded.</summary>
    public IPEndPoint? RealA
    {
        get => _realA;
        set => _realA = value;
    }

    /// <summary>B's real address (its candidate).</summary>
    public IPEndPoint? RealB
    {
        get => _realB;
        set => _realB = value;
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>RTP packets sent twice (an SRTP receiver must reject the second as a replay).</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);

    /// <summary>RTP packets sent once with a flipped payload byte before the genuine copy (an authentication failure each).</summary>
    public long Tampered => Interlocked.Read(ref _tampered);

    public long Reordered => Interlocked.Read(ref _reordered);

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public void Dispose()
    {
        _stop.Cancel();
        _forA.Dispose();
        _forB.Dispose();
        try
        {
            Task.WaitAll(_loops, TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task PumpAsync(UdpClient from, UdpClient to, bool towardB)
    {
        byte[]? held = null;
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult result;
            try
            {
                result = await from.ReceiveAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var datagram = result.Buffer;
            if ((towardB ? _realB : _realA) is not { } destination)
            {
                continue;
            }

            var isRtp = datagram.Length > 1 && datagram[0] is >= 128 and <= 191 && datagram[1] is not (>= 192 and <= 223);
            var lossy = isRtp || (_dropDtlsData && datagram.Length > 0 && datagram[0] == DtlsApplicationData);
            bool drop, hold, duplicate, tamper;
            lock (_random)
            {
                drop = lossy && _random.NextDouble() < _dropRate;
                hold = lossy && !drop && held is null && _random.NextDouble() < _reorderRate;
                duplicate = isRtp && !drop && !hold && _random.NextDouble() < _duplicateRate;
                tamper = isRtp && !drop && !hold && !duplicate && _random.NextDouble() < _tamperRate;
            }

            if (tamper)
            {
                var forged = (byte[])datagram.Clone();
                forged[^12] ^= 0x40; // a payload byte, ahead of the 10-byte authentication tag
                await SendAsync(to, forged, destination);
                Interlocked.Increment(ref _tampered);
            }

            if (drop)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            if (hold)
            {
                held = datagram; // goes out after the next datagram: the two arrive swapped
                continue;
            }

            await SendAsync(to, datagram, destination);
            if (duplicate)
            {
                await SendAsync(to, datagram, destination);
                Interlocked.Increment(ref _duplicated);
            }

            if (held is not null)
            {
                await SendAsync(to, held, destination);
                held = null;
                Interlocked.Increment(ref _reordered);
            }
        }
    }

    private async Task SendAsync(UdpClient socket, byte[] datagram, IPEndPoint destination)
    {
        try
        {
            await socket.SendAsync(datagram, destination, _stop.Token);
            Interlocked.Increment(ref _forwarded);
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
