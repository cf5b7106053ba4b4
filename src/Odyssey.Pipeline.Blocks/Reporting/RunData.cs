using System.Globalization;
using System.Text.Json;

namespace Odyssey.Pipeline.Blocks;

/// <summary>One analysis record read back from a run directory: its identity and its numeric fields.</summary>
internal sealed record ReportRecord(string Kind, string Block, long Frame, double? PtsMs, Dictionary<string, double> Values, bool Cut);

/// <summary>One line of the events file: what happened, where in the stream, and its text.</summary>
internal sealed record ReportEvent(string Kind, long? Frame, double? PtsMs, DateTimeOffset? Time, string Text)
{
    /// <summary>Interactions sent to the world model get thumbnails; other events only a mark on the timeline.</summary>
    public bool IsInteraction => Kind.Contains("interact", StringComparison.OrdinalIgnoreCase)
        || Kind.Contains("prompt", StringComparison.OrdinalIgnoreCase)
        || Kind.Equals("update_acknowledged", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Everything a report shows, read from a run directory. Missing parts are noted, not fatal: a run
/// without a report sink has no graph; a run without an Odyssey source has no events.
/// </summary>
internal sealed class RunData
{
    /// <summary>Fields every record has; the rest are the measurement's own.</summary>
    private static readonly HashSet<string> CommonFields = new(StringComparer.Ordinal) { "kind", "block", "frame", "ptsMs", "captureTime" };

    private RunData(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public JsonDocument? Graph { get; private set; }

    public JsonDocument? Metrics { get; private set; }

    public List<ReportRecord> Records { get; } = [];

    public List<ReportEvent> Events { get; } = [];

    /// <summary>Frame index → thumbnail path.</summary>
    public SortedDictionary<long, string> Thumbnails { get; } = [];

    /// <summary>Problems met while reading (a malformed line, an unreadable file), shown in the report.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Reads <paramref name="directory"/>; throws <see cref="DirectoryNotFoundException"/> naming it when it is missing.</summary>
    public static RunData Load(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"run directory {full} does not exist");
        }

        var data = new RunData(full);
        data.Graph = data.ReadJson(RunDirectory.GraphFile);
        data.Metrics = data.ReadJson(RunDirectory.MetricsFile);
        var seen = new HashSet<(string Block, string Kind, long Frame)>();
        foreach (var file in System.IO.Directory.EnumerateFiles(full, "*.jsonl").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == RunDirectory.EventsFile)
            {
                continue;
            }

            data.ReadRecords(file, seen);
        }

        data.Records.Sort(static (a, b) => a.Frame != b.Frame ? a.Frame.CompareTo(b.Frame) : string.CompareOrdinal(a.Block, b.Block));
        var events = Path.Combine(full, RunDirectory.EventsFile);
        if (File.Exists(events))
        {
            data.ReadEvents(events);
        }

        var thumbnails = Path.Combine(full, RunDirectory.ThumbnailsFolder);
        if (System.IO.Directory.Exists(thumbnails))
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(thumbnails, "frame-*.jpg"))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (long.TryParse(name.AsSpan("frame-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    data.Thumbnails[index] = file;
                }
            }
        }

        return data;
    }

    private JsonDocument? ReadJson(string name)
    {
        var path = Path.Combine(Directory, name);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            Notes.Add($"{name}: not valid JSON ({e.Message})");
            return null;
        }
    }

    private void ReadRecords(string file, HashSet<(string, string, long)> seen)
    {
        var name = Path.GetFileName(file);
        var line = 0;
        var skipped = 0;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (!TryParseRecord(text, out var record))
            {
                skipped++;
                continue;
            }

            // The same record reaches the directory twice when a jsonl sink and the report sink both write it.
            if (seen.Add((record.Block, record.Kind, record.Frame)))
            {
                Records.Add(record);
            }
        }

        if (skipped > 0)
        {
            Notes.Add($"{name}: {skipped} of {line} lines are not analysis records (need kind, block and frame) and were skipped");
        }
    }

    private static bool TryParseRecord(string text, out ReportRecord record)
    {
        record = null!;
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("block", out var block) || block.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("frame", out var frame) || !frame.TryGetInt64(out var index))
            {
                return false;
            }

            double? pts = root.TryGetProperty("ptsMs", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            var cut = false;
            foreach (var property in root.EnumerateObject())
            {
                if (CommonFields.Contains(property.Name))
                {
                    continue;
                }

                if (property.Value.ValueKind == JsonValueKind.Number)
                {
                    values[property.Name] = property.Value.GetDouble();
                }
                else if (property.Name == "cut" && property.Value.ValueKind == JsonValueKind.True)
                {
                    cut = true;
                }
            }

            record = new ReportRecord(kind.GetString()!, block.GetString()!, index, pts, values, cut);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void ReadEvents(string file)
    {
        var line = 0;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    Notes.Add($"{RunDirectory.EventsFile} line {line}: not a JSON object; skipped");
                    continue;
                }

                var kind = FirstString(root, "kind", "type", "event") ?? "event";
                var textValue = FirstString(root, "prompt", "text", "message", "reason") ?? "";
                long? frame = root.TryGetProperty("frame", out var f) && f.TryGetInt64(out var index) ? index : null;
                double? pts = root.TryGetProperty("ptsMs", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
                DateTimeOffset? time = FirstString(root, "time", "timestamp", "captureTime") is { } stamp
                    && DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
                Events.Add(new ReportEvent(kind, frame, pts, time, textValue));
            }
            catch (JsonException e)
            {
                Notes.Add($"{RunDirectory.EventsFile} line {line}: not valid JSON ({e.Message}); skipped");
            }
        }
    }

    private static string? FirstString(JsonElement root, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
            {
                return value.GetString();
            }
        }

        return null;
    }
}
