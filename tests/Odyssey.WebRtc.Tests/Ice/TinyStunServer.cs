using System.Net;
using System.Net.Sockets;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>
/// A STUN server of the test's own on 127.0.0.1. It answers Binding requests with a mapped address
/// chosen by the test, so a loopback test can play a NAT: the agent sees a reflexive address that is not its own.
/// </summary>
internal sealed class TinyStunServer : IDisposable
{
    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly Func<IPEndPoint, IPEndPoint?> _map;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    /// <param name="map">Source → the address to report; null to stay silent.</param>
    public TinyStunServer(Func<IPEndPoint, IPEndPoint?> map)
    {
        _map = map;
        _loop = Task.Run(ServeAsync);
    }

    public string Uri => $"stun:127.0.0.1:{((IPEndPoint)_socket.Client.LocalEndPoint!).Port}";

    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _loop.Wait(AgentHarness.Guard);
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        var buffer = new byte[512];
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (!StunMessage.TryParse(received.Buffer, out var request) || request.Class != StunClass.Request)
            {
                continue;
            }

            Interlocked.Increment(ref _requests);
            if (_map(received.RemoteEndPoint) is not { } mapped)
            {
                continue;
            }

            var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.SuccessResponse, request.TransactionId);
            writer.AddXorMappedAddress(mapped);
            writer.AddFingerprint();
            await _socket.SendAsync(buffer.AsMemory(0, writer.Length), received.RemoteEndPoint);
        }
    }
}
