using Odyssey.Pipeline;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Runner.Tests;

public sealed class PreviewAttachmentTests
{
    [Theory]
    [InlineData("testpattern-analysis.json", "source.out")]
    [InlineData("file-analysis.json", "decode.out")]
    [InlineData("scene-analysis.json", "source.out")]
    public void MainVideoPort_ShippedPipelines_IsTheStreamAsItArrives(string file, string expected)
    {
        var definition = Load(file);

        Assert.Equal(expected, PreviewAttachment.MainVideoPort(definition)?.ToString());
    }

    [Fact]
    public void Attach_MainJob_AddsAPreviewFedByLeakyLinksFromVideoAndEveryRecordOutput()
    {
        var definition = Load("testpattern-analysis.json");

        var (attached, error, name) = PreviewAttachment.Attach(definition, BuiltInBlocks.CreateRegistry(), 0);

        Assert.Null(error);
        Assert.Equal("preview", name);
        var added = attached!.Links.Where(l => l.To.Block == name).ToList();
        Assert.Equal(["source.out->preview.in", "motion.out->preview.records"], added.Select(l => l.Name));
        Assert.All(added, l => Assert.Equal(FullMode.DropOldest, l.Full));
        Assert.Equal(0, ((PreviewSinkOptions)attached.Blocks.Single(b => b.Name == name).Options).Port);
        Assert.Equal(definition.Blocks.Length + 1, attached.Blocks.Length);
    }

    private static PipelineDefinition Load(string file) =>
        PipelineLoader.LoadFile(Path.Combine(RunnerProcess.PipelinesDirectory, file), BuiltInBlocks.CreateRegistry()).EnsureValid();
}
