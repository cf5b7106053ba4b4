using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Odyssey.Pipeline;

/// <summary>One block of the file while it is being read: what is known so far and how it is linked.</summary>
internal sealed class BlockEntry(string name, string path, int index, JsonElement element)
{
    public string Name { get; } = name;

    public string Path { get; } = path;

    /// <summary>Position in the file, so checks that walk the graph report in file order.</summary>
    public int Index { get; } = index;

    public JsonElement Element { get; } = element;

    /// <summary>Null when the type is missing or unknown (already reported): checks that need ports skip the block.</summary>
    public BlockDescriptor? Descriptor { get; set; }

    /// <summary>The bound options record; null when binding failed.</summary>
    public object? Options { get; set; }

    public int Parallelism { get; set; } = 1;

    /// <summary><c>--set</c> values for this block, in command-line order.</summary>
    public List<OptionOverride> Overrides { get; } = [];

    /// <summary>True once any link names the block, even one that failed to resolve.</summary>
    public bool Mentioned { get; set; }

    /// <summary>True when a link naming this block failed on a port: "not connected" would then only repeat that error.</summary>
    public bool HasPortProblem { get; set; }

    /// <summary><c>block "blur" (gaussianBlur)</c>: how messages name the block.</summary>
    public string Label => Descriptor is null ? $"block \"{Name}\"" : $"block \"{Name}\" ({Descriptor.TypeName})";
}

/// <summary>A <c>--set block.option=value</c> parsed: the value as JSON and where on the command line it came from.</summary>
internal readonly record struct OptionOverride(string Option, JsonElement Value, string Path);

/// <summary>
/// Reads one pipeline document. Every check appends to <see cref="Errors"/> and carries on, so a file
/// with several problems reports them all; a definition is built only when the list stays empty.
/// </summary>
internal sealed class PipelineReader
{
    /// <summary>Bounds on a link's queue: at least one item must fit; beyond 64 Ki items a link is a memory leak, not a buffer.</summary>
    public const int MinCapacity = 1;

    /// <inheritdoc cref="MinCapacity"/>
    public const int MaxCapacity = 65536;

    /// <summary>Worker bounds: more workers than this only contend for the cores they share.</summary>
    public const int MinParallelism = 1;

    /// <inheritdoc cref="MinParallelism"/>
    public const int MaxParallelism = 64;

    /// <summary>Full-mode names as files write them, in <see cref="FullMode"/> order.</summary>
    public static readonly ImmutableArray<string> FullModeNames = ["wait", "drop-oldest", "drop-newest"];

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // Pipeline files are written by hand: comments explain choices, and a trailing comma is not worth an error.
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static readonly string[] RootProperties = ["$schema", "description", "defaults", "plugins", "blocks", "links"];
    private static readonly string[] DefaultsProperties = ["capacity", "full"];
    private static readonly string[] BlockProperties = ["type", "options", "parallelism"];

    private readonly BlockRegistry _registry;
    private readonly string _baseDirectory;
    private readonly List<BlockEntry> _blocks = [];
    private readonly Dictionary<string, BlockEntry> _blocksByName = new(StringComparer.Ordinal);
    private readonly List<string> _plugins = [];
    private int _defaultCapacity = PipelineDefinition.DefaultCapacity;
    private FullMode _defaultFull = FullMode.Wait;

    public PipelineReader(BlockRegistry registry, string baseDirectory)
    {
        _registry = registry;
        _baseDirectory = baseDirectory;
    }

    public List<PipelineError> Errors { get; } = [];

    public IReadOnlyList<BlockEntry> Blocks => _blocks;

    public IReadOnlyDictionary<string, BlockEntry> BlocksByName => _blocksByName;

    /// <summary>False when "blocks" is missing or not an object: links then cannot be checked without repeating that error.</summary>
    public bool HasBlocks { get; private set; }

    public int DefaultCapacity => _defaultCapacity;

    public FullMode DefaultFull => _defaultFull;

