namespace Odyssey.WebRtc.Ice;

/// <summary>The selected pair as the datagram path DTLS runs over; all state lives in the agent.</summary>
internal sealed class IceDatagramTransport(IceAgent agent) : IDatagramTransport
{
    /// <summary>
    /// 1200 bytes crosses any IPv6 path unfragmented (minimum MTU 1280 less 48 bytes of IPv6 and UDP
    /// headers, with room for TURN framing later), and is the size WebRTC stacks commonly assume.
    /// </summary>
    public const int SafeDatagramSize = 1200;

    public int MaxDatagramSize => SafeDatagramSize;

    public event DatagramHandler? Received;

    public void Send(ReadOnlySpan<byte> datagram) => agent.SendData(datagram);

    internal void Deliver(ReadOnlySpan<byte> datagram)
    {
        try
        {
            Received?.Invoke(datagram);
        }
#pragma warning disable CA1031 // the receive loop serves STUN too: a listener's bug must not end consent and checks
        catch (Exception error)
#pragma warning restore CA1031
        {
            System.Diagnostics.Trace.TraceError($"IceAgent: a Received handler threw: {error}");
        }
    }
}
