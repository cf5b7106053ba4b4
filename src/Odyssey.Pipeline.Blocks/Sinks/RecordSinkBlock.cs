using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="RecordSinkBlock"/>.</summary>
public sealed class RecordSinkOptions : IValidatableObject
{
    /// <summary>The file to write; its extension picks the container; relative to the working directory.</summary>
    [Description("File to write: .mp4 (.m4v, .mov), .mkv or .webm picks the container; relative paths resolve against the working directory.")]
    [Required]
    public required string Path { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!MediaFileWriter.SupportsPath(Path))
        {
            yield return new ValidationResult($"path \"{Path}\" must end in {MediaFileWriter.SupportedExtensions}", ["path"]);
        }
    }
}

/// <summary>
/// Records encoded packets into an MP4, MKV or WebM file without re-encoding (a remux). The file is
/// written under a ".partial" name and renamed when the sink completes — on the end of the input and
/// on a stop (Ctrl+C) alike, since the engine completes every sink once — so the file under the final
/// name always plays and holds every packet received. Packets before the first keyframe are skipped.
/// </summary>
[Block(TypeName, Description = "Records encoded packets into an MP4, MKV or WebM file without re-encoding.")]
public sealed class RecordSinkBlock(RecordSinkOptions options) : SinkBlock<EncodedPacket, RecordSinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "record";

    private MediaFileWriter? _writer;

    /// <summary>Packets in the file.</summary>
    public long PacketsWritten => _writer?.PacketsWritten ?? 0;

    /// <summary>Packets skipped while waiting for the first keyframe.</summary>
    public long PacketsSkipped => _writer?.PacketsSkipped ?? 0;

    /// <summary>Set when the sink completed without writing a file, or skipped packets, saying why.</summary>
    public string? CompletionNote { get; private set; }

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _writer = new MediaFileWriter(Context.ResolvePath(Options.Path));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask ConsumeAsync(EncodedPacket item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        (_writer ?? throw new InvalidOperationException("the block has not been started")).Write(item);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_writer is not { } writer)
        {
            return ValueTask.CompletedTask;
        }

        if (!writer.Complete())
        {
            CompletionNote = $"record sink \"{Name}\": no keyframe arrived ({writer.PacketsSkipped} packet(s) skipped), so {writer.Path} was not written";
        }
        else if (writer.PacketsSkipped > 0)
        {
            CompletionNote = $"record sink \"{Name}\": {writer.PacketsSkipped} packet(s) before the first keyframe were skipped";
        }

        if (CompletionNote is not null)
        {
            Console.Error.WriteLine(CompletionNote);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        // Reached without CompleteAsync only if the engine could not finalise: the partial file stays
        // under its temporary name, never under the final one.
        _writer?.Dispose();
        _writer = null;
        return base.DisposeAsync();
    }
}
