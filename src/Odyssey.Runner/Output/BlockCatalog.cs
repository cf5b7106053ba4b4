using System.Globalization;
using System.Text;
using Odyssey.Media;
using Odyssey.Pipeline;

namespace Odyssey.Runner.Output;

/// <summary>The human-readable list of block types printed by <c>odyssey-pipeline blocks</c>.</summary>
internal static class BlockCatalog
{
    public static string Describe(BlockRegistry registry)
    {
        var builder = new StringBuilder();
        foreach (var block in registry.Blocks)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{block.TypeName} ({block.Kind.ToString().ToLowerInvariant()}{(block.ThreadSafe ? ", parallel" : "")})");
            builder.AppendLine(block.Description.Length > 0 ? $" — {block.Description}" : "");
            foreach (var port in block.Ports)
            {
                var direction = port.Direction == PortDirection.Input ? "in " : "out";
                builder.AppendLine(CultureInfo.InvariantCulture, $"    {direction} {port.Name}: {PayloadName(port.Payload)}{(port.Required ? "" : " (optional)")}");
            }

            foreach (var option in block.Options)
            {
                builder.Append(CultureInfo.InvariantCulture, $"    --  {option.Name}: {TypeName(option)}");
                builder.Append(option.Required ? " (required)" : $" = {FormatValue(option.DefaultValue)}");
                if (option.Range is { } range)
                {
                    builder.Append(CultureInfo.InvariantCulture, $" [{range.Minimum}..{range.Maximum}]");
                }

                builder.AppendLine(option.Description.Length > 0 ? $"  {option.Description}" : "");
            }

            builder.AppendLine();
        }

        return builder.ToString();
    }

    /// <summary>The short names users see for payload types.</summary>
    public static string PayloadName(Type payload) =>
        payload == typeof(VideoFrame) ? "video frames"
        : payload == typeof(AnalysisRecord) ? "records"
        : payload == typeof(object) ? "anything"
        : payload.Name;

    private static string TypeName(OptionDescriptor option) =>
        option.ValueType.IsEnum ? string.Join('|', option.EnumNames)
        : option.ValueType == typeof(int) || option.ValueType == typeof(long) ? "integer"
        : option.ValueType == typeof(double) || option.ValueType == typeof(float) ? "number"
        : option.ValueType == typeof(bool) ? "boolean"
        : option.ValueType == typeof(System.Text.Json.JsonElement) ? "array"
        : "string";

    private static string FormatValue(object? value) => value switch
    {
        null => "none",
        Enum e => BlockDescriptor.EnumName(e.ToString()),
        bool b => b ? "true" : "false",
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
