using System.Diagnostics;

namespace Odyssey.Runner.Tests;

/// <summary>Runs the built odyssey-pipeline executable as a user would, in a working directory of the test's own.</summary>
internal static class RunnerProcess
{
    /// <summary>Generous: a run here takes seconds; this only turns a hang into a failure.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static string RepositoryRoot => Odyssey.Tests.RepositoryRoot.Path;

    public static string PipelinesDirectory => Path.Combine(RepositoryRoot, "pipelines");

    public sealed record Outcome(int ExitCode, string StandardOutput, string StandardError);

    public static ProcessStartInfo StartInfo(string workingDirectory, params string[] args)
    {
        var runner = Path.Combine(AppContext.BaseDirectory, "odyssey-pipeline.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Pipelines with an odyssey source then run on the built-in emulator, whatever the machine has set.
        info.Environment.Remove("ODYSSEY_API_KEY");
        info.Environment.Remove("ODYSSEY_API_URL");
        info.ArgumentList.Add(runner);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>
    /// <see cref="StartInfo"/> for a test that interrupts the runner with SIGINT, as Ctrl+C at a terminal would.
    /// A process started in the background by a non-interactive shell (a CI step, <c>scripts/test.sh &amp;</c>,
    /// nohup) ignores SIGINT, its children inherit that, and .NET leaves an inherited SIG_IGN alone: the
    /// runner would never see the test's SIGINT and the test would wait out its timeout. env resets SIGINT
    /// to its default and execs the runner, so the process id stays the runner's own.
    /// </summary>
    public static ProcessStartInfo InterruptibleStartInfo(string workingDirectory, params string[] args)
    {
        var info = StartInfo(workingDirectory, args);
        info.ArgumentList.Insert(0, info.FileName);
        info.ArgumentList.Insert(0, "--default-signal=INT");
        info.FileName = "/usr/bin/env";
        return info;
    }

    public static async Task<Outcome> RunAsync(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args))!;
        return await WaitAsync(process);
    }

    public static async Task<Outcome> WaitAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"odyssey-pipeline did not finish within {Timeout}: {await stderr}");
        }

        return new Outcome(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A fresh directory per test, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("odyssey-runner-test-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test over.
        }
    }
}
