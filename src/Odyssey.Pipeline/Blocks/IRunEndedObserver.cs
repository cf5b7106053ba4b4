namespace Odyssey.Pipeline;

/// <summary>
/// Implemented by a block that describes the whole run (a report): the engine calls
/// <see cref="RunEndedAsync"/> once, after every block has finished running and before any is disposed,
/// with final figures. A throw is reported as the block's fault in phase "complete".
/// </summary>
public interface IRunEndedObserver
{
    /// <summary>Receives how the run went; <see cref="PipelineResult.Metrics"/> are final.</summary>
    ValueTask RunEndedAsync(PipelineResult result, CancellationToken cancellationToken);
}
