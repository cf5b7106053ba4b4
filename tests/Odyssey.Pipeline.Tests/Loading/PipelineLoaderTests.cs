using static Odyssey.Pipeline.Tests.Loading.LoaderTestKit;

namespace Odyssey.Pipeline.Tests.Loading;

public sealed class PipelineLoaderTests
{
    private static PipelineDefinition LoadValid(string json, params string[] overrides)
    {
        var result = Load(json, overrides);
        Assert.Empty(result.Errors);
        Assert.True(result.IsValid);
        return result.Definition!;
    }

    private static T OptionsOf<T>(PipelineDefinition definition, string block) =>
        Assert.IsType<T>(definition.Blocks.Single(b => b.Name == block).Options);

    [Fact]
    public void Load_BlocksWithoutOptions_BindRecordDefaults()
    {
        var definition = LoadValid(Valid);

        Assert.Equal(["src", "blur", "out"], definition.Blocks.Select(b => b.Name));
        Assert.Equal(new TestSourceOptions(), OptionsOf<TestSourceOptions>(definition, "src"));
        Assert.Equal(new BlurOptions(), OptionsOf<BlurOptions>(definition, "blur"));
        Assert.All(definition.Blocks, b => Assert.Equal(1, b.Parallelism));
        Assert.Equal("$.blocks.blur", definition.Blocks[1].JsonPath);
        Assert.Equal("blur", definition.Blocks[1].Descriptor.TypeName);
        Assert.Equal(LoaderTestKit.BaseDirectory, definition.BaseDirectory);
        Assert.Empty(definition.Plugins);
    }

    [Fact]
    public void Load_GivenOptions_BindEveryKind()
    {
        const string json = """
            {
              "blocks": {
                "src": { "type": "testSource", "options": { "width": 320, "height": 2.4e2, "frames": 10, "pattern": "solid-color", "label": "cam", "live": true, "fps": 12.5 } },
                "out": { "type": "frameSink", "options": {} }
              },
              "links": ["src -> out"]
            }
            """;

        var options = OptionsOf<TestSourceOptions>(LoadValid(json), "src");

        Assert.Equal(
            new TestSourceOptions { Width = 320, Height = 240, Frames = 10, Pattern = TestPattern.SolidColor, Label = "cam", Live = true, Fps = 12.5 },
            options);
    }

    [Fact]
    public void Load_NullForNullableOption_BindsNull()
    {
        var json = Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"frames\": null }");

