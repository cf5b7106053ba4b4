using System.Globalization;
using System.Text.Json;

namespace Odyssey.Pipeline.Blocks;

/// <summary>What a script entry does.</summary>
internal enum ScriptAction
{
    /// <summary>Send a prompt (<c>update</c>).</summary>
    Interact,

    /// <summary>End the stream; the source then completes.</summary>
    End,
}

/// <summary>
/// One timeline entry: at a time since the stream started, or at an output frame, do an action. Time is
/// wall-clock since the first stream started (a live stream's clock); frame is the index of the packet
/// the source is about to write.
/// </summary>
internal sealed record ScriptEntry(TimeSpan? At, long? Frame, ScriptAction Action, string Prompt);

/// <summary>
/// The source's interaction script, read from the <c>script</c> option. Each entry mirrors an entry of
/// the service's simulation scripts (PROTOCOL.md §7, <c>{timestamp_ms, interact:{prompt} | end:{}}</c>)
/// and also takes the shorter pipeline form <c>{"at": seconds | "frame": n, "prompt": text | "end": true}</c>.
/// The start entry of a simulation script is the source's own <c>prompt</c> option.
/// </summary>
internal static class InteractionScript
{
    private const double MillisecondsPerSecond = 1000;

    /// <summary>Parses and checks <paramref name="script"/>: the entries ordered by when they fire, or the problems, each naming its entry.</summary>
    public static (List<ScriptEntry> Entries, List<string> Errors) Parse(JsonElement? script)
    {
        var entries = new List<ScriptEntry>();
        var errors = new List<string>();
        if (script is not { } array)
        {
            return (entries, errors);
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var where = $"script[{index}]";
            index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{where} must be an object such as {{\"at\": 2, \"prompt\": \"it starts to rain\"}}");
                continue;
            }

            var errorsBefore = errors.Count;
            TimeSpan? at = null;
            long? frame = null;
            ScriptAction? action = null;
            var prompt = "";
            foreach (var property in item.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "at" when value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds) && seconds >= 0 && double.IsFinite(seconds):
                        at = TimeSpan.FromSeconds(seconds);
                        break;
                    case "timestamp_ms" when value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var ms) && ms >= 0 && double.IsFinite(ms):
                        at = TimeSpan.FromSeconds(ms / MillisecondsPerSecond);
                        break;
                    case "frame" when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0:
                        frame = n;
                        break;
                    case "prompt" when value.ValueKind == JsonValueKind.String:
                        action = ScriptAction.Interact;
                        prompt = value.GetString()!;
                        break;
                    case "interact" when value.ValueKind == JsonValueKind.Object && value.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String:
                        action = ScriptAction.Interact;
                        prompt = p.GetString()!;
                        break;
                    case "end" when value.ValueKind is JsonValueKind.True or JsonValueKind.Object:
                        action = ScriptAction.End;
                        break;
                    case "at" or "timestamp_ms":
                        errors.Add($"{where}.{property.Name} must be a number of {(property.Name == "at" ? "seconds" : "milliseconds")} ≥ 0, not {Describe(value)}");
                        break;
                    case "frame":
                        errors.Add($"{where}.frame must be an integer ≥ 0, not {Describe(value)}");
                        break;
                    case "prompt":
                        errors.Add($"{where}.prompt must be a string, not {Describe(value)}");
                        break;
                    case "interact":
                        errors.Add($"{where}.interact must be an object with a string \"prompt\"");
                        break;
                    case "end":
                        errors.Add($"{where}.end must be true or {{}}, not {Describe(value)}");
                        break;
                    case "start":
                        errors.Add($"{where}: a \"start\" entry is the source's own \"prompt\" option; the script holds what follows it");
                        break;
                    default:
                        errors.Add($"{where} has no field \"{property.Name}\" (use \"at\" or \"timestamp_ms\" or \"frame\", and \"prompt\" or \"interact\" or \"end\")");
                        break;
                }
            }

            if (errors.Count != errorsBefore)
            {
                // One message per entry: what follows would only restate the field already named.
                continue;
            }

            if ((at is null) == (frame is null))
            {
                errors.Add($"{where} needs exactly one of \"at\" (seconds), \"timestamp_ms\" or \"frame\"");
                continue;
            }

            if (action is not { } chosen)
            {
                errors.Add($"{where} needs \"prompt\" (or \"interact\": {{\"prompt\": …}}) or \"end\"");
                continue;
            }

            if (chosen == ScriptAction.Interact && string.IsNullOrWhiteSpace(prompt))
            {
                errors.Add($"{where}.prompt must not be empty");
                continue;
            }

            entries.Add(new ScriptEntry(at, frame, chosen, prompt));
        }

        return (entries, errors);
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"\"{value.GetString()}\"",
        JsonValueKind.Number => value.GetRawText(),
        _ => value.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
