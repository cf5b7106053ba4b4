namespace Odyssey.Pipeline;

/// <summary>
/// Names a block type as pipeline files refer to it (<c>"type": "gaussianBlur"</c>). Put it on a
/// non-abstract class derived from <see cref="SourceBlock{TOut, TOptions}"/>,
/// <see cref="TransformBlock{TIn, TOut, TOptions}"/>, <see cref="SinkBlock{TIn, TOptions}"/> or
/// <see cref="CustomBlock{TOptions}"/>. Plugin types should carry a prefix ("acme.edgeDensity").
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class BlockAttribute(string typeName) : Attribute
{
    /// <summary>The type name used in pipeline files.</summary>
    public string TypeName { get; } = typeName;

    /// <summary>One line for <c>odyssey-pipeline blocks</c> and the JSON Schema.</summary>
    public string Description { get; init; } = "";

    /// <summary>
    /// True when one instance may process several items at once, so <c>parallelism</c> above 1 is
    /// allowed. Leave false for blocks that keep state between items (the previous frame, a file).
    /// </summary>
    public bool ThreadSafe { get; init; }
}

/// <summary>Declares an extra input port on a <see cref="CustomBlock{TOptions}"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute(string name, Type payload) : Attribute
{
    /// <summary>Port name, as in <c>"block.port"</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Accepted payload type; an output feeding it must produce this type or a subtype.</summary>
    public Type Payload { get; } = payload;

    /// <summary>False when the block runs without this port connected.</summary>
    public bool Required { get; init; } = true;

    /// <summary>
    /// True for a feedback input: links into it may close a cycle (analysis steering the source that
    /// feeds it). The block must keep reading it while it writes, and must not wait for it to complete
    /// before it ends: it completes only after the block's own outputs have drained round the loop.
    /// A block whose only inputs are feedback inputs is stopped like a source (Ctrl+C ends it).
    /// </summary>
    public bool Feedback { get; init; }
}

/// <summary>Declares an extra output port on a <see cref="CustomBlock{TOptions}"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class OutputAttribute(string name, Type payload) : Attribute
{
    /// <summary>Port name, as in <c>"block.port"</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Produced payload type.</summary>
    public Type Payload { get; } = payload;

    /// <summary>True when the block is pointless without this port connected.</summary>
    public bool Required { get; init; }
}
