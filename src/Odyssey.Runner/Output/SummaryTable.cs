using System.Globalization;
using System.Text;
using Odyssey.Pipeline;

namespace Odyssey.Runner.Output;

/// <summary>The per-block and per-link tables shown live and at the end of a run.</summary>
internal static class SummaryTable
{
    public static string Format(PipelineSnapshot snapshot)
    {
        var builder = new StringBuilder();
        builder.AppendLine(CultureInfo.InvariantCulture, $"elapsed {snapshot.Elapsed.TotalSeconds:0.0}s");
        var blocks = new TextTable("block", "type", "in", "out", "fps", "p50 ms", "p99 ms", "errors");
        foreach (var block in snapshot.Blocks)
        {
            blocks.Add(block.Name, block.Type, Count(block.ItemsIn), Count(block.ItemsOut), Rate(block.ItemsPerSecond),
                Millis(block.ProcessingP50Ms), Millis(block.ProcessingP99Ms), Count(block.Errors));
        }

        blocks.WriteTo(builder);
        if (!snapshot.Links.IsEmpty)
        {
            builder.AppendLine();
            var links = new TextTable("link", "capacity", "full", "queued", "passed", "dropped", "discarded");
            foreach (var link in snapshot.Links)
            {
                links.Add(link.Name, Count(link.Capacity), BlockDescriptor.EnumName(link.Full.ToString()), Count(link.QueueDepth),
                    Count(link.Transferred), Count(link.Dropped), Count(link.Discarded));
            }

            links.WriteTo(builder);
        }

        return builder.ToString();
    }

    /// <summary>One line for logs: every block's throughput and every link that is queueing or dropping.</summary>
    public static string FormatLine(PipelineSnapshot snapshot)
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"[{snapshot.Elapsed.TotalSeconds:0.0}s]");
        foreach (var block in snapshot.Blocks)
        {
            builder.Append(CultureInfo.InvariantCulture, $" {block.Name}: {block.ItemsOut} out {block.ItemsPerSecond:0.0}/s;");
        }

        foreach (var link in snapshot.Links)
        {
            if (link.Dropped > 0)
            {
                builder.Append(CultureInfo.InvariantCulture, $" {link.Name}: {link.Dropped} dropped;");
            }
        }

        return builder.ToString().TrimEnd(';');
    }

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Rate(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Millis(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
