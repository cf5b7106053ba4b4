using Odyssey.Tests;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

internal static class TurnServers
{
    /// <summary>The coturn instance as an ICE TURN server with its static user, or with another password.</summary>
    public static IceTurnServer Server(this TurnServerProcess turn, string? password = null) =>
        new(turn.Url, TurnServerProcess.Username, password ?? TurnServerProcess.Password);
}
