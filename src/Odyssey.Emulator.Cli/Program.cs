using System.Runtime.InteropServices;
using Odyssey.Emulator;
using Odyssey.Emulator.Cli;

if (args.Length == 1 && args[0] is "--help" or "-h")
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

EmulatorOptions options;
bool quiet;
try
{
    (options, quiet) = CommandLine.Parse(args);
}
catch (CommandLineException e)
{
    Console.Error.WriteLine($"odyssey-emulator: {e.Message}");
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

if (!quiet)
{
    options = options with { Log = line => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}") };
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop cleanly: sessions end, recordings are finished
    stop.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

EmulatorServer server;
try
{
    server = await EmulatorServer.StartAsync(options, stop.Token);
}
catch (IOException e)
{
    Console.Error.WriteLine($"odyssey-emulator: cannot listen on {options.Host}:{options.Port}: {e.Message}");
    return 1;
}

await using (server)
{
    Console.WriteLine($"API URL: {server.ApiUrl.ToString().TrimEnd('/')}");
    Console.WriteLine($"API key: {server.ApiKey}");
    Console.WriteLine($"export ODYSSEY_API_URL={server.ApiUrl.ToString().TrimEnd('/')} ODYSSEY_API_KEY={server.ApiKey}");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    Console.Error.WriteLine("odyssey-emulator: stopping");
}

return 0;