    public PipelineLoadResult Read(string json, IReadOnlyList<string> overrides)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            Errors.Add(new PipelineError(PipelineRules.MalformedJson, JsonPaths.Root, $"the file is not valid JSON: {TrimPosition(e.Message)}")
            {
                Line = e.LineNumber + 1,
                Column = e.BytePositionInLine + 1,
            });
            return Result(null);
        }
        catch (ArgumentException e)
        {
            // Text that cannot even be transcoded to UTF-8 (a lone surrogate) never reaches the JSON reader.
            Errors.Add(new PipelineError(PipelineRules.MalformedJson, JsonPaths.Root, $"the file is not valid JSON: {e.Message}"));
            return Result(null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (!CheckStrings(root, JsonPaths.Root))
            {
                return Result(null);
            }

            var linksElement = ReadRoot(root, overrides);
            var links = new LinkReader(this).Read(linksElement);
            if (Errors.Count != 0)
            {
                return Result(null);
            }

            return Result(BuildDefinition(links));
        }
    }

    public void Add(string rule, string path, string message) => Errors.Add(new PipelineError(rule, path, message));

    /// <summary>
    /// Reads an object's members once: the first of a repeated name wins (the repeat is reported, as
    /// JsonDocument keeps both) and names outside <paramref name="known"/> are reported with a hint.
    /// </summary>
    public Dictionary<string, JsonProperty> ReadMembers(JsonElement element, string path, string subject, string[] known)
    {
        var members = new Dictionary<string, JsonProperty>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var memberPath = JsonPaths.Member(path, property.Name);
            if (Array.IndexOf(known, property.Name) < 0)
            {
                Add(PipelineRules.UnknownProperty, memberPath, $"{subject} has no property \"{property.Name}\"{NearNames.Hint(property.Name, known)}");
            }
            else if (!members.TryAdd(property.Name, property))
            {
                Add(PipelineRules.DuplicateProperty, memberPath, $"{subject} sets \"{property.Name}\" more than once; give it once.");
            }
        }

        return members;
    }

    /// <summary>Reads a queue capacity (defaults or a link); null when absent or wrong (reported).</summary>
    public int? ReadCapacity(JsonElement value, string path, string subject)
    {
        if (value.ValueKind != JsonValueKind.Number || !IsIntegral(value, out var number))
        {
            Add(PipelineRules.WrongType, path, $"{subject} must be an integer, not {JsonPaths.Describe(value)}.");
            return null;
        }

        if (number < MinCapacity || number > MaxCapacity)
        {
            Add(PipelineRules.OutOfRange, path, $"{subject} must be from {MinCapacity} to {MaxCapacity}, not {JsonPaths.Describe(value)}.");
            return null;
        }

        return (int)number;
    }

    /// <summary>Reads a full mode name; null when absent or wrong (reported).</summary>
    public FullMode? ReadFull(JsonElement value, string path, string subject)
    {
        var index = value.ValueKind == JsonValueKind.String ? FullModeNames.IndexOf(value.GetString()!) : -1;
        if (index >= 0)
        {
            return (FullMode)index;
        }

        var rule = value.ValueKind == JsonValueKind.String ? PipelineRules.InvalidValue : PipelineRules.WrongType;
        Add(rule, path, $"{subject} must be one of {JsonPaths.QuoteList(FullModeNames)}, not {JsonPaths.Describe(value)}.");
        return null;
    }

    /// <summary>True when a JSON number is a whole number (1, 1.0, 1e3); <paramref name="number"/> gets its value.</summary>
    public static bool IsIntegral(JsonElement value, out double number)
    {
        if (value.TryGetInt64(out var whole))
        {
            number = whole;
            return true;
        }

        return value.TryGetDouble(out number) && double.IsFinite(number) && Math.Floor(number) == number;
    }

    /// <summary>Block names must be usable in "block.port" and chains: letters, digits, '_' and '-'.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    private PipelineLoadResult Result(PipelineDefinition? definition) => new(definition, [.. Errors]);

    /// <summary>Reads everything but the links; returns the links array for <see cref="LinkReader"/>, if there is one.</summary>
    private JsonElement? ReadRoot(JsonElement root, IReadOnlyList<string> overrides)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            Add(PipelineRules.WrongType, JsonPaths.Root, $"a pipeline must be a JSON object with \"blocks\" and \"links\", not {JsonPaths.Describe(root)}.");
            return null;
        }

        var members = ReadMembers(root, JsonPaths.Root, "the pipeline", RootProperties);
        if (members.TryGetValue("description", out var description) && description.Value.ValueKind != JsonValueKind.String)
        {
            Add(PipelineRules.WrongType, "$.description", $"\"description\" must be a string, not {JsonPaths.Describe(description.Value)}.");
        }

        if (members.TryGetValue("defaults", out var defaults))
        {
            ReadDefaults(defaults.Value);
        }

        // Plugins first: the blocks they register must be known before block types are checked.
        if (members.TryGetValue("plugins", out var plugins))
        {
            LoadPlugins(plugins.Value);
        }

        if (!members.TryGetValue("blocks", out var blocks))
        {
            Add(PipelineRules.MissingProperty, JsonPaths.Root, "the pipeline has no \"blocks\" object; name at least one block.");
        }
        else
        {
            ReadBlockNames(blocks.Value);
        }

        ReadOverrides(overrides);
        var binder = new OptionBinder(this);
        foreach (var block in _blocks)
        {
            ReadBlock(block, binder);
        }

        if (!members.TryGetValue("links", out var links))
        {
            Add(PipelineRules.MissingProperty, JsonPaths.Root, "the pipeline has no \"links\" array; link the blocks' ports.");
            return null;
        }

        return links.Value;
    }

    private void ReadDefaults(JsonElement defaults)
    {
        const string path = "$.defaults";
        if (defaults.ValueKind != JsonValueKind.Object)
        {
            Add(PipelineRules.WrongType, path, $"\"defaults\" must be an object, not {JsonPaths.Describe(defaults)}.");
            return;
        }

        var members = ReadMembers(defaults, path, "\"defaults\"", DefaultsProperties);
        if (members.TryGetValue("capacity", out var capacity) && ReadCapacity(capacity.Value, "$.defaults.capacity", "the default capacity") is { } c)
        {
            _defaultCapacity = c;
        }

        if (members.TryGetValue("full", out var full) && ReadFull(full.Value, "$.defaults.full", "the default full mode") is { } f)
        {
            _defaultFull = f;
        }
    }

    private void LoadPlugins(JsonElement plugins)
    {
        const string path = "$.plugins";
        if (plugins.ValueKind != JsonValueKind.Array)
        {
            Add(PipelineRules.WrongType, path, $"\"plugins\" must be an array of assembly paths, not {JsonPaths.Describe(plugins)}.");
            return;
        }

        var index = 0;
        foreach (var plugin in plugins.EnumerateArray())
        {
            var pluginPath = JsonPaths.Index(path, index++);
            if (plugin.ValueKind != JsonValueKind.String || plugin.GetString()!.Length == 0)
            {
                Add(PipelineRules.WrongType, pluginPath, $"a plugin must be a path to an assembly, not {JsonPaths.Describe(plugin)}.");
                continue;
            }

            var relative = plugin.GetString()!;
            string fullPath;
            try
            {
                fullPath = System.IO.Path.GetFullPath(relative, _baseDirectory);
            }
            catch (ArgumentException e)
            {
                Add(PipelineRules.PluginNotFound, pluginPath, $"plugin \"{relative}\" is not a usable path: {e.Message}");
                continue;
            }

            if (!File.Exists(fullPath))
            {
                Add(PipelineRules.PluginNotFound, pluginPath, $"plugin \"{relative}\" was not found (looked for {fullPath}).");
                continue;
            }

            try
            {
                _registry.LoadPlugin(fullPath);
                _plugins.Add(fullPath);
            }
#pragma warning disable CA1031 // whatever a foreign assembly throws while loading is reported, not rethrown
            catch (Exception e)
#pragma warning restore CA1031
            {
                Add(PipelineRules.PluginLoadFailed, pluginPath, $"plugin \"{relative}\" could not be loaded: {e.Message}");
            }
        }
    }

    private void ReadBlockNames(JsonElement blocks)
    {
        const string path = "$.blocks";
        if (blocks.ValueKind != JsonValueKind.Object)
        {
            Add(PipelineRules.WrongType, path, $"\"blocks\" must be an object mapping block names to blocks, not {JsonPaths.Describe(blocks)}.");
            return;
        }

        HasBlocks = true;
        foreach (var property in blocks.EnumerateObject())
        {
            var name = property.Name;
            var blockPath = JsonPaths.Member(path, name);
            if (!IsValidName(name))
            {
                Add(PipelineRules.InvalidName, blockPath, $"block name \"{name}\" may use only letters, digits, '_' and '-', and must not be empty.");
            }

            if (_blocksByName.ContainsKey(name))
            {
                Add(PipelineRules.DuplicateBlock, blockPath, $"block \"{name}\" is defined more than once; block names must be unique.");
                continue;
            }

            var entry = new BlockEntry(name, blockPath, _blocks.Count, property.Value);
            _blocks.Add(entry);
            _blocksByName.Add(name, entry);
        }

        if (_blocks.Count == 0)
        {
            Add(PipelineRules.MissingProperty, path, "\"blocks\" is empty; a pipeline needs at least one block.");
        }
    }

    private void ReadOverrides(IReadOnlyList<string> overrides)
    {
        for (var i = 0; i < overrides.Count; i++)
        {
            var text = overrides[i] ?? "";
            var path = string.Create(CultureInfo.InvariantCulture, $"--set[{i}]");
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? "" : text[..equals].Trim();
            var dot = key.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || dot == key.Length - 1)
            {
                Add(PipelineRules.InvalidOverride, path, $"--set \"{text}\" is not of the form block.option=value.");
                continue;
            }

            var blockName = key[..dot];
            if (!_blocksByName.TryGetValue(blockName, out var block))
            {
                Add(PipelineRules.InvalidOverride, path, $"--set \"{text}\" names block \"{blockName}\", which the pipeline does not define{NearNames.Hint(blockName, _blocksByName.Keys)}");
                continue;
            }

            block.Overrides.Add(new OptionOverride(key[(dot + 1)..], ParseOverrideValue(text[(equals + 1)..]), path));
        }
    }

    /// <summary>JSON when the text parses as JSON (5, true, "x"), else the text itself as a string (bars, out.mp4).</summary>
    private static JsonElement ParseOverrideValue(string text)
    {
        try
        {
            using var parsed = JsonDocument.Parse(text);
            return parsed.RootElement.Clone();
        }
        catch (JsonException)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStringValue(text);
            }

            using var quoted = JsonDocument.Parse(buffer.WrittenMemory);
            return quoted.RootElement.Clone();
        }
    }

    private void ReadBlock(BlockEntry block, OptionBinder binder)
    {
        var element = block.Element;
        if (element.ValueKind != JsonValueKind.Object)
        {
            Add(PipelineRules.WrongType, block.Path, $"block \"{block.Name}\" must be an object with a \"type\", not {JsonPaths.Describe(element)}.");
            return;
        }

        var members = ReadMembers(element, block.Path, $"block \"{block.Name}\"", BlockProperties);
        if (!members.TryGetValue("type", out var type))
        {
            Add(PipelineRules.MissingProperty, block.Path, $"block \"{block.Name}\" has no \"type\"; say which block type it is.");
        }
        else if (type.Value.ValueKind != JsonValueKind.String)
        {
            Add(PipelineRules.WrongType, block.Path + ".type", $"the type of block \"{block.Name}\" must be a string, not {JsonPaths.Describe(type.Value)}.");
        }
        else if (_registry.TryGet(type.Value.GetString()!, out var descriptor))
        {
            block.Descriptor = descriptor;
        }
        else
        {
            var typeName = type.Value.GetString()!;
            var near = NearNames.Find(typeName, _registry.Blocks.Select(b => b.TypeName));
            var hint = near.Count == 0
                ? "; \"odyssey-pipeline blocks\" lists the registered types."
                : $"; did you mean {string.Join(" or ", near.Select(n => $"\"{n}\""))}?";
            Add(PipelineRules.UnknownBlockType, block.Path + ".type", $"block \"{block.Name}\" has unknown type \"{typeName}\"{hint}");
        }

        members.TryGetValue("options", out var options);
        var hasOptions = members.ContainsKey("options");
        if (hasOptions && options.Value.ValueKind != JsonValueKind.Object)
        {
            Add(PipelineRules.WrongType, block.Path + ".options", $"the options of {block.Label} must be an object, not {JsonPaths.Describe(options.Value)}.");
        }
        else if (block.Descriptor is not null)
        {
            block.Options = binder.Bind(block, hasOptions ? options.Value : null);
        }

        if (members.TryGetValue("parallelism", out var parallelism))
        {
            ReadParallelism(block, parallelism.Value);
        }
    }

    private void ReadParallelism(BlockEntry block, JsonElement value)
    {
        var path = block.Path + ".parallelism";
        if (value.ValueKind != JsonValueKind.Number)
        {
            Add(PipelineRules.WrongType, path, $"the parallelism of {block.Label} must be an integer, not {JsonPaths.Describe(value)}.");
            return;
        }

        if (!IsIntegral(value, out var number) || number < MinParallelism || number > MaxParallelism)
        {
            Add(PipelineRules.InvalidParallelism, path, $"the parallelism of {block.Label} must be an integer from {MinParallelism} to {MaxParallelism}, not {JsonPaths.Describe(value)}.");
            return;
        }

        var workers = (int)number;
        if (workers > 1 && block.Descriptor is { } descriptor)
        {
            if (descriptor.Kind != BlockKind.Transform)
            {
                Add(PipelineRules.InvalidParallelism, path, $"{block.Label} cannot run with parallelism {workers}: only transform blocks run in parallel.");
                return;
            }

            if (!descriptor.ThreadSafe)
            {
                Add(PipelineRules.InvalidParallelism, path, $"{block.Label} cannot run with parallelism {workers}: its type is not marked thread-safe (it keeps state between items).");
                return;
            }
        }

        block.Parallelism = workers;
    }

    /// <summary>
    /// Checks every string and member name can be read as text (a JSON escape can encode a lone
    /// surrogate, which JsonElement.GetString refuses), so later checks may read them freely.
    /// </summary>
    private bool CheckStrings(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                if (!Readable(element))
                {
                    Add(PipelineRules.MalformedJson, path, "the string here holds an invalid \\u escape (a lone UTF-16 surrogate).");
                    return false;
                }

                return true;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        Add(PipelineRules.MalformedJson, path, "a property name here holds an invalid \\u escape (a lone UTF-16 surrogate).");
                        return false;
                    }

                    if (!CheckStrings(property.Value, JsonPaths.Member(path, name)))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (!CheckStrings(item, JsonPaths.Index(path, i++)))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }

        static bool Readable(JsonElement value)
        {
            try
            {
                _ = value.GetString();
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    private PipelineDefinition BuildDefinition(List<LinkDefinition> links)
    {
        var blocks = ImmutableArray.CreateBuilder<BlockDefinition>(_blocks.Count);
        foreach (var block in _blocks)
        {
            blocks.Add(new BlockDefinition
            {
                Name = block.Name,
                Descriptor = block.Descriptor!,
                Options = block.Options!,
                Parallelism = block.Parallelism,
                JsonPath = block.Path,
            });
        }

        return new PipelineDefinition
        {
            Blocks = blocks.MoveToImmutable(),
            Links = [.. links],
            Plugins = [.. _plugins],
            BaseDirectory = _baseDirectory,
        };
    }

    // JsonException messages end with " LineNumber: 2 | BytePositionInLine: 10."; the error carries those as Line/Column.
    private static string TrimPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = (at < 0 ? message : message[..at]).TrimEnd();
        var builder = new StringBuilder(text);
        if (builder.Length > 0 && builder[^1] != '.')
        {
            builder.Append('.');
        }

        return builder.ToString();
    }
}
