using System.Text.Json;

namespace Odyssey.Pipeline.Tests.Loading;

public sealed class PipelineSchemaTests
{
    private static readonly string Schema = PipelineSchema.Generate(TestRegistry.Create());

    private static JsonElement Root() => JsonDocument.Parse(Schema).RootElement;

    private static JsonElement Defs(string name) => Root().GetProperty("$defs").GetProperty(name);

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public void Generate_SameRegistryTwice_GivesIdenticalIndentedTextWithTrailingNewline()
    {
        var again = PipelineSchema.Generate(TestRegistry.Create());

        Assert.Equal(Schema, again);
        Assert.EndsWith("}\n", Schema, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", Schema, StringComparison.Ordinal);
        Assert.StartsWith("{\n  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n", Schema, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_RegistrationOrder_DoesNotChangeTheOutput()
    {
        var reversed = new BlockRegistry();
        foreach (var type in new[] { typeof(MuxBlock), typeof(FrameSinkBlock), typeof(RecordSinkBlock), typeof(MotionBlock), typeof(BlurBlock), typeof(TestSourceBlock) })
        {
            reversed.Register(type);
        }

        Assert.Equal(Schema, PipelineSchema.Generate(reversed));
    }

    [Fact]
    public void Generate_Root_RequiresBlocksAndLinksAndRejectsOtherProperties()
    {
        var root = Root();

        Assert.Equal(["blocks", "links"], Strings(root.GetProperty("required")));
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(["$schema", "blocks", "defaults", "description", "links", "plugins"], root.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["wait", "drop-oldest", "drop-newest"], Strings(Defs("full").GetProperty("enum")));
        Assert.Equal(65536, Defs("capacity").GetProperty("maximum").GetInt32());
    }

    [Fact]
    public void Generate_BlockType_IsAnEnumOfRegisteredTypesSorted()
    {
        var types = Strings(Defs("block").GetProperty("properties").GetProperty("type").GetProperty("enum"));

        Assert.Equal(["blur", "frameSink", "motion", "mux", "recordSink", "testSource"], types);
    }

    [Fact]
    public void Generate_EachType_SelectsItsOptionsWithIfThen()
    {
        var rules = Defs("block").GetProperty("allOf").EnumerateArray().ToArray();

        Assert.Equal(6, rules.Length);
        var record = rules.Single(r => r.GetProperty("if").GetProperty("properties").GetProperty("type").GetProperty("const").GetString() == "recordSink");
        var then = record.GetProperty("then");
        Assert.Equal("#/$defs/options.recordSink", then.GetProperty("properties").GetProperty("options").GetProperty("$ref").GetString());
        Assert.Equal(["options"], Strings(then.GetProperty("required")));
        Assert.Equal(1, then.GetProperty("properties").GetProperty("parallelism").GetProperty("maximum").GetInt32());

        var blur = rules.Single(r => r.GetProperty("if").GetProperty("properties").GetProperty("type").GetProperty("const").GetString() == "blur");
        Assert.False(blur.GetProperty("then").GetProperty("properties").TryGetProperty("parallelism", out _));
        Assert.False(blur.GetProperty("then").TryGetProperty("required", out _));
    }

    [Fact]
    public void Generate_Options_CarryTypesRangesDefaultsEnumsAndDescriptions()
    {
        var source = Defs("options.testSource");
        var properties = source.GetProperty("properties");

        Assert.False(source.GetProperty("additionalProperties").GetBoolean());
        Assert.Empty(Strings(source.GetProperty("required")));
        Assert.Equal(["fps", "frames", "height", "label", "live", "pattern", "width"], properties.EnumerateObject().Select(p => p.Name));
        var width = properties.GetProperty("width");
        Assert.Equal("integer", width.GetProperty("type").GetString());
        Assert.Equal(1, width.GetProperty("minimum").GetDouble());
        Assert.Equal(8192, width.GetProperty("maximum").GetDouble());
        Assert.Equal(640, width.GetProperty("default").GetInt32());
        Assert.Equal("Frame width in pixels.", width.GetProperty("description").GetString());
        Assert.Equal(["integer", "null"], Strings(properties.GetProperty("frames").GetProperty("type")));
        Assert.False(properties.GetProperty("frames").TryGetProperty("default", out _));
        Assert.Equal(["bars", "gradient", "solid-color"], Strings(properties.GetProperty("pattern").GetProperty("enum")));
        Assert.Equal("bars", properties.GetProperty("pattern").GetProperty("default").GetString());
        Assert.Equal("number", properties.GetProperty("fps").GetProperty("type").GetString());
        Assert.Equal(0.5, properties.GetProperty("fps").GetProperty("minimum").GetDouble());
        Assert.Equal("boolean", properties.GetProperty("live").GetProperty("type").GetString());
        Assert.False(properties.GetProperty("live").GetProperty("default").GetBoolean());
        Assert.Equal("test", properties.GetProperty("label").GetProperty("default").GetString());
    }

    [Fact]
    public void Generate_RequiredOption_IsListedAsRequired()
    {
        var record = Defs("options.recordSink");

        Assert.Equal(["path"], Strings(record.GetProperty("required")));
        Assert.Equal("string", record.GetProperty("properties").GetProperty("path").GetProperty("type").GetString());
    }

    [Fact]
    public void Generate_ChainPattern_AcceptsWhatTheLoaderAccepts()
    {
        var pattern = new System.Text.RegularExpressions.Regex(Defs("chain").GetProperty("pattern").GetString()!);

        Assert.Matches(pattern, "src -> convert -> blur");
        Assert.Matches(pattern, "blur.out->mp4.in");
        Assert.DoesNotMatch(pattern, "a -> -> b");
        Assert.Matches(pattern, "a.out -> b -> c.in");
        Assert.DoesNotMatch(pattern, "src");
        Assert.DoesNotMatch(pattern, "a -> b.in -> c");
    }
}
