using System.Collections.Immutable;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Odyssey.Pipeline;

namespace Odyssey.Runner.Jobs;

/// <summary>Settings of a worker.</summary>
internal sealed record JobWorkerOptions
{
    /// <summary>Long enough to ride out a GC pause or a slow disk, short enough that a dead worker's job is soon run elsewhere.</summary>
    public static readonly TimeSpan DefaultAckWait = TimeSpan.FromSeconds(30);

    /// <summary>Jobs one worker runs at once; one per core is a fair start for CPU-bound pipelines.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>
    /// How long the server waits for a sign of life before giving a job to another worker. The worker
    /// sends one every third of it while a job runs, so only a dead or stuck worker loses its job.
    /// </summary>
    public TimeSpan AckWait { get; init; } = DefaultAckWait;

    /// <summary>Each job runs in WORKDIR/JOBID, so two jobs (or workers sharing a disk) never write the same file.</summary>
    public string WorkDirectory { get; init; } = "jobs";

    /// <summary>Names this worker in states, results and dead letters.</summary>
    public string Name { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Seconds between progress messages (and ack-wait extensions, whichever is sooner).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Stop after this many jobs (done or failed); 0 runs until stopped. For tests and batch fleets.</summary>
    public int MaxJobs { get; init; }
}

/// <summary>
/// Pulls jobs from the queue and runs them. At-least-once: a job is acknowledged only after its
/// pipeline has ended, every sink is finalised and its result is stored; a worker that dies leaves the
/// job unacknowledged, and the server hands it to another worker after the ack wait.
/// </summary>
/// <remarks>
/// Failures: an unreadable job or an invalid pipeline goes to the dead-letter subject at once (running
/// it again cannot help). A pipeline that fails is retried (negative acknowledgement, so another worker
/// may take it) until the job's attempts are spent, then dead-lettered with its error. A job delivered
/// more times than its attempts allow (its workers kept dying) is dead-lettered on delivery. Stopping
/// the worker (Ctrl+C, SIGTERM) stops its pipelines, hands their jobs back and exits.
/// </remarks>
internal sealed class JobWorker(JobQueue queue, Func<string, IReadOnlyList<string>, PipelineLoadResult> load, JobWorkerOptions options, TextWriter log)
{
    /// <summary>How long one pull waits for a job before asking again (and checking for a stop).</summary>
    private static readonly TimeSpan PullExpiry = TimeSpan.FromSeconds(5);

    /// <summary>A failed job waits this long per attempt made before it is offered again: a short back-off.</summary>
    private static readonly TimeSpan RetryDelayPerAttempt = TimeSpan.FromSeconds(1);

    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    private int _jobsEnded;
    private int _completed;

    /// <summary>Jobs this worker completed.</summary>
    public int Completed => _completed;

