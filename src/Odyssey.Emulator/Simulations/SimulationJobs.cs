using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Odyssey.Emulator.Recordings;
using Odyssey.Emulator.Streaming;
using Odyssey.Emulator.World;

namespace Odyssey.Emulator.Simulations;

/// <summary>One script entry: at <see cref="TimestampMs"/>, start (prompt), interact (prompt) or end.</summary>
internal sealed record ScriptEntry(long TimestampMs, string Kind, string? Prompt, bool HasImage);

/// <summary>A simulation job (PROTOCOL.md §7) and its progress through pending → dispatched → processing → completed | failed | cancelled.</summary>
internal sealed class SimulationJob(string id, string apiKey, DateTimeOffset createdAt, bool portrait, IReadOnlyList<IReadOnlyList<ScriptEntry>> scripts, string? scriptUrl)
{
    public string Id { get; } = id;

    public string ApiKey { get; } = apiKey;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public bool Portrait { get; } = portrait;

    public IReadOnlyList<IReadOnlyList<ScriptEntry>> Scripts { get; } = scripts;

    public string? ScriptUrl { get; } = scriptUrl;

    public string Status { get; set; } = SimulationJobs.Pending;

    public DateTimeOffset? DispatchedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public string? ErrorMessage { get; set; }

    public List<(int ScriptIndex, RecordingInfo Recording)> Streams { get; } = [];

    public CancellationTokenSource Cancel { get; } = new();

    public bool IsActive => Status is SimulationJobs.Pending or SimulationJobs.Dispatched or SimulationJobs.Processing;
}

/// <summary>
/// Runs simulation jobs for real: each script is played against the world offline (rendered and encoded
/// as fast as the machine goes, with the script's timestamps as stream time), producing a recording with
/// its events, one job at a time. <c>script_url</c> is refused at run time (the emulator fetches nothing).
/// </summary>
internal sealed class SimulationJobs(EmulatorContext context)
{
    public const string Pending = "pending";
    public const string Dispatched = "dispatched";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly string[] Statuses = [Pending, Dispatched, Processing, Completed, Failed, Cancelled];

    private readonly ConcurrentDictionary<string, SimulationJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>One job renders at a time: the machine's cores belong to the live sessions first.</summary>
    private readonly SemaphoreSlim _runner = new(1, 1);

