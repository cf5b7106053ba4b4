using System.Collections.Immutable;

namespace Odyssey.Pipeline;

/// <summary>Figures for one block at one moment.</summary>
public sealed record BlockMetrics
{
    /// <summary>Block name.</summary>
    public required string Name { get; init; }

    /// <summary>Block type name.</summary>
    public required string Type { get; init; }

    /// <summary>Items taken from inputs.</summary>
    public long ItemsIn { get; init; }

    /// <summary>Items written to outputs (before fan-out).</summary>
    public long ItemsOut { get; init; }

    /// <summary>Output items per second over the last measuring window (input items for sinks).</summary>
    public double ItemsPerSecond { get; init; }

    /// <summary>Median time per item inside the block, in milliseconds.</summary>
    public double ProcessingP50Ms { get; init; }

    /// <summary>99th percentile time per item inside the block, in milliseconds.</summary>
    public double ProcessingP99Ms { get; init; }

    /// <summary>
    /// Failures in the block: usually 0 or 1, as the first fault stops the graph (a sink that fails
    /// while consuming and again while finalising counts 2; only the pipeline's first is its fault).
    /// </summary>
    public long Errors { get; init; }

    /// <summary>
    /// Items bound for this block that it never processed: queued in its internal stages when the run
    /// aborted, or arriving after a custom block returned without draining its inputs. Each was released.
    /// </summary>
    public long ItemsDiscarded { get; init; }
}

/// <summary>Figures for one link at one moment.</summary>
public sealed record LinkMetrics
{
    /// <summary>"from.port->to.port".</summary>
    public required string Name { get; init; }

    /// <summary>Queue capacity.</summary>
    public int Capacity { get; init; }

    /// <summary>Full mode.</summary>
    public FullMode Full { get; init; }

    /// <summary>Items queued now.</summary>
    public int QueueDepth { get; init; }

    /// <summary>Items that entered the queue.</summary>
    public long Transferred { get; init; }

    /// <summary>Items dropped by a leaky full mode.</summary>
    public long Dropped { get; init; }

    /// <summary>
    /// Items that were queued on, or being written to, this link when the run aborted after a fault,
    /// or whose write the writer cancelled with a token of its own; each was released unprocessed.
    /// 0 after a successful or stopped run of blocks that write with the token the engine gave them.
    /// </summary>
    public long Discarded { get; init; }
}

/// <summary>Every block's and link's figures at one moment.</summary>
public sealed record PipelineSnapshot(TimeSpan Elapsed, ImmutableArray<BlockMetrics> Blocks, ImmutableArray<LinkMetrics> Links);