    /// <summary>Pulls and runs jobs on <see cref="JobWorkerOptions.Concurrency"/> loops until <paramref name="stopToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopToken)
    {
        var consumer = await queue.JetStream.CreateOrUpdateConsumerAsync(
            JobNames.QueueStream,
            new ConsumerConfig(JobNames.WorkerConsumer)
            {
                AckPolicy = ConsumerConfigAckPolicy.Explicit,
                AckWait = options.AckWait,

                // Unlimited at the server: the worker counts attempts itself, so a job out of attempts
                // reaches the dead-letter subject with its last error instead of vanishing.
                MaxDeliver = -1,
            },
            stopToken).ConfigureAwait(false);
        await log.WriteLineAsync($"worker {options.Name}: pulling jobs from {JobNames.QueueStream} ({options.Concurrency} at a time, ack wait {options.AckWait.TotalSeconds:0.#} s)").ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopToken);
        var loops = new Task[options.Concurrency];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = Task.Run(() => PullLoopAsync(consumer, stop), CancellationToken.None);
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task PullLoopAsync(INatsJSConsumer consumer, CancellationTokenSource stop)
    {
        var stopToken = stop.Token;
        while (!stopToken.IsCancellationRequested)
        {
            INatsJSMsg<byte[]>? next;
            try
            {
                next = await consumer.NextAsync(Raw, new NatsJSNextOpts { Expires = PullExpiry }, stopToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
            {
                return;
            }

            if (next is { } message)
            {
                await HandleWithHeartbeatAsync(message, stopToken).ConfigureAwait(false);
                if (options.MaxJobs > 0 && Interlocked.Increment(ref _jobsEnded) >= options.MaxJobs)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Handles one delivery while telling the server, every third of the ack wait, that the job is in
    /// progress — from receipt on, so a cold start (JIT, native libraries) or a slow disk while
    /// preparing does not read as a dead worker. Any surprise fails the attempt; the worker lives on.
    /// </summary>
    private async Task HandleWithHeartbeatAsync(INatsJSMsg<byte[]> message, CancellationToken stopToken)
    {
        using var handled = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(message, options.AckWait / 3, handled.Token);
        try
        {
            await HandleAsync(message, stopToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One job's unexpected failure (a locked folder, a lost reply) must not end the worker and its other jobs.
        catch (Exception e) when (e is not OperationCanceledException || !stopToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            await log.WriteLineAsync($"worker {options.Name}: job message {message.Metadata?.Sequence.Stream}: {e.Message}; handing it back").ConfigureAwait(false);
            await TryAsync(() => message.NakAsync(new AckOpts { NakDelay = RetryDelayPerAttempt })).ConfigureAwait(false);
        }
        finally
        {
            await handled.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
        }
    }

    private async Task HeartbeatAsync(INatsJSMsg<byte[]> message, TimeSpan interval, CancellationToken handled)
    {
        using var ticks = new PeriodicTimer(interval);
        try
        {
            while (await ticks.WaitForNextTickAsync(handled).ConfigureAwait(false))
            {
                await TryAsync(() => message.AckProgressAsync(cancellationToken: handled)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The job was acknowledged, handed back or given up.
        }
    }

    /// <summary>Runs a best-effort reply; a broken connection shows up again on the next pull.</summary>
    private async Task TryAsync(Func<ValueTask> reply)
    {
        try
        {
            await reply().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            await log.WriteLineAsync($"worker {options.Name}: {e.Message}").ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(INatsJSMsg<byte[]> message, CancellationToken stopToken)
    {
        var attempt = (int)(message.Metadata?.NumDelivered ?? 1);
        var job = JobJson.TryDeserialize<JobMessage>(message.Data ?? [], out var parseError);
        if (job is not null && JobQueue.IdProblem(job.Id) is { } idProblem)
        {
            (job, parseError) = (null, idProblem);
        }

        if (job is null)
        {
            var id = message.Headers is { } h && h.TryGetLastValue(JobNames.JobIdHeader, out var header) ? header : "unknown";
            await DeadLetterAsync(message, new DeadLetter { Id = id, Error = $"not a job: {parseError}", Attempts = attempt, Worker = options.Name }, null).ConfigureAwait(false);
            return;
        }

        if (attempt > job.MaxAttempts)
        {
            var last = await LastErrorAsync(job.Id).ConfigureAwait(false);
            var error = $"delivered {attempt} times, more than its {job.MaxAttempts} attempts: the workers running it died or stopped answering within the ack wait" + (last is null ? "" : $"; last error: {last}");
            await DeadLetterAsync(message, new DeadLetter { Id = job.Id, Error = error, Attempts = attempt - 1, Worker = options.Name, Job = job }, job).ConfigureAwait(false);
            return;
        }

        var loaded = load(job.Pipeline, job.Overrides);
        if (!loaded.IsValid)
        {
            var errors = loaded.Errors.Select(e => e.ToString()).ToImmutableArray();
            var error = $"invalid pipeline: {errors.Length} problem(s): {string.Join("; ", errors)}";
            await DeadLetterAsync(message, new DeadLetter { Id = job.Id, Error = error, Errors = errors, Attempts = attempt, Worker = options.Name, Job = job }, job).ConfigureAwait(false);
            return;
        }

        await RunJobAsync(message, job, loaded.Definition!, attempt, stopToken).ConfigureAwait(false);
    }

    private async Task RunJobAsync(INatsJSMsg<byte[]> message, JobMessage job, PipelineDefinition definition, int attempt, CancellationToken stopToken)
    {
        var directory = Path.GetFullPath(Path.Combine(options.WorkDirectory, job.Id));

        // A fresh folder per attempt: files an earlier, interrupted attempt left are not this run's output.
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        await queue.PutStateAsync(new JobStatus { Id = job.Id, Name = job.Name, State = JobState.Running, Worker = options.Name, Attempt = attempt, Updated = DateTimeOffset.UtcNow, OutputDirectory = directory }, CancellationToken.None).ConfigureAwait(false);
        await log.WriteLineAsync($"worker {options.Name}: job {job.Id} attempt {attempt} running in {directory}").ConfigureAwait(false);

        PipelineExecution execution;
        try
        {
            execution = PipelineExecution.Start(definition, new PipelineRunOptions { WorkingDirectory = directory, RunId = job.Id });
        }
        catch (ArgumentException e)
        {
            await FailAsync(message, job, attempt, e.Message).ConfigureAwait(false);
            return;
        }

        // Stopping the worker stops the pipeline (drain, finalise) and hands the job back below.
        await using var stopping = stopToken.Register(static state => ((PipelineExecution)state!).Stop(), execution).ConfigureAwait(false);
        using var ticks = new PeriodicTimer(options.ProgressInterval);
        var completion = execution.Completion;
        while (!completion.IsCompleted)
        {
            var tick = ticks.WaitForNextTickAsync(CancellationToken.None).AsTask();
            if (await Task.WhenAny(completion, tick).ConfigureAwait(false) == completion)
            {
                break;
            }

            var snapshot = execution.Snapshot();
            var progress = new JobProgress(job.Id, options.Name, attempt, snapshot.Elapsed.TotalSeconds, Summaries(snapshot));
            await queue.Connection.PublishAsync(JobNames.ProgressSubjectPrefix + job.Id, JobJson.Serialize(progress), serializer: Raw).ConfigureAwait(false);
        }

        var result = await completion.ConfigureAwait(false);
        if (result.Fault is { } fault)
        {
            await FailAsync(message, job, attempt, fault.ToString()).ConfigureAwait(false);
            return;
        }

        if (result.Stopped)
        {
            // Stopped by this worker's shutdown: the outputs are partial; another worker runs it whole.
            await queue.PutStateAsync(new JobStatus { Id = job.Id, Name = job.Name, State = JobState.Queued, Worker = options.Name, Attempt = attempt, Updated = DateTimeOffset.UtcNow, Error = "handed back: its worker stopped" }, CancellationToken.None).ConfigureAwait(false);
            await message.NakAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            await log.WriteLineAsync($"worker {options.Name}: job {job.Id} handed back (worker stopping)").ConfigureAwait(false);
            return;
        }

        // Sinks are finalised (Completion resolves after every sink completed and every block was
        // disposed): store the result, then acknowledge. A crash between the two re-runs the job, and
        // the result's message id keeps the results stream to one entry per job.
        var summary = new JobResult
        {
            Id = job.Id,
            Name = job.Name,
            Worker = options.Name,
            Attempt = attempt,
            OutputDirectory = directory,
            ElapsedSeconds = result.Metrics.Elapsed.TotalSeconds,
            Blocks = Summaries(result.Metrics),
            Finished = DateTimeOffset.UtcNow,
        };
        var headers = new NatsHeaders { [JobNames.JobIdHeader] = job.Id, [JobNames.MessageIdHeader] = job.Id, [JobNames.WorkerHeader] = options.Name };
        var stored = await queue.JetStream.PublishAsync(JobNames.ResultSubject, JobJson.Serialize(summary), Raw, headers: headers).ConfigureAwait(false);
        EnsureStored(stored, "result");
        await queue.PutStateAsync(new JobStatus { Id = job.Id, Name = job.Name, State = JobState.Done, Worker = options.Name, Attempt = attempt, Updated = DateTimeOffset.UtcNow, OutputDirectory = directory }, CancellationToken.None).ConfigureAwait(false);

        // Double ack: wait for the server to confirm, so "done" is not reported for a job it will redeliver.
        await message.AckAsync(new AckOpts { DoubleAck = true }).ConfigureAwait(false);
        Interlocked.Increment(ref _completed);
        await log.WriteLineAsync($"worker {options.Name}: job {job.Id} done in {summary.ElapsedSeconds:0.##} s").ConfigureAwait(false);
    }

    private async Task FailAsync(INatsJSMsg<byte[]> message, JobMessage job, int attempt, string error)
    {
        if (attempt >= job.MaxAttempts)
        {
            await DeadLetterAsync(message, new DeadLetter { Id = job.Id, Error = error, Errors = [error], Attempts = attempt, Worker = options.Name, Job = job }, job).ConfigureAwait(false);
            return;
        }

        await queue.PutStateAsync(new JobStatus { Id = job.Id, Name = job.Name, State = JobState.Retrying, Worker = options.Name, Attempt = attempt, Updated = DateTimeOffset.UtcNow, Error = error }, CancellationToken.None).ConfigureAwait(false);
        await message.NakAsync(new AckOpts { NakDelay = RetryDelayPerAttempt * attempt }).ConfigureAwait(false);
        await log.WriteLineAsync($"worker {options.Name}: job {job.Id} attempt {attempt} failed, will retry: {error}").ConfigureAwait(false);
    }

    private async Task DeadLetterAsync(INatsJSMsg<byte[]> message, DeadLetter letter, JobMessage? job)
    {
        // Header values are single lines; the body has every problem in full.
        var headers = new NatsHeaders
        {
            [JobNames.JobIdHeader] = letter.Id,
            [JobNames.ErrorHeader] = OneLine(letter.Error),
            [JobNames.WorkerHeader] = options.Name,
            [JobNames.MessageIdHeader] = $"{letter.Id}-dead",
        };
        var stored = await queue.JetStream.PublishAsync(JobNames.DeadLetterSubject, JobJson.Serialize(letter), Raw, headers: headers).ConfigureAwait(false);
        EnsureStored(stored, "dead letter");
        if (JobQueue.IdProblem(letter.Id) is null)
        {
            await queue.PutStateAsync(new JobStatus { Id = letter.Id, Name = job?.Name ?? "", State = JobState.Failed, Worker = options.Name, Attempt = letter.Attempts, Updated = DateTimeOffset.UtcNow, Error = letter.Error }, CancellationToken.None).ConfigureAwait(false);
        }

        // Terminated, not acknowledged: the server records that the job was given up, and stops delivering it.
        await message.AckTerminateAsync().ConfigureAwait(false);
        await log.WriteLineAsync($"worker {options.Name}: job {letter.Id} dead-lettered: {letter.Error}").ConfigureAwait(false);
    }

    private async Task<string?> LastErrorAsync(string id)
    {
        try
        {
            var entry = await queue.States.TryGetEntryAsync(id, serializer: Raw).ConfigureAwait(false);
            return entry.Success && entry.Value.Value is { } bytes ? JobJson.TryDeserialize<JobStatus>(bytes, out _)?.Error : null;
        }
        catch (NATS.Client.KeyValueStore.NatsKVException)
        {
            return null;
        }
    }

    /// <summary>
    /// Throws unless the server stored the message. A duplicate counts as stored: the job ran twice
    /// (its first worker died after storing, before acknowledging) and the first copy stands.
    /// </summary>
    private static void EnsureStored(PubAckResponse ack, string what)
    {
        try
        {
            ack.EnsureSuccess();
        }
        catch (NatsJSDuplicateMessageException)
        {
            // Stored before, by this job's earlier run.
        }
        catch (NatsJSApiException e)
        {
            throw new IOException($"the server did not store the job's {what}: {e.Error.Description}", e);
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static ImmutableArray<JobBlockSummary> Summaries(PipelineSnapshot snapshot)
    {
        var blocks = ImmutableArray.CreateBuilder<JobBlockSummary>(snapshot.Blocks.Length);
        foreach (var block in snapshot.Blocks)
        {
            blocks.Add(new JobBlockSummary(block.Name, block.Type, block.ItemsIn, block.ItemsOut, Math.Round(block.ItemsPerSecond, 2), block.Errors));
        }

        return blocks.MoveToImmutable();
    }
}
