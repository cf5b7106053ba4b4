using System.Buffers;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="PreviewSinkBlock"/>.</summary>
public sealed class PreviewSinkOptions : IValidatableObject
{
    /// <summary>A fixed default so a bookmarked page keeps working from run to run.</summary>
    public const int DefaultPort = 8090;

    /// <summary>TCP port of the page; 0 picks a free one.</summary>
    [Description("TCP port of the preview page (0 picks a free one, printed at start).")]
    [Range(0, 65535)]
    public int Port { get; init; } = DefaultPort;

    /// <summary>Address to listen on; anything but loopback needs <see cref="AllowRemote"/>.</summary>
    [Description("IP address to listen on; anything but loopback also needs allowRemote, as the page is unauthenticated.")]
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>Explicit consent to serve the preview beyond this machine.</summary>
    [Description("Allow a non-loopback address: anyone who can reach it sees the video and metrics.")]
    public bool AllowRemote { get; init; }

    /// <summary>Frames per second sent to browsers at most.</summary>
    [Description("Frames per second sent to browsers at most; frames in between are skipped.")]
    [Range(0.1, 60.0)]
    public double MaxFps { get; init; } = 10;

    /// <summary>JPEG quality.</summary>
    [Description("JPEG quality of the preview frames (1..100).")]
    [Range(1, 100)]
    public int Quality { get; init; } = 75;

    /// <summary>Frames wider than this are scaled down before encoding.</summary>
    [Description("Frames wider than this are scaled down before encoding (pixels).")]
    [Range(16, 8192)]
    public int MaxWidth { get; init; } = 640;

    /// <summary>Record fields to chart, comma-separated: "field" or "block.field"; empty charts every numeric field.</summary>
    [Description("Analysis fields to chart, comma-separated, each \"field\" or \"block.field\" (e.g. \"motion.movingFraction, brightness.mean\"); empty charts every numeric field.")]
    public string Fields { get; init; } = "";

    /// <summary>The entries of <see cref="Fields"/>.</summary>
    internal string[] FieldList() => Fields.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(Address, out var address))
        {
            yield return new ValidationResult($"address \"{Address}\" is not an IP address (use 127.0.0.1, or 0.0.0.0 with allowRemote)", [nameof(Address)]);
        }
        else if (!IPAddress.IsLoopback(address) && !AllowRemote)
        {
            yield return new ValidationResult($"address {Address} would serve the unauthenticated preview beyond this machine; set allowRemote: true to allow that", [nameof(Address)]);
        }

        foreach (var field in FieldList())
        {
            if (field.StartsWith('.') || field.EndsWith('.') || field.Contains(' ', StringComparison.Ordinal))
            {
                yield return new ValidationResult($"field \"{field}\" must be \"field\" or \"block.field\"", [nameof(Fields)]);
            }
        }
    }
}

