using System.Reflection;
using System.Runtime.Loader;

namespace Odyssey.Pipeline;

/// <summary>
/// The block types a pipeline may name: the built-in ones, those of any assembly registered, and
/// plugins loaded from files. Not thread-safe while being filled; read-only use afterwards is.
/// </summary>
public sealed class BlockRegistry
{
    private readonly Dictionary<string, BlockDescriptor> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Assembly> _pluginsByPath = new(StringComparer.Ordinal);

    /// <summary>Registered block types, sorted by name.</summary>
    public IReadOnlyList<BlockDescriptor> Blocks => [.. _byName.Values.OrderBy(b => b.TypeName, StringComparer.Ordinal)];

    /// <summary>Registers one block class.</summary>
    public BlockDescriptor Register(Type blockType)
    {
        var descriptor = BlockDescriptor.FromType(blockType);
        if (_byName.TryGetValue(descriptor.TypeName, out var existing) && existing.BlockType != blockType)
        {
            throw new ArgumentException($"block type \"{descriptor.TypeName}\" is defined twice: by {existing.BlockType.FullName} and {blockType.FullName}", nameof(blockType));
        }

        _byName[descriptor.TypeName] = descriptor;
        return descriptor;
    }

    /// <summary>Registers every class carrying <see cref="BlockAttribute"/> in <paramref name="assembly"/>.</summary>
    public void RegisterAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.IsDefined(typeof(BlockAttribute), inherit: false))
            {
                Register(type);
            }
        }
    }

    /// <summary>
    /// Loads a plugin assembly from <paramref name="path"/> and registers its blocks. The plugin shares
    /// this process's Odyssey assemblies, so its blocks derive from the same base classes.
    /// Loading the same file twice is a no-op.
    /// </summary>
    public void LoadPlugin(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (_pluginsByPath.ContainsKey(fullPath))
        {
            return;
        }

        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(fullPath);
        RegisterAssembly(assembly);
        _pluginsByPath[fullPath] = assembly;
    }

    /// <summary>Looks up a block type by its pipeline-file name.</summary>
    public bool TryGet(string typeName, out BlockDescriptor descriptor) => _byName.TryGetValue(typeName, out descriptor!);
}
