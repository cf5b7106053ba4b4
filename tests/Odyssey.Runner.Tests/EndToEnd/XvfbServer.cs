using System.Diagnostics;
using System.Globalization;

namespace Odyssey.Runner.Tests;

/// <summary>
/// A private Xvfb for one test, started so that it can never hold up the test host: it picks a free
/// display itself and says so when it accepts connections (-displayfd), its stdin is /dev/null and its
/// log goes to a file (nothing of the test host's is inherited, and no pipe can fill up and stall it),
/// and disposing kills it and waits for it. The test host itself never touches the display: only child
/// processes get DISPLAY, in their own environment.
/// </summary>
internal sealed class XvfbServer : IAsyncDisposable
{
    private const string Executable = "/usr/bin/Xvfb";

    /// <summary>Big enough for the test windows; 24-bit so xwd dumps true colour.</summary>
    private const string Screen = "800x600x24";

    /// <summary>Only a hang guard: Xvfb is ready in well under a second.</summary>
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _log;

    private XvfbServer(Process process, string log, string display)
    {
        _process = process;
        _log = log;
        Display = display;
    }

    /// <summary>The value for DISPLAY, e.g. ":3".</summary>
    public string Display { get; }

    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>Starts Xvfb and returns once it accepts connections; its log goes to <paramref name="log"/>.</summary>
    public static async Task<XvfbServer> StartAsync(string log)
    {
        // sh only sets up the streams, then execs: the pid we hold (and kill) is Xvfb's own.
        // fd 1 is our pipe and carries nothing but the display number (-displayfd 1).
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-c", "exec \"$0\" -displayfd 1 -screen 0 \"$1\" -nolisten tcp </dev/null 2>\"$2\"", Executable, Screen, log])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("DISPLAY");
        var process = Process.Start(info)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(StartPatience);
            if (line is null || !int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                await process.WaitForExitAsync().WaitAsync(StartPatience);
                throw new InvalidOperationException($"Xvfb exited ({process.ExitCode}) without a display: {ReadLog(log)}");
            }

            return new XvfbServer(process, log, $":{number.ToString(CultureInfo.InvariantCulture)}");
        }
        catch
        {
            Stop(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>What Xvfb wrote to its log, for failure messages.</summary>
    public string Log => ReadLog(_log);

    public async ValueTask DisposeAsync()
    {
        Stop(_process);
        await _process.WaitForExitAsync().WaitAsync(StartPatience);
        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string ReadLog(string path) => File.Exists(path) ? File.ReadAllText(path) : "(no log)";
}
