using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Odyssey.Tests;

/// <summary>
/// Runs a socket test (WebRTC interop, the emulator) inside a fresh network namespace that has only <c>lo</c> (INTEROP-NOTES.md), so
/// neither our ICE agent nor aiortc can reach a real network. Both peers must share the namespace, so the
/// test re-runs itself there: <c>unshare -n</c> starts <c>dotnet test</c> on this assembly, filtered to the
/// one test, with <see cref="InsideVariable"/> set; that inner run does the work, the outer one asserts it
/// passed and shows its output. Where unshare is not permitted the body runs here on plain loopback, and
/// the test output says so.
/// </summary>
internal static partial class NetworkNamespace
{
    private const string InsideVariable = "ODYSSEY_TEST_IN_NETNS";

    /// <summary>The inner run's start-up (a second test host) and the test itself.</summary>
    private static readonly TimeSpan InnerTimeout = TimeSpan.FromSeconds(150);

    /// <summary>The unshare flags that work here: <c>-n</c> as root, <c>-rn</c> (a user namespace too) otherwise; null when neither does.</summary>
    private static readonly Lazy<Task<string?>> Flags = new(ProbeAsync);

    /// <summary>
    /// Runs <paramref name="body"/> in a fresh namespace (through a re-run) or, when that is impossible or
    /// we already are inside, right here. <paramref name="testMethod"/> names a [Fact] of <typeparamref name="TTest"/>.
    /// </summary>
    public static async Task RunAsync<TTest>(string testMethod, ITestOutputHelper output, Func<Task> body)
    {
        if (Environment.GetEnvironmentVariable(InsideVariable) == "1")
        {
            output.WriteLine("network: inside a fresh network namespace (only lo)");
            await body();
            return;
        }

        if (await Flags.Value is not { } flags)
        {
            output.WriteLine("network: unshare -n is not permitted here; FALLBACK to the host's plain loopback (127.0.0.1 only)");
            await body();
            return;
        }

        var filter = $"FullyQualifiedName={typeof(TTest).FullName}.{testMethod}";
        var assembly = typeof(TTest).Assembly.Location;
        var results = Directory.CreateTempSubdirectory("odyssey-netns-");
        try
        {
            using var inner = new ToolProcess(
                "unshare",
                [flags, "sh", "-c", $"ip link set lo up && {InsideVariable}=1 exec dotnet test \"$0\" --filter \"$1\" --results-directory \"$2\"", assembly, filter, results.FullName]);
            string summary;
            try
            {
                summary = await inner.WaitForLineAsync(line => SummaryLine().IsMatch(line), InnerTimeout);
            }
            finally
            {
                output.WriteLine($"network: ran in a fresh network namespace (unshare {flags}), inner run of {filter}:");
                output.WriteLine(inner.Transcript);
            }

            var match = SummaryLine().Match(summary);
            Assert.True(match.Groups["failed"].Value == "0" && match.Groups["passed"].Value == "1", $"the inner run did not pass exactly one test: {summary}");
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    private static async Task<string?> ProbeAsync()
    {
        foreach (var flags in new[] { "-n", "-rn" })
        {
            try
            {
                await ToolProcess.RunAsync("unshare", [flags, "sh", "-c", "ip link set lo up"], Environment.CurrentDirectory, TimeSpan.FromSeconds(10));
                return flags;
            }
#pragma warning disable CA1031 // any failure (missing tool, EPERM, timeout) means: try the next way, then fall back
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        return null;
    }

    [GeneratedRegex(@"Failed:\s+(?<failed>\d+),\s+Passed:\s+(?<passed>\d+)")]
    private static partial Regex SummaryLine();
}
