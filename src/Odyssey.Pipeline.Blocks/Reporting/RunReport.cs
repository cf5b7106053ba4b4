using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Renders a run directory (<see cref="RunDirectory"/>) as one self-contained HTML file: the pipeline graph,
/// the metrics summary, one SVG plot per numeric analysis field with scene cuts marked, thumbnails at cuts
/// and at interactions, and the events timeline. Styles are inline and images are data URIs, so the file
/// opens anywhere without network access.
/// </summary>
public static class RunReport
{
    private const int PlotWidth = 900;
    private const int PlotHeight = 150;

    /// <summary>Room for the axis labels left of and below a plot.</summary>
    private const int PlotMarginLeft = 60;

    private const int PlotMarginBottom = 20;

    /// <summary>Enough thumbnails to see what happened; more would only make the file heavy.</summary>
    private const int MaxThumbnailsPerSection = 48;

    private const int GraphColumnWidth = 190;
    private const int GraphRowHeight = 64;
    private const int GraphBoxWidth = 150;
    private const int GraphBoxHeight = 44;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Writes the report of <paramref name="runDirectory"/> to <paramref name="outputPath"/> (default
    /// <c>report.html</c> inside it) and returns the full path. Throws <see cref="DirectoryNotFoundException"/>
    /// when the directory is missing; every other gap (no graph, no metrics, no events) is noted in the report.
    /// </summary>
    public static async Task<string> WriteAsync(string runDirectory, string? outputPath = null)
    {
        var data = RunData.Load(runDirectory);
        try
        {
            var path = Path.GetFullPath(outputPath ?? Path.Combine(data.Directory, RunDirectory.ReportFile));
            await RunDirectory.WriteTextAsync(path, Render(data)).ConfigureAwait(false);
            return path;
        }
        finally
        {
            data.Graph?.Dispose();
            data.Metrics?.Dispose();
        }
    }

    internal static string Render(RunData data)
    {
        var html = new StringBuilder(64 * 1024);
        var title = $"Run report: {Path.GetFileName(data.Directory)}";
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title>\n<style>")
            .Append("""
                body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fff}
                h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
                table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
                td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}.note{color:#a60}
                svg{background:#fafafa;border:1px solid #ddd;display:block;margin:6px 0}
                .thumbs{display:flex;flex-wrap:wrap;gap:8px}.thumbs figure{margin:0;font-size:12px}
                .thumbs img{display:block;width:200px;border:1px solid #999}
                """).Append("</style></head><body>\n");
        html.Append("<h1>").Append(Encode(title)).Append("</h1>\n<p>").Append(Encode(data.Directory)).Append("</p>\n");
        var cuts = CutFrames(data);
        AppendGraph(html, data);
        AppendMetrics(html, data);
        AppendPlots(html, data, cuts);
        AppendThumbnails(html, data, cuts);
        AppendEvents(html, data, cuts);
        if (data.Notes.Count > 0)
        {
            html.Append("<h2>Notes</h2>\n<ul>");
            foreach (var note in data.Notes)
            {
                html.Append("<li class=\"note\">").Append(Encode(note)).Append("</li>");
            }

            html.Append("</ul>\n");
        }

        return html.Append("</body></html>\n").ToString();
    }

    private static List<long> CutFrames(RunData data)
    {
        var cuts = new List<long>();
        foreach (var record in data.Records)
        {
            if (record.Cut)
            {
                cuts.Add(record.Frame);
            }
        }

        return cuts;
    }

    private static void AppendGraph(StringBuilder html, RunData data)
    {
        html.Append("<h2>Pipeline</h2>\n");
        if (data.Graph is null)
        {
            html.Append("<p class=\"note\">No ").Append(RunDirectory.GraphFile).Append(" in the run directory: add a <code>report</code> sink to the pipeline to record its graph.</p>\n");
            return;
        }

        var root = data.Graph.RootElement;
        var names = new List<string>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var block in Array(root, "blocks"))
        {
            var name = Text(block, "name");
            names.Add(name);
            types[name] = Text(block, "type");
        }

        var edges = new List<(string From, string To, string Label)>();
        foreach (var link in Array(root, "links"))
        {
            var from = Text(link, "from");
            var to = Text(link, "to");
            var full = Text(link, "full");
            var label = $"{from} → {to} [{Number(link, "capacity").ToString(Invariant)}{(full is "wait" or "" ? "" : " " + full)}]";
            edges.Add((BlockOf(from), BlockOf(to), label));
        }

        // Layers by longest path from a block nothing feeds, so every link points rightwards in an acyclic graph.
        var depth = names.ToDictionary(static n => n, static _ => 0, StringComparer.Ordinal);
        for (var pass = 0; pass < names.Count; pass++)
        {
            var changed = false;
            foreach (var (from, to, _) in edges)
            {
                if (depth.TryGetValue(from, out var d) && depth.TryGetValue(to, out var e) && e < d + 1)
                {
                    depth[to] = d + 1;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        var position = new Dictionary<string, (int X, int Y)>(StringComparer.Ordinal);
        var rows = new Dictionary<int, int>();
        foreach (var name in names)
        {
            var column = depth[name];
            var row = rows.GetValueOrDefault(column);
            rows[column] = row + 1;
            position[name] = (10 + (column * GraphColumnWidth), 10 + (row * GraphRowHeight));
        }

        var width = 20 + ((depth.Count == 0 ? 1 : depth.Values.Max() + 1) * GraphColumnWidth);
        var height = 20 + ((rows.Count == 0 ? 1 : rows.Values.Max()) * GraphRowHeight);
        html.Append(Invariant, $"<svg id=\"graph\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>");
        foreach (var (from, to, label) in edges)
        {
            if (!position.TryGetValue(from, out var a) || !position.TryGetValue(to, out var b))
            {
                continue;
            }

            html.Append(Invariant, $"<line class=\"edge\" x1=\"{a.X + GraphBoxWidth}\" y1=\"{a.Y + (GraphBoxHeight / 2)}\" x2=\"{b.X}\" y2=\"{b.Y + (GraphBoxHeight / 2)}\" stroke=\"#555\" marker-end=\"url(#arrow)\"><title>")
                .Append(Encode(label)).Append("</title></line>");
        }

        foreach (var name in names)
        {
            var (x, y) = position[name];
            html.Append(Invariant, $"<g class=\"block\"><rect x=\"{x}\" y=\"{y}\" width=\"{GraphBoxWidth}\" height=\"{GraphBoxHeight}\" rx=\"6\" fill=\"#e8f0fe\" stroke=\"#4a6fa5\"/>")
                .Append(Invariant, $"<text x=\"{x + 8}\" y=\"{y + 18}\" font-size=\"13\" font-weight=\"bold\">").Append(Encode(name)).Append("</text>")
                .Append(Invariant, $"<text x=\"{x + 8}\" y=\"{y + 35}\" font-size=\"11\" fill=\"#555\">").Append(Encode(types[name])).Append("</text></g>");
        }

        html.Append("</svg>\n");
    }

    private static void AppendMetrics(StringBuilder html, RunData data)
    {
        html.Append("<h2>Metrics</h2>\n");
        if (data.Metrics is null)
        {
            html.Append("<p class=\"note\">No ").Append(RunDirectory.MetricsFile).Append(" in the run directory: add a <code>report</code> sink, or run with <code>--metrics-out RUN_DIR/metrics.json</code>.</p>\n");
            return;
        }

        var root = data.Metrics.RootElement;
        html.Append("<p>Outcome: <b>").Append(Encode(Text(root, "outcome"))).Append("</b>, ")
            .Append(Number(root, "elapsedSeconds").ToString("0.00", Invariant)).Append(" s");
        if (root.TryGetProperty("fault", out var fault) && fault.ValueKind == JsonValueKind.Object)
        {
            html.Append(" — block ").Append(Encode(Text(fault, "block"))).Append(" failed during ").Append(Encode(Text(fault, "phase")))
                .Append(": ").Append(Encode(Text(fault, "message")));
        }

        html.Append("</p>\n<table id=\"metrics-blocks\"><tr><th>block</th><th>type</th><th>in</th><th>out</th><th>fps</th><th>p50 ms</th><th>p99 ms</th><th>errors</th></tr>");
        foreach (var block in Array(root, "blocks"))
        {
            html.Append("<tr><td>").Append(Encode(Text(block, "name"))).Append("</td><td>").Append(Encode(Text(block, "type"))).Append("</td>")
                .Append(Invariant, $"<td>{Number(block, "itemsIn"):0}</td><td>{Number(block, "itemsOut"):0}</td><td>{Number(block, "itemsPerSecond"):0.0}</td>")
                .Append(Invariant, $"<td>{Number(block, "processingP50Ms"):0.000}</td><td>{Number(block, "processingP99Ms"):0.000}</td><td>{Number(block, "errors"):0}</td></tr>");
        }

        html.Append("</table>\n<p></p><table id=\"metrics-links\"><tr><th>link</th><th>capacity</th><th>full</th><th>passed</th><th>dropped</th><th>discarded</th></tr>");
        foreach (var link in Array(root, "links"))
        {
            html.Append("<tr><td>").Append(Encode(Text(link, "name"))).Append(Invariant, $"</td><td>{Number(link, "capacity"):0}</td><td>")
                .Append(Encode(Text(link, "full")))
                .Append(Invariant, $"</td><td>{Number(link, "transferred"):0}</td><td>{Number(link, "dropped"):0}</td><td>{Number(link, "discarded"):0}</td></tr>");
        }

        html.Append("</table>\n");
    }

    private static void AppendPlots(StringBuilder html, RunData data, List<long> cuts)
    {
        html.Append("<h2>Analysis</h2>\n");
        if (data.Records.Count == 0)
        {
            html.Append("<p class=\"note\">No analysis records (<code>*.jsonl</code> lines with kind, block and frame) in the run directory.</p>\n");
            return;
        }

        var first = data.Records[0].Frame;
        var last = data.Records[^1].Frame;
        html.Append(Invariant, $"<p>{data.Records.Count} records, frames {first}–{last}; scene cuts ({cuts.Count}) are red lines.</p>\n");

        // One plot per block and field, in the order the fields first appear.
        var series = new Dictionary<string, List<(long Frame, double Value)>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var record in data.Records)
        {
            foreach (var (field, value) in record.Values)
            {
                var key = $"{record.Block}.{field}";
                if (!series.TryGetValue(key, out var points))
                {
                    series[key] = points = [];
                    order.Add(key);
                }

                points.Add((record.Frame, value));
            }
        }

        foreach (var key in order)
        {
            AppendPlot(html, key, series[key], first, last, cuts);
        }
    }

    private static void AppendPlot(StringBuilder html, string key, List<(long Frame, double Value)> points, long first, long last, List<long> cuts)
    {
        var min = double.MaxValue;
        var max = double.MinValue;
        foreach (var (_, value) in points)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        if (max - min < 1e-12)
        {
            // A flat series still gets a visible line, in the middle of a range around its value.
            min -= 0.5;
            max += 0.5;
        }

        var innerWidth = PlotWidth - PlotMarginLeft - 10;
        var innerHeight = PlotHeight - PlotMarginBottom - 10;
        var span = Math.Max(1, last - first);
        double X(long frame) => PlotMarginLeft + ((frame - first) * (double)innerWidth / span);
        double Y(double value) => 10 + ((max - value) * innerHeight / (max - min));

        html.Append("<h3>").Append(Encode(key)).Append("</h3>\n")
            .Append(Invariant, $"<svg class=\"plot\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" viewBox=\"0 0 {PlotWidth} {PlotHeight}\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append(Invariant, $"<line x1=\"{PlotMarginLeft}\" y1=\"{10 + innerHeight}\" x2=\"{PlotWidth - 10}\" y2=\"{10 + innerHeight}\" stroke=\"#999\"/>")
            .Append(Invariant, $"<text x=\"4\" y=\"16\" font-size=\"11\">{max:G4}</text><text x=\"4\" y=\"{10 + innerHeight}\" font-size=\"11\">{min:G4}</text>")
            .Append(Invariant, $"<text x=\"{PlotMarginLeft}\" y=\"{PlotHeight - 4}\" font-size=\"11\">frame {first}</text>")
            .Append(Invariant, $"<text x=\"{PlotWidth - 90}\" y=\"{PlotHeight - 4}\" font-size=\"11\">frame {last}</text>");
        foreach (var cut in cuts)
        {
            html.Append(Invariant, $"<line class=\"cut\" x1=\"{X(cut):0.#}\" y1=\"10\" x2=\"{X(cut):0.#}\" y2=\"{10 + innerHeight}\" stroke=\"#d33\"><title>cut at frame {cut}</title></line>");
        }

        html.Append("<polyline class=\"series\" data-series=\"").Append(Encode(key)).Append(Invariant, $"\" data-points=\"{points.Count}\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.2\" points=\"");
        for (var i = 0; i < points.Count; i++)
        {
            if (i > 0)
            {
                html.Append(' ');
            }

            html.Append(Invariant, $"{X(points[i].Frame):0.##},{Y(points[i].Value):0.##}");
        }

        html.Append("\"/></svg>\n");
    }

    private static void AppendThumbnails(StringBuilder html, RunData data, List<long> cuts)
    {
        html.Append("<h2>Scene changes</h2>\n");
        if (cuts.Count == 0)
        {
            html.Append("<p>No scene cuts were recorded.</p>\n");
        }
        else
        {
            var shown = new List<(long Frame, string Caption)>();
            foreach (var cut in cuts)
            {
                shown.Add((cut, $"cut at frame {cut}"));
            }

            AppendFigures(html, data, "thumbs-cuts", shown, exact: true);
        }

        var interactions = new List<(long Frame, string Caption)>();
        foreach (var entry in data.Events)
        {
            if (entry.IsInteraction && FrameOf(entry, data) is { } frame)
            {
                interactions.Add((frame, $"frame {frame}: {entry.Text}"));
            }
        }

        html.Append("<h2>Interactions</h2>\n");
        if (interactions.Count == 0)
        {
            html.Append(data.Events.Count == 0
                ? "<p>No events file (<code>" + RunDirectory.EventsFile + "</code>): this run had no interactive source.</p>\n"
                : "<p>No interactions with a frame or timestamp in the events file.</p>\n");
            return;
        }

        AppendFigures(html, data, "thumbs-interactions", interactions, exact: false);
    }

    /// <summary>
    /// Thumbnails for frames: the frame's own (exact), or for an interaction the first one at or after it,
    /// which shows the interaction's effect.
    /// </summary>
    private static void AppendFigures(StringBuilder html, RunData data, string id, List<(long Frame, string Caption)> wanted, bool exact)
    {
        html.Append("<div class=\"thumbs\" id=\"").Append(id).Append("\">");
        var missing = 0;
        var count = 0;
        foreach (var (frame, caption) in wanted)
        {
            string? path = null;
            if (data.Thumbnails.TryGetValue(frame, out var own))
            {
                path = own;
            }
            else if (!exact)
            {
                foreach (var (index, file) in data.Thumbnails)
                {
                    if (index >= frame)
                    {
                        path = file;
                        break;
                    }
                }
            }

            if (path is null || count >= MaxThumbnailsPerSection)
            {
                missing++;
                continue;
            }

            count++;
            html.Append("<figure><img alt=\"").Append(Encode(caption)).Append("\" src=\"data:image/jpeg;base64,")
                .Append(Convert.ToBase64String(File.ReadAllBytes(path))).Append("\"><figcaption>").Append(Encode(caption)).Append("</figcaption></figure>");
        }

        html.Append("</div>\n");
        if (missing > 0)
        {
            html.Append(Invariant, $"<p class=\"note\">{missing} without a thumbnail (link frames into the report sink's <code>frames</code> input; at most {MaxThumbnailsPerSection} are shown).</p>\n");
        }
    }

    private static void AppendEvents(StringBuilder html, RunData data, List<long> cuts)
    {
        html.Append("<h2>Timeline</h2>\n");
        var first = data.Records.Count > 0 ? data.Records[0].Frame : 0;
        var last = data.Records.Count > 0 ? data.Records[^1].Frame : 0;
        foreach (var entry in data.Events)
        {
            if (FrameOf(entry, data) is { } frame)
            {
                first = Math.Min(first, frame);
                last = Math.Max(last, frame);
            }
        }

        var span = Math.Max(1, last - first);
        var innerWidth = PlotWidth - PlotMarginLeft - 10;
        double X(long frame) => PlotMarginLeft + ((frame - first) * (double)innerWidth / span);
        html.Append(Invariant, $"<svg id=\"timeline\" width=\"{PlotWidth}\" height=\"70\" viewBox=\"0 0 {PlotWidth} 70\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append(Invariant, $"<line x1=\"{PlotMarginLeft}\" y1=\"35\" x2=\"{PlotWidth - 10}\" y2=\"35\" stroke=\"#999\"/>")
            .Append(Invariant, $"<text x=\"4\" y=\"24\" font-size=\"11\">cuts</text><text x=\"4\" y=\"56\" font-size=\"11\">events</text>")
            .Append(Invariant, $"<text x=\"{PlotMarginLeft}\" y=\"68\" font-size=\"10\">frame {first}</text><text x=\"{PlotWidth - 80}\" y=\"68\" font-size=\"10\">frame {last}</text>");
        foreach (var cut in cuts)
        {
            html.Append(Invariant, $"<line class=\"cut\" x1=\"{X(cut):0.#}\" y1=\"14\" x2=\"{X(cut):0.#}\" y2=\"35\" stroke=\"#d33\" stroke-width=\"2\"><title>cut at frame {cut}</title></line>");
        }

        foreach (var entry in data.Events)
        {
            if (FrameOf(entry, data) is { } frame)
            {
                var colour = entry.IsInteraction ? "#1f5fbf" : "#888";
                html.Append(Invariant, $"<circle class=\"event\" cx=\"{X(frame):0.#}\" cy=\"48\" r=\"5\" fill=\"{colour}\"><title>")
                    .Append(Encode($"frame {frame}: {entry.Kind} {entry.Text}")).Append("</title></circle>");
            }
        }

        html.Append("</svg>\n");
        if (data.Events.Count == 0)
        {
            return;
        }

        html.Append("<table id=\"events\"><tr><th>event</th><th>frame</th><th>time</th><th>text</th></tr>");
        foreach (var entry in data.Events)
        {
            html.Append("<tr><td>").Append(Encode(entry.Kind)).Append("</td><td>").Append(FrameOf(entry, data)?.ToString(Invariant) ?? "")
                .Append("</td><td>").Append(Encode(entry.Time?.ToString("O", Invariant) ?? (entry.PtsMs is { } pts ? $"{pts:0} ms" : "")))
                .Append("</td><td>").Append(Encode(entry.Text)).Append("</td></tr>");
        }

        html.Append("</table>\n");
    }

    /// <summary>An event's frame: its own, or the first record's frame at or after its timestamp.</summary>
    private static long? FrameOf(ReportEvent entry, RunData data)
    {
        if (entry.Frame is { } frame)
        {
            return frame;
        }

        if (entry.PtsMs is { } pts)
        {
            foreach (var record in data.Records)
            {
                if (record.PtsMs is { } at && at >= pts)
                {
                    return record.Frame;
                }
            }
        }

        return null;
    }

    private static string BlockOf(string port)
    {
        var dot = port.LastIndexOf('.');
        return dot < 0 ? port : port[..dot];
    }

    private static IEnumerable<JsonElement> Array(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static double Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : 0;

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
