using Microsoft.Extensions.Logging;

namespace Odyssey.Client;

/// <summary>
/// <see cref="ClientConfig.Debug"/> as the seed means it: without it the client's Debug and Trace messages
/// (every HTTP call, signalling and channel message) are not emitted, whatever the host's level is.
/// </summary>
internal sealed class DebugFilter(ILogger inner, bool debug) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => (debug || logLevel >= LogLevel.Information) && inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
