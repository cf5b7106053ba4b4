namespace Odyssey.Client;

/// <summary>The signalling URL rules of PROTOCOL.md §3 and §2 step 7a.</summary>
internal static class SignalingUrls
{
    /// <summary>Drop a trailing '/', keep ws:// and wss://, https→wss, http→ws, no scheme → ws://.</summary>
    public static string Normalize(string url)
    {
        var trimmed = url.Trim().TrimEnd('/');
        if (trimmed.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("wss://", StringComparison.OrdinalIgnoreCase))
        {
            return trimmed;
        }

        if (trimmed.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return "wss://" + trimmed["https://".Length..];
        }

        if (trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return "ws://" + trimmed["http://".Length..];
        }

        return "ws://" + trimmed;
    }

    /// <summary>The WebSocket URL: <c>normalize(url)/client/{session_id}?token={urlencoded token}</c>.</summary>
    public static Uri Client(string signalingUrl, string sessionId, string? token)
    {
        var url = Normalize(signalingUrl) + "/client/" + sessionId;
        if (token is not null)
        {
            url += "?token=" + Uri.EscapeDataString(token);
        }

        return new Uri(url);
    }

    /// <summary>The HTTP origin of the signalling server for <c>/config</c>: ws→http, wss→https.</summary>
    public static string HttpBase(string signalingUrl)
    {
        var ws = Normalize(signalingUrl);
        return ws.StartsWith("wss://", StringComparison.OrdinalIgnoreCase) ? "https://" + ws["wss://".Length..] : "http://" + ws["ws://".Length..];
    }
}
