using NATS.Client.Core;

namespace Odyssey.Pipeline.Blocks;

/// <summary>NATS subject and URL checks, and connecting with an error that names the block: shared by the nats sink and source.</summary>
public static class NatsSubjects
{
    /// <summary>How long a block waits for the server at start before failing the run.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Why <paramref name="subject"/> is not a valid subject, or null. NATS subjects are dot-separated
    /// non-empty tokens without whitespace; "*" matches one token and "&gt;" the rest (last token only).
    /// </summary>
    public static string? Problem(string? subject, bool wildcardsAllowed)
    {
        if (string.IsNullOrEmpty(subject))
        {
            return "is empty";
        }

        var tokens = subject.Split('.');
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token.Length == 0)
            {
                return $"\"{subject}\" has an empty token (two dots, or a dot at an end)";
            }

            foreach (var c in token)
            {
                if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    return $"\"{subject}\" contains whitespace";
                }
            }

            var wildcard = token is "*" or ">";
            if (!wildcard && (token.Contains('*', StringComparison.Ordinal) || token.Contains('>', StringComparison.Ordinal)))
            {
                return $"\"{subject}\": a wildcard must be a whole token";
            }

            if (wildcard && !wildcardsAllowed)
            {
                return $"\"{subject}\": wildcards are for subscribing; publish to a concrete subject";
            }

            if (token == ">" && i != tokens.Length - 1)
            {
                return $"\"{subject}\": \">\" must be the last token";
            }
        }

        return null;
    }

    /// <summary>Why <paramref name="url"/> is not a NATS server URL, or null.</summary>
    public static string? UrlProblem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "url is empty";
        }

        // The client takes a comma-separated list of servers.
        foreach (var part in url.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
            {
                return $"url \"{part}\" is not a nats://HOST:PORT address";
            }
        }

        return null;
    }

    /// <summary>Connects to <paramref name="url"/>; a failure is an <see cref="IOException"/> naming <paramref name="who"/> and the URL.</summary>
    public static async Task<NatsConnection> ConnectAsync(string url, string who, CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(new NatsOpts
        {
            Url = url,
            Name = "odyssey-pipeline",
            ConnectTimeout = ConnectTimeout,
        });
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is NatsException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"{who}: cannot connect to NATS at {url}: {e.Message}", e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
