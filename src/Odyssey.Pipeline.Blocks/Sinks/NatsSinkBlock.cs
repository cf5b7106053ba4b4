using System.Buffers;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using NATS.Client.Core;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="NatsSinkBlock"/>.</summary>
public sealed class NatsSinkOptions : IValidatableObject
{
    /// <summary>The NATS default client port on this machine.</summary>
    public const string DefaultUrl = "nats://127.0.0.1:4222";

    /// <summary>NATS server URL.</summary>
    [Description("NATS server URL, e.g. nats://127.0.0.1:4222.")]
    public string Url { get; init; } = DefaultUrl;

    /// <summary>Subject the records are published to.</summary>
    [Description("Subject for the JSON records (one message per record); the end-of-stream marker goes here too.")]
    [Required]
    public required string Subject { get; init; }

    /// <summary>Subject for JPEG thumbnails of the frames on the <c>frames</c> port; default SUBJECT.thumbnails.</summary>
    [Description("Subject for JPEG thumbnails of frames arriving on the optional frames port (default: SUBJECT.thumbnails).")]
    public string? ThumbnailSubject { get; init; }

    /// <summary>Send a thumbnail of every Nth frame arriving on <c>frames</c>.</summary>
    [Description("Send a thumbnail of every Nth frame arriving on the frames port (1 = every frame).")]
    [Range(1, int.MaxValue)]
    public int ThumbnailEvery { get; init; } = 30;

    /// <summary>Thumbnail width in pixels; the height keeps the aspect ratio.</summary>
    [Description("Thumbnail width in pixels; the height keeps the frame's aspect ratio.")]
    [Range(16, 4096)]
    public int ThumbnailWidth { get; init; } = 160;

    /// <summary>JPEG quality, 1-100.</summary>
    [Description("JPEG quality of thumbnails, 1-100.")]
    [Range(1, 100)]
    public int JpegQuality { get; init; } = 80;

    /// <summary>Send an empty message with the Odyssey-End header when the input ends, so a nats source downstream can end too.</summary>
    [Description("When the input ends, send an empty message with header Odyssey-End: true, so a nats source consuming this subject ends too.")]
    public bool EndMarker { get; init; } = true;

    /// <summary>The thumbnail subject after defaults.</summary>
    public string EffectiveThumbnailSubject => ThumbnailSubject ?? Subject + ".thumbnails";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (NatsSubjects.Problem(Subject, wildcardsAllowed: false) is { } subjectProblem)
        {
            yield return new ValidationResult($"subject {subjectProblem}", ["subject"]);
        }

        if (ThumbnailSubject is { } thumbnails && NatsSubjects.Problem(thumbnails, wildcardsAllowed: false) is { } thumbnailProblem)
        {
            yield return new ValidationResult($"thumbnailSubject {thumbnailProblem}", ["thumbnailSubject"]);
        }

        if (NatsSubjects.UrlProblem(Url) is { } urlProblem)
        {
            yield return new ValidationResult(urlProblem, ["url"]);
        }
    }
}

