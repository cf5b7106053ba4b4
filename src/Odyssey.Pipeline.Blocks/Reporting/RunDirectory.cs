using System.Text.Json;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// The files a run leaves in its run directory for <see cref="RunReport"/>: the graph, the final metrics,
/// analysis records (any <c>*.jsonl</c>), thumbnails and, from an Odyssey source, an events file.
/// Every file is written beside its final name and renamed, so a reader never sees half of one.
/// </summary>
public static class RunDirectory
{
    /// <summary>The pipeline's blocks and links.</summary>
    public const string GraphFile = "graph.json";

    /// <summary>The run's final figures, in the format of <c>--metrics-out</c>.</summary>
    public const string MetricsFile = "metrics.json";

    /// <summary>Interactions and stream events, one JSON object per line (written by the Odyssey source).</summary>
    public const string EventsFile = "events.jsonl";

    /// <summary>JPEG thumbnails named <c>frame-NNNNNN.jpg</c> by frame index.</summary>
    public const string ThumbnailsFolder = "thumbnails";

    /// <summary>The report's default name.</summary>
    public const string ReportFile = "report.html";

    /// <summary>Writes <see cref="GraphFile"/> for <paramref name="definition"/> into <paramref name="directory"/>.</summary>
    public static Task WriteGraphAsync(string directory, PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return WriteJsonAsync(Path.Combine(directory, GraphFile), writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("blocks");
            foreach (var block in definition.Blocks)
            {
                writer.WriteStartObject();
                writer.WriteString("name", block.Name);
                writer.WriteString("type", block.Descriptor.TypeName);
                writer.WriteString("kind", BlockDescriptor.EnumName(block.Descriptor.Kind.ToString()));
                writer.WriteNumber("parallelism", block.Parallelism);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("links");
            foreach (var link in definition.Links)
            {
                writer.WriteStartObject();
                writer.WriteString("from", link.From.ToString());
                writer.WriteString("to", link.To.ToString());
                writer.WriteNumber("capacity", link.Capacity);
                writer.WriteString("full", BlockDescriptor.EnumName(link.Full.ToString()));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    /// <summary>Writes <paramref name="result"/> as metrics JSON to <paramref name="path"/> (the <c>--metrics-out</c> format).</summary>
    public static Task WriteMetricsAsync(string path, PipelineResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return WriteJsonAsync(path, writer => WriteMetrics(writer, result));
    }

    /// <summary>The metrics JSON of <paramref name="result"/>: outcome, fault, elapsed time, every block and link.</summary>
    public static void WriteMetrics(Utf8JsonWriter writer, PipelineResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var snapshot = result.Metrics;
        writer.WriteStartObject();
        writer.WriteString("outcome", result.Fault is not null ? "failed" : result.Stopped ? "stopped" : "completed");
        if (result.Fault is { } fault)
        {
            writer.WriteStartObject("fault");
            writer.WriteString("block", fault.Block);
            writer.WriteString("phase", fault.Phase);
            writer.WriteString("message", fault.Exception.Message);
            writer.WriteEndObject();
        }

        writer.WriteNumber("elapsedSeconds", snapshot.Elapsed.TotalSeconds);
        WriteFigures(writer, snapshot);
        writer.WriteEndObject();
    }

    /// <summary>The "blocks" and "links" arrays of a snapshot, shared by the metrics file and the live preview.</summary>
    internal static void WriteFigures(Utf8JsonWriter writer, PipelineSnapshot snapshot)
    {
        writer.WriteStartArray("blocks");
        foreach (var block in snapshot.Blocks)
        {
            writer.WriteStartObject();
            writer.WriteString("name", block.Name);
            writer.WriteString("type", block.Type);
            writer.WriteNumber("itemsIn", block.ItemsIn);
            writer.WriteNumber("itemsOut", block.ItemsOut);
            writer.WriteNumber("itemsPerSecond", Finite(block.ItemsPerSecond));
            writer.WriteNumber("processingP50Ms", Finite(block.ProcessingP50Ms));
            writer.WriteNumber("processingP99Ms", Finite(block.ProcessingP99Ms));
            writer.WriteNumber("errors", block.Errors);
            writer.WriteNumber("itemsDiscarded", block.ItemsDiscarded);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("links");
        foreach (var link in snapshot.Links)
        {
            writer.WriteStartObject();
            writer.WriteString("name", link.Name);
            writer.WriteNumber("capacity", link.Capacity);
            writer.WriteString("full", BlockDescriptor.EnumName(link.Full.ToString()));
            writer.WriteNumber("queueDepth", link.QueueDepth);
            writer.WriteNumber("transferred", link.Transferred);
            writer.WriteNumber("dropped", link.Dropped);
            writer.WriteNumber("discarded", link.Discarded);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>JSON has no NaN or infinity; a rate not yet measurable is 0.</summary>
    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    /// <summary>Writes beside <paramref name="path"/> and renames, so a reader never sees half a file.</summary>
    internal static async Task WriteJsonAsync(string path, Action<Utf8JsonWriter> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var partial = full + ".partial";
        await using (var stream = File.Create(partial))
        {
            await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            write(writer);
        }

        File.Move(partial, full, overwrite: true);
    }

    /// <summary>Writes text beside <paramref name="path"/> and renames it into place.</summary>
    internal static async Task WriteTextAsync(string path, string text)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var partial = full + ".partial";
        await File.WriteAllTextAsync(partial, text).ConfigureAwait(false);
        File.Move(partial, full, overwrite: true);
    }

    /// <summary>The thumbnail file name of frame <paramref name="index"/>.</summary>
    internal static string ThumbnailName(long index) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"frame-{index:D6}.jpg");
}
