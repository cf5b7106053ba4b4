using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;
using Odyssey.WebRtc;

namespace Odyssey.Client.Media;

/// <summary>
/// Pumps one remote video track: hands encoded frames to the encoded-frame queue (when someone reads it),
/// decodes (when someone wants pictures), converts to the requested pixel format, calls the frame handler
/// and queues the frame for <see cref="OdysseyClient.ReadFramesAsync"/>. Queues drop their oldest item
/// (released and counted) rather than stall the network side.
/// </summary>
internal sealed class FrameReceiver : IAsyncDisposable
{
    private readonly RemoteVideoTrack _track;
    private readonly VideoFramePool _pool;
    private readonly PixelFormat _format;
    private readonly Action<VideoFrame>? _onFrame;
    private readonly Func<bool> _wantDecoded;
    private readonly Func<bool> _wantEncoded;
    private readonly ChannelWriter<VideoFrame> _decoded;
    private readonly ChannelWriter<EncodedPacket> _encoded;
    private readonly ILogger _log;
    private readonly Task _pump;
    private readonly CancellationTokenSource _stop = new();
    private long _decodedCount;

    public FrameReceiver(
        RemoteVideoTrack track,
        VideoFramePool pool,
        PixelFormat format,
        Action<VideoFrame>? onFrame,
        Func<bool> wantDecoded,
        Func<bool> wantEncoded,
        ChannelWriter<VideoFrame> decoded,
        ChannelWriter<EncodedPacket> encoded,
        ILogger log)
    {
        _track = track;
        _pool = pool;
        _format = format;
        _onFrame = onFrame;
        _wantDecoded = wantDecoded;
        _wantEncoded = wantEncoded;
        _decoded = decoded;
        _encoded = encoded;
        _log = log;
        _pump = Task.Run(PumpAsync, CancellationToken.None);
    }

    /// <summary>Completes when the track ended by itself (the connection closed under us), not when stopped.</summary>
    public Task Ended => _pump;

    /// <summary>Set once the track's frame queue completed without <see cref="DisposeAsync"/> asking.</summary>
    public bool EndedByPeer { get; private set; }

    public long DecodedFrames => Interlocked.Read(ref _decodedCount);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        VideoDecoder? decoder = null;
        try
        {
            while (await _track.Frames.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (_track.Frames.TryRead(out var packet))
                {
                    try
                    {
                        if (_wantEncoded())
                        {
                            packet.AddRef();
                            if (!_encoded.TryWrite(packet))
                            {
                                packet.Release();
                            }
                        }

                        if (_onFrame is not null || _wantDecoded())
                        {
                            decoder ??= CreateDecoder(packet.Codec);
                            Decode(decoder, packet);
                        }
                    }
                    finally
                    {
                        packet.Release();
                    }
                }
            }

            EndedByPeer = true;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped by the client.
        }
        catch (Exception ex) when (ex is InvalidOperationException or FFmpegUnavailableException)
        {
            _log.Warn($"video decoding stopped: {ex.Message}");
            EndedByPeer = true;
        }
        finally
        {
            decoder?.Dispose();
        }
    }

    private VideoDecoder CreateDecoder(VideoCodec codec)
    {
        var decoder = new VideoDecoder(codec, _pool);
        decoder.KeyframeRequested += (_, _) => _track.RequestKeyframe();
        _log.Detail($"decoding {codec} video to {_format}");
        return decoder;
    }

    private void Decode(VideoDecoder decoder, EncodedPacket packet)
    {
        decoder.Send(packet);
        while (decoder.TryReceive(out var picture))
        {
            var frame = picture;
            if (picture.Format != _format)
            {
                frame = _pool.Rent(picture.Width, picture.Height, _format);
                PixelConverter.Convert(picture, frame);
                picture.Release();
            }

            frame.Index = Interlocked.Increment(ref _decodedCount) - 1;
            try
            {
                _onFrame?.Invoke(frame);
            }
            catch (Exception ex)
            {
                _log.Warn($"the video frame handler threw {ex.GetType().Name}: {ex.Message}");
            }

            if (!_wantDecoded() || !_decoded.TryWrite(frame))
            {
                frame.Release();
            }
        }
    }
}
