using System.Text.Json;
using Odyssey.Pipeline;

namespace Odyssey.Runner.Output;

/// <summary>Writes a run's final figures as JSON for dashboards and scripts (<c>--metrics-out</c>).</summary>
internal static class MetricsReport
{
    public static async Task WriteAsync(string path, PipelineResult result)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        // Written beside and renamed, so a reader never sees half a report.
        var partial = path + ".partial";
        await using (var stream = File.Create(partial))
        {
            await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            Write(writer, result);
        }

        File.Move(partial, path, overwrite: true);
    }

    internal static void Write(Utf8JsonWriter writer, PipelineResult result)
    {
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
        writer.WriteStartArray("blocks");
        foreach (var block in snapshot.Blocks)
        {
            writer.WriteStartObject();
            writer.WriteString("name", block.Name);
            writer.WriteString("type", block.Type);
            writer.WriteNumber("itemsIn", block.ItemsIn);
            writer.WriteNumber("itemsOut", block.ItemsOut);
            writer.WriteNumber("itemsPerSecond", block.ItemsPerSecond);
            writer.WriteNumber("processingP50Ms", block.ProcessingP50Ms);
            writer.WriteNumber("processingP99Ms", block.ProcessingP99Ms);
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
        writer.WriteEndObject();
    }
}
