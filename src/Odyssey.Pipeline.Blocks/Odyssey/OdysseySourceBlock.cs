using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Odyssey.Client;
using Odyssey.Emulator;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="OdysseySourceBlock"/>.</summary>
public sealed class OdysseySourceOptions : IValidatableObject
{
    /// <summary>Width of the built-in emulator's world: small enough for a shared 2-core machine to encode, decode and analyse live.</summary>
    public const int DefaultEmulatorWidth = 640;

    /// <summary>Height of the built-in emulator's world (16:9-ish, a multiple of 16 like the service's 1280×704).</summary>
    public const int DefaultEmulatorHeight = 352;

    /// <summary>API key; null reads ODYSSEY_API_KEY. None at all: the built-in emulator.</summary>
    [Description("Odyssey API key; omit to read ODYSSEY_API_KEY. With no key at all the built-in emulator is used.")]
    public string? ApiKey { get; init; }

    /// <summary>API URL; null reads ODYSSEY_API_URL, else the service's default.</summary>
    [Description("Odyssey API URL; omit to read ODYSSEY_API_URL, else https://api.odyssey.ml.")]
    public string? ApiUrl { get; init; }

    /// <summary>Use the built-in emulator even when an API key is set.</summary>
    [Description("Run against the built-in emulator (started in-process on loopback) even when an API key is set.")]
    public bool Emulator { get; init; }

    /// <summary>The prompt the stream starts with.</summary>
    [Description("The prompt the stream starts with.")]
    public string Prompt { get; init; } = "";

    /// <summary>Start image (image-to-video), a file path.</summary>
    [Description("Start image for image-to-video: a JPEG, PNG or WebP file; relative paths resolve against the working directory.")]
    public string? Image { get; init; }

    /// <summary>Portrait (true, the service's default) or landscape video.</summary>
    [Description("Portrait video (the service's default) instead of landscape.")]
    public bool Portrait { get; init; } = true;

    /// <summary>End after this many seconds of streaming (across reconnects).</summary>
    [Description("End the stream after this many seconds (wall clock, counted from the first stream's start).")]
    [Range(0.001, 86400.0)]
    public double? Duration { get; init; }

    /// <summary>End after this many frames.</summary>
    [Description("End the stream after this many frames have been written.")]
    [Range(1, long.MaxValue)]
    public long? Frames { get; init; }

    /// <summary>The interaction timeline.</summary>
    [Description("Interaction timeline: [{\"at\": seconds | \"frame\": n | \"timestamp_ms\": ms, \"prompt\": text | \"interact\": {\"prompt\": text} | \"end\": true}]; an end entry ends the stream.")]
    public JsonElement? Script { get; init; }

    /// <summary>Reconnect in a new stream after a dropped connection.</summary>
    [Description("After a dropped connection, reconnect with the client's backoff and continue in a new stream (true), or fail the pipeline (false).")]
    public bool Reconnect { get; init; } = true;

    /// <summary>Reconnects allowed in a row before the source gives up.</summary>
    [Description("Reconnects in a row (without a frame in between) before the source fails.")]
    [Range(0, 100)]
    public int MaxReconnects { get; init; } = AdvancedConfig.DefaultMaxRetries;

    /// <summary>Emulator world width.</summary>
    [Description("Built-in emulator only: world width in pixels (landscape; portrait swaps).")]
    [Range(64, 4096)]
    public int EmulatorWidth { get; init; } = DefaultEmulatorWidth;

    /// <summary>Emulator world height.</summary>
    [Description("Built-in emulator only: world height in pixels (landscape; portrait swaps).")]
    [Range(64, 4096)]
    public int EmulatorHeight { get; init; } = DefaultEmulatorHeight;

    /// <summary>Emulator frame rate.</summary>
    [Description("Built-in emulator only: frames per second.")]
    [Range(1.0, 120.0)]
    public double EmulatorFps { get; init; } = EmulatorOptions.DefaultFps;

    /// <summary>Emulator fault: drop every connection this many seconds into its stream.</summary>
    [Description("Built-in emulator only, a fault for testing resilience: drop each connection this many seconds into its stream.")]
    [Range(0.001, 86400.0)]
    public double? EmulatorDropAfter { get; init; }

