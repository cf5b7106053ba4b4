namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="NullSinkBlock"/> (none).</summary>
public sealed class NullSinkOptions
{
}

/// <summary>Accepts any payload and counts it: the end of a pipeline run for its metrics or side effects.</summary>
[Block(TypeName, Description = "Discards any payload, counting items.")]
public sealed class NullSinkBlock(NullSinkOptions options) : SinkBlock<object, NullSinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "null";

    private long _count;

    /// <summary>Items received so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <inheritdoc />
    protected override ValueTask ConsumeAsync(object item, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return ValueTask.CompletedTask;
    }
}
