using System.Collections.Immutable;

namespace Odyssey.Runner;

/// <summary>A parsed command line. Parsing reports the first problem as <see cref="Error"/>; it never throws.</summary>
internal sealed record CommandLine
{
    public string Command { get; init; } = "";

    public string? File { get; init; }

    public ImmutableArray<string> Overrides { get; init; } = [];

    public ImmutableArray<string> Plugins { get; init; } = [];

    public string? MetricsOut { get; init; }

    public string GraphFormat { get; init; } = "mermaid";

    /// <summary>(report) Where to write the HTML; report.html inside the run directory when null.</summary>
    public string? Output { get; init; }

    /// <summary>(run) Serve the live preview of the main video port.</summary>
    public bool Preview { get; init; }

    /// <summary>(run) The preview's port with --preview; 0 picks a free one.</summary>
    public int PreviewPort { get; init; } = DefaultPreviewPort;

    /// <summary>A fixed default so a bookmarked page keeps working from run to run.</summary>
    public const int DefaultPreviewPort = 8090;

    public bool Schema { get; init; }

    public bool Verbose { get; init; }

    /// <summary>Forces plain periodic lines even on a terminal (and the live view off).</summary>
    public bool Plain { get; init; }

    /// <summary>Seconds between plain progress lines when output is not a terminal.</summary>
    public double ProgressInterval { get; init; } = DefaultProgressIntervalSeconds;

    public string? Error { get; init; }

    /// <summary>(submit, worker, jobs) The NATS server with JetStream.</summary>
    public string? Nats { get; init; }

    /// <summary>(worker) Jobs run at once.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>(worker) Seconds without a sign of life before the server gives a job to another worker.</summary>
    public double AckWaitSeconds { get; init; } = Jobs.JobWorkerOptions.DefaultAckWait.TotalSeconds;

    /// <summary>(worker) Folder holding one output folder per job.</summary>
    public string WorkDirectory { get; init; } = "jobs";

    /// <summary>(worker) The worker's name in states and results.</summary>
    public string? WorkerName { get; init; }

    /// <summary>(worker) Exit after this many jobs; 0 = run until stopped.</summary>
    public int MaxJobs { get; init; }

    /// <summary>(submit) Job id; generated when null.</summary>
    public string? JobId { get; init; }

    /// <summary>(submit) Attempts before dead-lettering.</summary>
    public int MaxAttempts { get; init; } = Jobs.JobMessage.DefaultMaxAttempts;

    /// <summary>Past this, one worker process should be several processes (or machines).</summary>
    public const int MaxConcurrency = 256;

    /// <summary>A job that failed this often will not succeed on the next try.</summary>
    public const int MaxAttemptsLimit = 100;

    /// <summary>A day: longer ack waits only delay noticing a dead worker.</summary>
    public const double MaxAckWaitSeconds = 86400;

    /// <summary>The server needs at least a second to tell a slow worker from a dead one.</summary>
    public const double MinAckWaitSeconds = 1;

    /// <summary>Often enough to see a stall in a CI log, rare enough not to flood it.</summary>
    public const double DefaultProgressIntervalSeconds = 5;

    /// <summary>The progress timer counts whole milliseconds: anything shorter would round to no interval at all.</summary>
    public const double MinProgressIntervalSeconds = 0.001;

    /// <summary>A day: a longer interval never prints, and the timer cannot go past about 49 days anyway.</summary>
    public const double MaxProgressIntervalSeconds = 86400;

    private const int MaxPort = 65535;

