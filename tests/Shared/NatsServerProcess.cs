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

    private NatsServerProcess(Process process, string store, int port)
    {
        _process = process;
        _store = store;
        Port = port;
    }

    public int Port { get; }

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

        // -p -1: the server takes a random free port and logs it.
        foreach (var arg in new[] { "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", store })
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
        var log = new System.Text.StringBuilder();
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"nats-server exited: {log}"));
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
        }

        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += OnLine;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var port = await listening.Task.WaitAsync(StartTimeout);
            return new NatsServerProcess(process, store, port);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
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
}
