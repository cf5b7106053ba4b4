// The official minimal example (odyssey-python-client-example main.py) in C#: connect, start a stream,
// three interactions, end, disconnect; every 30th decoded frame is saved as a PPM image.
//
//   ODYSSEY_API_KEY=ody_... dotnet run --project samples/Odyssey.Client.Sample -- [--out DIR] [--prompt TEXT] [--debug] [--loopback] [--spectate]
//
// --loopback gathers ICE candidates on 127.0.0.1 only (for the local emulator, `odyssey-emulator`).
// --spectate starts the stream with broadcast: true and watches it as a spectator too (WHEP), counting its frames.
using System.Globalization;
using Microsoft.Extensions.Logging;
using Odyssey.Client;
using Odyssey.Media;
using Odyssey.Samples;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

const int SaveEvery = 30;
var output = "out/client-sample";
var prompt = "A calm lake at sunrise, mist over the water";
var debug = false;
var loopback = false;
var spectate = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length: output = args[++i]; break;
        case "--prompt" when i + 1 < args.Length: prompt = args[++i]; break;
        case "--debug": debug = true; break;
        case "--loopback": loopback = true; break;
        case "--spectate": spectate = true; break;
        default:
            Console.Error.WriteLine("usage: Odyssey.Client.Sample [--out DIR] [--prompt TEXT] [--debug] [--loopback] [--spectate]");
            return 2;
    }
}

Directory.CreateDirectory(output);
using var logging = new ConsoleLoggerFactory(debug ? LogLevel.Debug : LogLevel.Information);
var config = new ClientConfig
{
    Debug = debug,
    LoggerFactory = logging,
    Advanced = loopback
        ? new AdvancedConfig { PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } } }
        : new AdvancedConfig(),
};

var saved = 0;
var frames = 0;
var spectatorFrames = 0;
var broadcast = new TaskCompletionSource<BroadcastInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
SpectatorConnection? spectator = null;
await using var client = new OdysseyClient(config);
var handlers = new OdysseyEventHandlers
{
    OnConnected = () => Console.WriteLine("Connected"),
    OnDisconnected = () => Console.WriteLine("Disconnected"),
    OnStreamStarted = id => Console.WriteLine($"Stream started: {id}"),
    OnStreamEnded = () => Console.WriteLine("Stream ended"),
    OnInteractAcknowledged = p => Console.WriteLine($"Interaction acknowledged: {p}"),
    OnStreamError = (reason, message) => Console.Error.WriteLine($"Stream error: {reason}: {message}"),
    OnError = (error, fatal) => Console.Error.WriteLine($"Error{(fatal ? " (fatal)" : "")}: {error.Message}"),
    OnBroadcastReady = info => broadcast.TrySetResult(info),
    OnStatusChange = (status, message) => Console.WriteLine($"Status: {status}{(message is null ? "" : $" - {message}")}"),
    OnVideoFrame = frame =>
    {
        // Borrowed: used here and not kept.
        if (frames++ % SaveEvery == 0)
        {
            SavePpm(frame, Path.Combine(output, $"frame-{frames - 1:D5}.ppm"));
            saved++;
        }
    },
};

try
{
    await client.ConnectAsync(handlers);
    var streamId = await client.StartStreamAsync(prompt, portrait: false, broadcast: spectate);
    if (spectate)
    {
        // Anyone with the URL and token can watch; no API key is needed for this part.
        var info = await broadcast.Task.WaitAsync(TimeSpan.FromSeconds(10));
        spectator = await OdysseyClient.ConnectToStreamAsync(info.WebRtcUrl, info.SpectatorToken, new SpectatorOptions
        {
            OnVideoFrame = _ => Interlocked.Increment(ref spectatorFrames),
            PeerConnection = config.Advanced.PeerConnection,
        });
        Console.WriteLine($"Spectating {info.WebRtcUrl}");
    }

    await Task.Delay(TimeSpan.FromSeconds(3));
    foreach (var interaction in new[] { "A small boat drifts into view", "Birds take off from the shore", "The sun breaks through the mist" })
    {
        Console.WriteLine($"Applied: {await client.InteractAsync(interaction)}");
        await Task.Delay(TimeSpan.FromSeconds(3));
    }

    if (spectator is not null)
    {
        await spectator.DisposeAsync();
        Console.WriteLine($"Spectator: {spectatorFrames} frames decoded");
    }

    await client.EndStreamAsync();
    Console.WriteLine($"Stream {streamId}: {frames} frames received, {saved} saved under {output}");
}
catch (OdysseyError error)
{
    Console.Error.WriteLine($"{error.GetType().Name}: {error.Message}");
    return 1;
}
finally
{
    if (spectator is not null)
    {
        await spectator.DisposeAsync();
    }

    await client.DisconnectAsync();
}

return 0;

static void SavePpm(VideoFrame frame, string path)
{
    // Binary PPM: a header and the RGB rows, which is exactly an Rgb24 frame without its stride padding.
    using var file = File.Create(path);
    file.Write(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"P6\n{frame.Width} {frame.Height}\n255\n")));
    for (var y = 0; y < frame.Height; y++)
    {
        file.Write(frame.GetRow(0, y)[..(frame.Width * 3)]);
    }
}
