using System.Buffers;
using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace Odyssey.WebRtc.Dtls;

/// <summary>
/// Turns the event-driven <see cref="IDatagramTransport"/> into the blocking, pull-style
/// <see cref="DatagramTransport"/> BouncyCastle's DTLS engine reads from: DTLS datagrams are copied
/// into a bounded queue on the network thread and taken off it by the engine's thread.
/// </summary>
/// <remarks>
/// The copies live in buffers rented from <see cref="ArrayPool{T}.Shared"/> and go back once the engine has
/// read them: a data channel moves thousands of records a second through here.
/// </remarks>
internal sealed class DatagramAdapter : DatagramTransport
{
    private readonly IDatagramTransport _transport;
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _queue;
    private readonly CancellationTokenSource _closed = new();
    private long _dropped;

    internal DatagramAdapter(IDatagramTransport transport, int capacity)
    {
        _transport = transport;
        _queue = new BlockingCollection<(byte[] Buffer, int Length)>(new ConcurrentQueue<(byte[] Buffer, int Length)>(), capacity);
    }

    /// <summary>Datagrams dropped because the engine fell behind (queue full).</summary>
    internal long Dropped => Interlocked.Read(ref _dropped);

    internal bool IsClosed => _closed.IsCancellationRequested;

    /// <summary>Queues one DTLS datagram; never blocks the network thread.</summary>
    internal void Enqueue(ReadOnlySpan<byte> datagram)
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(buffer);
        try
        {
            if (_queue.TryAdd((buffer, datagram.Length)))
            {
                return;
            }

            Interlocked.Increment(ref _dropped);
        }
        catch (ObjectDisposedException)
        {
            // Released while this datagram was in flight on the network thread: it is simply late.
        }

        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>
    /// What we accept is not what we send: peers size their records for their own path, e.g. aiortc puts
    /// 1200 bytes of SCTP user data in one DTLS record (≈1265-byte datagrams). A receive limit of our send
    /// size made the engine read such records truncated and drop them as forged, stalling large messages.
    /// An Ethernet datagram (1500 − 28) is the most any real path delivers unfragmented; 2048 leaves room.
    /// </summary>
    private const int MaxReceivedDatagram = 2048;

    public int GetReceiveLimit() => Math.Max(_transport.MaxDatagramSize, MaxReceivedDatagram);

    public int GetSendLimit() => _transport.MaxDatagramSize;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        (byte[] Buffer, int Length) datagram;
        try
        {
            if (!_queue.TryTake(out datagram, Math.Max(0, waitMillis), _closed.Token))
            {
                return -1;
            }
        }
        catch (OperationCanceledException)
        {
            // Tells the engine the transport is gone, so a pending handshake or read ends now.
            throw new IOException("The DTLS datagram transport was closed.");
        }

        int length = Math.Min(datagram.Length, buffer.Length);
        datagram.Buffer.AsSpan(0, length).CopyTo(buffer);
        ArrayPool<byte>.Shared.Return(datagram.Buffer);
        return length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed.IsCancellationRequested)
        {
            throw new IOException("The DTLS datagram transport was closed.");
        }

        _transport.Send(buffer);
    }

    /// <summary>Closes for the engine; BouncyCastle calls this from DtlsTransport.Close after close_notify.</summary>
    public void Close()
    {
        if (!_closed.IsCancellationRequested)
        {
            _closed.Cancel();
        }
    }

    /// <summary>Frees the queue once the engine's thread has stopped.</summary>
    internal void Release()
    {
        Close();
        while (_queue.TryTake(out var left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer);
        }

        _queue.Dispose();
        _closed.Dispose();
    }
}
