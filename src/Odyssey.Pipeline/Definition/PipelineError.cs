namespace Odyssey.Pipeline;

/// <summary>
/// One problem found in a pipeline file. Validation yields all of them at once; nothing is thrown
/// half-way. <see cref="Path"/> is a JSON path into the file (<c>$.blocks.blur.options.kernel</c>).
/// </summary>
/// <param name="Rule">Stable machine-readable rule id, e.g. <c>unknown-option</c>.</param>
/// <param name="Path">Where in the file.</param>
/// <param name="Message">What is wrong, for a person.</param>
public sealed record PipelineError(string Rule, string Path, string Message)
{
    /// <summary>Line in the file (1-based) when known, e.g. for malformed JSON.</summary>
    public long? Line { get; init; }

    /// <summary>Column in the line (1-based) when known.</summary>
    public long? Column { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        Line is null ? $"{Path}: {Message}" : $"{Path} (line {Line}, column {Column}): {Message}";
}

/// <summary>Thrown when a pipeline file has problems; carries every one of them.</summary>
public sealed class PipelineValidationException(IReadOnlyList<PipelineError> errors)
    : Exception(errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} problems in the pipeline:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<PipelineError> Errors { get; } = errors;
}
