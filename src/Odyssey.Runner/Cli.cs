using System.Runtime.InteropServices;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;
using Odyssey.Runner.Jobs;
using Odyssey.Runner.Output;

namespace Odyssey.Runner;

/// <summary>The odyssey-pipeline command: parses arguments, dispatches, maps outcomes to exit codes.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var commandLine = CommandLine.Parse(args);
        if (commandLine.Error is not null)
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: {commandLine.Error}").ConfigureAwait(false);
            await stderr.WriteLineAsync(CommandLine.Usage).ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        try
        {
            return commandLine.Command switch
            {
                "help" => await WriteAsync(stdout, CommandLine.Usage).ConfigureAwait(false),
                "blocks" => await ListBlocksAsync(commandLine, stdout, stderr).ConfigureAwait(false),
                "validate" => await ValidateAsync(commandLine, stdout, stderr).ConfigureAwait(false),
                "graph" => await GraphAsync(commandLine, stdout, stderr).ConfigureAwait(false),
                "submit" => await JobCommands.SubmitAsync(commandLine, stdout, stderr).ConfigureAwait(false),
                "worker" => await JobCommands.WorkerAsync(commandLine, stdout, stderr).ConfigureAwait(false),
                "jobs" => await JobCommands.ListAsync(commandLine, stdout).ConfigureAwait(false),
                "report" => await ReportAsync(commandLine, stdout, stderr).ConfigureAwait(false),
                _ => await RunPipelineAsync(commandLine, stdout, stderr).ConfigureAwait(false),
            };
        }
