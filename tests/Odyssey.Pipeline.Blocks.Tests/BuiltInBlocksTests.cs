namespace Odyssey.Pipeline.Blocks.Tests;

public class BuiltInBlocksTests
{
    [Fact]
    public void CreateRegistry_BuiltIns_RegistersExactlyTheDocumentedTypeNames()
    {
        var registry = BuiltInBlocks.CreateRegistry();

        var names = registry.Blocks.Select(b => b.TypeName).ToArray();

        Assert.Equal(
            ["brightness", "canny", "convert", "decode", "display", "encode", "file", "gaussianBlur", "grayscale", "jsonl", "motion", "mp4", "null", "png", "preview", "record", "report", "resize", "scale", "sceneChange", "testpattern", "threshold"],
            names);
    }

    [Fact]
    public void CreateRegistry_StatelessBlocks_AreTheOnlyThreadSafeOnes()
    {
        var registry = BuiltInBlocks.CreateRegistry();

        var threadSafe = registry.Blocks.Where(b => b.ThreadSafe).Select(b => b.TypeName).ToArray();

        Assert.Equal(["canny", "convert", "gaussianBlur", "grayscale", "resize", "threshold"], threadSafe);
    }

    [Fact]
    public void CreateRegistry_EveryOption_HasADescription()
    {
        var registry = BuiltInBlocks.CreateRegistry();

        foreach (var block in registry.Blocks)
        {
            Assert.False(string.IsNullOrWhiteSpace(block.Description), $"{block.TypeName} has no description");
            foreach (var option in block.Options)
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{block.TypeName}.{option.Name} has no description");
            }
        }
    }

    [Fact]
    public void Descriptors_OptionsAndEnums_UseCamelAndKebabCaseNames()
    {
        var registry = BuiltInBlocks.CreateRegistry();

        Assert.True(registry.TryGet("threshold", out var threshold));
        Assert.Equal(["binary", "binary-inv", "trunc", "to-zero", "to-zero-inv", "otsu"], threshold.FindOption("type")!.EnumNames.ToArray());
        Assert.NotNull(threshold.FindOption("maxValue"));
        Assert.True(registry.TryGet("resize", out var resize));
        Assert.True(resize.FindOption("width")!.Required);
        Assert.Equal(["nearest", "linear", "cubic", "area"], resize.FindOption("interpolation")!.EnumNames.ToArray());
        Assert.True(registry.TryGet("convert", out var convert));
        Assert.True(convert.FindOption("format")!.Required);
        Assert.Equal(["i420", "nv12", "bgr24", "rgb24", "gray8"], convert.FindOption("format")!.EnumNames.ToArray());
        Assert.True(registry.TryGet("testpattern", out var pattern));
        Assert.Equal((16.0, 16384.0), pattern.FindOption("width")!.Range);
    }

    [Theory]
    [InlineData("mp4", "path", "\"\"")]
    [InlineData("png", "directory", "\"  \"")]
    [InlineData("jsonl", "path", "\"\"")]
    public void Load_SinkWithABlankPath_IsRefusedNamingTheOption(string type, string option, string value)
    {
        // Records come out of an analysis block; frames straight from the source.
        var analysis = type == "jsonl" ? "\"motion\": { \"type\": \"motion\" }," : "";
        var chain = type == "jsonl" ? "src -> motion -> sink" : "src -> sink";
        var json = $$"""
            {
              "blocks": {
                "src": { "type": "testpattern" },
                {{analysis}}
                "sink": { "type": "{{type}}", "options": { "{{option}}": {{value}} } }
              },
              "links": [ "{{chain}}" ]
            }
            """;

        var result = PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath());

        var error = Assert.Single(result.Errors);
        Assert.Equal($"$.blocks.sink.options.{option}", error.Path);
        Assert.Equal($"option \"{option}\" of block \"sink\" ({type}) must not be empty.", error.Message);
    }

    [Fact]
    public void Descriptors_Ports_MatchTheBlockShapes()
    {
        var registry = BuiltInBlocks.CreateRegistry();

        Assert.True(registry.TryGet("motion", out var motion));
        Assert.Equal(typeof(Odyssey.Media.VideoFrame), motion.FindPort("in", PortDirection.Input)!.Payload);
        Assert.Equal(typeof(Odyssey.Media.AnalysisRecord), motion.FindPort("out", PortDirection.Output)!.Payload);
        Assert.True(registry.TryGet("file", out var file));
        Assert.Equal(typeof(Odyssey.Media.EncodedPacket), file.FindPort("out", PortDirection.Output)!.Payload);
        Assert.True(registry.TryGet("decode", out var decode));
        Assert.Equal(typeof(Odyssey.Media.EncodedPacket), decode.FindPort("in", PortDirection.Input)!.Payload);
        Assert.Equal(typeof(Odyssey.Media.VideoFrame), decode.FindPort("out", PortDirection.Output)!.Payload);
        Assert.True(registry.TryGet("record", out var record));
        Assert.Equal(typeof(Odyssey.Media.EncodedPacket), record.FindPort("in", PortDirection.Input)!.Payload);
        Assert.True(registry.TryGet("null", out var sink));
        Assert.Equal(BlockKind.Sink, sink.Kind);
        Assert.Equal(typeof(object), sink.FindPort("in", PortDirection.Input)!.Payload);
    }
}
