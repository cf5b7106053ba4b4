using Odyssey.Media;

namespace Odyssey.Client;

/// <summary>
/// Callbacks for <see cref="OdysseyClient.ConnectAsync"/> (PROTOCOL.md §6). Each is optional and runs on a
/// background thread; an exception thrown by one is logged and never breaks the connection.
/// </summary>
public sealed record OdysseyEventHandlers
{
    /// <summary>Video and the <c>clientToStreamer</c> channel are up (fires once per connection).</summary>
    public Action? OnConnected { get; init; }

    /// <summary>The connection ended: track end, signalling error or close, peer connection failure, or <see cref="OdysseyClient.DisconnectAsync"/>. Fires once per connection.</summary>
    public Action? OnDisconnected { get; init; }

    /// <summary>A decoded frame in <see cref="AdvancedConfig.FramePixelFormat"/>; BORROWED: valid only during the call (AddRef to keep it).</summary>
    public Action<VideoFrame>? OnVideoFrame { get; init; }

    /// <summary><c>stream_started</c>: the stream id.</summary>
    public Action<string>? OnStreamStarted { get; init; }

    /// <summary><c>stream_ended</c>.</summary>
    public Action? OnStreamEnded { get; init; }

    /// <summary><c>update_acknowledged</c>: the prompt as applied.</summary>
    public Action<string>? OnInteractAcknowledged { get; init; }

    /// <summary><c>interactive_stream_error</c> (or <c>broadcast_error</c>): reason and message.</summary>
    public Action<string, string>? OnStreamError { get; init; }

    /// <summary><c>broadcast_ready</c>.</summary>
    public Action<BroadcastInfo>? OnBroadcastReady { get; init; }

    /// <summary>An error; fatal ones end the connection (connect and signalling failures), others do not (a bad data-channel message).</summary>
    public Action<OdysseyError, bool>? OnError { get; init; }

    /// <summary>Every status change, with its message.</summary>
    public Action<ConnectionStatus, string?>? OnStatusChange { get; init; }
}
