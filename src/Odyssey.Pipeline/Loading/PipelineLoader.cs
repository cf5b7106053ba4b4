using System.Collections.Immutable;

namespace Odyssey.Pipeline;

/// <summary>The outcome of loading a pipeline file: a definition, or every problem found.</summary>
public sealed record PipelineLoadResult(PipelineDefinition? Definition, ImmutableArray<PipelineError> Errors)
{
    /// <summary>True when the file had no problems.</summary>
    public bool IsValid => Definition is not null && Errors.IsEmpty;

    /// <summary>The definition; throws <see cref="PipelineValidationException"/> carrying every problem when there is none.</summary>
    public PipelineDefinition EnsureValid() =>
        IsValid ? Definition! : throw new PipelineValidationException(Errors);
}

/// <summary>
/// Reads pipeline JSON, loads its plugins into the registry, binds options and checks the whole
/// graph before anything runs, reporting every problem with its JSON path.
/// </summary>
/// <remarks>The format is described in pipelines/README.md. Loading never throws for bad input: every
/// problem comes back as a <see cref="PipelineError"/>.</remarks>
public static class PipelineLoader
{
    /// <summary>Loads a pipeline file; relative paths resolve against its directory.</summary>
    /// <param name="overrides"><c>block.option=value</c> settings applied over the file (the runner's <c>--set</c>).</param>
    public static PipelineLoadResult LoadFile(string path, BlockRegistry registry, IReadOnlyList<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(registry);
        string fullPath;
        string json;
        try
        {
            fullPath = Path.GetFullPath(path);
            json = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var reason = e is FileNotFoundException or DirectoryNotFoundException ? "does not exist." : $"cannot be read: {e.Message}";
            return new PipelineLoadResult(null, [new PipelineError(PipelineRules.FileNotFound, "$", $"pipeline file \"{path}\" {reason}")]);
        }

        return Load(json, registry, Path.GetDirectoryName(fullPath)!, overrides);
    }

    /// <summary>Loads pipeline JSON text.</summary>
    public static PipelineLoadResult Load(string json, BlockRegistry registry, string baseDirectory, IReadOnlyList<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        return new PipelineReader(registry, Path.GetFullPath(baseDirectory)).Read(json, overrides ?? []);
    }
}