    /// <summary>Emulator recordings directory (kept after the run); null: a temporary one, deleted.</summary>
    [Description("Built-in emulator only: keep its recordings (MP4 + events JSONL per stream) in this directory; omit for a temporary one.")]
    public string? EmulatorRecordings { get; init; }

    /// <summary>True when the run uses the built-in emulator.</summary>
    internal bool UsesEmulator => Emulator || string.IsNullOrWhiteSpace(ApiKey ?? Environment.GetEnvironmentVariable(ClientConfig.ApiKeyVariable));

    /// <summary>The parsed script; valid after validation.</summary>
    internal List<ScriptEntry> Entries => InteractionScript.Parse(Script).Entries;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var error in InteractionScript.Parse(Script).Errors)
        {
            yield return new ValidationResult(error, [nameof(Script)]);
        }

        if (Image is not null && string.IsNullOrWhiteSpace(Image))
        {
            yield return new ValidationResult("image must be a file path, not blank", [nameof(Image)]);
        }

        if (ApiUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"apiUrl \"{url}\" must be an absolute http:// or https:// URL", [nameof(ApiUrl)]);
        }
    }
}

/// <summary>The <c>odyssey</c> source failed in a way the run cannot continue from (a lost connection without reconnect, a refused connect).</summary>
public sealed class OdysseySourceException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Streams an Odyssey world into the pipeline: connects (the real service with an API key, else the
/// built-in emulator in-process), starts a stream with a prompt, writes the video as ENCODED packets on
/// <c>out</c> (for <c>decode</c> and <c>record</c>) and stream events as <see cref="OdysseyEventRecord"/>s on
/// <c>events</c>; sends the script's prompts and every <see cref="PromptRecord"/> arriving on the
/// <c>interact</c> feedback port. Ends after <c>duration</c>, <c>frames</c> or the script's end entry.
/// </summary>
/// <remarks>
/// Completion: on every way out (its end condition, Ctrl+C, a downstream fault cancelling the run, its own
/// failure) the stream is ended and the client disconnected, within a grace period, before the outputs
/// complete. Packet indices count the packets written, across reconnects; timestamps start at 0 and keep
/// increasing across streams, so a recording of <c>out</c> replays through the <c>file</c> source to the
/// same frames. Packets before a stream's first keyframe are skipped (nothing could decode them).
/// </remarks>
[Block(TypeName, Description = "Streams an Odyssey world (or the built-in emulator) as encoded frames, with stream events and scripted or closed-loop prompts.")]
[Output("out", typeof(EncodedPacket), Required = true)]
[Output("events", typeof(AnalysisRecord))]
[Input("interact", typeof(AnalysisRecord), Required = false, Feedback = true)]
public sealed class OdysseySourceBlock(OdysseySourceOptions options) : CustomBlock<OdysseySourceOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "odyssey";

    /// <summary>How long ending the stream and disconnecting may take on the way out; a dead peer must not hold the run.</summary>
    private static readonly TimeSpan TeardownGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long an interaction may wait for its acknowledgement before it counts as failed.</summary>
    private static readonly TimeSpan InteractTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Prompts queued for sending; more are dropped (and reported) rather than steering minutes late.</summary>
    private const int PromptQueueCapacity = 16;

    /// <summary>Packets held while the start is being acknowledged: a second or two of video at most.</summary>
    private const int HoldLimit = 64;

    private readonly Channel<OdysseyEventRecord> _events = Channel.CreateUnbounded<OdysseyEventRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<(string Prompt, string Origin)> _prompts = Channel.CreateBounded<(string, string)>(
        new BoundedChannelOptions(PromptQueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Stopwatch _clock = new();
    private readonly CancellationTokenSource _finished = new();
    private EmulatorServer? _emulator;
    private OdysseyClient? _client;
    private List<ScriptEntry> _script = [];
    private int _nextScript;
    private long _written;
    private long _dropped;
    private int _stream;
    private string? _streamId;
    private TimeSpan _ptsOffset;
    private TimeSpan _lastPts;
    private TimeSpan _lastStep;
    private ClientCredentials? _credentials;
    private volatile bool _streamStarted;
    private volatile string? _currentPrompt;
    private volatile string? _lostCause;
    private volatile bool _tearingDown;

    /// <summary>The emulator started for this run, if any (tests read its recordings).</summary>
    public EmulatorServer? EmbeddedEmulator => _emulator;

    /// <summary>Packets written to <c>out</c>.</summary>
    public long FramesWritten => Interlocked.Read(ref _written);

    /// <summary>Encoded frames the client dropped because the pipeline fell behind the live stream.</summary>
    public long FramesDropped => Interlocked.Read(ref _dropped);

    /// <summary>Streams started (1 + reconnects).</summary>
    public int Streams => _stream;

    /// <inheritdoc />
    protected override async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _script = Options.Entries;
        if (Options.UsesEmulator)
        {
            _emulator = await EmulatorServer.StartAsync(
                new EmulatorOptions
                {
                    Width = Options.EmulatorWidth,
                    Height = Options.EmulatorHeight,
                    Fps = Options.EmulatorFps,
                    DropConnectionAfter = Options.EmulatorDropAfter is { } drop ? TimeSpan.FromSeconds(drop) : null,
                    RecordingsDirectory = Options.EmulatorRecordings is { } dir ? Directory.CreateDirectory(Context.ResolvePath(dir)).FullName : null,
                },
                cancellationToken).ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"odyssey source \"{Name}\": no API key given (ODYSSEY_API_KEY), so using the built-in emulator at {_emulator.ApiUrl}").ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        var output = Context.GetOutput<EncodedPacket>("out");
        var eventsPump = PumpEventsAsync(Context.GetOutput<AnalysisRecord>("events"));
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _finished.Token);

        // The feedback reader stops with the run, not with its input: that input completes only after
        // this block's own output has drained round the loop, which waits for this method to return.
        var feedback = ReadFeedbackAsync(Context.GetInput<AnalysisRecord>("interact"), run.Token);
        var interactions = SendPromptsAsync(run.Token);
        try
        {
            await StreamAsync(output, run.Token).ConfigureAwait(false);
        }
        finally
        {
            _prompts.Writer.TryComplete();
            await run.CancelAsync().ConfigureAwait(false);
            await interactions.ConfigureAwait(false);
            await feedback.ConfigureAwait(false);
            await TearDownAsync().ConfigureAwait(false);
            _events.Writer.TryComplete();
            await eventsPump.ConfigureAwait(false);
            if (FramesDropped > 0)
            {
                await Console.Error.WriteLineAsync($"odyssey source \"{Name}\": {FramesDropped} encoded frame(s) dropped because the pipeline fell behind the live stream (decoding resumes at the next keyframe); give \"out\" a larger link capacity or lighten the analysis").ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await TearDownAsync().ConfigureAwait(false);
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync().ConfigureAwait(false);
            _emulator = null;
        }

        _finished.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Connect, start, forward packets; on a lost connection reconnect or fail. Returns when an end condition is met or the run stops.</summary>
    private async Task StreamAsync(IBlockOutput<EncodedPacket> output, CancellationToken run)
    {
        var reconnects = 0;
        while (!run.IsCancellationRequested)
        {
            using var lost = new CancellationTokenSource();
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(run, lost.Token);
            var client = await ConnectAsync(lost, reconnects > 0, run).ConfigureAwait(false);
            if (client is null)
            {
                return;
            }

            // Reading starts before the start message goes out: the stream's first keyframe may
            // overtake stream_started (RTP and the data channel are separate paths).
            var before = FramesWritten;
            _streamStarted = false;
            var forward = ForwardAsync(client, output, reading.Token);
            try
            {
                if (!await StartAsync(client, run).ConfigureAwait(false))
                {
                    return;
                }

                await forward.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (reading.IsCancellationRequested)
            {
            }
            finally
            {
                await reading.CancelAsync().ConfigureAwait(false);
                try
                {
                    await forward.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // the reader stops by cancellation
                }
            }

            if (!lost.IsCancellationRequested || run.IsCancellationRequested)
            {
                return;
            }

            // The connection dropped while the run wanted more.
            reconnects = FramesWritten > before ? 1 : reconnects + 1;
            var cause = _lostCause ?? "the connection was lost";
            Emit("disconnected", message: cause);
            await TearDownAsync().ConfigureAwait(false);
            if (!Options.Reconnect)
            {
                throw new OdysseySourceException($"odyssey source \"{Name}\": stream {_stream} lost its connection after {FramesWritten} frame(s): {cause}; \"reconnect\" is off, so the run stops");
            }

            if (reconnects > Options.MaxReconnects)
            {
                throw new OdysseySourceException($"odyssey source \"{Name}\": the connection was lost {reconnects} times in a row without a frame (maxReconnects {Options.MaxReconnects}): {cause}");
            }

            var delay = new AdvancedConfig().RetryDelay(reconnects - 1);
            Emit("reconnecting", message: $"attempt {reconnects} in {delay.TotalSeconds:0.###} s");
            try
            {
                await Task.Delay(delay, run).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (run.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// A new client, connected; null when the run stopped meanwhile. A reconnect first reuses the
    /// session's credentials (the service keeps a dropped session for its token's lifetime), then mints new ones.
    /// </summary>
    private async Task<OdysseyClient?> ConnectAsync(CancellationTokenSource lost, bool reconnecting, CancellationToken run)
    {
        _lostCause = null;
        _tearingDown = false;
        var handlers = new OdysseyEventHandlers
        {
            OnDisconnected = () => Lose(lost, "disconnected"),
            OnError = (error, fatal) =>
            {
                if (fatal)
                {
                    Lose(lost, error.Message);
                }
                else
                {
                    Emit("error", reason: error.GetType().Name, message: error.Message);
                }
            },
            OnStreamError = (reason, message) => Emit("stream-error", reason: reason, message: message),
        };

        try
        {
            var client = _client = new OdysseyClient(CreateConfig());
            if (_credentials is null)
            {
                _credentials = await client.CreateClientCredentialsAsync(run).ConfigureAwait(false);
                await client.ConnectWithCredentialsAsync(_credentials, handlers, run).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    await client.ConnectWithCredentialsAsync(_credentials, handlers, run).ConfigureAwait(false);
                }
                catch (OdysseyConnectionError)
                {
                    await TearDownAsync().ConfigureAwait(false);
                    _tearingDown = false;
                    client = _client = new OdysseyClient(CreateConfig());
                    _credentials = await client.CreateClientCredentialsAsync(run).ConfigureAwait(false);
                    await client.ConnectWithCredentialsAsync(_credentials, handlers, run).ConfigureAwait(false);
                }
            }

            _stream++;
            Emit(reconnecting ? "reconnected" : "connected");
            return client;
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            return null;
        }
        catch (OdysseyError error)
        {
            Emit("error", reason: error.GetType().Name, message: error.Message);
            throw new OdysseySourceException($"odyssey source \"{Name}\": could not connect to {Service}: {error.Message}", error);
        }
    }

    /// <summary>Starts the stream; false when the run stopped meanwhile.</summary>
    private async Task<bool> StartAsync(OdysseyClient client, CancellationToken run)
    {
        try
        {
            var image = Options.Image is { } path ? OdysseyImage.FromFile(Context.ResolvePath(path)) : null;
            // A new stream after a reconnect resumes the world as last steered, not as first prompted.
            _streamId = await client.StartStreamAsync(_currentPrompt ?? Options.Prompt, Options.Portrait, image, cancellationToken: run).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            return false;
        }
        catch (OdysseyError error)
        {
            Emit("error", reason: error.GetType().Name, message: error.Message);
            throw new OdysseySourceException($"odyssey source \"{Name}\": {Service} refused to start a stream: {error.Message}", error);
        }

        _streamStarted = true;
        if (!_clock.IsRunning)
        {
            _clock.Start();
            if (Options.Duration is { } seconds)
            {
                _finished.CancelAfter(TimeSpan.FromSeconds(seconds));
            }
        }

        Emit("started", prompt: client.LastAppliedPrompt ?? _currentPrompt ?? Options.Prompt, origin: "start");
        return true;
    }

    private string Service => _emulator is null ? "the Odyssey service" : "the built-in emulator";

    private void Lose(CancellationTokenSource lost, string cause)
    {
        if (_tearingDown)
        {
            return;
        }

        _lostCause ??= cause;
        try
        {
            lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the stream this client served has already been left
        }
    }

    private ClientConfig CreateConfig()
    {
        if (_emulator is { } emulator)
        {
            return new ClientConfig
            {
                ApiKey = emulator.ApiKey,
                ApiUrl = emulator.ApiUrl.ToString(),
                Advanced = new AdvancedConfig
                {
                    // The emulator is on loopback; candidates elsewhere only slow ICE down.
                    PeerConnection = new PeerConnectionOptions { Ice = new IceAgentOptions { LoopbackOnly = true, UseIPv6 = false } },
                },
            };
        }

        var config = new ClientConfig();
        return config with
        {
            ApiKey = Options.ApiKey ?? config.ApiKey,
            ApiUrl = Options.ApiUrl ?? config.ApiUrl,
        };
    }

    /// <summary>
    /// Forwards the client's encoded frames until an end condition, the run stopping, or the connection
    /// dropping. Until the start is acknowledged packets are held back; the stream then begins at the
    /// last keyframe held (the start's keyframe when it overtook the acknowledgement), else at the next.
    /// </summary>
    private async Task ForwardAsync(OdysseyClient client, IBlockOutput<EncodedPacket> output, CancellationToken token)
    {
        var held = new List<EncodedPacket>();
        var keyframeSeen = false;
        TimeSpan? origin = null;
        try
        {
            await foreach (var packet in client.ReadEncodedFramesAsync(token).ConfigureAwait(false))
            {
                if (!_streamStarted)
                {
                    if (packet.IsKeyframe)
                    {
                        Release(held);
                    }

                    if (held.Count < HoldLimit)
                    {
                        held.Add(packet);
                    }
                    else
                    {
                        packet.Release();
                    }

                    continue;
                }

                held.Add(packet);
                for (var i = 0; i < held.Count; i++)
                {
                    var next = held[i];
                    held[i] = null!;
                    if (!keyframeSeen && !next.IsKeyframe)
                    {
                        next.Release();
                        continue;
                    }

                    keyframeSeen = true;
                    if (!await WriteAsync(next).ConfigureAwait(false))
                    {
                        for (var j = i + 1; j < held.Count; j++)
                        {
                            held[j].Release();
                        }

                        held.Clear();
                        return;
                    }
                }

                held.Clear();
            }
        }
        finally
        {
            Release(held);
        }

        // Writes one packet; false when the source is done (an end condition or the run stopping).
        async ValueTask<bool> WriteAsync(EncodedPacket packet)
        {
            if (_finished.IsCancellationRequested || RunScript(_written))
            {
                packet.Release();
                await _finished.CancelAsync().ConfigureAwait(false);
                return false;
            }

            // Timestamps: 0 at the first stream's first frame; a new stream continues one frame step on.
            if (origin is null)
            {
                origin = packet.Pts;
                _ptsOffset = _written == 0 ? TimeSpan.Zero : _lastPts + (_lastStep > TimeSpan.Zero ? _lastStep : TimeSpan.FromSeconds(1 / Options.EmulatorFps));
            }

            // On the RTP clock's own grid, so a recording of these packets replays the very same times.
            var pts = RtpClockTime.Rebase(packet.Pts, origin.Value, _ptsOffset);
            if (pts > _lastPts)
            {
                _lastStep = pts - _lastPts;
            }

            _lastPts = pts;
            packet.Pts = pts;
            packet.Dts = packet.Dts is { } dts ? RtpClockTime.Rebase(dts, origin.Value, _ptsOffset) : null;
            packet.Index = _written;
            try
            {
                await output.WriteAsync(packet, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return false;
            }

            Interlocked.Increment(ref _written);

            // An end due at the next frame ends now, not when (or if) another packet arrives.
            if ((Options.Frames is { } limit && _written >= limit) || RunScript(_written))
            {
                await _finished.CancelAsync().ConfigureAwait(false);
                return false;
            }

            return true;
        }
    }

    private static void Release(List<EncodedPacket> packets)
    {
        foreach (var packet in packets)
        {
            packet?.Release();
        }

        packets.Clear();
    }

    /// <summary>Queues the script entries due at frame <paramref name="frame"/>; true when an end entry is due.</summary>
    private bool RunScript(long frame)
    {
        var elapsed = _clock.Elapsed;
        while (_nextScript < _script.Count)
        {
            var entry = _script[_nextScript];
            var due = entry.At is { } at ? elapsed >= at : frame >= entry.Frame!.Value;
            if (!due)
            {
                // Entries fire in file order: a later entry waits for an earlier one.
                return false;
            }

            _nextScript++;
            if (entry.Action == ScriptAction.End)
            {
                return true;
            }

            if (!_prompts.Writer.TryWrite((entry.Prompt, "script")))
            {
                Emit("error", prompt: entry.Prompt, origin: "script", reason: "prompt_queue_full", message: $"{PromptQueueCapacity} prompts were already waiting");
            }
        }

        return false;
    }

    /// <summary>Sends queued prompts one at a time (the protocol has one pending interaction).</summary>
    private async Task SendPromptsAsync(CancellationToken token)
    {
        try
        {
            await foreach (var (prompt, origin) in _prompts.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                var client = _client;
                if (client is null || !client.IsConnected || _streamId is null)
                {
                    Emit("error", prompt: prompt, origin: origin, reason: "not_streaming", message: "no stream was running, so the prompt was not sent");
                    continue;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(InteractTimeout);
                try
                {
                    var applied = await client.InteractAsync(prompt, timeout.Token).ConfigureAwait(false);
                    _currentPrompt = prompt;
                    Emit("acknowledged", prompt: applied, origin: origin);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    Emit("error", prompt: prompt, origin: origin, reason: "timeout", message: $"no update_acknowledged within {InteractTimeout.TotalSeconds} s");
                }
                catch (OdysseyError error)
                {
                    Emit("error", prompt: prompt, origin: origin, reason: error.GetType().Name, message: error.Message);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads the feedback port: prompt records become prompts; anything else is released unread.</summary>
    private async Task ReadFeedbackAsync(IBlockInput<AnalysisRecord> input, CancellationToken token)
    {
        if (!input.IsConnected)
        {
            return;
        }

        try
        {
            while (await input.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (input.TryRead(out var record))
                {
                    if (record is PromptRecord prompt && !_prompts.Writer.TryWrite((prompt.Prompt, "interact")) && !_prompts.Reader.Completion.IsCompleted)
                    {
                        Emit("error", prompt: prompt.Prompt, origin: "interact", reason: "prompt_queue_full", message: $"{PromptQueueCapacity} prompts were already waiting");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The engine discards what is left once the block returns.
        }
    }

    /// <summary>Ends the stream and disconnects, bounded by <see cref="TeardownGrace"/>; never throws.</summary>
    private async Task TearDownAsync()
    {
        var client = Interlocked.Exchange(ref _client, null);
        if (client is null)
        {
            return;
        }

        _tearingDown = true;
        var dropped = client.DroppedEncodedFrames;
        if (dropped > 0)
        {
            // A live stream cannot wait: what the pipeline was too slow to take was lost, and says so.
            Interlocked.Add(ref _dropped, dropped);
            Emit("frames-dropped", reason: "pipeline_behind", message: $"{dropped} encoded frame(s) of stream {_stream} were dropped because the pipeline fell behind the live stream");
        }

        using var grace = new CancellationTokenSource(TeardownGrace);
        try
        {
            if (client.IsConnected && _streamId is not null)
            {
                await client.EndStreamAsync(grace.Token).ConfigureAwait(false);
                Emit("ended");
            }
        }
        catch (Exception e) when (e is OdysseyError or OperationCanceledException or InvalidOperationException)
        {
            Emit("error", reason: e.GetType().Name, message: $"ending the stream: {e.Message}");
        }
        finally
        {
            _streamId = null;
            try
            {
                await client.DisconnectAsync().WaitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // a peer that no longer answers; disposal below closes the sockets anyway
            }

            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Emit(string name, string? prompt = null, string? origin = null, string? reason = null, string? message = null) =>
        _events.Writer.TryWrite(new OdysseyEventRecord
        {
            Block = Name,
            FrameIndex = Interlocked.Read(ref _written),
            Pts = _lastPts,
            CaptureTime = DateTimeOffset.UtcNow,
            Event = name,
            Stream = _stream,
            StreamId = _streamId,
            Prompt = prompt,
            Origin = origin,
            Reason = reason,
            Message = message,
        });

    private async Task PumpEventsAsync(IBlockOutput<AnalysisRecord> output)
    {
        await foreach (var record in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (!output.IsConnected)
            {
                continue;
            }

            try
            {
                // Events are few; they are written even while the run stops, so the log ends with "ended".
                await output.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                // the pipeline is aborting: nothing downstream reads any more
            }
        }
    }
}