    public SimulationJob Create(string apiKey, bool portrait, IReadOnlyList<IReadOnlyList<ScriptEntry>> scripts, string? scriptUrl)
    {
        var job = new SimulationJob("sim_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), apiKey, context.Time.GetUtcNow(), portrait, scripts, scriptUrl);
        _jobs[job.Id] = job;
        _ = Task.Run(() => RunAsync(job));
        return job;
    }

    public SimulationJob? Find(string id) => _jobs.GetValueOrDefault(id);

    public List<SimulationJob> ListFor(string apiKey)
    {
        var list = new List<SimulationJob>();
        foreach (var job in _jobs.Values)
        {
            if (job.ApiKey == apiKey)
            {
                list.Add(job);
            }
        }

        list.Sort((a, b) => b.CreatedAt.CompareTo(a.CreatedAt));
        return list;
    }

    /// <summary>Cancels an active job; false when it already finished.</summary>
    public bool TryCancel(SimulationJob job)
    {
        lock (job)
        {
            if (!job.IsActive)
            {
                return false;
            }

            job.Status = Cancelled;
            job.CompletedAt = context.Time.GetUtcNow();
        }

        job.Cancel.Cancel();
        return true;
    }

    private async Task RunAsync(SimulationJob job)
    {
        try
        {
            await _runner.WaitAsync(job.Cancel.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (!Advance(job, Dispatched) || !Advance(job, Processing))
            {
                return;
            }

            if (job.ScriptUrl is not null)
            {
                Finish(job, Failed, $"script_url '{job.ScriptUrl}' was not fetched: the emulator makes no outside requests; send 'script' or 'scripts'");
                return;
            }

            for (var i = 0; i < job.Scripts.Count; i++)
            {
                var recording = await PlayAsync(job, job.Scripts[i], job.Cancel.Token).ConfigureAwait(false);
                lock (job)
                {
                    job.Streams.Add((i, recording));
                }
            }

            Finish(job, Completed, null);
        }
        catch (OperationCanceledException) when (job.Cancel.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // a failing job reports its error in the job, as the service does
        catch (Exception e)
#pragma warning restore CA1031
        {
            Finish(job, Failed, e.Message);
        }
        finally
        {
            _runner.Release();
        }
    }

    private bool Advance(SimulationJob job, string status)
    {
        lock (job)
        {
            if (!job.IsActive)
            {
                return false;
            }

            job.Status = status;
            var now = context.Time.GetUtcNow();
            if (status == Dispatched)
            {
                job.DispatchedAt = now;
            }
            else if (status == Processing)
            {
                job.StartedAt = now;
            }

            return true;
        }
    }

    private void Finish(SimulationJob job, string status, string? error)
    {
        lock (job)
        {
            if (!job.IsActive)
            {
                return;
            }

            job.Status = status;
            job.ErrorMessage = error;
            job.CompletedAt = context.Time.GetUtcNow();
        }

        context.Log($"simulation {job.Id}: {status}{(error is null ? "" : ": " + error)}");
    }

    /// <summary>
    /// Plays one script in stream time, as the service runs it against a live world: frames from its first to
    /// its last timestamp (capped at the per-stream limit), prompts switched at their times. Real-time pacing
    /// also keeps a long job cancellable, as on the service, however fast small frames encode.
    /// </summary>
    private async Task<RecordingInfo> PlayAsync(SimulationJob job, IReadOnlyList<ScriptEntry> script, CancellationToken cancel)
    {
        var options = context.Options;
        var (width, height) = job.Portrait ? (options.Height, options.Width) : (options.Width, options.Height);
        var limitMs = (long)(options.MaxStreamDuration ?? EmulatorOptions.DefaultMaxStreamDuration).TotalMilliseconds;
        var endMs = Math.Min(script[^1].TimestampMs, limitMs);
        var frames = Math.Max(1, (long)Math.Ceiling(endMs / 1000.0 * options.Fps));
        var streamId = "stream_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        using var recorder = new StreamRecorder(context.Recordings, streamId, job.ApiKey, options.Codec, width, height, options.Fps, context.Time) { Log = context.Log };
        using var encoder = new WorldEncoder(options.Codec, width, height, options.Fps, options.BitrateKbps, context.Packets);
        var scene = Scene.Waiting;
        var next = 0;
        var started = context.Time.GetTimestamp();
        for (long index = 0; index < frames; index++)
        {
            cancel.ThrowIfCancellationRequested();
            var nowMs = (long)(index * 1000 / options.Fps);
            var due = TimeSpan.FromMilliseconds(nowMs) - context.Time.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, context.Time, cancel).ConfigureAwait(false);
            }

            while (next < script.Count && script[next].TimestampMs <= nowMs)
            {
                var entry = script[next++];
                if (entry.Kind != "end")
                {
                    var applied = InteractiveStreamController.Expand(entry.Prompt ?? "");
                    scene = Scene.For(applied);
                    recorder.Event(entry.Kind == "start" ? "start" : "interact", new JsonObject
                    {
                        ["script_timestamp_ms"] = entry.TimestampMs,
                        ["prompt"] = entry.Prompt,
                        ["applied_prompt"] = applied,
                        ["has_image"] = entry.HasImage,
                    });
                }
            }

            encoder.Render(scene, index);
            while (encoder.TryReceive(out var packet))
            {
                recorder.Write(packet);
                packet.Release();
            }
        }

        recorder.Event("end", new JsonObject { ["script_timestamp_ms"] = endMs });
        return recorder.Complete(TimeSpan.FromMilliseconds(endMs));
    }
}
