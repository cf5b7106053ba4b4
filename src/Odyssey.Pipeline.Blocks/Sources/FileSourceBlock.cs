using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="FileSourceBlock"/>.</summary>
public sealed class FileSourceOptions : IValidatableObject
{
    /// <summary>The file to decode; relative to the working directory.</summary>
    [Description("Video file to decode: raw H.264 Annex-B (.h264, .264) or IVF (.ivf: VP8, VP9, AV1); relative paths resolve against the working directory.")]
    [Required]
    public required string Path { get; init; }

    /// <summary>Frame rate that stamps raw H.264, which carries no timestamps (IVF has its own).</summary>
    [Description("Frames per second for raw H.264, which carries no timestamps; IVF files use their own.")]
    [Range(0.001, 1000.0)]
    public double Fps { get; init; } = 30;

    /// <summary>Decoder threads.</summary>
    [Description("Decoder threads (1 leaves the cores to the pipeline's other blocks; 0 lets FFmpeg choose).")]
    [Range(0, 64)]
    public int Threads { get; init; } = VideoDecoder.DefaultThreads;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FileSourceBlock.ContainerOf(Path) is null)
        {
            yield return new ValidationResult($"path \"{Path}\" has no supported extension (.h264, .264 or .ivf)", ["path"]);
        }
    }
}

/// <summary>
/// Reads a video file and decodes it with FFmpeg into I420 frames (NV12 when the codec gives NV12).
/// Damaged packets are counted (<see cref="CorruptPackets"/>) and decoding resumes at the next keyframe.
/// </summary>
/// <remarks>
/// Completion: returns after the last frame is decoded (end of stream), or as soon as the token fires
/// (a stop, not a failure). A truncated IVF file fails the block with the frame and byte offset.
/// </remarks>
[Block(TypeName, Description = "Decodes a video file (raw H.264, or IVF with VP8/VP9/AV1) into frames.")]
public sealed class FileSourceBlock(FileSourceOptions options) : SourceBlock<VideoFrame, FileSourceOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "file";

    private readonly EncodedPacketPool _packets = new();
    private MediaFileReader? _reader;
    private VideoDecoder? _decoder;
    private string _path = "";

    /// <summary>Packets the decoder rejected as damaged.</summary>
    public long CorruptPackets => _decoder?.CorruptPackets ?? 0;

    internal static VideoFileContainer? ContainerOf(string path) => System.IO.Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".H264" or ".264" => VideoFileContainer.AnnexB,
        ".IVF" => VideoFileContainer.Ivf,
        _ => null,
    };

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _path = Context.ResolvePath(Options.Path);
        _reader = new MediaFileReader(_path, _packets, Options.Fps);
        _decoder = new VideoDecoder(_reader.Codec, Context.FramePool, Options.Threads);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override async Task ProduceAsync(IBlockOutput<VideoFrame> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var decoder = _decoder ?? throw new InvalidOperationException("the block has not been started");
        long index = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!TryRead(out var packet))
            {
                break;
            }

            try
            {
                decoder.Send(packet);
            }
            finally
            {
                packet.Release();
            }

            while (decoder.TryReceive(out var frame))
            {
                if (!await WriteAsync(output, frame, index++, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }

        decoder.SendEndOfStream();
        while (decoder.TryReceive(out var frame))
        {
            if (!await WriteAsync(output, frame, index++, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _decoder?.Dispose();
        _reader?.Dispose();
        return base.DisposeAsync();
    }

    private static async ValueTask<bool> WriteAsync(IBlockOutput<VideoFrame> output, VideoFrame frame, long index, CancellationToken cancellationToken)
    {
        frame.Index = index;
        frame.CaptureTime = DateTimeOffset.UtcNow;
        try
        {
            await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private bool TryRead([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EncodedPacket? packet) => _reader!.TryRead(out packet);
}

/// <summary>The file layouts <see cref="FileSourceBlock"/> reads, chosen by extension.</summary>
internal enum VideoFileContainer
{
    /// <summary>Raw H.264 with start codes.</summary>
    AnnexB,

    /// <summary>IVF: VP8, VP9 or AV1 frames with a size and pts each.</summary>
    Ivf,
}
