using System.Collections.Immutable;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Odyssey.Pipeline;

/// <summary>How a block is run by the engine.</summary>
public enum BlockKind
{
    /// <summary>Outputs only; <see cref="SourceBlock{TOut, TOptions}"/>.</summary>
    Source,

    /// <summary>One input, one output; <see cref="TransformBlock{TIn, TOut, TOptions}"/>.</summary>
    Transform,

    /// <summary>Inputs only; <see cref="SinkBlock{TIn, TOptions}"/>.</summary>
    Sink,

    /// <summary>Declared ports, own loop; <see cref="CustomBlock{TOptions}"/>.</summary>
    Custom,
}

/// <summary>Whether a port takes or gives items.</summary>
public enum PortDirection
{
    /// <summary>Items arrive here.</summary>
    Input,

    /// <summary>Items leave from here.</summary>
    Output,
}

/// <summary>A named, typed port of a block type.</summary>
public sealed record PortDescriptor(string Name, PortDirection Direction, Type Payload, bool Required)
{
    /// <summary>An input that may close a cycle (<see cref="InputAttribute.Feedback"/>).</summary>
    public bool Feedback { get; init; }
}

/// <summary>One option of a block type, read from its options record.</summary>
public sealed record OptionDescriptor
{
    /// <summary>The name in pipeline files (camelCase of the property).</summary>
    public required string Name { get; init; }

    /// <summary>The options-record property it binds to.</summary>
    public required PropertyInfo Property { get; init; }

    /// <summary>The property type with any <see cref="Nullable{T}"/> removed.</summary>
    public required Type ValueType { get; init; }

    /// <summary>True when the file must give it (a C# <c>required</c> member or <see cref="RequiredAttribute"/>).</summary>
    public required bool Required { get; init; }

    /// <summary>True when JSON null is accepted.</summary>
    public required bool Nullable { get; init; }

    /// <summary>The value a fresh options record has.</summary>
    public object? DefaultValue { get; init; }

    /// <summary>Inclusive bounds from <see cref="RangeAttribute"/>, if any.</summary>
    public (double Minimum, double Maximum)? Range { get; init; }

    /// <summary>From <see cref="DescriptionAttribute"/>.</summary>
    public string Description { get; init; } = "";

    /// <summary>Accepted names when <see cref="ValueType"/> is an enum (kebab-case), else empty.</summary>
    public ImmutableArray<string> EnumNames { get; init; } = [];
}

/// <summary>
/// Everything the loader, the schema writer and the engine need to know about a block type,
/// read once by reflection from its class, its base shape and its options record.
/// </summary>
public sealed class BlockDescriptor
{
    private BlockDescriptor(string typeName, Type blockType, Type optionsType, BlockKind kind, BlockAttribute attribute,
        ImmutableArray<PortDescriptor> ports, ImmutableArray<OptionDescriptor> options)
    {
        TypeName = typeName;
        BlockType = blockType;
        OptionsType = optionsType;
        Kind = kind;
        Description = attribute.Description;
        ThreadSafe = attribute.ThreadSafe;
        Ports = ports;
        Options = options;
    }

    /// <summary>The name pipeline files use.</summary>
    public string TypeName { get; }

    /// <summary>The block class.</summary>
    public Type BlockType { get; }

    /// <summary>The options record class.</summary>
    public Type OptionsType { get; }

    /// <summary>How the engine runs it.</summary>
    public BlockKind Kind { get; }

    /// <summary>One line of help.</summary>
    public string Description { get; }

    /// <summary>True when <c>parallelism</c> above 1 is allowed.</summary>
    public bool ThreadSafe { get; }

    /// <summary>Inputs then outputs.</summary>
    public ImmutableArray<PortDescriptor> Ports { get; }

    /// <summary>Options in declaration order.</summary>
    public ImmutableArray<OptionDescriptor> Options { get; }

