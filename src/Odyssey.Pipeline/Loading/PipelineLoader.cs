using System.Collections.Immutable;

namespace Odyssey.Pipeline;

/// <summary>The outcome of loading a pipeline file: a definition, or every problem found.</summary>
public sealed record PipelineLoadResult(PipelineDefinition? Definition, ImmutableArray<PipelineError> Errors)
{
    /// <summary>True when the file had no problems.</summary>
    public bool IsValid => Definition is not null && Errors.IsEmpty;
}

/// <summary>
/// Reads pipeline JSON, loads its plugins into the registry, binds options and checks the whole
/// graph before anything runs, reporting every problem with its JSON path.
/// </summary>
public static class PipelineLoader
{
    /// <summary>Loads a pipeline file; relative paths resolve against its directory.</summary>
    /// <param name="overrides"><c>block.option=value</c> settings applied over the file (the runner's <c>--set</c>).</param>
    public static PipelineLoadResult LoadFile(string path, BlockRegistry registry, IReadOnlyList<string>? overrides = null) =>
        throw new NotImplementedException();

    /// <summary>Loads pipeline JSON text.</summary>
    public static PipelineLoadResult Load(string json, BlockRegistry registry, string baseDirectory, IReadOnlyList<string>? overrides = null) =>
        throw new NotImplementedException();
}

/// <summary>Writes the JSON Schema of pipeline files for the blocks in a registry.</summary>
public static class PipelineSchema
{
    /// <summary>The schema, as indented JSON text with a trailing newline.</summary>
    public static string Generate(BlockRegistry registry) => throw new NotImplementedException();
}
