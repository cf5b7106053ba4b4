namespace Odyssey.Pipeline.Blocks;

/// <summary>The blocks that ship with OdysseyPipeline.</summary>
public static class BuiltInBlocks
{
    /// <summary>Registers every built-in block type in <paramref name="registry"/>.</summary>
    public static BlockRegistry Register(BlockRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.RegisterAssembly(typeof(BuiltInBlocks).Assembly);
        return registry;
    }

    /// <summary>A new registry holding the built-in blocks.</summary>
    public static BlockRegistry CreateRegistry() => Register(new BlockRegistry());
}
