using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="Mp4SinkBlock"/>.</summary>
public sealed class Mp4SinkOptions : IValidatableObject
{
    /// <summary>The video file; its directory is created; relative to the working directory.</summary>
    [Description("The video file to write; relative paths resolve against the working directory.")]
    [Required]
    public required string Path { get; init; }

    /// <summary>Frame rate written into the file.</summary>
    [Description("Frame rate written into the file.")]
    [Range(0.001, 1000.0)]
    public double Fps { get; init; } = 30;

    /// <summary>Four-character codec code for OpenCV's writer ("mp4v" is always available; "avc1" needs an H.264 encoder).</summary>
    [Description("Four-character codec code for OpenCV's VideoWriter, e.g. mp4v.")]
    public string Fourcc { get; init; } = "mp4v";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Fourcc.Length != 4)
        {
            yield return new ValidationResult($"fourcc must be four characters, got \"{Fourcc}\"", ["fourcc"]);
        }

        // OpenCV picks the container from the extension (the partial name keeps it last); without
        // one the writer fails to open at the first frame, with a message that does not say why.
        if (!System.IO.Path.HasExtension(Path))
        {
            yield return new ValidationResult($"path needs a file extension that names the container (e.g. .mp4), got \"{Path}\"", ["path"]);
        }
    }
}

/// <summary>
/// Encodes frames into a video file with OpenCV's <see cref="VideoWriter"/>. The writer opens on the
/// first frame, at its size; later frames must keep that size. The file is written under a temporary
/// name and renamed into place when the sink completes, so an interrupted run never leaves a
/// half-written file under the final name. With no frames, no file is written (a note, not an error).
/// </summary>
[Block(TypeName, Description = "Encodes frames into a video file (OpenCV VideoWriter, mp4v by default).")]
public sealed class Mp4SinkBlock(Mp4SinkOptions options) : SinkBlock<VideoFrame, Mp4SinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "mp4";

    private VideoWriter? _writer;
    private Mat? _converted;
    private string _path = "";
    private int _width;
    private int _height;
    private bool _received;

    /// <summary>Frames handed to the encoder so far.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>Set when the sink completed without writing a file, saying why.</summary>
    public string? CompletionNote { get; private set; }

    /// <summary>
    /// The name written to until completion. It keeps the real extension last because OpenCV picks the
    /// container from the file name's extension.
    /// </summary>
    internal static string PartialPath(string path) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "", System.IO.Path.GetFileNameWithoutExtension(path) + ".partial" + System.IO.Path.GetExtension(path));

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _path = Context.ResolvePath(Options.Path);
        var directory = System.IO.Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        _received = true;
        if (_writer is null)
        {
            Open(item.Width, item.Height);
        }
        else if (item.Width != _width || item.Height != _height)
        {
            throw new InvalidOperationException(
                $"mp4 sink \"{Name}\": frame {item.Index} is {item.Width}x{item.Height} but the file was opened at {_width}x{_height} by the first frame; "
                + "a video keeps one size: put a \"resize\" block in front of the sink");
        }

        VideoFrame? bgr = null;
        try
        {
            using var image = ToBgr(item, ref bgr);
            _writer!.Write(image);
        }
        finally
        {
            bgr?.Release();
        }

        FramesWritten++;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            // Frames that arrived but could not open the writer already failed the run with the reason;
            // "no frames arrived" would then contradict it.
            if (!_received)
            {
                CompletionNote = $"mp4 sink \"{Name}\": no frames arrived, so {_path} was not written";
                Console.Error.WriteLine(CompletionNote);
            }

            return ValueTask.CompletedTask;
        }

        // The container's index is written when the writer is released; only then is the file whole.
        _writer.Release();
        _writer.Dispose();
        _writer = null;
        File.Move(PartialPath(_path), _path, overwrite: true);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        // Reached without CompleteAsync only if the engine could not finalise: the partial file stays
        // under its temporary name, as evidence, never under the final one.
        _writer?.Dispose();
        _writer = null;
        _converted?.Dispose();
        _converted = null;
        return base.DisposeAsync();
    }

    private void Open(int width, int height)
    {
        var partial = PartialPath(_path);
        var writer = new VideoWriter(partial, FourCC.FromString(Options.Fourcc), Options.Fps, new Size(width, height), isColor: true);
        if (!writer.IsOpened())
        {
            writer.Dispose();
            throw new IOException($"mp4 sink \"{Name}\": OpenCV could not open a {Options.Fourcc} writer for {partial} at {width}x{height}");
        }

        _writer = writer;
        _width = width;
        _height = height;
    }

    /// <summary>The encoder takes BGR: BGR24 wrapped, GRAY8/RGB24 converted by OpenCV, 4:2:0 by <see cref="PixelConverter"/>.</summary>
    private Mat ToBgr(VideoFrame frame, ref VideoFrame? bgr)
    {
        switch (frame.Format)
        {
            case PixelFormat.Bgr24:
                return FrameMats.Wrap(frame, 0);
            case PixelFormat.Gray8 or PixelFormat.Rgb24:
                _converted ??= new Mat();
                using (var source = FrameMats.Wrap(frame, 0))
                {
                    Cv2.CvtColor(source, _converted, frame.Format == PixelFormat.Gray8 ? ColorConversionCodes.GRAY2BGR : ColorConversionCodes.RGB2BGR);
                }

                return new Mat(_converted, new Rect(0, 0, _converted.Cols, _converted.Rows));
            default:
                bgr = Context.FramePool.Rent(frame.Width, frame.Height, PixelFormat.Bgr24);
                PixelConverter.Convert(frame, bgr);
                return FrameMats.Wrap(bgr, 0);
        }
    }
}
