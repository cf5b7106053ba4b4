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

    /// <summary>Chart points held between updates at most; beyond, points wait for the next update's room.</summary>
    private const int MaxPendingPointBytes = 256 * 1024;

    private const int InitialBufferBytes = 4096;

    private readonly FrameImages _images = new();
    private readonly ArrayBufferWriter<byte> _recordJson = new(InitialBufferBytes);
    private readonly ArrayBufferWriter<byte> _points = new(InitialBufferBytes);
    private readonly Lock _pointsLock = new();
    private (string? Block, byte[] Field)[] _fields = [];
    private Utf8JsonWriter? _recordWriter;
    private Utf8JsonWriter? _pointsWriter;
    private PreviewServer? _server;
    private long _sequence;
    private long _pointsSkipped;

    /// <summary>The page's address once started (the bound port when the option was 0).</summary>
    public Uri? Address => _server?.Address;

    /// <inheritdoc />
    protected override async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _fields = Array.ConvertAll(Options.FieldList(), static field =>
        {
            var dot = field.LastIndexOf('.');
            return dot < 0 ? ((string?)null, Encoding.UTF8.GetBytes(field)) : (field[..dot], Encoding.UTF8.GetBytes(field[(dot + 1)..]));
        });
        _recordWriter = new Utf8JsonWriter(_recordJson);
        _pointsWriter = new Utf8JsonWriter(_points);
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

        _recordWriter?.Dispose();
        _pointsWriter?.Dispose();
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
                    AddPoints(record);
                }
            }
        }
    }

    /// <summary>
    /// Appends the record's chosen numeric fields as [block, field, frame, value] arrays to the pending
    /// points, copying names and numbers as UTF-8 spans: nothing is allocated per record.
    /// </summary>
    private void AddPoints(AnalysisRecord record)
    {
        _recordJson.ResetWrittenCount();
        _recordWriter!.Reset(_recordJson);
        record.WriteTo(_recordWriter);
        _recordWriter.Flush();
        var reader = new Utf8JsonReader(_recordJson.WrittenSpan);
        lock (_pointsLock)
        {
            if (_points.WrittenCount > MaxPendingPointBytes)
            {
                _pointsSkipped++;
                return;
            }

            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isWanted = IsCharted(ref reader, record.Block);
                var name = reader.ValueSpan;
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.Number || !isWanted)
                {
                    continue;
                }

                // Each point is its own JSON value; the comma between them is ours, so the writer keeps validating.
                _pointsWriter!.Flush();
                if (_points.WrittenCount > 0)
                {
                    _points.GetSpan(1)[0] = (byte)',';
                    _points.Advance(1);
                }

                _pointsWriter.Reset(_points);
                _pointsWriter.WriteStartArray();
                _pointsWriter.WriteStringValue(record.Block);
                _pointsWriter.WriteStringValue(name);
                _pointsWriter.WriteNumberValue(record.FrameIndex);
                _pointsWriter.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                _pointsWriter.WriteEndArray();
            }

            _pointsWriter!.Flush();
        }
    }

    /// <summary>True when the property under <paramref name="reader"/> is a measurement the options ask to chart.</summary>
    private bool IsCharted(ref Utf8JsonReader reader, string block)
    {
        if (reader.ValueTextEquals("frame"u8) || reader.ValueTextEquals("ptsMs"u8))
        {
            return false;
        }

        if (_fields.Length == 0)
        {
            return true;
        }

        foreach (var (wantedBlock, field) in _fields)
        {
            if ((wantedBlock is null || wantedBlock == block) && reader.ValueTextEquals(field))
            {
                return true;
            }
        }

        return false;
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
        byte[] message;
        lock (_pointsLock)
        {
            _pointsWriter!.Flush();
            if (_points.WrittenCount == 0)
            {
                return;
            }

            var prefix = """{"type":"points","points":["""u8;
            message = new byte[prefix.Length + _points.WrittenCount + 2];
            prefix.CopyTo(message);
            var body = message.AsSpan(prefix.Length);
            _points.WrittenSpan.CopyTo(body);
            message[^2] = (byte)']';
            message[^1] = (byte)'}';
            _points.ResetWrittenCount();
            _pointsWriter.Reset(_points);
        }

        _server?.Broadcast(new PreviewMessage(false, 0, 0, message));
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
            writer.WriteNumber("pointsSkipped", Interlocked.Read(ref _pointsSkipped));
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
