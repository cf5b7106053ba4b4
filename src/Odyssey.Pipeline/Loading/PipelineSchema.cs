using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Odyssey.Pipeline;

/// <summary>Writes the JSON Schema of pipeline files for the blocks in a registry.</summary>
/// <remarks>
/// Draft 2020-12. Each block type gets its own options schema under <c>$defs</c>, chosen with
/// <c>if</c>/<c>then</c> on the block's <c>type</c>, so an editor completes and checks the options
/// of the type actually named. Everything is written in sorted order so the file is stable in git.
/// </remarks>
public static class PipelineSchema
{
    private const string Draft = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>A block name: the loader's name rule in regex form.</summary>
    private const string NamePattern = "[A-Za-z0-9_-]+";

    /// <summary>A chain end: a block name, optionally with ".port".</summary>
    private const string StepPattern = NamePattern + "(\\." + NamePattern + ")?";

    /// <summary>The schema, as indented JSON text with a trailing newline.</summary>
    public static string Generate(BlockRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var blocks = registry.Blocks; // sorted by type name
        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 2,
            NewLine = "\n",

            // Descriptions are prose with quotes and '<'; the schema is read by editors, not embedded in HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            w.WriteString("$schema", Draft);
            w.WriteString("title", "Odyssey pipeline");
            w.WriteString("description", "A pipeline file for odyssey-pipeline: named blocks (type and options) and the links between their ports.");
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            WriteRootProperties(w);
            w.WriteEndObject();
            WriteStrings(w, "required", ["blocks", "links"]);
            w.WriteBoolean("additionalProperties", false);

            w.WriteStartObject("$defs");
            WriteBlockDefinition(w, blocks);
            WriteCapacity(w, "capacity", "Items the link queues before its full mode applies.");
            WriteChain(w);
            WriteFullMode(w);
            WriteLinkDefinition(w);
            foreach (var block in blocks)
            {
                WriteOptions(w, block);
            }

            WritePort(w);

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static void WriteRootProperties(Utf8JsonWriter w)
    {
        w.WriteStartObject("$schema");
        w.WriteString("description", "Path or URL of this schema; ignored by the loader.");
        w.WriteString("type", "string");
        w.WriteEndObject();

        w.WriteStartObject("blocks");
        w.WriteString("description", "The blocks, by name. A name uses letters, digits, '_' and '-'.");
        w.WriteString("type", "object");
        w.WriteNumber("minProperties", 1);
        w.WriteStartObject("propertyNames");
        w.WriteString("pattern", $"^{NamePattern}$");
        w.WriteEndObject();
        w.WriteStartObject("additionalProperties");
        w.WriteString("$ref", "#/$defs/block");
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartObject("defaults");
        w.WriteString("description", "Settings for every link that does not set its own.");
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        w.WriteStartObject("capacity");
        w.WriteString("$ref", "#/$defs/capacity");
        w.WriteNumber("default", PipelineDefinition.DefaultCapacity);
        w.WriteEndObject();
        w.WriteStartObject("full");
        w.WriteString("$ref", "#/$defs/full");
        w.WriteString("default", PipelineReader.FullModeNames[0]);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteBoolean("additionalProperties", false);
        w.WriteEndObject();

        w.WriteStartObject("description");
        w.WriteString("description", "Free text about the pipeline.");
        w.WriteString("type", "string");
        w.WriteEndObject();

        w.WriteStartObject("links");
        w.WriteString("description", "Links between ports: chain strings (\"a -> b -> c\") or objects.");
        w.WriteString("type", "array");
        w.WriteStartObject("items");
        w.WriteString("$ref", "#/$defs/link");
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartObject("plugins");
        w.WriteString("description", "Assemblies with more block types, relative to the pipeline file; loaded before block types are checked.");
        w.WriteString("type", "array");
        w.WriteStartObject("items");
        w.WriteString("type", "string");
        w.WriteNumber("minLength", 1);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteBlockDefinition(Utf8JsonWriter w, IReadOnlyList<BlockDescriptor> blocks)
    {
        w.WriteStartObject("block");
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        w.WriteStartObject("options");
        w.WriteString("description", "Options of the block type; see the type's definition.");
        w.WriteString("type", "object");
        w.WriteEndObject();
        w.WriteStartObject("parallelism");
        w.WriteString("description", "Workers for a thread-safe transform; output order is kept.");
        w.WriteString("type", "integer");
        w.WriteNumber("minimum", PipelineReader.MinParallelism);
        w.WriteNumber("maximum", PipelineReader.MaxParallelism);
        w.WriteNumber("default", 1);
        w.WriteEndObject();
        w.WriteStartObject("type");
        w.WriteString("description", "The registered block type.");
        WriteStrings(w, "enum", blocks.Select(b => b.TypeName));
        w.WriteEndObject();
        w.WriteEndObject();
        WriteStrings(w, "required", ["type"]);
        w.WriteBoolean("additionalProperties", false);

        w.WriteStartArray("allOf");
        foreach (var block in blocks)
        {
            w.WriteStartObject();
            w.WriteStartObject("if");
            w.WriteStartObject("properties");
            w.WriteStartObject("type");
            w.WriteString("const", block.TypeName);
            w.WriteEndObject();
            w.WriteEndObject();
            WriteStrings(w, "required", ["type"]);
            w.WriteEndObject();

            w.WriteStartObject("then");
            if (!string.IsNullOrEmpty(block.Description))
            {
                w.WriteString("description", block.Description);
            }

            w.WriteStartObject("properties");
            w.WriteStartObject("options");
            w.WriteString("$ref", "#/$defs/" + EscapePointer(OptionsDefinitionName(block)));
            w.WriteEndObject();
            if (!(block.ThreadSafe && block.Kind == BlockKind.Transform))
            {
                // Matches the loader: only thread-safe transforms may run more than one worker.
                w.WriteStartObject("parallelism");
                w.WriteNumber("maximum", 1);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            if (block.Options.Any(o => o.Required))
            {
                WriteStrings(w, "required", ["options"]);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteOptions(Utf8JsonWriter w, BlockDescriptor block)
    {
        w.WriteStartObject(OptionsDefinitionName(block));
        w.WriteString("description", string.IsNullOrEmpty(block.Description) ? $"Options of {block.TypeName} blocks." : block.Description);
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        foreach (var option in block.Options.OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            w.WriteStartObject(option.Name);
            WriteOption(w, option);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        WriteStrings(w, "required", block.Options.Where(o => o.Required).Select(o => o.Name).Order(StringComparer.Ordinal));
        w.WriteBoolean("additionalProperties", false);
        w.WriteEndObject();
    }

    private static void WriteOption(Utf8JsonWriter w, OptionDescriptor option)
    {
        if (option.Description.Length != 0)
        {
            w.WriteString("description", option.Description);
        }

        var type = option.ValueType;
        if (type.IsEnum)
        {
            w.WriteStartArray("enum");
            foreach (var name in option.EnumNames)
            {
                w.WriteStringValue(name);
            }

            if (option.Nullable)
            {
                w.WriteNullValue();
            }

            w.WriteEndArray();
        }
        else
        {
            var jsonType = type == typeof(int) || type == typeof(long) ? "integer"
                : type == typeof(double) || type == typeof(float) ? "number"
                : type == typeof(bool) ? "boolean"
                : type == typeof(string) ? "string"
                : type == typeof(JsonElement) ? "array"
                : null;
            if (jsonType is null)
            {
                // A type the loader cannot bind either: no constraint here, the loader says what is wrong.
            }
            else if (option.Nullable)
            {
                WriteStrings(w, "type", [jsonType, "null"]);
            }
            else
            {
                w.WriteString("type", jsonType);
            }
        }

        if (OptionBinder.RefusesEmpty(option))
        {
            // The loader also refuses blank text; a schema can only say "not empty".
            w.WriteNumber("minLength", 1);
        }

        if (option.Range is { } range)
        {
            w.WriteNumber("minimum", range.Minimum);
            w.WriteNumber("maximum", range.Maximum);
        }

        switch (option.DefaultValue)
        {
            case null:
                break;
            case Enum value:
                w.WriteString("default", BlockDescriptor.EnumName(value.ToString()));
                break;
            case bool value:
                w.WriteBoolean("default", value);
                break;
            case string value:
                w.WriteString("default", value);
                break;
            case int or long:
                w.WriteNumber("default", Convert.ToInt64(option.DefaultValue, CultureInfo.InvariantCulture));
                break;
            case double or float:
                w.WriteNumber("default", Convert.ToDouble(option.DefaultValue, CultureInfo.InvariantCulture));
                break;
            default:
                break;
        }
    }

    private static void WriteCapacity(Utf8JsonWriter w, string name, string description)
    {
        w.WriteStartObject(name);
        w.WriteString("description", description);
        w.WriteString("type", "integer");
        w.WriteNumber("minimum", PipelineReader.MinCapacity);
        w.WriteNumber("maximum", PipelineReader.MaxCapacity);
        w.WriteEndObject();
    }

    private static void WriteFullMode(Utf8JsonWriter w)
    {
        w.WriteStartObject("full");
        w.WriteString("description", "What a full link does: wait (backpressure), drop-oldest or drop-newest (counted drops).");
        WriteStrings(w, "enum", PipelineReader.FullModeNames);
        w.WriteEndObject();
    }

    private static void WriteChain(Utf8JsonWriter w)
    {
        w.WriteStartObject("chain");
        w.WriteString("description", "Blocks joined by arrows: \"src -> blur -> sink\"; the ends may name ports (\"blur.out\").");
        w.WriteString("type", "string");
        // Only the ends may name a port: a middle step is both an input and an output.
        w.WriteString("pattern", $"^\\s*{StepPattern}(\\s*->\\s*{NamePattern})*\\s*->\\s*{StepPattern}\\s*$");
        w.WriteEndObject();
    }

    private static void WritePort(Utf8JsonWriter w)
    {
        w.WriteStartObject("port");
        w.WriteString("description", "A block name (its only port in that direction) or \"block.port\".");
        w.WriteString("type", "string");
        w.WriteString("pattern", $"^\\s*{StepPattern}\\s*$");
        w.WriteEndObject();
    }

    private static void WriteLinkDefinition(Utf8JsonWriter w)
    {
        w.WriteStartObject("link");
        w.WriteStartArray("oneOf");

        w.WriteStartObject();
        w.WriteString("$ref", "#/$defs/chain");
        w.WriteEndObject();

        foreach (var form in new[] { "chain", "fromTo" })
        {
            w.WriteStartObject();
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            w.WriteStartObject("capacity");
            w.WriteString("$ref", "#/$defs/capacity");
            w.WriteEndObject();
            if (form == "chain")
            {
                w.WriteStartObject("chain");
                w.WriteString("$ref", "#/$defs/chain");
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject("from");
                w.WriteString("$ref", "#/$defs/port");
                w.WriteEndObject();
            }

            w.WriteStartObject("full");
            w.WriteString("$ref", "#/$defs/full");
            w.WriteEndObject();
            if (form != "chain")
            {
                w.WriteStartObject("to");
                w.WriteString("$ref", "#/$defs/port");
                w.WriteEndObject();
            }

            w.WriteEndObject();
            WriteStrings(w, "required", form == "chain" ? ["chain"] : ["from", "to"]);
            w.WriteBoolean("additionalProperties", false);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static string OptionsDefinitionName(BlockDescriptor block) => "options." + block.TypeName;

    // "$defs" keys end up in JSON pointers ("#/$defs/options.x"); RFC 6901 §3 escapes '~' and '/'.
    private static string EscapePointer(string key) =>
        key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
