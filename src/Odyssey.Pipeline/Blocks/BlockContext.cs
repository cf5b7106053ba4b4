using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>What a running block gets from the engine: its name, shared services and its ports.</summary>
public abstract class BlockContext
{
    /// <summary>The block's name in the pipeline file.</summary>
    public abstract string Name { get; }

    /// <summary>The pool every block of this pipeline rents frames from.</summary>
    public abstract VideoFramePool FramePool { get; }

    /// <summary>The run's working directory: relative paths in options resolve against it.</summary>
    public abstract string BaseDirectory { get; }

    /// <summary>
    /// Names this run for messages that leave the process (network sinks put it in headers), so a
    /// consumer can tell runs apart: <see cref="PipelineRunOptions.RunId"/>, e.g. a job id; empty when
    /// the host gave none.
    /// </summary>
    public virtual string RunId => "";

    /// <summary>Input port <paramref name="port"/>, typed as declared.</summary>
    public abstract IBlockInput<T> GetInput<T>(string port);

    /// <summary>Output port <paramref name="port"/>, typed as declared.</summary>
    public abstract IBlockOutput<T> GetOutput<T>(string port);

    /// <summary>
    /// The whole validated pipeline this block runs in, for blocks that describe the run (report, preview);
    /// null outside an engine run (a block driven directly by a test).
    /// </summary>
    public virtual PipelineDefinition? Pipeline => null;

    /// <summary>
    /// Every block's and link's figures now, for blocks that show the run (preview, report). Cheap enough
    /// for a few calls a second, not per item: it allocates a snapshot. Empty outside an engine run.
    /// </summary>
    public virtual PipelineSnapshot GetMetrics() => new(TimeSpan.Zero, [], []);

    /// <summary>Resolves a path from an option against <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(path, BaseDirectory);
}
