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

        exit codes: 0 success, 1 a block failed while running, 2 invalid pipeline or arguments
        """;

    private static readonly ImmutableHashSet<string> FileCommands = ["run", "validate", "graph", "report"];

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

        if (!FileCommands.Contains(command) && command != "blocks")
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

        return result with { Overrides = overrides.ToImmutable(), Plugins = plugins.ToImmutable() };
    }
}
