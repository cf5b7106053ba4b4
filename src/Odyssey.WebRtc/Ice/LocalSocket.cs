using System.Net;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Ice;

/// <summary>
/// A candidate base (RFC 8445 §5.1.1.1): a bound UDP socket, the base of a host candidate (and of the srflx
/// candidates a STUN server maps it to), or a TURN allocation, the base of a relay candidate. Checks,
/// consent and data for every pair with this base go through it.
/// </summary>
/// <remarks>
/// A relay base shares its host base's socket: its sends are wrapped by <see cref="Turn"/> (Send
/// indications or ChannelData towards the server) and the host base's receive loop unwraps what the server
/// relays before the agent sees it, with the peer's address in <see cref="ReceiveAddress"/>. Pairs, checks
/// and consent above it stay as they are.
/// </remarks>
internal sealed class LocalSocket : IDisposable
{
    /// <summary>The largest UDP payload, so no datagram is ever truncated into a silent corruption.</summary>
    private const int ReceiveBufferSize = 65536;

    /// <summary>
    /// SO_RCVBUF asked for. The default (≈ 208 KiB on Linux) overflowed on loopback when one SCTP window
    /// (1 MiB, ≈ 900 datagrams) arrived while the receive thread waited for a core: each drop cost the sender
    /// a fast retransmit and half its cwnd (ours ↔ ours lost ≈ 1 datagram in 100 that way). The kernel caps
    /// the request at net.core.rmem_max.
    /// </summary>
    private const int SocketReceiveBuffer = 4 * 1024 * 1024;

    public LocalSocket(Socket socket, IceCandidate host, int localPreference)
    {
        try
        {
            socket.ReceiveBufferSize = SocketReceiveBuffer;
        }
        catch (SocketException)
        {
            // A platform that refuses keeps its default: loss there is repaired, only slower.
        }

        Socket = socket;
        Host = host;
        LocalPreference = localPreference;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
        ReceiveBuffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
        ReceiveAddress = new SocketAddress(socket.AddressFamily, SocketAddress.GetMaximumAddressSize(socket.AddressFamily));
    }

    /// <summary>A relay base on <paramref name="hostBase"/>'s socket: <paramref name="relay"/> is the candidate, <paramref name="turn"/> the allocation.</summary>
    public LocalSocket(LocalSocket hostBase, IceCandidate relay, IPEndPoint relayed, TurnClient turn)
    {
        Socket = hostBase.Socket;
        Host = relay;
        LocalPreference = hostBase.LocalPreference;
        EndPoint = relayed;
        ReceiveBuffer = hostBase.ReceiveBuffer;
        ReceiveAddress = new SocketAddress(relayed.AddressFamily, SocketAddress.GetMaximumAddressSize(relayed.AddressFamily));
        Turn = turn;
    }

    public Socket Socket { get; }

    public IceCandidate Host { get; }

    public IPEndPoint EndPoint { get; }

    public int LocalPreference { get; }

    public AddressFamily Family => EndPoint.AddressFamily;

    /// <summary>Reused for every receive: the span handed to listeners is valid only during the call.</summary>
    public byte[] ReceiveBuffer { get; }

    /// <summary>Reused for every receive, so reading the source allocates nothing.</summary>
    public SocketAddress ReceiveAddress { get; }

    public Task? ReceiveLoop { get; set; }

    /// <summary>The allocation of a relay base; null for a host base.</summary>
    public TurnClient? Turn { get; }

    /// <summary>The allocations made from this host base, whose server's datagrams its receive loop unwraps.</summary>
    public TurnClient[] Allocations { get; set; } = [];

    /// <summary>False for a host base under the relay-only policy: it carries TURN traffic but forms no pairs.</summary>
    public bool FormsPairs { get; set; } = true;

    /// <summary>Sends without throwing: UDP loss is normal, and an unreachable route is loss as far as ICE is concerned.</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        if (Turn is { } turn)
        {
            return turn.TrySend(datagram, destination);
        }

        try
        {
            Socket.SendTo(datagram, SocketFlags.None, destination);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Closes the socket; a relay base leaves it to its host base.</summary>
    public void Dispose()
    {
        if (Turn is null)
        {
            Socket.Dispose();
        }
    }

    /// <summary>Copies a peer's serialized address into <see cref="ReceiveAddress"/>, as a receive would have set it.</summary>
    public void SetReceiveAddress(SocketAddress source)
    {
        ReceiveAddress.Size = source.Size;
        source.Buffer.Span[..source.Size].CopyTo(ReceiveAddress.Buffer.Span);
    }
}
