using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="FileSourceBlock"/>.</summary>
public sealed class FileSourceOptions : IValidatableObject
{
    /// <summary>The file to read; relative to the working directory.</summary>
    [Description("Video file to read: MP4 (.mp4, .m4v, .mov), Matroska (.mkv), WebM (.webm), IVF (.ivf) or raw H.264 Annex-B (.h264, .264); relative paths resolve against the working directory.")]
    [Required]
    public required string Path { get; init; }

    /// <summary>Frame rate that stamps raw H.264, which carries no timestamps (containers have their own).</summary>
    [Description("Frames per second for raw H.264, which carries no timestamps; other containers use their own.")]
    [Range(0.001, 1000.0)]
    public double Fps { get; init; } = MediaFileReader.DefaultRawFrameRate;

    /// <summary>Pace packets by their timestamps, as a live source would (ffmpeg -re).</summary>
    [Description("Send packets at the pace of their timestamps (like ffmpeg -re) instead of as fast as the pipeline takes them.")]
    public bool Realtime { get; init; }

    /// <summary>Start again at the end, with timestamps that keep increasing.</summary>
    [Description("Start again from 'start' at the end (or at 'stop'), forever, with timestamps that keep increasing.")]
    public bool Loop { get; init; }

    /// <summary>Seconds into the file to start at: reading begins at the keyframe at or before it.</summary>
    [Description("Seconds into the file to start at; reading begins at the keyframe at or before it (like ffmpeg -ss with -c copy).")]
    [Range(0.0, 1e9)]
    public double Start { get; init; }

    /// <summary>Seconds into the file to stop at: the first packet at or after it is not sent. Null: the end.</summary>
    [Description("Seconds into the file to stop at: the first packet at or after it ends the pass. Omit to read to the end.")]
    [Range(0.0, 1e9)]
    public double? Stop { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!MediaFileReader.SupportsPath(Path))
        {
            yield return new ValidationResult($"path \"{Path}\" has no supported extension ({MediaFileReader.SupportedExtensions})", ["path"]);
        }

        if (Stop is { } stop && stop <= Start)
        {
            yield return new ValidationResult($"stop ({stop} s) must come after start ({Start} s)", ["stop"]);
        }
    }
}

/// <summary>
/// Reads a video file's stream into encoded packets (decode them with a <c>decode</c> block). H.264 is
/// Annex-B whatever the container. Timestamps start at 0 at the first packet sent and keep increasing
/// across loops. <see cref="EncodedPacket.Index"/> counts the packets sent.
/// </summary>
/// <remarks>
/// Completion: returns after the last packet (or at <c>stop</c>) unless looping, or as soon as the
/// token fires (a stop, not a failure). A damaged or truncated file fails the block with a
/// <see cref="MediaFileException"/> naming the file, packet and byte offset.
/// </remarks>
[Block(TypeName, Description = "Reads a video file (MP4, MKV, WebM, IVF, raw H.264) into encoded packets, optionally paced, looped or trimmed.")]
public sealed class FileSourceBlock(FileSourceOptions options) : SourceBlock<EncodedPacket, FileSourceOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "file";

    private readonly EncodedPacketPool _packets = new();
    private MediaFileReader? _reader;

    /// <summary>The pool packets are rented from; tests check it comes back full.</summary>
    internal EncodedPacketPool PacketPool => _packets;

    /// <summary>The clock realtime pacing follows; tests replace it to check the pace without waiting.</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The opened file's stream (codec, size, rate); null before start.</summary>
    public VideoStreamInfo? Stream => _reader?.StreamInfo;

    /// <summary>Passes through the file so far (1 while reading it the first time).</summary>
    public long Passes { get; private set; }

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _reader = new MediaFileReader(Context.ResolvePath(Options.Path), _packets, Options.Fps);
        if (Options.Start > 0)
        {
            _reader.Seek(TimeSpan.FromSeconds(Options.Start));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override async Task ProduceAsync(IBlockOutput<EncodedPacket> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var reader = _reader ?? throw new InvalidOperationException("the block has not been started");
        var stop = Options.Stop is { } seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
        using var pace = Options.Realtime ? new PtsPacer(Clock) : null;
        var sent = 0L;

        // Output time = file time - origin + offset: origin is the first packet's time, and each loop
        // adds the length of the pass before, so timestamps never go back.
        TimeSpan? origin = null;
        var offset = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            Passes++;
            var passStart = sent;
            var first = TimeSpan.Zero;
            var last = TimeSpan.Zero;
            var step = TimeSpan.Zero;
            while (reader.TryRead(out var packet))
            {
                if (packet.Pts >= stop)
                {
                    packet.Release();
                    break;
                }

                origin ??= packet.Pts;
                if (sent == passStart)
                {
                    first = packet.Pts;
                }
                else if (packet.Pts > last)
                {
                    step = packet.Pts - last;
                }

                last = packet.Pts > last || sent == passStart ? packet.Pts : last;
                packet.Pts = packet.Pts - origin.Value + offset;
                packet.Dts = packet.Dts - origin.Value + offset;
                packet.Index = sent++;
                if (!await SendAsync(output, packet, pace, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            // A pass that sent nothing would loop forever without output.
            if (!Options.Loop || sent == passStart)
            {
                return;
            }

            var frame = step > TimeSpan.Zero ? step : TimeSpan.FromSeconds(1 / (reader.FrameRate > 0 ? reader.FrameRate : Options.Fps));
            offset += last - first + frame;
            reader.Seek(TimeSpan.FromSeconds(Options.Start));
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _reader = null;
        return base.DisposeAsync();
    }

    /// <summary>Hands the packet over (paced when asked); false when the run is stopping.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> SendAsync(IBlockOutput<EncodedPacket> output, EncodedPacket packet, PtsPacer? pace, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            packet.Release();
            return false;
        }

        try
        {
            if (pace is not null)
            {
                await pace.WaitAsync(packet.Pts, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            packet.Release();
            return false;
        }

        try
        {
            await output.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
