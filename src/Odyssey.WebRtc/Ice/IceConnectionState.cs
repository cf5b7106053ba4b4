namespace Odyssey.WebRtc.Ice;

/// <summary>The agent's connection state, modelled on the W3C RTCIceConnectionState.</summary>
public enum IceConnectionState
{
    /// <summary>Created; checks have not started.</summary>
    New,

    /// <summary>Checks are running and no pair has been selected yet.</summary>
    Checking,

    /// <summary>A pair is selected and consent is fresh; datagrams flow.</summary>
    Connected,

    /// <summary>Connected, and both sides have said end-of-candidates and no check is pending.</summary>
    Completed,

    /// <summary>No consent response for <see cref="IceAgentOptions.DisconnectedAfter"/>; may come back.</summary>
    Disconnected,

    /// <summary>Every pair failed, checking timed out, or consent expired (RFC 7675); final.</summary>
    Failed,

    /// <summary>Disposed; final.</summary>
    Closed,
}
