using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>Settings for one run that are not part of the pipeline file.</summary>
public sealed record PipelineRunOptions
{
    /// <summary>The pool blocks rent frames from; <see cref="VideoFramePool.Shared"/> when null.</summary>
    public VideoFramePool? FramePool { get; init; }
}

/// <summary>The block that failed first, and how.</summary>
/// <param name="Block">Block name from the pipeline file.</param>
/// <param name="Phase">"start", "run" or "complete".</param>
/// <param name="Exception">The cause.</param>
public sealed record BlockFault(string Block, string Phase, Exception Exception)
{
    /// <inheritdoc />
    public override string ToString() => $"block \"{Block}\" failed during {Phase}: {Exception.Message}";
}

/// <summary>How a run ended.</summary>
/// <param name="Fault">The first failure, or null when the run succeeded.</param>
/// <param name="Stopped">True when the run was asked to stop before its sources ended.</param>
/// <param name="Metrics">Final per-block and per-link figures.</param>
public sealed record PipelineResult(BlockFault? Fault, bool Stopped, PipelineSnapshot Metrics)
{
    /// <summary>True when no block failed.</summary>
    public bool Succeeded => Fault is null;
}

/// <summary>
/// A running pipeline. <see cref="Start"/> creates the blocks and links and runs them;
/// <see cref="Stop"/> (or the stop token) asks sources to end, after which every in-flight item
/// drains and every sink finalises; a fault in any block cancels the rest and is reported once.
/// </summary>
public sealed partial class PipelineExecution
{
    /// <summary>Completes with the result when every block has ended; never faults.</summary>
    public Task<PipelineResult> Completion => throw new NotImplementedException();

    /// <summary>Creates and starts the pipeline.</summary>
    public static PipelineExecution Start(PipelineDefinition definition, PipelineRunOptions? options = null, CancellationToken stopToken = default) =>
        throw new NotImplementedException();

    /// <summary>Asks sources to stop; in-flight items still drain. Idempotent.</summary>
    public void Stop() => throw new NotImplementedException();

    /// <summary>Current figures, safe to call from any thread while running.</summary>
    public PipelineSnapshot Snapshot() => throw new NotImplementedException();
}
