using System.Net.WebSockets;

namespace Odyssey.Tests;

/// <summary>Reads whole WebSocket messages (frames joined) for tests that watch a server's socket.</summary>
internal static class WebSocketMessages
{
    /// <summary>The next whole message; a Close instead fails the test.</summary>
    public static async Task<(bool Binary, byte[] Payload)> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        var buffer = new byte[1 << 16];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            Xunit.Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return (result.MessageType == WebSocketMessageType.Binary, message.ToArray());
    }
}
