using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using NATS.Client.Core;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="NatsSourceBlock"/>.</summary>
public sealed class NatsSourceOptions : IValidatableObject
{
    /// <summary>NATS server URL.</summary>
    [Description("NATS server URL, e.g. nats://127.0.0.1:4222.")]
    public string Url { get; init; } = NatsSinkOptions.DefaultUrl;

    /// <summary>Subject to subscribe to; wildcards allowed.</summary>
    [Description("Subject to subscribe to (wildcards * and > allowed), e.g. the subject of another pipeline's nats sink.")]
    [Required]
    public required string Subject { get; init; }

    /// <summary>Queue group: subscribers in one group share the messages instead of each getting all.</summary>
    [Description("Queue group: sources in the same group share the records instead of each receiving all.")]
    public string? QueueGroup { get; init; }

    /// <summary>End after this many end markers (one per producing sink); 0 ignores them.</summary>
    [Description("End after this many end-of-stream markers (one per producing nats sink); 0 ignores markers.")]
    [Range(0, int.MaxValue)]
    public int Ends { get; init; } = 1;

    /// <summary>End after this many records; 0 means no limit.</summary>
    [Description("End after this many records; 0 means no limit.")]
    [Range(0, long.MaxValue)]
    public long Count { get; init; }

    /// <summary>End when no message arrived for this many seconds; 0 waits for ever.</summary>
    [Description("End when no message arrived for this many seconds; 0 waits until stopped.")]
    [Range(0, 86400.0)]
    public double IdleTimeout { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (NatsSubjects.Problem(Subject, wildcardsAllowed: true) is { } subjectProblem)
        {
            yield return new ValidationResult($"subject {subjectProblem}", ["subject"]);
        }

        if (NatsSubjects.UrlProblem(Url) is { } urlProblem)
        {
            yield return new ValidationResult(urlProblem, ["url"]);
        }
    }
}

/// <summary>
/// Receives analysis records published by a <c>nats</c> sink (of this pipeline or another) and emits
/// them as records, so one pipeline consumes another's results. It subscribes at start, before any
/// block runs, so it sees every record published from then on (core NATS keeps nothing for late
/// subscribers).
/// </summary>
/// <remarks>
/// Completion: ends after <see cref="NatsSourceOptions.Ends"/> end markers, <see cref="NatsSourceOptions.Count"/>
/// records, an idle <see cref="NatsSourceOptions.IdleTimeout"/>, or a stop. A message that is not a
/// JSON record object is counted in <see cref="Rejected"/> and skipped, never fatal: another producer
/// may share the subject.
/// </remarks>
[Block(TypeName, Description = "Receives analysis records (JSON) from a NATS subject, e.g. another pipeline's nats sink.")]
public sealed class NatsSourceBlock(NatsSourceOptions options) : SourceBlock<AnalysisRecord, NatsSourceOptions>(options)
{
    /// <summary>The type name in pipeline files ("nats" is the sink; one registry holds one block per name).</summary>
    public const string TypeName = "natsSource";

    private NatsConnection? _connection;
    private INatsSub<ReadOnlyMemory<byte>>? _subscription;

    /// <summary>Records emitted.</summary>
    public long Received { get; private set; }

    /// <summary>Messages skipped because they were not JSON record objects.</summary>
    public long Rejected { get; private set; }

    /// <inheritdoc />
    protected override async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _connection = await NatsSubjects.ConnectAsync(Options.Url, $"nats source \"{Name}\"", cancellationToken).ConfigureAwait(false);
        _subscription = await _connection.SubscribeCoreAsync(Options.Subject, Options.QueueGroup, NatsRawSerializer<ReadOnlyMemory<byte>>.Default, cancellationToken: cancellationToken).ConfigureAwait(false);

        // The SUB must reach the server before producers start, or their first records would be lost.
        await _connection.PingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ProduceAsync(IBlockOutput<AnalysisRecord> output, CancellationToken cancellationToken)
    {
        var messages = _subscription!.Msgs;
        var ends = 0;
        var idle = Options.IdleTimeout > 0 ? TimeSpan.FromSeconds(Options.IdleTimeout) : Timeout.InfiniteTimeSpan;
        using var idleTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                idleTimer.CancelAfter(idle);
                if (!await messages.WaitToReadAsync(idleTimer.Token).ConfigureAwait(false))
                {
                    return;
                }

                while (messages.TryRead(out var message))
                {
                    if (message.Headers is { } headers && headers.TryGetValue(NatsHeaderNames.End, out _))
                    {
                        if (Options.Ends > 0 && ++ends >= Options.Ends)
                        {
                            return;
                        }

                        continue;
                    }

                    if (ReceivedRecord.TryParse(message.Data.Span, Name) is not { } record)
                    {
                        Rejected++;
                        continue;
                    }

                    await output.WriteAsync(record, cancellationToken).ConfigureAwait(false);
                    if (Options.Count > 0 && ++Received >= Options.Count)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (idleTimer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Idle for IdleTimeout: the producer is gone; end of stream.
        }
        finally
        {
            if (Rejected > 0)
            {
                Console.Error.WriteLine($"nats source \"{Name}\": {Rejected} message(s) on {Options.Subject} were not JSON records and were skipped");
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_subscription is not null)
        {
            await _subscription.DisposeAsync().ConfigureAwait(false);
            _subscription = null;
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// A record received as JSON: the common fields parsed, every other property kept and written back
/// unchanged, so a record passes through a nats hop and a jsonl sink byte for byte the same.
/// </summary>
internal sealed class ReceivedRecord : AnalysisRecord
{
    /// <summary>About 29,000 years: anything larger cannot be a TimeSpan and is read as no timestamp.</summary>
    private const double MaxPtsMilliseconds = 9e14;

    private readonly JsonElement _values;

    private ReceivedRecord(string kind, JsonElement values)
    {
        Kind = kind;
        _values = values;
    }

    public override string Kind { get; }

    /// <summary>The record in <paramref name="json"/>, or null when it is not a JSON object with kind and frame.</summary>
    public static ReceivedRecord? TryParse(ReadOnlySpan<byte> json, string receiver)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!JsonElement.TryParseValue(ref reader, out var parsed) || parsed is not { ValueKind: JsonValueKind.Object } root)
            {
                return null;
            }

            if (!root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("frame", out var frame) || frame.ValueKind != JsonValueKind.Number || !frame.TryGetInt64(out var frameIndex))
            {
                return null;
            }

            return new ReceivedRecord(kind.GetString()!, root)
            {
                Block = root.TryGetProperty("block", out var block) && block.ValueKind == JsonValueKind.String ? block.GetString()! : receiver,
                FrameIndex = frameIndex,
                // Rounded to whole ticks, as the producer's TimeSpan was: FromMilliseconds would truncate
                // 166.6667 ms to 1666666 ticks, and the record would not write back the same.
                Pts = root.TryGetProperty("ptsMs", out var pts) && pts.ValueKind == JsonValueKind.Number && pts.TryGetDouble(out var ms) && Math.Abs(ms) < MaxPtsMilliseconds
                    ? TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond))
                    : TimeSpan.Zero,
                CaptureTime = root.TryGetProperty("captureTime", out var capture) && capture.ValueKind == JsonValueKind.String && capture.TryGetDateTimeOffset(out var time) ? time : default,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    protected override void WriteValues(Utf8JsonWriter writer)
    {
        foreach (var property in _values.EnumerateObject())
        {
            if (property.Name is not ("kind" or "block" or "frame" or "ptsMs" or "captureTime"))
            {
                property.WriteTo(writer);
            }
        }
    }
}
