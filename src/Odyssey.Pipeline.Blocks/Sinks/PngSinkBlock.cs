using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="PngSinkBlock"/>.</summary>
public sealed class PngSinkOptions : IValidatableObject
{
    /// <summary>The placeholder for the frame index in <see cref="Pattern"/>.</summary>
    public const string IndexPlaceholder = "index";

    /// <summary>Directory for the images; created if missing; relative to the working directory.</summary>
    [Description("Directory for the images (created if missing); relative paths resolve against the working directory.")]
    [Required]
    public required string Directory { get; init; }

    /// <summary>Write every Nth arriving frame (1 = all).</summary>
    [Description("Write every Nth arriving frame, starting with the first (1 = every frame).")]
    [Range(1, int.MaxValue)]
    public int Every { get; init; } = 1;

    /// <summary>File name pattern; {index} or {index:FORMAT} is the frame index.</summary>
    [Description("File name pattern; {index} or {index:D6} is replaced by the frame index. Must end in .png.")]
    public string Pattern { get; init; } = "frame-{index:D6}.png";

    /// <summary>The pattern as a composite format with the index as argument 0.</summary>
    internal CompositeFormat ParsePattern() => CompositeFormat.Parse(Pattern.Replace("{" + IndexPlaceholder, "{0", StringComparison.Ordinal));

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        string? problem = null;
        if (!Pattern.Contains("{" + IndexPlaceholder, StringComparison.Ordinal))
        {
            problem = "pattern must contain {index} so file names differ";
        }
        else if (!Pattern.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            problem = "pattern must end in .png";
        }
        else if (Pattern.Contains('/', StringComparison.Ordinal) || Pattern.Contains('\\', StringComparison.Ordinal))
        {
            problem = "pattern is a file name; put folders in directory";
        }
        else
        {
            try
            {
                // Containing "{index" is not enough: "{{index}}" is an escaped literal and a format
                // such as "{index:yyyy}" or "{index:0,}" prints the same text for neighbouring indices,
                // so every image would overwrite the last one.
                var format = ParsePattern();
                if (string.Format(CultureInfo.InvariantCulture, format, 0L) == string.Format(CultureInfo.InvariantCulture, format, 1L))
                {
                    problem = "pattern gives the same file name for frames 0 and 1; its {index} must print the index";
                }
            }
            catch (FormatException e)
            {
                problem = $"pattern is not a valid format: {e.Message}";
            }
        }

        if (problem is not null)
        {
            yield return new ValidationResult(problem, ["pattern"]);
        }
    }
}

/// <summary>
/// Writes frames as PNG images. Each image is written under a hidden temporary folder first and then
/// renamed into place, so a reader never sees a half-written PNG.
/// </summary>
[Block(TypeName, Description = "Writes every Nth frame as a PNG image.")]
public sealed class PngSinkBlock(PngSinkOptions options) : SinkBlock<VideoFrame, PngSinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "png";

    /// <summary>Beside the images (same file system, so the rename is atomic) and hidden from listings.</summary>
    private const string StagingFolder = ".partial";

    private CompositeFormat? _pattern;
    private string _directory = "";
    private string _staging = "";
    private long _arrived;
    private readonly FrameImages _images = new();

    /// <summary>Images written so far.</summary>
    public long ImagesWritten { get; private set; }

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _pattern = Options.ParsePattern();
        _directory = Context.ResolvePath(Options.Directory);
        _staging = Path.Combine(_directory, StagingFolder);
        System.IO.Directory.CreateDirectory(_staging);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_arrived++ % Options.Every != 0)
        {
            return ValueTask.CompletedTask;
        }

        // The name is the one allocation per written image: it is a new file anyway.
        var name = string.Format(CultureInfo.InvariantCulture, _pattern!, item.Index);
        var staged = Path.Combine(_staging, name);
        VideoFrame? bgr = null;
        try
        {
            using var image = _images.ToBgr(item, Context.FramePool, ref bgr);
            if (!Cv2.ImWrite(staged, image))
            {
                throw new IOException($"png sink \"{Name}\" could not write {staged}");
            }
        }
        finally
        {
            bgr?.Release();
        }

        File.Move(staged, Path.Combine(_directory, name), overwrite: true);
        ImagesWritten++;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        RemoveStaging();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _images.Dispose();
        return base.DisposeAsync();
    }

    private void RemoveStaging()
    {
        try
        {
            if (System.IO.Directory.Exists(_staging) && !System.IO.Directory.EnumerateFileSystemEntries(_staging).Any())
            {
                System.IO.Directory.Delete(_staging);
            }
        }
        catch (IOException)
        {
            // Another writer may be using the folder; leaving an empty hidden folder is harmless.
        }
    }
}