/// <summary>
/// Serves a live page (Kestrel, on loopback by default) with the linked video as JPEG over a WebSocket at a
/// capped rate, every block's fps and every link's queue depth and drops, and a rolling chart of chosen
/// analysis fields from <c>records</c>. Work happens only while a browser is connected; frames beyond the
/// rate are released at once, and each browser has a drop-oldest queue, so the preview never stalls the pipeline.
/// </summary>
[Block(TypeName, Description = "Live browser preview: video (JPEG over WebSocket), per-block metrics and a chart of analysis fields.")]
[Input("in", typeof(VideoFrame))]
[Input("records", typeof(AnalysisRecord), Required = false)]
public sealed class PreviewSinkBlock(PreviewSinkOptions options) : CustomBlock<PreviewSinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "preview";

    /// <summary>Chart points and queue figures go out four times a second: smooth enough to watch.</summary>
    private static readonly TimeSpan UpdateInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Metrics every second update: the runner's own table refreshes about as often.</summary>
    private const int MetricsEveryUpdates = 2;

    private const int InitialBufferBytes = 4096;

    private readonly FrameImages _images = new();
    private ChartPoints? _points;
    private PreviewServer? _server;
    private long _sequence;

    /// <summary>The page's address once started (the bound port when the option was 0).</summary>
    public Uri? Address => _server?.Address;

    /// <inheritdoc />
    protected override async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _points = new ChartPoints(Options.FieldList());
        try
        {
            _server = await PreviewServer.StartAsync(IPAddress.Parse(Options.Address), Options.Port, LoadPage(), Hello(), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new IOException($"preview \"{Name}\" cannot listen on {Options.Address}:{Options.Port}: {e.Message}", e);
        }

        // The one line a user needs to find the page; stderr, beside the runner's progress.
        await Console.Error.WriteLineAsync($"preview \"{Name}\": {_server.Address}").ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        using var inputsDone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var updates = SendUpdatesAsync(inputsDone.Token);
        try
        {
            await Task.WhenAll(ReadFramesAsync(cancellationToken), ReadRecordsAsync(cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            await inputsDone.CancelAsync().ConfigureAwait(false);
            await updates.ConfigureAwait(false);
        }

        // Final figures, so a page left open shows how the run ended.
        SendMetrics(ended: true);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
        }

        _images.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ReadFramesAsync(CancellationToken cancellationToken)
    {
        var input = Context.GetInput<VideoFrame>("in");
        var interval = (long)(Stopwatch.Frequency / Options.MaxFps);
        var nextDue = 0L;
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.TryRead(out var frame))
            {
                try
                {
                    var now = Stopwatch.GetTimestamp();
                    if (_server!.ClientCount > 0 && now >= nextDue)
                    {
                        // Due times advance from now, not from the last due time: after a pause nothing bursts.
                        nextDue = now + interval;
                        var jpeg = _images.EncodeJpeg(frame, Context.FramePool, Options.MaxWidth, Options.Quality);
                        _server.Broadcast(new PreviewMessage(true, _sequence++, frame.Index, jpeg));
                    }
                }
                finally
                {
                    frame.Release();
                }
            }
        }
    }

    private async Task ReadRecordsAsync(CancellationToken cancellationToken)
    {
        var input = Context.GetInput<AnalysisRecord>("records");
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.TryRead(out var record))
            {
                if (_server!.ClientCount > 0)
                {
                    _points!.Add(record);
                }
            }
        }
    }

    private async Task SendUpdatesAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(UpdateInterval);
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_server!.ClientCount == 0)
                {
                    continue;
                }

                SendPoints();
                if (++tick % MetricsEveryUpdates == 0)
                {
                    SendMetrics(ended: false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The inputs ended or the run stopped.
        }

        SendPoints();
    }

    private void SendPoints()
    {
        if (_points?.TakeMessage() is { } message)
        {
            _server?.Broadcast(new PreviewMessage(false, 0, 0, message));
        }
    }

    private void SendMetrics(bool ended)
    {
        if (_server is not { } server || server.ClientCount == 0)
        {
            return;
        }

        var snapshot = Context.GetMetrics();
        var buffer = new ArrayBufferWriter<byte>(InitialBufferBytes);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "metrics");
            writer.WriteBoolean("ended", ended);
            writer.WriteNumber("elapsedSeconds", snapshot.Elapsed.TotalSeconds);
            writer.WriteNumber("previewClients", server.ClientCount);
            writer.WriteNumber("previewDropped", server.Dropped);
            writer.WriteNumber("pointsSkipped", _points?.Skipped ?? 0);
            RunDirectory.WriteFigures(writer, snapshot);
            writer.WriteEndObject();
        }

        server.Broadcast(new PreviewMessage(false, 0, 0, buffer.WrittenSpan.ToArray()));
    }

    private byte[] Hello()
    {
        var buffer = new ArrayBufferWriter<byte>(InitialBufferBytes);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "hello");
            writer.WriteString("block", Name);
            writer.WriteNumber("maxFps", Options.MaxFps);
            writer.WriteStartArray("fields");
            foreach (var field in Options.FieldList())
            {
                writer.WriteStringValue(field);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string LoadPage()
    {
        using var stream = typeof(PreviewSinkBlock).Assembly.GetManifestResourceStream("Odyssey.Pipeline.Blocks.Preview.preview.html")
            ?? throw new InvalidOperationException("the preview page is missing from Odyssey.Pipeline.Blocks (embedded resource Preview/preview.html)");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
