using System.Globalization;
using System.Runtime.InteropServices;
using Odyssey.Pipeline;
using Odyssey.Runner.Output;

namespace Odyssey.Runner.Jobs;

/// <summary>The submit, worker and jobs commands.</summary>
internal static class JobCommands
{
    public static async Task<int> SubmitAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr)
    {
        var file = commandLine.File!;
        string pipeline;
        try
        {
            pipeline = await File.ReadAllTextAsync(file).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: {file}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        // Not validated here: the workers' block registry (their plugins, their version) is the one
        // that counts, and a job they cannot load reaches the dead-letter subject with every problem.
        var job = new JobMessage
        {
            Id = commandLine.JobId ?? JobQueue.NewJobId(file),
            Name = Path.GetFileName(file),
            Pipeline = pipeline,
            Overrides = commandLine.Overrides,
            MaxAttempts = commandLine.MaxAttempts,
            Submitted = DateTimeOffset.UtcNow,
        };
        await using var queue = await JobQueue.OpenAsync(commandLine.Nats!, CancellationToken.None).ConfigureAwait(false);
        if (!await queue.SubmitAsync(job, CancellationToken.None).ConfigureAwait(false))
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: a job with id \"{job.Id}\" exists already; pick another --id").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        await stdout.WriteLineAsync(job.Id).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    public static async Task<int> WorkerAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr)
    {
        var registry = await Cli.CreateRegistryAsync(commandLine, stderr).ConfigureAwait(false);
        if (registry is null)
        {
            return ExitCodes.InvalidInput;
        }

        var options = new JobWorkerOptions
        {
            Concurrency = commandLine.Concurrency,
            AckWait = TimeSpan.FromSeconds(commandLine.AckWaitSeconds),
            WorkDirectory = commandLine.WorkDirectory,
            MaxJobs = commandLine.MaxJobs,
            Name = commandLine.WorkerName ?? new JobWorkerOptions().Name,
            ProgressInterval = TimeSpan.FromSeconds(commandLine.ProgressInterval),
        };
        var baseDirectory = Environment.CurrentDirectory;
        PipelineLoadResult Load(string json, IReadOnlyList<string> overrides) => PipelineLoader.Load(json, registry, baseDirectory, overrides);

        using var stop = new CancellationTokenSource();
        void RequestStop(PosixSignalContext context)
        {
            // Running pipelines drain and finalise, their jobs go back to the queue, then the worker exits.
            context.Cancel = true;
            stderr.WriteLine($"worker {options.Name}: stopping — handing running jobs back");
            stop.Cancel();
        }

        await using var queue = await JobQueue.OpenAsync(commandLine.Nats!, CancellationToken.None).ConfigureAwait(false);
        var worker = new JobWorker(queue, Load, options, stdout);
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop))
        {
            await worker.RunAsync(stop.Token).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    public static async Task<int> ListAsync(CommandLine commandLine, TextWriter stdout)
    {
        await using var queue = await JobQueue.OpenAsync(commandLine.Nats!, CancellationToken.None).ConfigureAwait(false);
        var states = await queue.ListStatesAsync(CancellationToken.None).ConfigureAwait(false);
        var waiting = await queue.CountQueuedAsync(CancellationToken.None).ConfigureAwait(false);
        var table = new TextTable("job", "state", "attempt", "worker", "updated", "note");
        var counts = new int[Enum.GetValues<JobState>().Length];
        foreach (var state in states)
        {
            counts[(int)state.State]++;
            table.Add(
                state.Id,
                state.State.ToString().ToLowerInvariant(),
                state.Attempt == 0 ? "" : state.Attempt.ToString(CultureInfo.InvariantCulture),
                state.Worker ?? "",
                state.Updated.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                state.Error ?? state.OutputDirectory ?? "");
        }

        var text = new System.Text.StringBuilder();
        table.WriteTo(text);
        await stdout.WriteAsync(text.ToString()).ConfigureAwait(false);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"queued {counts[(int)JobState.Queued] + counts[(int)JobState.Retrying]}, running {counts[(int)JobState.Running]}, done {counts[(int)JobState.Done]}, failed {counts[(int)JobState.Failed]} ({waiting} message(s) waiting on {JobNames.QueueStream})")).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