/// <summary>
/// Publishes analysis records as JSON messages to a NATS subject, and optionally JPEG thumbnails of
/// the frames on its <c>frames</c> port to a second subject. Headers carry the run id, the producing
/// block, the frame index and the record kind (<see cref="NatsHeaderNames"/>). Core NATS: at most once,
/// like UDP with flow control; put a JetStream stream on the subject to keep the messages.
/// </summary>
/// <remarks>
/// Completion: when both inputs have drained it sends the end marker, then waits for the server to
/// answer a PING, so every message is on the server before the sink counts as finalised. A failed
/// connection at start fails the run naming the block and the URL.
/// </remarks>
[Block(TypeName, Description = "Publishes analysis records as JSON (and optional JPEG thumbnails) to a NATS subject.")]
[Input("in", typeof(AnalysisRecord))]
[Input(FramesPort, typeof(VideoFrame), Required = false)]
public sealed class NatsSinkBlock(NatsSinkOptions options) : CustomBlock<NatsSinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "nats";

    /// <summary>The optional port whose frames become thumbnails.</summary>
    public const string FramesPort = "frames";

    /// <summary>Room for a typical record; the buffer grows once if a record is larger.</summary>
    private const int InitialRecordCapacity = 4096;

    private const string JsonContentType = "application/json";
    private const string JpegContentType = "image/jpeg";
    private const string ThumbnailKind = "thumbnail";

    private readonly ArrayBufferWriter<byte> _record = new(InitialRecordCapacity);
    private Utf8JsonWriter? _writer;
    private NatsConnection? _connection;
    private Mat? _small;

    /// <summary>Records published.</summary>
    public long RecordsPublished { get; private set; }

    /// <summary>Thumbnails published.</summary>
    public long ThumbnailsPublished { get; private set; }

    /// <inheritdoc />
    protected override async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _connection = await NatsSubjects.ConnectAsync(Options.Url, $"nats sink \"{Name}\"", cancellationToken).ConfigureAwait(false);
        _writer = new Utf8JsonWriter(_record);
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        var frames = Context.GetInput<VideoFrame>(FramesPort);
        var thumbnails = frames.IsConnected ? Task.Run(() => PublishThumbnailsAsync(frames, cancellationToken), cancellationToken) : Task.CompletedTask;
        try
        {
            await PublishRecordsAsync(Context.GetInput<AnalysisRecord>("in"), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Both loops end before the marker, so nothing of this run follows it.
            await thumbnails.ConfigureAwait(false);
        }

        var connection = _connection!;
        if (Options.EndMarker)
        {
            var headers = Headers("", -1, "end");
            headers[NatsHeaderNames.End] = "true";
            await connection.PublishAsync(Options.Subject, headers: headers, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // A PING answered means the server has read everything sent before it.
        await connection.PingAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishRecordsAsync(IBlockInput<AnalysisRecord> input, CancellationToken cancellationToken)
    {
        var connection = _connection!;
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.TryRead(out var record))
            {
                _record.ResetWrittenCount();
                _writer!.Reset(_record);
                record.WriteTo(_writer);
                _writer.Flush();

                // The client copies the payload into its send buffer before the publish completes, so
                // the one buffer is reused. Headers are a fresh set per message: the client seals a set
                // once sent, and the run id/block/frame/kind are what consumers route on.
                await connection.PublishAsync(
                    Options.Subject,
                    _record.WrittenMemory,
                    Headers(record.Block, record.FrameIndex, record.Kind, JsonContentType),
                    serializer: NatsRawSerializer<ReadOnlyMemory<byte>>.Default,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                RecordsPublished++;
            }
        }
    }

    private async Task PublishThumbnailsAsync(IBlockInput<VideoFrame> input, CancellationToken cancellationToken)
    {
        var connection = _connection!;
        var subject = Options.EffectiveThumbnailSubject;
        long arrived = 0;
        int[] jpegParameters = [(int)ImwriteFlags.JpegQuality, Options.JpegQuality];
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.TryRead(out var frame))
            {
                byte[]? jpeg = null;
                var index = frame.Index;
                try
                {
                    if (arrived++ % Options.ThumbnailEvery == 0)
                    {
                        jpeg = EncodeThumbnail(frame, jpegParameters);
                    }
                }
                finally
                {
                    frame.Release();
                }

                if (jpeg is not null)
                {
                    // The JPEG array is the one allocation per thumbnail (every Nth frame): OpenCV returns a new one.
                    await connection.PublishAsync(subject, jpeg, Headers(Name, index, ThumbnailKind, JpegContentType), cancellationToken: cancellationToken).ConfigureAwait(false);
                    ThumbnailsPublished++;
                }
            }
        }
    }

    private byte[] EncodeThumbnail(VideoFrame frame, int[] jpegParameters)
    {
        _small ??= new Mat();
        VideoFrame? converted = null;
        try
        {
            Mat source;
            switch (frame.Format)
            {
                case PixelFormat.Bgr24 or PixelFormat.Gray8:
                    source = FrameMats.Wrap(frame, 0);
                    break;
                default:
                    converted = Context.FramePool.Rent(frame.Width, frame.Height, PixelFormat.Bgr24);
                    PixelConverter.Convert(frame, converted);
                    source = FrameMats.Wrap(converted, 0);
                    break;
            }

            using (source)
            {
                var width = Math.Min(Options.ThumbnailWidth, frame.Width);
                var height = Math.Max(1, (int)Math.Round((double)frame.Height * width / frame.Width));
                Cv2.Resize(source, _small, new Size(width, height), interpolation: InterpolationFlags.Area);
            }

            Cv2.ImEncode(".jpg", _small, out var jpeg, jpegParameters);
            return jpeg;
        }
        finally
        {
            converted?.Release();
        }
    }

    private NatsHeaders Headers(string block, long frameIndex, string kind, string? contentType = null)
    {
        var headers = new NatsHeaders
        {
            [NatsHeaderNames.RunId] = Context.RunId,
            [NatsHeaderNames.Kind] = kind,
        };
        if (block.Length > 0)
        {
            headers[NatsHeaderNames.Block] = block;
        }

        if (frameIndex >= 0)
        {
            headers[NatsHeaderNames.FrameIndex] = frameIndex.ToString(CultureInfo.InvariantCulture);
        }

        if (contentType is not null)
        {
            headers[NatsHeaderNames.ContentType] = contentType;
        }

        return headers;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        _writer = null;
        _small?.Dispose();
        _small = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
