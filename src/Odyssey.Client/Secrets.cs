namespace Odyssey.Client;

/// <summary>
/// The API key and every token the client has seen, so text that came from elsewhere (an exception from
/// the HTTP or WebSocket stack, a URL) can be scrubbed before it reaches a log or an exception message.
/// </summary>
internal sealed class Secrets
{
    /// <summary>What a secret becomes in text.</summary>
    public const string Mask = "***";

    /// <summary>Shorter strings are not secrets worth masking, and masking them would mangle ordinary text.</summary>
    private const int MinimumLength = 6;

    private readonly Lock _gate = new();
    private readonly List<string> _values = [];

    public void Add(string? secret)
    {
        if (secret is null || secret.Length < MinimumLength)
        {
            return;
        }

        lock (_gate)
        {
            if (!_values.Contains(secret))
            {
                _values.Add(secret);
                _values.Add(Uri.EscapeDataString(secret));
            }
        }
    }

    public string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        lock (_gate)
        {
            foreach (var secret in _values)
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