    /// <summary>The port called <paramref name="name"/> in <paramref name="direction"/>, or null.</summary>
    public PortDescriptor? FindPort(string name, PortDirection direction)
    {
        foreach (var port in Ports)
        {
            if (port.Direction == direction && port.Name == name)
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>The option called <paramref name="name"/> (exact, case-sensitive), or null.</summary>
    public OptionDescriptor? FindOption(string name)
    {
        foreach (var option in Options)
        {
            if (option.Name == name)
            {
                return option;
            }
        }

        return null;
    }

    /// <summary>Creates the block from a bound options record.</summary>
    public Block CreateBlock(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return (Block)Activator.CreateInstance(BlockType, options)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    /// <summary>A fresh options record holding every default.</summary>
    public object CreateDefaultOptions() => Activator.CreateInstance(OptionsType)!;

    /// <summary>Reads a block class. Throws <see cref="ArgumentException"/> explaining what is wrong with it.</summary>
    public static BlockDescriptor FromType(Type blockType)
    {
        ArgumentNullException.ThrowIfNull(blockType);
        var attribute = blockType.GetCustomAttribute<BlockAttribute>(inherit: false)
            ?? throw new ArgumentException($"{blockType.FullName} has no [Block(\"name\")] attribute", nameof(blockType));
        if (blockType.IsAbstract || blockType.ContainsGenericParameters)
        {
            throw new ArgumentException($"block type {blockType.FullName} must be a concrete, non-generic class", nameof(blockType));
        }

        var (kind, shapeArguments) = FindShape(blockType)
            ?? throw new ArgumentException($"{blockType.FullName} must derive from SourceBlock, TransformBlock, SinkBlock or CustomBlock", nameof(blockType));
        var optionsType = shapeArguments[^1];
        if (blockType.GetConstructor([optionsType]) is null)
        {
            throw new ArgumentException($"{blockType.FullName} needs a public constructor taking {optionsType.Name}", nameof(blockType));
        }

        if (optionsType.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new ArgumentException($"options type {optionsType.FullName} needs a public parameterless constructor", nameof(blockType));
        }

        var ports = ImmutableArray.CreateBuilder<PortDescriptor>();
        switch (kind)
        {
            case BlockKind.Source:
                ports.Add(new PortDescriptor("out", PortDirection.Output, shapeArguments[0], Required: false));
                break;
            case BlockKind.Transform:
                ports.Add(new PortDescriptor("in", PortDirection.Input, shapeArguments[0], Required: true));
                ports.Add(new PortDescriptor("out", PortDirection.Output, shapeArguments[1], Required: false));
                break;
            case BlockKind.Sink:
                ports.Add(new PortDescriptor("in", PortDirection.Input, shapeArguments[0], Required: true));
                break;
            case BlockKind.Custom:
                foreach (var input in blockType.GetCustomAttributes<InputAttribute>(inherit: false))
                {
                    ports.Add(new PortDescriptor(input.Name, PortDirection.Input, input.Payload, input.Required) { Feedback = input.Feedback });
                }

                foreach (var output in blockType.GetCustomAttributes<OutputAttribute>(inherit: false))
                {
                    ports.Add(new PortDescriptor(output.Name, PortDirection.Output, output.Payload, output.Required));
                }

                break;
        }

        var defaults = Activator.CreateInstance(optionsType)!;
        var options = ImmutableArray.CreateBuilder<OptionDescriptor>();
        foreach (var property in optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length != 0)
            {
                continue;
            }

            options.Add(DescribeOption(property, defaults));
        }

        return new BlockDescriptor(attribute.TypeName, blockType, optionsType, kind, attribute, ports.ToImmutable(), options.ToImmutable());
    }

    /// <summary>camelCase, as option names appear in pipeline files.</summary>
    public static string JsonName(string clrName) =>
        clrName.Length == 0 || char.IsLower(clrName[0]) ? clrName : char.ToLowerInvariant(clrName[0]) + clrName[1..];

    /// <summary>kebab-case, as enum values appear in pipeline files ("DropOldest" → "drop-oldest").</summary>
    public static string EnumName(string clrName)
    {
        var builder = new System.Text.StringBuilder(clrName.Length + 4);
        for (var i = 0; i < clrName.Length; i++)
        {
            var c = clrName[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(clrName[i - 1]))
            {
                builder.Append('-');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    private static OptionDescriptor DescribeOption(PropertyInfo property, object defaults)
    {
        var underlying = System.Nullable.GetUnderlyingType(property.PropertyType);
        var valueType = underlying ?? property.PropertyType;
        var nullability = new NullabilityInfoContext().Create(property);
        var range = property.GetCustomAttribute<RangeAttribute>();
        var enumNames = valueType.IsEnum ? [.. Enum.GetNames(valueType).Select(EnumName)] : ImmutableArray<string>.Empty;
        return new OptionDescriptor
        {
            Name = JsonName(property.Name),
            Property = property,
            ValueType = valueType,
            Required = property.IsDefined(typeof(RequiredMemberAttribute)) || property.IsDefined(typeof(RequiredAttribute)),
            Nullable = underlying is not null || (!valueType.IsValueType && nullability.WriteState == NullabilityState.Nullable),
            DefaultValue = property.GetValue(defaults),
            Range = range is null ? null : (Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture), Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture)),
            Description = property.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "",
            EnumNames = enumNames,
        };
    }

    private static (BlockKind Kind, Type[] Arguments)? FindShape(Type type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (!current.IsGenericType)
            {
                continue;
            }

            var definition = current.GetGenericTypeDefinition();
            BlockKind? kind = definition == typeof(SourceBlock<,>) ? BlockKind.Source
                : definition == typeof(TransformBlock<,,>) ? BlockKind.Transform
                : definition == typeof(SinkBlock<,>) ? BlockKind.Sink
                : definition == typeof(CustomBlock<>) ? BlockKind.Custom
                : null;
            if (kind is not null)
            {
                return (kind.Value, current.GetGenericArguments());
            }
        }

        return null;
    }
}
