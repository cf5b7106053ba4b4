using System.Text;
using Odyssey.Pipeline;

namespace Odyssey.Runner.Output;

/// <summary>Draws a pipeline as Mermaid or Graphviz DOT text: blocks as nodes, links as labelled edges.</summary>
internal static class GraphWriter
{
    public static string Mermaid(PipelineDefinition definition)
    {
        var builder = new StringBuilder("flowchart LR\n");
        foreach (var block in definition.Blocks)
        {
            builder.Append($"  {NodeId(block.Name)}[\"{block.Name}<br/><i>{block.Descriptor.TypeName}</i>{Parallelism(block, "<br/>")}\"]\n");
        }

        foreach (var link in definition.Links)
        {
            builder.Append($"  {NodeId(link.From.Block)} -->|\"{LinkLabel(link)}\"| {NodeId(link.To.Block)}\n");
        }

        return builder.ToString();
    }

    public static string Dot(PipelineDefinition definition)
    {
        var builder = new StringBuilder("digraph pipeline {\n  rankdir=LR;\n  node [shape=box];\n");
        foreach (var block in definition.Blocks)
        {
            builder.Append($"  \"{block.Name}\" [label=\"{block.Name}\\n{block.Descriptor.TypeName}{Parallelism(block, "\\n")}\"];\n");
        }

        foreach (var link in definition.Links)
        {
            builder.Append($"  \"{link.From.Block}\" -> \"{link.To.Block}\" [label=\"{LinkLabel(link)}\"];\n");
        }

        return builder.Append("}\n").ToString();
    }

    private static string LinkLabel(LinkDefinition link)
    {
        var full = link.Full == FullMode.Wait ? "" : $" {BlockDescriptor.EnumName(link.Full.ToString())}";
        return $"{link.From.Port}→{link.To.Port} [{link.Capacity}{full}]";
    }

    private static string Parallelism(BlockDefinition block, string separator) =>
        block.Parallelism > 1 ? $"{separator}×{block.Parallelism}" : "";

    // Mermaid node ids must avoid its keywords and punctuation; names are letters, digits, '_' and '-'.
    // The mapping must be one-to-one, or "a-b" and "a_b" would be drawn as one node: '_' doubles and
    // '-' becomes "_h", so every '_' in an id starts a two-character escape.
    private static string NodeId(string name) => "b_" + name.Replace("_", "__", StringComparison.Ordinal).Replace("-", "_h", StringComparison.Ordinal);
}
