using System.Diagnostics;

namespace Odyssey.Runner.Tests;

/// <summary>The sample clip the shipped file pipelines read, made once by scripts/make-sample-clip.sh.</summary>
internal static class SampleMedia
{
    private static readonly Lock Gate = new();
    private static bool _made;

    /// <summary>Runs the script (idempotent; it keeps an existing clip) once per test run.</summary>
    public static void EnsureMade()
    {
        lock (Gate)
        {
            if (_made)
            {
                return;
            }

            var script = Path.Combine(RunnerProcess.RepositoryRoot, "scripts", "make-sample-clip.sh");
            using var process = Process.Start(new ProcessStartInfo("bash", $"\"{script}\"") { UseShellExecute = false, RedirectStandardError = true })!;
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(RunnerProcess.Timeout))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{script} did not finish within {RunnerProcess.Timeout}");
            }

            Assert.True(process.ExitCode == 0, $"{script} failed: {errors.Result}");
            _made = true;
        }
    }
}
