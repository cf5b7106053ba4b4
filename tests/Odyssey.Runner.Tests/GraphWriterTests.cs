using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;
using Odyssey.Runner.Output;

namespace Odyssey.Runner.Tests;

public class GraphWriterTests
{
    [Fact]
    public void Mermaid_NamesDifferingOnlyInDashAndUnderscore_AreDistinctNodes()
    {
        var json = """
            {
              "blocks": {
                "cam-1": { "type": "testpattern" },
                "cam_1": { "type": "null" }
              },
              "links": [ "cam-1 -> cam_1" ]
            }
            """;
        var definition = PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath()).Definition!;

        var lines = GraphWriter.Mermaid(definition).Split('\n');

        var from = lines.Single(l => l.Contains("cam-1<br/>", StringComparison.Ordinal)).Trim().Split('[')[0];
        var to = lines.Single(l => l.Contains("cam_1<br/>", StringComparison.Ordinal)).Trim().Split('[')[0];
        Assert.NotEqual(from, to);
        Assert.Contains(lines, l => l.Trim().StartsWith(from + " -->", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" " + to, StringComparison.Ordinal));
    }
}