    public const string Usage = """
        usage: odyssey-pipeline <command> [options]

        commands:
          run FILE        run a pipeline until its sources end or Ctrl+C / SIGTERM (which drains and finalises)
          validate FILE   check a pipeline file and print every problem with its JSON path
          graph FILE      print the pipeline as a Mermaid (default) or DOT graph
          blocks          list block types with their ports and options
          submit FILE     put a job (the pipeline and its --set overrides) on the NATS JetStream queue; prints its id
          worker          pull jobs from the queue and run them, each in WORKDIR/JOBID, until Ctrl+C / SIGTERM
          jobs            list queued, running, done and failed jobs
          report RUN_DIR  write RUN_DIR/report.html: graph, metrics, plots of the records, thumbnails, events

        options:
          --set BLOCK.OPTION=VALUE   override an option from the file (repeatable; VALUE is JSON or plain text)
          --plugin PATH              load custom blocks from an assembly (repeatable)
          --metrics-out FILE.json    (run) write the final metrics as JSON
          --plain                    (run) periodic plain progress lines instead of the live table
          --progress-interval SEC    (run) seconds between plain progress lines (default 5)
          --preview                  (run) serve a live preview of the main video port on http://127.0.0.1:8090/
          --preview-port N           (run) the preview's port (0 = any free port)
          --out FILE.html            (report) where to write the report
          --format mermaid|dot       (graph) output format
          --schema                   (blocks) print the JSON Schema of pipeline files instead
          --verbose                  show stack traces on errors
          --nats URL                 (submit, worker, jobs) NATS server with JetStream, e.g. nats://127.0.0.1:4222
          --id ID                    (submit) job id (letters, digits, - and _); generated when not given
          --max-attempts N           (submit) runs before a failing job goes to the dead-letter subject (default 3)
          --concurrency N            (worker) jobs run at once (default 1)
          --ack-wait SEC             (worker) seconds of silence before a job is given to another worker (default 30)
          --work-dir DIR             (worker) each job writes in DIR/JOBID (default jobs)
          --name NAME                (worker) worker name in job states and results (default HOST-PID)
          --max-jobs N               (worker) exit after N jobs (default 0: until stopped)

        exit codes: 0 success, 1 a block failed while running, 2 invalid pipeline or arguments
        """;

    private static readonly ImmutableHashSet<string> FileCommands = ["run", "validate", "graph", "submit", "report"];

