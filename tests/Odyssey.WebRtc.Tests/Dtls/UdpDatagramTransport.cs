using System.Net;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Tests.Dtls;

/// <summary>
/// A plain loopback UDP socket as an <see cref="IDatagramTransport"/>: what the ICE agent's selected pair
/// looks like to DTLS. Without a fixed remote it answers whoever sent the first datagram (a server role
/// facing OpenSSL's s_client).
/// </summary>
internal sealed class UdpDatagramTransport : IDatagramTransport, IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _receiver;
    private volatile IPEndPoint? _remote;

    internal UdpDatagramTransport(IPEndPoint? remote = null)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _remote = remote;
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "udp-test-transport" };
        _receiver.Start();
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public IPEndPoint? Remote
    {
        get => _remote;
        set => _remote = value;
    }

    public int MaxDatagramSize => 1200;

    public event DatagramHandler? Received;

    /// <summary>Drops the next n datagrams sent (to exercise retransmission).</summary>
    public int DropNextSends { get; set; }

    public int Sent { get; private set; }

    internal static (UdpDatagramTransport A, UdpDatagramTransport B) CreatePair()
    {
        var a = new UdpDatagramTransport();
        var b = new UdpDatagramTransport(a.LocalEndPoint);
        a.Remote = b.LocalEndPoint;
        return (a, b);
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        IPEndPoint? remote = _remote;
        if (remote is null)
        {
            return;
        }

        Sent++;
        if (DropNextSends > 0)
        {
            DropNextSends--;
            return;
        }

        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
        }
        catch (SocketException)
        {
            // UDP: a send may be lost.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _receiver.Join(TimeSpan.FromSeconds(5));
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue; // ICMP port unreachable from a peer that has gone
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return;
            }

            _remote ??= (IPEndPoint)from;
            Received?.Invoke(buffer.AsSpan(0, length));
        }
    }
}
