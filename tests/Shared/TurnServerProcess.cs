using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Odyssey.Tests;

/// <summary>
/// A private coturn <c>turnserver</c> for one test: UDP only on 127.0.0.1, long-term credentials with the
/// static user <see cref="Username"/>:<see cref="Password"/> in realm <see cref="Realm"/>, loopback peers
/// allowed, no CLI, its pid file and user database in a temporary directory. Ready once it answers a STUN
/// Binding request; killed and cleaned up on dispose.
/// </summary>
internal sealed class TurnServerProcess : IDisposable
{
    public const string Username = "u";
    public const string Password = "p";
    public const string Realm = "test";

    /// <summary>The server starts in well under a second; this only turns a broken install into a failure.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly ToolProcess _process;
    private readonly DirectoryInfo _directory;

    private TurnServerProcess(ToolProcess process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"turn:127.0.0.1:{Port}?transport=udp";

    public string Transcript => _process.Transcript;

    public static async Task<TurnServerProcess> StartAsync()
    {
        if (!File.Exists("/usr/bin/turnserver"))
        {
            throw new InvalidOperationException("turnserver is not installed: run scripts/setup.sh (Debian package coturn)");
        }

        var port = FreeUdpPort();
        var relayPorts = FreeUdpPort();
        var directory = Directory.CreateTempSubdirectory("odyssey-turn-");
        var process = new ToolProcess("/usr/bin/turnserver",
        [
            "-n", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--allow-loopback-peers",
            "--user", $"{Username}:{Password}", "--realm", Realm, "--lt-cred-mech", "--no-tls", "--no-dtls", "--no-cli",
            "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--min-port", relayPorts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-port", Math.Min(relayPorts + 50, 65535).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--log-file", "stdout", "--simple-log",
            "--pidfile", Path.Combine(directory.FullName, "turnserver.pid"),
            "--userdb", Path.Combine(directory.FullName, "turndb"),
        ]);
        var server = new TurnServerProcess(process, directory, port);
        try
        {
            await server.WaitUntilAnsweringAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task WaitUntilAnsweringAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var request = BindingRequest();
        var target = new IPEndPoint(IPAddress.Loopback, Port);
        var reply = new byte[1500];
        using var deadline = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"turnserver exited at start:\n{Transcript}");
            }

            await socket.SendToAsync(request, target);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            attempt.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                await socket.ReceiveFromAsync(reply, new IPEndPoint(IPAddress.Any, 0), attempt.Token);
                return;
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // not listening yet
            }
            catch (SocketException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token); // ICMP port unreachable: not bound yet
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"turnserver did not answer STUN on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds} s:\n{Transcript}");
            }
        }
    }

    /// <summary>RFC 8489 §5: a Binding request with no attributes (type 0x0001, length 0, the magic cookie, a random ID).</summary>
    private static byte[] BindingRequest()
    {
        var request = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(request, 0x0001);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(4), 0x2112A442);
        RandomNumberGenerator.Fill(request.AsSpan(8));
        return request;
    }

    /// <summary>A port nobody holds right now; the tests run in their own network namespace, so nobody races for it.</summary>
    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
