using System.Text.Json;
using System.Text.Json.Nodes;
using Odyssey.Tests;
using Odyssey.WebRtc.Tests.Dtls;

namespace Odyssey.WebRtc.Tests.Peer;

/// <summary>aiortc_video_peer.py run by Debian's Python: JSON lines in, JSON lines out.</summary>
internal sealed class PeerScript : IDisposable
{
    private readonly ToolProcess _process;

    public PeerScript(params string[] arguments)
        : this("aiortc_video_peer.py", arguments, 0)
    {
    }

    private PeerScript(string scriptName, string[] arguments, int unused, IReadOnlyDictionary<string, string>? environment = null)
    {
        _ = unused;
        var script = Path.Combine(RepositoryRoot.Path, "tests", "Odyssey.WebRtc.Tests", "Peer", scriptName);
        _process = new ToolProcess("/usr/bin/python3", [script, .. arguments], environment: environment);
    }

    /// <summary>aiortc_datachannel_peer.py: the data-channel exchange (see its docstring).</summary>
    public static PeerScript DataChannels(params string[] arguments) => new("aiortc_datachannel_peer.py", arguments, 0);

    /// <summary>aiortc_datachannel_peer.py with a smaller exchange: <paramref name="small"/> strings and <paramref name="big"/> 200 KiB messages each way.</summary>
    public static PeerScript DataChannels(int small, int big, params string[] arguments) =>
        new("aiortc_datachannel_peer.py", arguments, 0, new Dictionary<string, string>
        {
            ["DC_SMALL"] = small.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DC_BIG"] = big.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    public string Transcript => _process.Transcript;

    public async Task<JsonNode> WaitForAsync(string key, TimeSpan timeout)
    {
        var line = await _process.WaitForLineAsync(l => TryParse(l)?[key] is not null, timeout);
        return JsonNode.Parse(line)!;
    }

    private static JsonNode? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The first JSON line carrying <paramref name="key"/> printed so far, without waiting.</summary>
    public bool TryGet(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out JsonNode? node)
    {
        node = null;
        foreach (var line in Transcript.Split('\n'))
        {
            if (TryParse(line) is { } parsed && parsed[key] is not null)
            {
                node = parsed;
                return true;
            }
        }

        return false;
    }

    public async Task SendAsync(object message)
    {
        await _process.Input.WriteLineAsync(JsonSerializer.Serialize(message));
        await _process.Input.FlushAsync();
    }

    public void Dispose() => _process.Dispose();
}
