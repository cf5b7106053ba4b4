using System.Diagnostics.Metrics;

namespace Odyssey.Pipeline;

/// <summary>
/// Publishes a running pipeline's figures through <see cref="System.Diagnostics.Metrics"/> under the
/// meter <see cref="MeterName"/>, so any listener (dotnet-counters, OpenTelemetry, a test's
/// <see cref="MeterListener"/>) sees them. Counters and gauges are observable (read from the
/// <see cref="BlockCounters"/> and link figures when a listener asks); only the processing-time
/// histogram is recorded per item, and only while a listener has enabled it.
/// </summary>
public static class PipelineMeterNames
{
    /// <summary>The meter every pipeline run publishes under.</summary>
    public const string MeterName = "Odyssey.Pipeline";

    /// <summary>Tag naming the block a measurement belongs to.</summary>
    public const string BlockTag = "odyssey.pipeline.block";

    /// <summary>Tag naming the link ("from.port->to.port") a measurement belongs to.</summary>
    public const string LinkTag = "odyssey.pipeline.link";

    /// <summary>Items a block took from its inputs (counter).</summary>
    public const string BlockItemsIn = "odyssey.pipeline.block.items_in";

    /// <summary>Items a block wrote to its outputs, before fan-out (counter).</summary>
    public const string BlockItemsOut = "odyssey.pipeline.block.items_out";

    /// <summary>Failures of a block (counter).</summary>
    public const string BlockErrors = "odyssey.pipeline.block.errors";

    /// <summary>Time one item spent inside a block, in milliseconds (histogram; items under 10 µs are sampled, one in 64).</summary>
    public const string BlockProcessingTime = "odyssey.pipeline.block.processing_time";

    /// <summary>Items queued on a link now (gauge).</summary>
    public const string LinkQueueDepth = "odyssey.pipeline.link.queue_depth";

    /// <summary>Items that entered a link's queue (counter).</summary>
    public const string LinkTransferred = "odyssey.pipeline.link.transferred";

    /// <summary>Items a leaky link dropped (counter).</summary>
    public const string LinkDropped = "odyssey.pipeline.link.dropped";
}

/// <summary>One run's meter and instruments; disposed when the run ends.</summary>
internal sealed class PipelineMeter : IDisposable
{
    public const string BlockTag = PipelineMeterNames.BlockTag;

    private readonly Meter _meter = new(PipelineMeterNames.MeterName);
    private BlockCounters[] _blocks = [];
    private LinkRuntime[] _links = [];

    public PipelineMeter()
    {
        ProcessingTime = _meter.CreateHistogram<double>(PipelineMeterNames.BlockProcessingTime, "ms", "Time one item spent inside a block");
    }

    public Histogram<double> ProcessingTime { get; }

    /// <summary>Creates the observable instruments once every block and link exists.</summary>
    public void Observe(BlockCounters[] blocks, LinkRuntime[] links)
    {
        _blocks = blocks;
        _links = links;
        _meter.CreateObservableCounter(PipelineMeterNames.BlockItemsIn, () => ObserveBlocks(static b => b.ItemsIn), "{item}", "Items a block took from its inputs");
        _meter.CreateObservableCounter(PipelineMeterNames.BlockItemsOut, () => ObserveBlocks(static b => b.ItemsOut), "{item}", "Items a block wrote, before fan-out");
        _meter.CreateObservableCounter(PipelineMeterNames.BlockErrors, () => ObserveBlocks(static b => b.Errors), "{error}", "Failures of a block");
        _meter.CreateObservableGauge(PipelineMeterNames.LinkQueueDepth, () => ObserveLinks(static l => l.QueueDepth), "{item}", "Items queued on a link");
        _meter.CreateObservableCounter(PipelineMeterNames.LinkTransferred, () => ObserveLinks(static l => l.Transferred), "{item}", "Items that entered a link's queue");
        _meter.CreateObservableCounter(PipelineMeterNames.LinkDropped, () => ObserveLinks(static l => l.Dropped), "{item}", "Items a leaky link dropped");
    }

    public void Dispose() => _meter.Dispose();

    private Measurement<long>[] ObserveBlocks(Func<BlockCounters, long> read)
    {
        var blocks = _blocks;
        var measurements = new Measurement<long>[blocks.Length];
        for (var i = 0; i < blocks.Length; i++)
        {
            measurements[i] = new Measurement<long>(read(blocks[i]), blocks[i].Tag);
        }

        return measurements;
    }

    private Measurement<long>[] ObserveLinks(Func<LinkRuntime, long> read)
    {
        var links = _links;
        var measurements = new Measurement<long>[links.Length];
        for (var i = 0; i < links.Length; i++)
        {
            measurements[i] = new Measurement<long>(read(links[i]), new KeyValuePair<string, object?>(PipelineMeterNames.LinkTag, links[i].Name));
        }

        return measurements;
    }
}
