using System.Text.Json;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Runner.Output;

/// <summary>Writes a run's final figures as JSON for dashboards and scripts (<c>--metrics-out</c>).</summary>
internal static class MetricsReport
{
    /// <summary>Written beside and renamed, so a reader never sees half a report; the format is the run directory's metrics file.</summary>
    public static Task WriteAsync(string path, PipelineResult result) => RunDirectory.WriteMetricsAsync(path, result);

    internal static void Write(Utf8JsonWriter writer, PipelineResult result) => RunDirectory.WriteMetrics(writer, result);
}
