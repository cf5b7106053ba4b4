using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="Mp4SinkBlock"/>.</summary>
public sealed class Mp4SinkOptions : IValidatableObject
{
    /// <summary>The video file; its directory is created; relative to the working directory.</summary>
    [Description("The video file to write: .mp4 (.m4v, .mov) or .mkv; relative paths resolve against the working directory.")]
    [Required]
    public required string Path { get; init; }

    /// <summary>Frame rate written into the file: frame n is stamped n / fps.</summary>
    [Description("Frame rate written into the file: frame n is shown at n / fps seconds, whatever the frames' own timestamps.")]
    [Range(0.001, VideoEncoder.MaxFps)]
    public double Fps { get; init; } = 30;

    /// <summary>Target bit rate of the H.264 encoder.</summary>
    [Description("Target bit rate of the H.264 encoder (libx264), in kilobits per second.")]
    [Range(1, 1_000_000)]
    public int BitrateKbps { get; init; } = 2000;

    /// <summary>GOP length.</summary>
    [Description("A keyframe every this many frames (GOP length): the points a player can seek to.")]
    [Range(1, 100_000)]
    public int KeyframeInterval { get; init; } = 60;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // H.264 goes in MP4 or Matroska; WebM takes only VP8/VP9/AV1.
        if (!MediaFileWriter.SupportsPath(Path) || System.IO.Path.GetExtension(Path).Equals(".webm", StringComparison.OrdinalIgnoreCase))
        {
            yield return new ValidationResult($"path needs a file extension that names an H.264 container (.mp4, .m4v, .mov or .mkv), got \"{Path}\"", ["path"]);
        }
    }
}

/// <summary>
/// Encodes frames to H.264 (libx264, constrained baseline) and muxes them into an MP4 or MKV file with
/// FFmpeg. The encoder opens on the first frame, at its size; later frames must keep that size. The file
/// is written under a ".partial" name and renamed into place when the sink completes — at the end of the
/// input and on a stop (Ctrl+C) alike — after the encoder is drained and the index written, so the file
/// under the final name always plays and holds every frame received. With no frames, no file (a note).
/// </summary>
[Block(TypeName, Description = "Encodes frames to H.264 and writes an MP4 (or MKV) file with FFmpeg.")]
public sealed class Mp4SinkBlock(Mp4SinkOptions options) : SinkBlock<VideoFrame, Mp4SinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "mp4";

    private readonly EncodedPacketPool _packets = new();
    private VideoEncoder? _encoder;
    private MediaFileWriter? _writer;
    private string _path = "";
    private long _packetsOut;
    private bool _received;

    /// <summary>Frames handed to the encoder so far.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>Set when the sink completed without writing a file, saying why.</summary>
    public string? CompletionNote { get; private set; }

    /// <summary>The pool the encoder's packets come from (tests check it comes back full).</summary>
    internal EncodedPacketPool PacketPool => _packets;

    /// <summary>The name written to until completion: ".partial" before the extension.</summary>
    internal static string PartialPath(string path) => MediaFileWriter.PartialPathFor(path);

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _path = Context.ResolvePath(Options.Path);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        _received = true;
        var encoder = _encoder ?? Open(item);
        var settings = encoder.Settings;
        if (item.Width != settings.Width || item.Height != settings.Height)
        {
            throw new InvalidOperationException(
                $"mp4 sink \"{Name}\": frame {item.Index} is {item.Width}x{item.Height} but the file was opened at {settings.Width}x{settings.Height} by the first frame; "
                + "a video keeps one size: put a \"scale\" or \"resize\" block in front of the sink");
        }

        // The encoder converts other pixel formats to I420 itself and copies the picture.
        encoder.Send(item);
        FramesWritten++;
        Drain(encoder);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_encoder is not { } encoder || _writer is not { } writer)
        {
            // Frames that arrived but could not open the encoder already failed the run with the reason;
            // "no frames arrived" would then contradict it.
            if (!_received)
            {
                CompletionNote = $"mp4 sink \"{Name}\": no frames arrived, so {_path} was not written";
                Console.Error.WriteLine(CompletionNote);
            }

            return ValueTask.CompletedTask;
        }

        encoder.SendEndOfStream();
        Drain(encoder);
        writer.Complete();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        // Reached without CompleteAsync only if the engine could not finalise: the partial file stays
        // under its temporary name, as evidence, never under the final one.
        _encoder?.Dispose();
        _encoder = null;
        _writer?.Dispose();
        _writer = null;
        return base.DisposeAsync();
    }

    private VideoEncoder Open(VideoFrame first)
    {
        if (first.Width % 2 != 0 || first.Height % 2 != 0)
        {
            throw new InvalidOperationException(
                $"mp4 sink \"{Name}\": frame {first.Index} is {first.Width}x{first.Height}, but H.264 in 4:2:0 needs an even width and height; "
                + "put a \"scale\" or \"resize\" block in front of the sink");
        }

        var settings = new VideoEncoderSettings(VideoCodec.H264, first.Width, first.Height)
        {
            Fps = Options.Fps,
            BitrateKbps = Options.BitrateKbps,
            KeyframeInterval = Options.KeyframeInterval,
        };
        var writer = new MediaFileWriter(_path, new VideoStreamInfo(VideoCodec.H264, first.Width, first.Height) { FrameRate = Options.Fps });
        _encoder = new VideoEncoder(settings, _packets);
        _writer = writer;
        return _encoder;
    }

    private void Drain(VideoEncoder encoder)
    {
        while (encoder.TryReceive(out var packet))
        {
            try
            {
                // The file runs at the configured rate, as a camera file would, whatever the frames'
                // own timestamps (a leaky link upstream may have dropped some).
                packet.Pts = TimeSpan.FromSeconds(_packetsOut++ / Options.Fps);
                packet.Dts = packet.Pts;
                _writer!.Write(packet);
            }
            finally
            {
                packet.Release();
            }
        }
    }
}
