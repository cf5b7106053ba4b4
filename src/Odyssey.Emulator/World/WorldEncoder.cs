using System.Diagnostics.CodeAnalysis;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Emulator.World;

/// <summary>
/// The world at one picture size, rendered and encoded: <see cref="Render"/> a frame, then
/// <see cref="TryReceive"/> its packets. Shared by the live streamer (paced) and simulation jobs (as fast as
/// it goes). One owner; frames come from its own pool and go back before <see cref="Render"/> returns.
/// </summary>
internal sealed class WorldEncoder : IDisposable
{
    /// <summary>A keyframe every two seconds: a late joiner or a lossy path recovers quickly; PLI asks sooner.</summary>
    private const double KeyframeSeconds = 2;

    /// <summary>libx264 preset for live streaming on a shared machine: the synthetic scene is easy, speed matters more.</summary>
    private const string Preset = "ultrafast";

    private readonly VideoFramePool _frames = new(retainedPerShape: 2);
    private readonly WorldRenderer _renderer;
    private readonly VideoEncoder _encoder;
    private readonly double _fps;

    public WorldEncoder(VideoCodec codec, int width, int height, double fps, int bitrateKbps, EncodedPacketPool packets)
    {
        _fps = fps;
        _renderer = new WorldRenderer(width, height);
        _encoder = new VideoEncoder(
            new VideoEncoderSettings(codec, width, height)
            {
                Fps = fps,
                BitrateKbps = bitrateKbps,
                KeyframeInterval = Math.Max(1, (int)Math.Round(fps * KeyframeSeconds)),
                Preset = Preset,
            },
            packets);
    }

    public int Width => _renderer.Width;

    public int Height => _renderer.Height;

    public VideoCodec Codec => _encoder.Settings.Codec;

    public void RequestKeyframe() => _encoder.RequestKeyframe();

    /// <summary>Renders and encodes frame <paramref name="index"/> of <paramref name="scene"/>, at Pts index/fps.</summary>
    public void Render(Scene scene, long index)
    {
        var frame = _frames.Rent(_renderer.Width, _renderer.Height, PixelFormat.I420);
        try
        {
            _renderer.Render(frame, scene, index);
            frame.Index = index;
            frame.Pts = TimeSpan.FromSeconds(index / _fps);
            _encoder.Send(frame);
        }
        finally
        {
            frame.Release();
        }
    }

    /// <summary>The next packet (OWNED by the caller); false when the encoder has nothing more for now.</summary>
    public bool TryReceive([NotNullWhen(true)] out EncodedPacket? packet) => _encoder.TryReceive(out packet);

    public void Dispose() => _encoder.Dispose();
}
