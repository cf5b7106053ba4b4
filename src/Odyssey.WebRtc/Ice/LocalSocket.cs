using System.Net;
using System.Net.Sockets;

namespace Odyssey.WebRtc.Ice;

/// <summary>
/// One bound UDP socket: the base of a host candidate (and of the srflx candidates a STUN server maps it
/// to). Checks, consent and data for every pair with this base go through it.
/// </summary>
/// <remarks>
/// TURN plugs in beside this type: a relayed candidate is a base whose sends are wrapped in TURN
/// Send indications or ChannelData towards the server and whose receives are unwrapped before they reach
/// the agent. Pairs, checks and consent above it stay as they are.
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

    /// <summary>Sends without throwing: UDP loss is normal, and an unreachable route is loss as far as ICE is concerned.</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
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

    public void Dispose() => Socket.Dispose();
}
