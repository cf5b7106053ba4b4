using System.Diagnostics;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;
using Odyssey.Runner.Jobs;
using Odyssey.Tests;

namespace Odyssey.Runner.Tests;

/// <summary>The job queue against a real nats-server -js on loopback, with real worker processes where one must die.</summary>
public sealed class JobQueueTests
{
    private const int ShortJobs = 20;
    private const int ShortFrames = 10;
    private const int SlowFrames = 90;

    /// <summary>Generous: the whole fleet test takes seconds; this only turns a lost job into a failure.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static readonly string ShortPipeline = $$"""
        {
          "blocks": {
            "source": { "type": "testpattern", "options": { "width": 64, "height": 48, "frames": {{ShortFrames}} } },
            "motion": { "type": "motion" },
            "records": { "type": "jsonl", "options": { "path": "motion.jsonl" } }
          },
          "links": [ "source -> motion -> records" ]
        }
        """;

    [Fact]
    public async Task Workers_TwentyJobsAndOneWorkerKilledMidJob_EveryJobCompletesExactlyOnce()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var folder = new TempDirectory();
        await using var queue = await JobQueue.OpenAsync(server.Url, CancellationToken.None);
        using var timeout = new CancellationTokenSource(Timeout);

        // A slow job (3 s of real-time frames) through the CLI, so the first worker is surely mid-job when killed.
        var slowFile = Path.Combine(folder.Path, "slow.json");
        await File.WriteAllTextAsync(slowFile, ShortPipeline);
        var submitted = await RunnerProcess.RunAsync(folder.Path, "submit", slowFile, "--set", $"source.frames={SlowFrames}", "--set", "source.realtime=true", "--nats", server.Url, "--id", "slow");
        Assert.True(submitted.ExitCode == 0, submitted.StandardError);
        Assert.Equal("slow", submitted.StandardOutput.Trim());

        var workers = new List<Process>();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        try
        {
            var doomed = StartWorker(folder.Path, server.Url, "doomed", log);
            workers.Add(doomed);
            await WaitForStateAsync(queue, "slow", s => s.State == JobState.Running && s.Worker == "doomed", timeout.Token);
            doomed.Kill(entireProcessTree: true);
            await doomed.WaitForExitAsync(timeout.Token);

            workers.Add(StartWorker(folder.Path, server.Url, "left", log));
            workers.Add(StartWorker(folder.Path, server.Url, "right", log));
            var ids = new List<string> { "slow" };
            for (var i = 0; i < ShortJobs; i++)
            {
                var job = new JobMessage { Id = $"short-{i:D2}", Name = "short.json", Pipeline = ShortPipeline, Submitted = DateTimeOffset.UtcNow };
                Assert.True(await queue.SubmitAsync(job, timeout.Token));
                ids.Add(job.Id);
            }

            var results = await WaitForResultsAsync(queue, ids.Count, timeout.Token);

            // Exactly once: one result per job, no job missing, none twice.
            Assert.Equal(ids.Order(StringComparer.Ordinal), results.Select(r => r.Id).Order(StringComparer.Ordinal));
            var slow = results.Single(r => r.Id == "slow");
            Assert.NotEqual("doomed", slow.Worker);
            Assert.True(slow.Attempt >= 2, $"the killed worker's job was redelivered (attempt {slow.Attempt})");
            Assert.All(results, r => Assert.Contains(r.Worker, new[] { "left", "right" }));

            // Per-job output folders, each holding its own job's records and nothing of another's.
            foreach (var result in results)
            {
                Assert.Equal(Path.Combine(folder.Path, "jobs", result.Id), result.OutputDirectory);
                var lines = await File.ReadAllLinesAsync(Path.Combine(result.OutputDirectory, "motion.jsonl"), timeout.Token);
                Assert.Equal(result.Id == "slow" ? SlowFrames : ShortFrames, lines.Length);
            }

            var states = await queue.ListStatesAsync(timeout.Token);
            Assert.All(states, s => Assert.Equal(JobState.Done, s.State));
            var listed = await RunnerProcess.RunAsync(folder.Path, "jobs", "--nats", server.Url);
            Assert.Contains($"done {ids.Count}, failed 0", listed.StandardOutput, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException || log.Count > 0)
        {
            // The workers' own account of what they did is what explains a failure here.
            throw new InvalidOperationException($"{e.Message}\nworkers' log:\n{string.Join('\n', log)}", e);
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (!worker.HasExited)
                {
                    worker.Kill(entireProcessTree: true);
                }

                worker.Dispose();
            }
        }
    }

    [Fact]
    public async Task Worker_InvalidPipeline_GoesToTheDeadLetterSubjectWithTheValidationError()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var folder = new TempDirectory();
        await using var queue = await JobQueue.OpenAsync(server.Url, CancellationToken.None);
        var job = new JobMessage
        {
            Id = "broken",
            Name = "broken.json",
            Pipeline = """{ "blocks": { "source": { "type": "nope" }, "records": { "type": "jsonl", "options": { "path": "x.jsonl" } } }, "links": [ "source -> records" ] }""",
        };
        Assert.True(await queue.SubmitAsync(job, CancellationToken.None));

        await RunWorkerAsync(queue, folder.Path, jobs: 1);

        var letter = Assert.Single(await queue.ReadAllAsync<DeadLetter>(JobNames.DeadLetterStream, CancellationToken.None));
        Assert.Equal("broken", letter.Id);
        Assert.Equal(1, letter.Attempts);
        Assert.Contains("$.blocks.source.type", letter.Error, StringComparison.Ordinal);
        Assert.Contains("unknown type \"nope\"", letter.Error, StringComparison.Ordinal);
        Assert.Contains(letter.Errors, e => e.Contains("$.blocks.source.type", StringComparison.Ordinal));
        Assert.Equal(job.Pipeline, letter.Job?.Pipeline);
        Assert.Empty(await queue.ReadAllAsync<JobResult>(JobNames.ResultStream, CancellationToken.None));
        var state = Assert.Single(await queue.ListStatesAsync(CancellationToken.None));
        Assert.Equal(JobState.Failed, state.State);
        Assert.Equal(0UL, await queue.CountQueuedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Worker_PipelineFailingEveryTime_RetriedThenDeadLetteredWithTheBlockError()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var folder = new TempDirectory();
        await using var queue = await JobQueue.OpenAsync(server.Url, CancellationToken.None);
        var job = new JobMessage
        {
            Id = "missing-file",
            Pipeline = """{ "blocks": { "source": { "type": "file", "options": { "path": "missing.mp4" } }, "copy": { "type": "record", "options": { "path": "copy.mkv" } } }, "links": [ "source -> copy" ] }""",
            MaxAttempts = 2,
        };
        Assert.True(await queue.SubmitAsync(job, CancellationToken.None));

        await RunWorkerAsync(queue, folder.Path, jobs: 2);

        var letter = Assert.Single(await queue.ReadAllAsync<DeadLetter>(JobNames.DeadLetterStream, CancellationToken.None));
        Assert.Equal("missing-file", letter.Id);
        Assert.Equal(2, letter.Attempts);
        Assert.Contains("block \"source\"", letter.Error, StringComparison.Ordinal);
        Assert.Contains("missing.mp4", letter.Error, StringComparison.Ordinal);
        Assert.Empty(await queue.ReadAllAsync<JobResult>(JobNames.ResultStream, CancellationToken.None));
    }

    [Fact]
    public async Task Worker_RunningJob_StreamsProgressAndStoresItsResultSummary()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var folder = new TempDirectory();
        await using var queue = await JobQueue.OpenAsync(server.Url, CancellationToken.None);
        await using var progress = await queue.Connection.SubscribeCoreAsync<byte[]>(JobNames.ProgressSubjectPrefix + ">");
        await queue.Connection.PingAsync();

        // Real-time frames for about a second, so progress ticks (every 0.1 s here) while it runs.
        var job = new JobMessage { Id = "paced", Name = "paced.json", Pipeline = ShortPipeline.Replace("\"frames\": 10", "\"frames\": 30, \"realtime\": true", StringComparison.Ordinal) };
        Assert.True(await queue.SubmitAsync(job, CancellationToken.None));

        await RunWorkerAsync(queue, folder.Path, jobs: 1, progressInterval: TimeSpan.FromMilliseconds(100));

        Assert.True(progress.Msgs.TryRead(out var message), "no progress message while the job ran");
        Assert.Equal(JobNames.ProgressSubjectPrefix + "paced", message.Subject);
        var update = JobJson.TryDeserialize<JobProgress>(message.Data, out var error);
        Assert.True(update is not null, error);
        Assert.Equal("paced", update.Id);
        Assert.Equal(["source", "motion", "records"], update.Blocks.Select(b => b.Name));
        var result = Assert.Single(await queue.ReadAllAsync<JobResult>(JobNames.ResultStream, CancellationToken.None));
        Assert.Equal("paced", result.Id);
        Assert.Equal(1, result.Attempt);
        Assert.Equal(30, result.Blocks.Single(b => b.Name == "records").In);
        Assert.Equal(0UL, await queue.CountQueuedAsync(CancellationToken.None));
    }

    private static async Task RunWorkerAsync(JobQueue queue, string directory, int jobs, TimeSpan? progressInterval = null)
    {
        var registry = BuiltInBlocks.CreateRegistry();
        var worker = new JobWorker(
            queue,
            (json, overrides) => PipelineLoader.Load(json, registry, directory, overrides),
            new JobWorkerOptions { WorkDirectory = Path.Combine(directory, "jobs"), MaxJobs = jobs, Name = "in-process", AckWait = TimeSpan.FromSeconds(5), ProgressInterval = progressInterval ?? TimeSpan.FromSeconds(5) },
            TextWriter.Null);
        await worker.RunAsync(CancellationToken.None).WaitAsync(Timeout);
    }

    private static Process StartWorker(string directory, string url, string name, System.Collections.Concurrent.ConcurrentQueue<string> log)
    {
        // 5 s: short enough to keep the test quick, long enough that a heartbeat delayed by a loaded,
        // shared machine does not hand a live worker's job to another (which would run it twice).
        var info = RunnerProcess.StartInfo(directory, "worker", "--nats", url, "--ack-wait", "5", "--name", name, "--work-dir", "jobs");
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => log.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => log.Enqueue($"{name} stderr: {e.Data}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForStateAsync(JobQueue queue, string id, Func<JobStatus, bool> condition, CancellationToken cancellationToken)
    {
        await foreach (var entry in queue.States.WatchAsync<byte[]>(id, cancellationToken: cancellationToken))
        {
            if (entry.Value is { } bytes && JobJson.TryDeserialize<JobStatus>(bytes, out _) is { } status && condition(status))
            {
                return;
            }
        }
    }

    private static async Task<List<JobResult>> WaitForResultsAsync(JobQueue queue, int count, CancellationToken cancellationToken)
    {
        // A worker stores the result before it marks the job done, so once every job reads done, every
        // result is in the stream (and a duplicate would be there too).
        while (true)
        {
            var states = await queue.ListStatesAsync(cancellationToken);
            if (states.Find(s => s.State == JobState.Failed) is { } failed)
            {
                Assert.Fail($"job {failed.Id} failed on {failed.Worker} (attempt {failed.Attempt}): {failed.Error}");
            }

            if (states.Count == count && states.TrueForAll(s => s.State == JobState.Done))
            {
                return await queue.ReadAllAsync<JobResult>(JobNames.ResultStream, cancellationToken);
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
