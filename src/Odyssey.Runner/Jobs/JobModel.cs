using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Odyssey.Runner.Jobs;

/// <summary>
/// Where the job queue lives on a NATS server: one place for every stream, subject, bucket and
/// header name, so submit, worker, jobs and the deploy/ configuration agree.
/// </summary>
internal static class JobNames
{
    /// <summary>Work-queue stream: each job message is removed once a worker acknowledges it.</summary>
    public const string QueueStream = "ODYSSEY_JOBS";

    public const string QueueSubject = "odyssey.jobs.queue";

    /// <summary>The one durable pull consumer every worker shares, so each job goes to one worker at a time.</summary>
    public const string WorkerConsumer = "odyssey-workers";

    /// <summary>Result summaries, one per completed job (deduplicated by job id).</summary>
    public const string ResultStream = "ODYSSEY_JOB_RESULTS";

    public const string ResultSubject = "odyssey.jobs.results";

    /// <summary>Jobs that will not run: invalid pipelines and jobs out of attempts, each with its error.</summary>
    public const string DeadLetterStream = "ODYSSEY_JOB_DEAD";

    public const string DeadLetterSubject = "odyssey.jobs.dead";

    /// <summary>Live progress and metrics per job (core NATS, not stored): odyssey.jobs.progress.JOBID.</summary>
    public const string ProgressSubjectPrefix = "odyssey.jobs.progress.";

    /// <summary>Key-value bucket: the last known state of every job, for `odyssey-pipeline jobs`.</summary>
    public const string StateBucket = "odyssey-jobs";

    public const string JobIdHeader = "Odyssey-Job-Id";

    public const string ErrorHeader = "Odyssey-Error";

    public const string WorkerHeader = "Odyssey-Worker";

    /// <summary>JetStream's deduplication header (ADR-8): a second message with the same id in the window is dropped.</summary>
    public const string MessageIdHeader = "Nats-Msg-Id";
}

/// <summary>A job on the queue: the pipeline file's text and its overrides, run by a worker as `run` would.</summary>
internal sealed record JobMessage
{
    /// <summary>Attempts before a job that keeps failing is dead-lettered.</summary>
    public const int DefaultMaxAttempts = 3;

    public required string Id { get; init; }

    /// <summary>The pipeline file's name when submitted, for people reading job lists.</summary>
    public string Name { get; init; } = "";

    /// <summary>The pipeline JSON, verbatim.</summary>
    public required string Pipeline { get; init; }

    public ImmutableArray<string> Overrides { get; init; } = [];

    public int MaxAttempts { get; init; } = DefaultMaxAttempts;

    public DateTimeOffset Submitted { get; init; }
}

/// <summary>Where a job is. Stored as the job's entry in the state bucket.</summary>
internal enum JobState
{
    Queued,
    Running,
    Retrying,
    Done,
    Failed,
}

/// <summary>The last known state of a job.</summary>
internal sealed record JobStatus
{
    public required string Id { get; init; }

    public required JobState State { get; init; }

    public string Name { get; init; } = "";

    public string? Worker { get; init; }

    public int Attempt { get; init; }

    public DateTimeOffset Updated { get; init; }

    public string? Error { get; init; }

    public string? OutputDirectory { get; init; }
}

/// <summary>What a worker publishes when a job's sinks are finalised.</summary>
internal sealed record JobResult
{
    public required string Id { get; init; }

    public string Name { get; init; } = "";

    public required string Worker { get; init; }

    public int Attempt { get; init; }

    public required string OutputDirectory { get; init; }

    public double ElapsedSeconds { get; init; }

    public bool Stopped { get; init; }

    public ImmutableArray<JobBlockSummary> Blocks { get; init; } = [];

    public DateTimeOffset Finished { get; init; }
}

/// <summary>One block's figures in a result or progress message.</summary>
internal sealed record JobBlockSummary(string Name, string Type, long In, long Out, double Fps, long Errors);

/// <summary>What the dead-letter subject carries: the error and the job as submitted.</summary>
internal sealed record DeadLetter
{
    public required string Id { get; init; }

    public required string Error { get; init; }

    /// <summary>Each problem on its own line, e.g. every validation error with its JSON path.</summary>
    public ImmutableArray<string> Errors { get; init; } = [];

    public int Attempts { get; init; }

    public string? Worker { get; init; }

    public JobMessage? Job { get; init; }
}

/// <summary>Live figures of a running job.</summary>
internal sealed record JobProgress(string Id, string Worker, int Attempt, double ElapsedSeconds, ImmutableArray<JobBlockSummary> Blocks);

/// <summary>The JSON shape of every job message: camelCase, enums as strings, so other tools can read them.</summary>
internal static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>The value in <paramref name="json"/>, or null with <paramref name="error"/> saying why.</summary>
    public static T? TryDeserialize<T>(ReadOnlySpan<byte> json, out string? error)
        where T : class
    {
        try
        {
            error = null;
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
    }
}
