using System.Text.Json.Serialization;

namespace Odyssey.Client;

/// <summary>One timed step of a simulation script (§7): exactly one of start, interact or end.</summary>
public sealed record SimulationStep
{
    private SimulationStep(long timestampMs, string kind, string? prompt, string? image)
    {
        TimestampMs = timestampMs;
        Kind = kind;
        Prompt = prompt;
        ImageDataUrl = image;
    }

    /// <summary>When the step runs, in ms from the job's start (<c>timestamp_ms</c>).</summary>
    public long TimestampMs { get; }

    /// <summary><c>start</c>, <c>interact</c> or <c>end</c>.</summary>
    public string Kind { get; }

    /// <summary>The prompt of a start or interact step.</summary>
    public string? Prompt { get; }

    /// <summary>A start step's image as a data URL.</summary>
    public string? ImageDataUrl { get; }

    /// <summary>Starts the stream with a prompt (and optionally an image data URL).</summary>
    public static SimulationStep Start(long timestampMs, string prompt, string? imageDataUrl = null) => new(timestampMs, "start", prompt, imageDataUrl);

    /// <summary>Sends an interaction prompt.</summary>
    public static SimulationStep Interact(long timestampMs, string prompt) => new(timestampMs, "interact", prompt, null);

    /// <summary>Ends the stream.</summary>
    public static SimulationStep End(long timestampMs) => new(timestampMs, "end", null, null);
}

/// <summary>What a simulation job runs: exactly one of <see cref="Script"/>, <see cref="Scripts"/> or <see cref="ScriptUrl"/>.</summary>
public sealed record SimulationRequest
{
    /// <summary>One script.</summary>
    public IReadOnlyList<SimulationStep>? Script { get; init; }

    /// <summary>Several scripts (one stream each).</summary>
    public IReadOnlyList<IReadOnlyList<SimulationStep>>? Scripts { get; init; }

    /// <summary>A URL the server fetches the script from.</summary>
    public string? ScriptUrl { get; init; }

    /// <summary>Portrait output.</summary>
    public bool Portrait { get; init; } = true;

    /// <summary>Skip the server's prompt expansion; null leaves the field out.</summary>
    public bool? BypassPromptExpansion { get; init; }

    internal void Validate()
    {
        var given = (Script is null ? 0 : 1) + (Scripts is null ? 0 : 1) + (ScriptUrl is null ? 0 : 1);
        if (given != 1)
        {
            throw new ArgumentException($"SimulationRequest needs exactly one of Script, Scripts or ScriptUrl; {given} given");
        }
    }
}

/// <summary>A simulation job (POST/GET <c>/simulation-jobs</c>); fields absent from a response stay null.</summary>
public sealed record SimulationJob
{
    /// <summary><c>job_id</c>.</summary>
    [JsonPropertyName("job_id")]
    public string JobId { get; init; } = "";

    /// <summary><c>status</c>: pending, dispatched, processing, completed, failed or cancelled.</summary>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "";

    /// <summary><c>priority</c>.</summary>
    [JsonPropertyName("priority")]
    public int? Priority { get; init; }

    /// <summary><c>created_at</c>.</summary>
    [JsonPropertyName("created_at")]
    public string? CreatedAt { get; init; }

    /// <summary><c>estimated_wait_minutes</c>.</summary>
    [JsonPropertyName("estimated_wait_minutes")]
    public double? EstimatedWaitMinutes { get; init; }

    /// <summary><c>dispatched_at</c>.</summary>
    [JsonPropertyName("dispatched_at")]
    public string? DispatchedAt { get; init; }

    /// <summary><c>started_at</c>.</summary>
    [JsonPropertyName("started_at")]
    public string? StartedAt { get; init; }

    /// <summary><c>completed_at</c>.</summary>
    [JsonPropertyName("completed_at")]
    public string? CompletedAt { get; init; }

    /// <summary><c>error_message</c>.</summary>
    [JsonPropertyName("error_message")]
    public string? ErrorMessage { get; init; }

    /// <summary><c>assigned_region</c>.</summary>
    [JsonPropertyName("assigned_region")]
    public string? AssignedRegion { get; init; }

    /// <summary><c>retry_count</c>.</summary>
    [JsonPropertyName("retry_count")]
    public int? RetryCount { get; init; }

    /// <summary><c>streams</c>: the recordings made, with their <c>script_index</c>.</summary>
    [JsonPropertyName("streams")]
    public IReadOnlyList<SimulationStream>? Streams { get; init; }
}

/// <summary>A stream a simulation produced: the recording fields plus <c>script_index</c>.</summary>
public sealed record SimulationStream : Recording
{
    /// <summary><c>script_index</c>.</summary>
    [JsonPropertyName("script_index")]
    public int ScriptIndex { get; init; }
}

/// <summary>A page of <c>GET /simulation-jobs</c>.</summary>
public sealed record SimulationJobList : ApiPage
{
    /// <summary><c>jobs</c>.</summary>
    [JsonPropertyName("jobs")]
    public IReadOnlyList<SimulationJob> Jobs { get; init; } = [];
}
