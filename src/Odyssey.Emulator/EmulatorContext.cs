using System.Collections.Concurrent;
using Odyssey.Emulator.Auth;
using Odyssey.Emulator.Broadcast;
using Odyssey.Emulator.Recordings;
using Odyssey.Emulator.Sessions;
using Odyssey.Emulator.Simulations;
using Odyssey.Emulator.Streaming;
using Odyssey.Media;

namespace Odyssey.Emulator;

/// <summary>The emulator's shared state, handed to endpoints and sessions (one per server).</summary>
internal sealed class EmulatorContext
{
    public EmulatorContext(EmulatorOptions options, TimeProvider time, string recordingsDirectory)
    {
        Options = options;
        Time = time;
        AccessTokens = new AccessTokens(time, options.AccessTokenLifetime);
        SessionTokens = new SessionTokens(time);
        Sessions = new SessionBroker(options, time);
        Recordings = new RecordingStore(recordingsDirectory);
        Simulations = new SimulationJobs(this);
        Broadcasts = new Broadcasts(this);
        Sessions.Log += Log;
    }

    public EmulatorOptions Options { get; }

    public TimeProvider Time { get; }

    public AccessTokens AccessTokens { get; }

    public SessionTokens SessionTokens { get; }

    public SessionBroker Sessions { get; }

    public RecordingStore Recordings { get; }

    public SimulationJobs Simulations { get; }

    /// <summary>Streams started with <c>broadcast: true</c> and their spectators (WHEP).</summary>
    public Broadcasts Broadcasts { get; }

    /// <summary>Packets of every session's encoder and the recorders' remux.</summary>
    public EncodedPacketPool Packets { get; } = new();

    /// <summary>Send times by session id (kept after a session ends, for late lookups).</summary>
    public ConcurrentDictionary<string, FrameSendTimes> FrameTimes { get; } = new(StringComparer.Ordinal);

    /// <summary>Telemetry events clients POSTed to <c>/telemetry</c>, in arrival order.</summary>
    public ConcurrentQueue<System.Text.Json.Nodes.JsonObject> TelemetryEvents { get; } = new();

    /// <summary>The API's base URL, e.g. http://127.0.0.1:8080 (set once the server listens).</summary>
    public string ApiUrl { get; set; } = "";

    public void Log(string line) => Options.Log?.Invoke(line);
}
