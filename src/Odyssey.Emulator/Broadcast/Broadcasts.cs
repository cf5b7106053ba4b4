using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Odyssey.Emulator.Api;
using Odyssey.Media;
using Odyssey.WebRtc;
using Odyssey.WebRtc.Ice;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.Emulator.Broadcast;

/// <summary>A stream spectators can watch: the streamer session that renders it.</summary>
internal interface IBroadcastSource
{
    /// <summary>From the next frame on, every encoded frame of the stream is also sent on <paramref name="track"/>.</summary>
    void AddSpectator(LocalVideoTrack track);

    void RemoveSpectator(LocalVideoTrack track);

    /// <summary>A spectator just connected (or lost a picture): the next frame is a keyframe.</summary>
    void RequestKeyframe();
}

/// <summary>What a <c>broadcast_ready</c> message announces.</summary>
internal sealed record BroadcastAnnouncement(string WebRtcUrl, string SpectatorToken);

/// <summary>
/// Spectator playback (PROTOCOL.md §7 "Spectator (WHEP)"): a stream started with <c>broadcast: true</c> gets a
/// playback URL <c>&lt;api&gt;/broadcast/&lt;stream_id&gt;</c> and a spectator token. A spectator POSTs its
/// offer (<c>application/sdp</c>) to <c>&lt;webrtc_url&gt;/whep?token=…</c> and gets the answer and a
/// <c>Location</c>; DELETE on that location leaves. ICE servers come from the API origin's <c>/config</c>,
/// which the playback URL shares. 401 "Invalid spectator token", 404 "Stream not found".
/// </summary>
internal sealed class Broadcasts(EmulatorContext context)
{
    /// <summary>WHEP's media type for offers and answers (RFC 9725 §4.2).</summary>
    public const string SdpMediaType = "application/sdp";

    /// <summary>The answer waits this long for our candidates (non-trickle: they travel inside it), as the PY client waits for its offer's.</summary>
    private static readonly TimeSpan GatheringWait = TimeSpan.FromSeconds(5);

    /// <summary>A spectator's peer gives up connecting after this long and is dropped.</summary>
    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Live> _live = new(StringComparer.Ordinal);

    /// <summary>Spectator sessions a client left with DELETE, in order (tests read it).</summary>
    public ConcurrentQueue<string> DeletedSessions { get; } = new();

    /// <summary>Spectator sessions answered (tests read it).</summary>
    public ConcurrentQueue<string> AnsweredSessions { get; } = new();

    public static void Map(IEndpointRouteBuilder app, Broadcasts broadcasts)
    {
        app.MapPost("/broadcast/{streamId}/whep", (HttpRequest request, string streamId) => broadcasts.OfferAsync(request, streamId));
        app.MapDelete("/broadcast/{streamId}/whep/{sessionId}", (string streamId, string sessionId) => broadcasts.LeaveAsync(streamId, sessionId));
    }

    /// <summary>Opens playback of <paramref name="streamId"/>; the announcement goes into <c>broadcast_ready</c>.</summary>
    public BroadcastAnnouncement Open(string streamId, IBroadcastSource source)
    {
        var token = "spec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _live[streamId] = new Live(token, source);
        return new BroadcastAnnouncement($"{context.ApiUrl}/broadcast/{Uri.EscapeDataString(streamId)}", token);
    }

    /// <summary>The stream ended: its spectators' connections close (their players see the track end).</summary>
    public async Task CloseAsync(string streamId)
    {
        if (!_live.TryRemove(streamId, out var live))
        {
            return;
        }

        foreach (var id in live.Spectators.Keys)
        {
            if (live.Spectators.TryRemove(id, out var peer))
            {
                await DropAsync(live, peer);
            }
        }
    }

