using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Codecs the <c>encode</c> block offers (the ones WebRTC peers and MP4 players all take).</summary>
public enum EncodeCodec
{
    /// <summary>H.264 constrained baseline with libx264.</summary>
    H264,

    /// <summary>VP8 with libvpx.</summary>
    Vp8,
}

/// <summary>Options of <see cref="EncodeBlock"/>.</summary>
public sealed class EncodeOptions : IValidatableObject
{
    /// <summary>libx264's presets, fastest first: checked when the file loads rather than when FFmpeg opens.</summary>
    internal static readonly string[] H264Presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"];

    /// <summary>Output codec.</summary>
    [Description("Codec: h264 (libx264, constrained baseline, SPS/PPS before every keyframe) or vp8 (libvpx, realtime).")]
    public EncodeCodec Codec { get; init; } = EncodeCodec.H264;

    /// <summary>Target bit rate.</summary>
    [Description("Target bit rate in kilobits per second.")]
    [Range(1, 1_000_000)]
    public int BitrateKbps { get; init; } = 2000;

    /// <summary>GOP length.</summary>
    [Description("A keyframe every this many frames (GOP length).")]
    [Range(1, 100_000)]
    public int KeyframeInterval { get; init; } = 60;

    /// <summary>Nominal frame rate for rate control.</summary>
    [Description("Nominal frames per second: rate control spreads the bit rate over this many frames a second; packet timestamps are the frames' own.")]
    [Range(0.001, VideoEncoder.MaxFps)]
    public double Fps { get; init; } = 30;

    /// <summary>Encoder threads.</summary>
    [Description("Encoder threads (1 leaves the cores to the pipeline's other blocks; 0 lets FFmpeg choose).")]
    [Range(0, 64)]
    public int Threads { get; init; } = 1;

    /// <summary>libx264 preset; null means the encoder's low-latency default.</summary>
    [Description("libx264 speed preset (ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo); h264 only; default veryfast.")]
    public string? Preset { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Preset is null)
        {
            yield break;
        }

        if (Codec != EncodeCodec.H264)
        {
            yield return new ValidationResult($"preset \"{Preset}\" applies to h264 only, not {Codec.ToString().ToLowerInvariant()}", ["preset"]);
        }
        else if (Array.IndexOf(H264Presets, Preset) < 0)
        {
            yield return new ValidationResult($"preset \"{Preset}\" is not one of {string.Join(", ", H264Presets)}", ["preset"]);
        }
    }
}

/// <summary>
/// Encodes frames into packets with FFmpeg (libx264 or libvpx) for streaming or muxing. The encoder opens
/// at the first frame with that frame's size; every later frame must have the same size.
/// </summary>
/// <remarks>
/// A custom block rather than a transform because an encoder may return no packet or several for one
/// frame, and none may be dropped. Completion: when the input ends, the encoder is flushed and its last
/// packets are written before the output completes. A frame of another size fails the block with both
/// sizes. Packets come from the block's own pool; frames are released as soon as the encoder copied them.
/// </remarks>
[Block(TypeName, Description = "Encodes frames into H.264 or VP8 packets (live settings: no B-frames, no lookahead).")]
[Input("in", typeof(VideoFrame))]
[Output("out", typeof(EncodedPacket))]
public sealed class EncodeBlock(EncodeOptions options) : CustomBlock<EncodeOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "encode";

    private readonly EncodedPacketPool _packets = new();
    private VideoEncoder? _encoder;

    /// <summary>The pool the block's packets come from (tests check it comes back full).</summary>
    internal EncodedPacketPool PacketPool => _packets;

    /// <summary>Frames encoded so far.</summary>
    public long FramesEncoded => _encoder?.FramesSent ?? 0;

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        var input = Context.GetInput<VideoFrame>("in");
        var output = Context.GetOutput<EncodedPacket>("out");
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.TryRead(out var frame))
            {
                try
                {
                    Encoder(frame).Send(frame);
                }
                finally
                {
                    // The encoder copied the pixels; the frame can go back to the pool before the packet leaves.
                    frame.Release();
                }

                await DrainAsync(output, cancellationToken).ConfigureAwait(false);
            }
        }

        if (_encoder is not null)
        {
            _encoder.SendEndOfStream();
            await DrainAsync(output, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _encoder?.Dispose();
        _encoder = null;
        return base.DisposeAsync();
    }

    private VideoEncoder Encoder(VideoFrame frame)
    {
        if (_encoder is { } encoder)
        {
            var settings = encoder.Settings;
            if (frame.Width != settings.Width || frame.Height != settings.Height)
            {
                throw new InvalidOperationException(
                    $"block '{Name}' ({TypeName}): frame {frame.Index} is {frame.Width}x{frame.Height}, but the encoder was opened at {settings.Width}x{settings.Height} by the first frame; put a scale block before it to keep one size");
            }

            return encoder;
        }

        var codec = Options.Codec == EncodeCodec.H264 ? VideoCodec.H264 : VideoCodec.Vp8;
        _encoder = new VideoEncoder(
            new VideoEncoderSettings(codec, frame.Width, frame.Height)
            {
                Fps = Options.Fps,
                BitrateKbps = Options.BitrateKbps,
                KeyframeInterval = Options.KeyframeInterval,
                Threads = Options.Threads,
                Preset = Options.Preset,
            },
            _packets);
        return _encoder;
    }

    private async ValueTask DrainAsync(IBlockOutput<EncodedPacket> output, CancellationToken cancellationToken)
    {
        while (_encoder!.TryReceive(out var packet))
        {
            // The write hands our reference over (and the engine releases it if the write throws).
            await output.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
        }
    }
}