    private static readonly ImmutableHashSet<string> QueueCommands = ["submit", "worker", "jobs"];

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            return new CommandLine { Error = "no command given" };
        }

        var command = args[0];
        if (command is "-h" or "--help" or "help")
        {
            return new CommandLine { Command = "help" };
        }

        if (!FileCommands.Contains(command) && !QueueCommands.Contains(command) && command != "blocks")
        {
            return new CommandLine { Error = $"unknown command \"{command}\"" };
        }

        var result = new CommandLine { Command = command };
        var overrides = ImmutableArray.CreateBuilder<string>();
        var plugins = ImmutableArray.CreateBuilder<string>();
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            string? Value()
            {
                return i + 1 < args.Count ? args[++i] : null;
            }

            switch (arg)
            {
                case "--set":
                    var setting = Value();
                    if (setting is null || !setting.Contains('=', StringComparison.Ordinal))
                    {
                        return new CommandLine { Error = "--set needs BLOCK.OPTION=VALUE" };
                    }

                    overrides.Add(setting);
                    break;
                case "--plugin":
                    var plugin = Value();
                    if (plugin is null)
                    {
                        return new CommandLine { Error = "--plugin needs a path" };
                    }

                    plugins.Add(plugin);
                    break;
                case "--metrics-out":
                    var metrics = Value();
                    if (metrics is null)
                    {
                        return new CommandLine { Error = "--metrics-out needs a file path" };
                    }

                    result = result with { MetricsOut = metrics };
                    break;
                case "--format":
                    var format = Value();
                    if (format is not ("mermaid" or "dot"))
                    {
                        return new CommandLine { Error = "--format must be mermaid or dot" };
                    }

                    result = result with { GraphFormat = format };
                    break;
                case "--progress-interval":
                    // Checked here, not when the timer is made: by then the pipeline already runs, and a bad
                    // value would crash it with exit code 1 and unfinalised sinks instead of a usage error.
                    // The range test also refuses NaN and infinities, which TryParse accepts.
                    if (!double.TryParse(Value(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                        || !(seconds >= MinProgressIntervalSeconds && seconds <= MaxProgressIntervalSeconds))
                    {
                        return new CommandLine { Error = "--progress-interval needs a number of seconds from 0.001 to 86400" };
                    }

                    result = result with { ProgressInterval = seconds };
                    break;
                case "--nats":
                    var nats = Value();
                    if (Pipeline.Blocks.NatsSubjects.UrlProblem(nats) is { } urlProblem)
                    {
                        return new CommandLine { Error = $"--nats: {urlProblem}" };
                    }

                    result = result with { Nats = nats };
                    break;
                case "--concurrency":
                    if (!int.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out var concurrency) || concurrency is < 1 or > MaxConcurrency)
                    {
                        return new CommandLine { Error = $"--concurrency needs a whole number from 1 to {MaxConcurrency}" };
                    }

                    result = result with { Concurrency = concurrency };
                    break;
                case "--max-jobs":
                    if (!int.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out var maxJobs) || maxJobs < 0)
                    {
                        return new CommandLine { Error = "--max-jobs needs a whole number, 0 or more" };
                    }

                    result = result with { MaxJobs = maxJobs };
                    break;
                case "--max-attempts":
                    if (!int.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out var attempts) || attempts is < 1 or > MaxAttemptsLimit)
                    {
                        return new CommandLine { Error = $"--max-attempts needs a whole number from 1 to {MaxAttemptsLimit}" };
                    }

                    result = result with { MaxAttempts = attempts };
                    break;
                case "--ack-wait":
                    if (!double.TryParse(Value(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ackWait)
                        || !(ackWait >= MinAckWaitSeconds && ackWait <= MaxAckWaitSeconds))
                    {
                        return new CommandLine { Error = "--ack-wait needs a number of seconds from 1 to 86400" };
                    }

                    result = result with { AckWaitSeconds = ackWait };
                    break;
                case "--work-dir":
                    var workDirectory = Value();
                    if (string.IsNullOrWhiteSpace(workDirectory))
                    {
                        return new CommandLine { Error = "--work-dir needs a directory" };
                    }

                    result = result with { WorkDirectory = workDirectory };
                    break;
                case "--name":
                    var name = Value();
                    if (string.IsNullOrWhiteSpace(name))
                    {
                        return new CommandLine { Error = "--name needs a worker name" };
                    }

                    result = result with { WorkerName = name };
                    break;
                case "--id":
                    var id = Value();
                    if ((id is null ? "needs a job id" : Jobs.JobQueue.IdProblem(id)) is { } idProblem)
                    {
                        return new CommandLine { Error = $"--id: {idProblem}" };
                    }

                    result = result with { JobId = id };
                    break;
                case "--out":
                    var output = Value();
                    if (output is null)
                    {
                        return new CommandLine { Error = "--out needs a file path" };
                    }

                    result = result with { Output = output };
                    break;
                case "--preview":
                    result = result with { Preview = true };
                    break;
                case "--preview-port":
                    if (!int.TryParse(Value(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > MaxPort)
                    {
                        return new CommandLine { Error = "--preview-port needs a port number from 0 to 65535" };
                    }

                    result = result with { Preview = true, PreviewPort = port };
                    break;
                case "--schema":
                    result = result with { Schema = true };
                    break;
                case "--plain":
                    result = result with { Plain = true };
                    break;
                case "--verbose" or "-v":
                    result = result with { Verbose = true };
                    break;
                default:
                    if (arg.StartsWith('-'))
                    {
                        return new CommandLine { Error = $"unknown option \"{arg}\" for {command}" };
                    }

                    if (result.File is not null || !FileCommands.Contains(command))
                    {
                        return new CommandLine { Error = $"unexpected argument \"{arg}\"" };
                    }

                    result = result with { File = arg };
                    break;
            }
        }

        if (result.Preview && command != "run")
        {
            return new CommandLine { Error = $"--preview is an option of run, not of {command}" };
        }

        if (result.Output is not null && command != "report")
        {
            return new CommandLine { Error = $"--out is an option of report, not of {command}" };
        }

        if (FileCommands.Contains(command) && result.File is null)
        {
            return new CommandLine { Error = command == "report" ? "report needs a RUN_DIR" : $"{command} needs a pipeline FILE" };
        }

        if (QueueCommands.Contains(command) && result.Nats is null)
        {
            return new CommandLine { Error = $"{command} needs --nats URL (a NATS server with JetStream)" };
        }

        return result with { Overrides = overrides.ToImmutable(), Plugins = plugins.ToImmutable() };
    }
}