        Assert.Null(OptionsOf<TestSourceOptions>(LoadValid(json), "src").Frames);
    }

    [Fact]
    public void Load_RequiredOptionGiven_Binds()
    {
        const string json = """
            { "blocks": { "src": { "type": "testSource" }, "m": { "type": "motion", "options": { "minArea": 5 } }, "rec": { "type": "recordSink", "options": { "path": "r.jsonl" } } },
              "links": ["src -> m -> rec"] }
            """;

        var definition = LoadValid(json);

        Assert.Equal("r.jsonl", OptionsOf<RecordSinkOptions>(definition, "rec").Path);
        Assert.Equal(new MotionOptions { MinArea = 5 }, OptionsOf<MotionOptions>(definition, "m"));
    }

    [Fact]
    public void Load_Overrides_ReplaceAndAddOptionsBeforeBinding()
    {
        var json = Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"width\": 1920, \"frames\": 5 }");

        var definition = LoadValid(json, "src.width=320", "src.pattern=gradient", "src.label=\"a b\"", "src.frames=null", "src.live=true", "blur.kernel = 7", "blur.kernel=9");

        Assert.Equal(new TestSourceOptions { Width = 320, Pattern = TestPattern.Gradient, Label = "a b", Frames = null, Live = true }, OptionsOf<TestSourceOptions>(definition, "src"));
        Assert.Equal(9, OptionsOf<BlurOptions>(definition, "blur").Kernel);
    }

    [Fact]
    public void Load_OverrideValueThatIsNotJson_IsTakenAsPlainString()
    {
        var definition = LoadValid(Valid, "src.label=out/clip 1.mp4");

        Assert.Equal("out/clip 1.mp4", OptionsOf<TestSourceOptions>(definition, "src").Label);
    }

    [Fact]
    public void Load_AllLinkForms_ProduceLinksWithTheirSettings()
    {
        const string json = """
            {
              // comments and trailing commas are allowed in pipeline files
              "$schema": "schema.json",
              "description": "every link form",
              "defaults": { "capacity": 16, "full": "drop-newest" },
              "blocks": {
                "src": { "type": "testSource" },
                "mux": { "type": "mux" },
                "a": { "type": "blur", "parallelism": 4 },
                "b": { "type": "blur" },
                "c": { "type": "frameSink" },
                "d": { "type": "frameSink" },
                "e": { "type": "frameSink" },
              },
              "links": [
                "src -> mux.video",
                "mux.out -> a -> b -> c",
                { "from": "mux.preview", "to": "d.in", "capacity": 4, "full": "drop-oldest" },
                { "chain": "b.out -> e", "capacity": 2 },
              ],
            }
            """;

        var definition = LoadValid(json);

        Assert.Equal(
            [
                new LinkDefinition { From = new("src", "out"), To = new("mux", "video"), Capacity = 16, Full = FullMode.DropNewest, JsonPath = "$.links[0]" },
                new LinkDefinition { From = new("mux", "out"), To = new("a", "in"), Capacity = 16, Full = FullMode.DropNewest, JsonPath = "$.links[1]" },
                new LinkDefinition { From = new("a", "out"), To = new("b", "in"), Capacity = 16, Full = FullMode.DropNewest, JsonPath = "$.links[1]" },
                new LinkDefinition { From = new("b", "out"), To = new("c", "in"), Capacity = 16, Full = FullMode.DropNewest, JsonPath = "$.links[1]" },
                new LinkDefinition { From = new("mux", "preview"), To = new("d", "in"), Capacity = 4, Full = FullMode.DropOldest, JsonPath = "$.links[2]" },
                new LinkDefinition { From = new("b", "out"), To = new("e", "in"), Capacity = 2, Full = FullMode.DropNewest, JsonPath = "$.links[3]" },
            ],
            definition.Links.ToArray());
        Assert.Equal(4, definition.Blocks.Single(b => b.Name == "a").Parallelism);
        Assert.Equal("mux.preview->d.in", definition.Links[4].Name);
    }

    [Fact]
    public void Load_NoDefaults_LinksUseDefaultCapacityAndWait()
    {
        var link = LoadValid(Valid).Links[0];

        Assert.Equal(PipelineDefinition.DefaultCapacity, link.Capacity);
        Assert.Equal(FullMode.Wait, link.Full);
    }

    [Fact]
    public void Load_FanOutAndFanIn_AreAllowed()
    {
        const string json = """
            {
              "blocks": {
                "src": { "type": "testSource" },
                "a": { "type": "blur" },
                "b": { "type": "blur" },
                "out": { "type": "frameSink" }
              },
              "links": ["src -> a -> out", "src -> b -> out"]
            }
            """;

        var links = LoadValid(json).Links;

        Assert.Equal(2, links.Count(l => l.From == new PortAddress("src", "out")));
        Assert.Equal(2, links.Count(l => l.To == new PortAddress("out", "in")));
    }

    [Fact]
    public void Load_OptionalCustomInputLeftOpen_IsValid()
    {
        const string json = """
            { "blocks": { "src": { "type": "testSource" }, "mux": { "type": "mux" }, "out": { "type": "frameSink" } },
              "links": ["src -> mux.video", "mux.out -> out"] }
            """;

        Assert.Single(LoadValid(json).Links, l => l.To == new PortAddress("mux", "video"));
    }

    [Fact]
    public void Load_NumbersWrittenAsWholeFloats_BindAsIntegers()
    {
        var json = Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"parallelism\": 2.0, \"options\": { \"kernel\": 5.0 }");

        var blur = LoadValid(json).Blocks[1];

        Assert.Equal(2, blur.Parallelism);
        Assert.Equal(5, ((BlurOptions)blur.Options).Kernel);
    }

    [Fact]
    public void LoadFile_ValidFile_ResolvesPluginsAndBaseDirectoryAgainstItsFolder()
    {
        var directory = Directory.CreateTempSubdirectory("odyssey-loader-");
        try
        {
            // The test assembly itself serves as the plugin: an empty registry only knows its blocks through it.
            var plugin = typeof(TestSourceBlock).Assembly.Location;
            File.Copy(plugin, Path.Combine(directory.FullName, "TestBlocks.dll"));
            var file = Path.Combine(directory.FullName, "pipeline.json");
            File.WriteAllText(file, Valid.Replace("\"blocks\"", "\"plugins\": [\"TestBlocks.dll\"], \"blocks\""));
            var registry = new BlockRegistry();

            var result = PipelineLoader.LoadFile(file, registry);

            Assert.Empty(result.Errors);
            Assert.Equal(directory.FullName, result.Definition!.BaseDirectory);
            Assert.Equal<string>([Path.Combine(directory.FullName, "TestBlocks.dll")], result.Definition.Plugins);
            Assert.True(registry.TryGet("blur", out _));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_VeryLongChainClosedIntoACycle_ReportsTheCycleWithoutOverflowingTheStack()
    {
        // Deep enough that a recursive graph walk would overflow the stack.
        const int Count = 20_000;
        var blocks = new System.Text.StringBuilder("\"src\": { \"type\": \"testSource\" }, \"out\": { \"type\": \"frameSink\" }");
        var chain = new System.Text.StringBuilder("src");
        for (var i = 0; i < Count; i++)
        {
            blocks.Append(System.Globalization.CultureInfo.InvariantCulture, $", \"b{i}\": {{ \"type\": \"blur\" }}");
            chain.Append(System.Globalization.CultureInfo.InvariantCulture, $" -> b{i}");
        }

        chain.Append(" -> out");
        var json = $"{{ \"blocks\": {{ {blocks} }}, \"links\": [\"{chain}\", \"b{Count - 1} -> b0\"] }}";

        var error = Assert.Single(Load(json).Errors);

        Assert.Equal("cycle", error.Rule);
        Assert.Equal("$.links[1]", error.Path);
        Assert.StartsWith("the links form a cycle: b0 -> b1 -> b2 -> ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($" -> b{Count - 1} -> b0; data must flow one way, from sources to sinks.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureValid_InvalidFile_ThrowsWithEveryError()
    {
        var result = Load(Valid.Replace("\"src -> blur -> out\"", "\"src -> blur\""));

        var e = Assert.Throws<PipelineValidationException>(() => result.EnsureValid());

        Assert.Equal<PipelineError>(result.Errors, e.Errors);
        Assert.Equal("$.blocks.out: block \"out\" (frameSink) is not linked to anything.", e.Message);
    }

    [Fact]
    public void EnsureValid_ValidFile_ReturnsTheDefinition()
    {
        var result = Load(Valid);

        Assert.Same(result.Definition, result.EnsureValid());
    }
}
