using Odyssey.Media;
using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Runner;

/// <summary>
/// <c>run --preview</c>: adds a preview sink to a validated pipeline without editing its file, fed by the
/// main video port and every analysis-record output, over leaky links so watching never slows the run.
/// </summary>
internal static class PreviewAttachment
{
    /// <summary>The newest frame is what a viewer wants; one queued frame is enough between two encodes.</summary>
    private const int VideoLinkCapacity = 2;

    /// <summary>Records are small; a generous queue keeps the chart complete unless the preview truly lags.</summary>
    private const int RecordLinkCapacity = 256;

    /// <summary>
    /// The main video port: the first output carrying frames in data-flow order (blocks by their distance from
    /// a source, then file order). That is the source itself for a test pattern or camera, the decoder for a
    /// file: the stream as it arrives, before any transform changed it.
    /// </summary>
    public static PortAddress? MainVideoPort(PipelineDefinition definition)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var block in definition.Blocks)
        {
            depth[block.Name] = 0;
        }

        for (var pass = 0; pass < definition.Blocks.Length; pass++)
        {
            var changed = false;
            foreach (var link in definition.Links)
            {
                if (depth[link.To.Block] < depth[link.From.Block] + 1)
                {
                    depth[link.To.Block] = depth[link.From.Block] + 1;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        PortAddress? best = null;
        var bestDepth = int.MaxValue;
        foreach (var block in definition.Blocks)
        {
            foreach (var port in block.Descriptor.Ports)
            {
                if (port.Direction == PortDirection.Output && typeof(VideoFrame).IsAssignableFrom(port.Payload) && depth[block.Name] < bestDepth)
                {
                    best = new PortAddress(block.Name, port.Name);
                    bestDepth = depth[block.Name];
                }
            }
        }

        return best;
    }

    /// <summary>The pipeline with a preview block added, or an error saying why it cannot have one.</summary>
    public static (PipelineDefinition? Definition, string? Error, string BlockName) Attach(PipelineDefinition definition, BlockRegistry registry, int port)
    {
        if (MainVideoPort(definition) is not { } video)
        {
            return (null, "--preview: the pipeline has no block that outputs video frames", "");
        }

        if (!registry.TryGet(PreviewSinkBlock.TypeName, out var descriptor))
        {
            return (null, "--preview: the preview block type is not registered", "");
        }

        var name = "preview";
        for (var i = 2; definition.Blocks.Any(b => b.Name == name); i++)
        {
            name = $"preview{i}";
        }

        var links = definition.Links.ToBuilder();
        links.Add(new LinkDefinition { From = video, To = new PortAddress(name, "in"), Capacity = VideoLinkCapacity, Full = FullMode.DropOldest });
        foreach (var block in definition.Blocks)
        {
            foreach (var output in block.Descriptor.Ports)
            {
                if (output.Direction == PortDirection.Output && typeof(AnalysisRecord).IsAssignableFrom(output.Payload))
                {
                    links.Add(new LinkDefinition
                    {
                        From = new PortAddress(block.Name, output.Name),
                        To = new PortAddress(name, "records"),
                        Capacity = RecordLinkCapacity,
                        Full = FullMode.DropOldest,
                    });
                }
            }
        }

        var preview = new BlockDefinition { Name = name, Descriptor = descriptor, Options = new PreviewSinkOptions { Port = port }, JsonPath = "--preview" };
        return (definition with { Blocks = definition.Blocks.Add(preview), Links = links.ToImmutable() }, null, name);
    }
}