#pragma warning disable CA1031 // The CLI's last line of defence: any surprise becomes one clear message and exit code 1.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: {(commandLine.Verbose ? e.ToString() : e.Message)}").ConfigureAwait(false);
            return ExitCodes.RuntimeFailure;
        }
    }

    private static async Task<int> WriteAsync(TextWriter writer, string text)
    {
        await writer.WriteLineAsync(text).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task<int> ListBlocksAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr)
    {
        var registry = await CreateRegistryAsync(commandLine, stderr).ConfigureAwait(false);
        if (registry is null)
        {
            return ExitCodes.InvalidInput;
        }

        await stdout.WriteAsync(commandLine.Schema ? PipelineSchema.Generate(registry) : BlockCatalog.Describe(registry)).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task<int> ValidateAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr)
    {
        var definition = await LoadAsync(commandLine, stderr).ConfigureAwait(false);
        if (definition is null)
        {
            return ExitCodes.InvalidInput;
        }

        await stdout.WriteLineAsync($"{commandLine.File}: valid ({definition.Blocks.Length} blocks, {definition.Links.Length} links)").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task<int> GraphAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr)
    {
        var definition = await LoadAsync(commandLine, stderr).ConfigureAwait(false);
        if (definition is null)
        {
            return ExitCodes.InvalidInput;
        }

        await stdout.WriteAsync(commandLine.GraphFormat == "dot" ? GraphWriter.Dot(definition) : GraphWriter.Mermaid(definition)).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task<int> ReportAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var path = await RunReport.WriteAsync(commandLine.File!, commandLine.Output).ConfigureAwait(false);
            await stdout.WriteLineAsync($"report: {path}").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (DirectoryNotFoundException e)
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: report: {e.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: report {commandLine.File}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.RuntimeFailure;
        }
    }

    private static async Task<int> RunPipelineAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr)
    {
        var definition = await LoadAsync(commandLine, stderr).ConfigureAwait(false);
        if (definition is null)
        {
            return ExitCodes.InvalidInput;
        }

        if (commandLine.Preview)
        {
            var (withPreview, error, _) = PreviewAttachment.Attach(definition, BuiltInBlocks.CreateRegistry(), commandLine.PreviewPort);
            if (withPreview is null)
            {
                await stderr.WriteLineAsync($"odyssey-pipeline: {error}").ConfigureAwait(false);
                return ExitCodes.InvalidInput;
            }

            definition = withPreview;
        }

        using var stop = new CancellationTokenSource();
        ProgressReporter? progress = null;
        var stopRequests = 0;
        void Note(string line)
        {
            // Before the run has a progress display there is nothing on screen to write around.
            if (Volatile.Read(ref progress) is { } shown)
            {
                shown.Note(line);
            }
            else
            {
                stderr.WriteLine(line);
                stderr.Flush();
            }
        }

        void RequestStop(PosixSignalContext context)
        {
            // First signal: drain and finalise. Second: the user insists; leave now.
            context.Cancel = true;
            if (Interlocked.Increment(ref stopRequests) == 1)
            {
                Note("odyssey-pipeline: stopping — draining in-flight frames and finalising sinks (press Ctrl+C again to abort)");
                stop.Cancel();
            }
            else
            {
                Note("odyssey-pipeline: aborted");
                Environment.Exit(ExitCodes.RuntimeFailure);
            }
        }

        // The handlers exist before the first frame does: on a loaded machine the pipeline's threads can
        // write output before this thread runs again, and a Ctrl+C that arrived between the start and a
        // later registration would have killed the run without draining or finalising anything.
        // A stop requested before the run starts ends it at once, finalised (the token is already cancelled).
        PipelineResult result;
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop))
        {
            var execution = PipelineExecution.Start(definition, new PipelineRunOptions(), stop.Token);
            var live = !commandLine.Plain && !Console.IsErrorRedirected;
            var reporter = new ProgressReporter(execution, stderr, live, TimeSpan.FromSeconds(commandLine.ProgressInterval));
            Volatile.Write(ref progress, reporter);
            result = await execution.Completion.ConfigureAwait(false);
            await reporter.DisposeAsync().ConfigureAwait(false);
        }

        await stdout.WriteAsync(SummaryTable.Format(result.Metrics)).ConfigureAwait(false);

        // A report that cannot be written is one more failure to tell, not a reason to hide how the
        // run went: the block fault (or the completion) is still reported below.
        var reported = commandLine.MetricsOut is null || await TryWriteMetricsAsync(commandLine.MetricsOut, result, stderr).ConfigureAwait(false);
        if (result.Fault is { } fault)
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: {(commandLine.Verbose ? $"block \"{fault.Block}\" failed during {fault.Phase}: {fault.Exception}" : fault.ToString())}").ConfigureAwait(false);
            return ExitCodes.RuntimeFailure;
        }

        await stdout.WriteLineAsync(result.Stopped ? "stopped: drained and finalised" : "completed").ConfigureAwait(false);
        return reported ? ExitCodes.Success : ExitCodes.RuntimeFailure;
    }

    private static async Task<bool> TryWriteMetricsAsync(string path, PipelineResult result, TextWriter stderr)
    {
        try
        {
            await MetricsReport.WriteAsync(path, result).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"odyssey-pipeline: --metrics-out {path}: {e.Message}").ConfigureAwait(false);
            return false;
        }
    }

    internal static async Task<BlockRegistry?> CreateRegistryAsync(CommandLine commandLine, TextWriter stderr)
    {
        var registry = BuiltInBlocks.CreateRegistry();
        foreach (var plugin in commandLine.Plugins)
        {
            if (!File.Exists(plugin))
            {
                await stderr.WriteLineAsync($"odyssey-pipeline: --plugin {plugin}: no such file").ConfigureAwait(false);
                return null;
            }

            try
            {
                registry.LoadPlugin(plugin);
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or ArgumentException or System.Reflection.ReflectionTypeLoadException)
            {
                await stderr.WriteLineAsync($"odyssey-pipeline: --plugin {plugin}: {e.Message}").ConfigureAwait(false);
                return null;
            }
        }

        return registry;
    }

    private static async Task<PipelineDefinition?> LoadAsync(CommandLine commandLine, TextWriter stderr)
    {
        var registry = await CreateRegistryAsync(commandLine, stderr).ConfigureAwait(false);
        if (registry is null)
        {
            return null;
        }

        var result = PipelineLoader.LoadFile(commandLine.File!, registry, commandLine.Overrides);
        if (result.IsValid)
        {
            return result.Definition;
        }

        await stderr.WriteLineAsync($"{commandLine.File}: {result.Errors.Length} problem(s)").ConfigureAwait(false);
        foreach (var error in result.Errors)
        {
            await stderr.WriteLineAsync($"  {error}").ConfigureAwait(false);
        }

        return null;
    }
}
