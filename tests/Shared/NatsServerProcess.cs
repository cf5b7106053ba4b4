using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Odyssey.Tests;

/// <summary>
/// A private <c>nats-server -js</c> for one test: loopback only, a port the server picks itself (no
/// race for a free port), a temporary JetStream store; killed and removed on dispose.
/// </summary>
internal sealed partial class NatsServerProcess : IDisposable
{
    /// <summary>The server starts in milliseconds; this only turns a broken install into a failure.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _store;

    private NatsServerProcess(Process process, string store, int port, int monitorPort)
    {
        _process = process;
        _store = store;
        Port = port;
        MonitorPort = monitorPort;
    }

    public int Port { get; }

    /// <summary>The HTTP monitoring port (/connz, /subsz): how a test sees what the server sees.</summary>
    public int MonitorPort { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>Starts the server and waits until it listens.</summary>
    public static async Task<NatsServerProcess> StartAsync()
    {
        var store = Directory.CreateTempSubdirectory("odyssey-nats-").FullName;
        var info = new ProcessStartInfo("nats-server")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // -p -1, -m -1: the server takes random free client and monitoring ports and logs them.
        foreach (var arg in new[] { "-js", "-a", "127.0.0.1", "-p", "-1", "-m", "-1", "-sd", store })
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("nats-server is not installed: run scripts/setup.sh (Debian package nats-server)", e);
        }

        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var monitoring = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"nats-server exited: {log}"));
                monitoring.TrySetException(new InvalidOperationException($"nats-server exited: {log}"));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }

            if (MonitorLine().Match(e.Data) is { Success: true } monitor)
            {
                monitoring.TrySetResult(int.Parse(monitor.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += OnLine;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var port = await listening.Task.WaitAsync(StartTimeout);
            var monitorPort = await monitoring.Task.WaitAsync(StartTimeout);
            return new NatsServerProcess(process, store, port, monitorPort);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the server holds at least <paramref name="count"/> subscriptions on exactly
    /// <paramref name="subject"/> (core NATS keeps nothing for late subscribers, so a test publishes only
    /// after this).
    /// </summary>
    public async Task WaitForSubscriptionsAsync(string subject, int count)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{MonitorPort}/") };
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            var json = await http.GetStringAsync(new Uri("connz?subs=1", UriKind.Relative), timeout.Token);
            using var document = System.Text.Json.JsonDocument.Parse(json);
            var found = 0;
            foreach (var connection in document.RootElement.GetProperty("connections").EnumerateArray())
            {
                if (connection.TryGetProperty("subscriptions_list", out var subscriptions))
                {
                    foreach (var subscription in subscriptions.EnumerateArray())
                    {
                        found += subscription.GetString() == subject ? 1 : 0;
                    }
                }
            }

            if (found >= count)
            {
                return;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    public void Dispose()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_store, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp store is not worth failing a test over.
        }
    }

    [GeneratedRegex(@"Listening for client connections on [^\s]*:(\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"Starting http monitor on [^\s]*:(\d+)")]
    private static partial Regex MonitorLine();
}
