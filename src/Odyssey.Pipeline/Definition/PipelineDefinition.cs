using System.Collections.Immutable;

namespace Odyssey.Pipeline;

/// <summary>What a link does when its queue is full.</summary>
public enum FullMode
{
    /// <summary>The writer waits: backpressure all the way to the source. The default.</summary>
    Wait,

    /// <summary>The oldest queued item is dropped to make room (leaky downstream, for live sources).</summary>
    DropOldest,

    /// <summary>The arriving item is dropped (leaky upstream).</summary>
    DropNewest,
}

/// <summary>A port of a named block: <c>"blur.out"</c>.</summary>
public readonly record struct PortAddress(string Block, string Port)
{
    /// <inheritdoc />
    public override string ToString() => $"{Block}.{Port}";
}

/// <summary>One validated block of a pipeline: its type, bound options record and run settings.</summary>
public sealed record BlockDefinition
{
    /// <summary>Unique name within the pipeline.</summary>
    public required string Name { get; init; }

    /// <summary>The registered block type.</summary>
    public required BlockDescriptor Descriptor { get; init; }

    /// <summary>The bound, validated options record (an instance of <see cref="BlockDescriptor.OptionsType"/>).</summary>
    public required object Options { get; init; }

    /// <summary>Workers for a transform; output order is kept. 1 unless the file says otherwise.</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>JSON path of the block in the file, for runtime messages.</summary>
    public string JsonPath { get; init; } = "";
}

/// <summary>One validated link from an output port to an input port.</summary>
public sealed record LinkDefinition
{
    /// <summary>The producing port.</summary>
    public required PortAddress From { get; init; }

    /// <summary>The consuming port.</summary>
    public required PortAddress To { get; init; }

    /// <summary>Items the link queues before its full mode applies.</summary>
    public required int Capacity { get; init; }

    /// <summary>What happens when the queue is full.</summary>
    public required FullMode Full { get; init; }

    /// <summary>JSON path of the link in the file.</summary>
    public string JsonPath { get; init; } = "";

    /// <summary>"from -> to", as metrics and messages name the link.</summary>
    public string Name => $"{From}->{To}";
}

/// <summary>A whole validated pipeline, ready to run. Immutable.</summary>
public sealed record PipelineDefinition
{
    /// <summary>Link capacity when a link does not set one: enough to absorb jitter, small enough to bound latency and memory.</summary>
    public const int DefaultCapacity = 8;

    /// <summary>Blocks in file order.</summary>
    public required ImmutableArray<BlockDefinition> Blocks { get; init; }

    /// <summary>Links in file order.</summary>
    public required ImmutableArray<LinkDefinition> Links { get; init; }

    /// <summary>Plugin assembly paths, resolved to full paths.</summary>
    public ImmutableArray<string> Plugins { get; init; } = [];

    /// <summary>Directory of the pipeline file: plugin paths resolve against it (option paths resolve against the run's working directory).</summary>
    public required string BaseDirectory { get; init; }
}