    private async Task<IResult> OfferAsync(HttpRequest request, string streamId)
    {
        if (!_live.TryGetValue(streamId, out var live))
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, "Stream not found");
        }

        var token = request.Query["token"].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(live.Token)))
        {
            return ApiResults.Detail(StatusCodes.Status401Unauthorized, "Invalid spectator token");
        }

        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), SdpMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return ApiResults.Detail(StatusCodes.Status415UnsupportedMediaType, $"WHEP offers are '{SdpMediaType}', not '{request.ContentType}'");
        }

        string offer;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            offer = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        }

        var options = context.Options;
        var peer = new PeerConnection(new PeerConnectionOptions
        {
            Ice = new IceAgentOptions { LoopbackOnly = options.LoopbackIceOnly, UseIPv6 = !options.LoopbackIceOnly },
            VideoCodecs = [options.Codec == VideoCodec.H264 ? SdpCodecCapability.H264(H264Profile.ConstrainedBaseline) : SdpCodecCapability.Vp8],
            VideoDirection = SdpDirection.SendOnly,
            DataChannels = false,
            PacketPool = context.Packets,
        });
        string answer;
        try
        {
            await peer.SetRemoteDescriptionAsync(new RtcSessionDescription(RtcSdpType.Offer, offer));
            await peer.SetLocalDescriptionAsync(await peer.CreateAnswerAsync());
            try
            {
                await peer.WhenGatheringCompleteAsync().WaitAsync(GatheringWait);
            }
            catch (TimeoutException)
            {
                // Answer with what was gathered: host candidates come first and suffice on one machine.
            }

            answer = peer.LocalDescription!.Sdp;
        }
        catch (Exception e) when (e is SdpParseException or ArgumentException or InvalidOperationException)
        {
            await peer.DisposeAsync();
            return ApiResults.Detail(StatusCodes.Status400BadRequest, $"WHEP offer for stream {streamId} was not usable: {e.Message}");
        }

        if (peer.LocalVideo is not { } track)
        {
            await peer.DisposeAsync();
            return ApiResults.Detail(StatusCodes.Status400BadRequest, $"WHEP offer for stream {streamId} receives no {options.Codec} video");
        }

        var sessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        live.Spectators[sessionId] = peer;
        live.Source.AddSpectator(track);
        AnsweredSessions.Enqueue(sessionId);
        track.KeyframeRequested += (_, _) => live.Source.RequestKeyframe();
        _ = KeyframeWhenConnectedAsync(live, sessionId, peer);
        context.Log($"stream {streamId}: spectator {sessionId} answered");

        var response = request.HttpContext.Response;
        response.Headers.Location = $"/broadcast/{Uri.EscapeDataString(streamId)}/whep/{sessionId}";
        return Results.Text(answer, SdpMediaType, Encoding.UTF8, StatusCodes.Status201Created);
    }

    private async Task<IResult> LeaveAsync(string streamId, string sessionId)
    {
        if (!_live.TryGetValue(streamId, out var live) || !live.Spectators.TryRemove(sessionId, out var peer))
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, "Spectator session not found");
        }

        DeletedSessions.Enqueue(sessionId);
        context.Log($"stream {streamId}: spectator {sessionId} left");
        await DropAsync(live, peer);
        return Results.Ok();
    }

    private async Task KeyframeWhenConnectedAsync(Live live, string sessionId, PeerConnection peer)
    {
        try
        {
            await peer.WhenConnectedAsync().WaitAsync(ConnectWait);
            live.Source.RequestKeyframe();
        }
        catch (Exception e) when (e is TimeoutException or PeerConnectionFailedException or OperationCanceledException or ObjectDisposedException)
        {
            if (live.Spectators.TryRemove(sessionId, out _))
            {
                context.Log($"spectator {sessionId} never connected: {e.Message}");
                await DropAsync(live, peer);
            }
        }
    }

    private static async Task DropAsync(Live live, PeerConnection peer)
    {
        if (peer.LocalVideo is { } track)
        {
            live.Source.RemoveSpectator(track);
        }

        await peer.DisposeAsync();
    }

    private sealed class Live(string token, IBroadcastSource source)
    {
        public string Token { get; } = token;

        public IBroadcastSource Source { get; } = source;

        public ConcurrentDictionary<string, PeerConnection> Spectators { get; } = new(StringComparer.Ordinal);
    }
}
