using static Odyssey.Pipeline.Tests.Loading.LoaderTestKit;

namespace Odyssey.Pipeline.Tests.Loading;

public sealed class PipelineLoaderErrorTests
{
    // Each case is a whole pipeline with exactly one problem, and the exact error it must produce.
    public static TheoryData<string, string, string, string> SingleProblemFiles => new()
    {
        {
            "[]",
            "wrong-type", "$", "a pipeline must be a JSON object with \"blocks\" and \"links\", not an array."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "out": { "type": "frameSink" } }, "links": ["src -> out"], "linkz": [] }""",
            "unknown-property", "$.linkz", "the pipeline has no property \"linkz\"; did you mean \"links\"?"
        },
        {
            """{ "links": ["src -> out"] }""",
            "missing-property", "$", "the pipeline has no \"blocks\" object; name at least one block."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" } } }""",
            "missing-property", "$", "the pipeline has no \"links\" array; link the blocks' ports."
        },
        {
            """{ "blocks": { "src": { }, "out": { "type": "frameSink" } }, "links": ["src -> out"] }""",
            "missing-property", "$.blocks.src", "block \"src\" has no \"type\"; say which block type it is."
        },
        {
            """{ "blocks": [], "links": [] }""",
            "wrong-type", "$.blocks", "\"blocks\" must be an object mapping block names to blocks, not an array."
        },
        {
            """{ "blocks": { }, "links": [] }""",
            "missing-property", "$.blocks", "\"blocks\" is empty; a pipeline needs at least one block."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "out": { "type": "frameSink" } }, "links": {} }""",
            "wrong-type", "$.links", "\"links\" must be an array of links, not an object."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "blur": { "type": "blur" }, "blur": { "type": "blur" }, "out": { "type": "frameSink" } }, "links": ["src -> blur -> out"] }""",
            "duplicate-block", "$.blocks.blur", "block \"blur\" is defined more than once; block names must be unique."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blurr\""),
            "unknown-block-type", "$.blocks.blur.type", "block \"blur\" has unknown type \"blurr\"; did you mean \"blur\"?"
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"sharpen\""),
            "unknown-block-type", "$.blocks.blur.type", "block \"blur\" has unknown type \"sharpen\"; \"odyssey-pipeline blocks\" lists the registered types."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": 5"),
            "wrong-type", "$.blocks.blur.type", "the type of block \"blur\" must be a string, not 5."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"option\": {}"),
            "unknown-property", "$.blocks.blur.option", "block \"blur\" has no property \"option\"; did you mean \"options\"?"
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"options\": []"),
            "wrong-type", "$.blocks.blur.options", "the options of block \"blur\" (blur) must be an object, not an array."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"options\": { \"kernal\": 5 }"),
            "unknown-option", "$.blocks.blur.options.kernal", "block \"blur\" (blur) has no option \"kernal\"; did you mean \"kernel\"?"
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"options\": { \"kernel\": 3, \"kernel\": 5 }"),
            "duplicate-property", "$.blocks.blur.options.kernel", "block \"blur\" (blur) sets option \"kernel\" more than once; give it once."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "motion": { "type": "motion" }, "rec": { "type": "recordSink" } }, "links": ["src -> motion -> rec"] }""",
            "missing-option", "$.blocks.rec", "block \"rec\" (recordSink) needs option \"path\" (a string)."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"options\": { \"kernel\": 99 }"),
            "out-of-range", "$.blocks.blur.options.kernel", "option \"kernel\" of block \"blur\" (blur) must be from 1 to 31, not 99."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"fps\": 0.25 }"),
            "out-of-range", "$.blocks.src.options.fps", "option \"fps\" of block \"src\" (testSource) must be from 0.5 to 240, not 0.25."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"width\": \"wide\" }"),
            "wrong-type", "$.blocks.src.options.width", "option \"width\" of block \"src\" (testSource) must be an integer, not \"wide\"."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"width\": 640.5 }"),
            "wrong-type", "$.blocks.src.options.width", "option \"width\" of block \"src\" (testSource) must be an integer, not 640.5."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"width\": null }"),
            "wrong-type", "$.blocks.src.options.width", "option \"width\" of block \"src\" (testSource) must be an integer, not null."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"frames\": 3000000000 }"),
            "out-of-range", "$.blocks.src.options.frames", "option \"frames\" of block \"src\" (testSource) must be an integer from -2147483648 to 2147483647, not 3000000000."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"live\": \"yes\" }"),
            "wrong-type", "$.blocks.src.options.live", "option \"live\" of block \"src\" (testSource) must be true or false, not \"yes\"."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"pattern\": \"stripes\" }"),
            "invalid-value", "$.blocks.src.options.pattern", "option \"pattern\" of block \"src\" (testSource) must be one of \"bars\", \"gradient\", \"solid-color\", not \"stripes\"."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"options\": { \"pattern\": \"SolidColor\" }"),
            "invalid-value", "$.blocks.src.options.pattern", "option \"pattern\" of block \"src\" (testSource) must be one of \"bars\", \"gradient\", \"solid-color\", not \"SolidColor\"."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"options\": { \"kernel\": 4 }"),
            "invalid-value", "$.blocks.blur.options.kernel", "the options of block \"blur\" (blur) are invalid: kernel must be odd."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "motion": { "type": "motion", "options": { "minArea": 50, "maxArea": 10 } }, "rec": { "type": "recordSink", "options": { "path": "r.jsonl" } } }, "links": ["src -> motion -> rec"] }""",
            "invalid-value", "$.blocks.motion.options.minArea", "the options of block \"motion\" (motion) are invalid: minArea must not exceed maxArea."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "motion": { "type": "motion", "parallelism": 2 }, "rec": { "type": "recordSink", "options": { "path": "r.jsonl" } } }, "links": ["src -> motion -> rec"] }""",
            "invalid-parallelism", "$.blocks.motion.parallelism", "block \"motion\" (motion) cannot run with parallelism 2: its type is not marked thread-safe (it keeps state between items)."
        },
        {
            Valid.Replace("\"type\": \"testSource\"", "\"type\": \"testSource\", \"parallelism\": 2"),
            "invalid-parallelism", "$.blocks.src.parallelism", "block \"src\" (testSource) cannot run with parallelism 2: only transform blocks run in parallel."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"parallelism\": 65"),
            "invalid-parallelism", "$.blocks.blur.parallelism", "the parallelism of block \"blur\" (blur) must be an integer from 1 to 64, not 65."
        },
        {
            Valid.Replace("\"type\": \"blur\"", "\"type\": \"blur\", \"parallelism\": 1.5"),
            "invalid-parallelism", "$.blocks.blur.parallelism", "the parallelism of block \"blur\" (blur) must be an integer from 1 to 64, not 1.5."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"blur -> preview\""),
            "unknown-block", "$.links[1]", "link \"blur -> preview\" names block \"preview\", which is not defined."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"blur -> outt\""),
            "unknown-block", "$.links[1]", "link \"blur -> outt\" names block \"outt\", which is not defined; did you mean \"out\"?"
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src.video -> blur -> out\""),
            "unknown-port", "$.links[0]", "block \"src\" (testSource) has no output port \"video\"; its output ports are \"out\"."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"out -> blur\""),
            "unknown-port", "$.links[1]", "block \"out\" (frameSink) has no output port, so it cannot be the source of a link."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "mux": { "type": "mux" }, "out": { "type": "frameSink" } }, "links": ["src -> mux.video", "mux -> out"] }""",
            "ambiguous-port", "$.links[1]", "block \"mux\" (mux) has several output ports (\"out\", \"preview\"); name one, as in \"mux.out\"."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "mux": { "type": "mux" }, "out": { "type": "frameSink" } }, "links": ["src -> mux", "mux.out -> out"] }""",
            "ambiguous-port", "$.links[0]", "block \"mux\" (mux) has several input ports (\"video\", \"records\"); name one, as in \"mux.video\"."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"src -> -> out\""),
            "invalid-link", "$.links[1]", "link \"src -> -> out\" has an empty step; every \"->\" needs a block on each side."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"src\""),
            "invalid-link", "$.links[1]", "link \"src\" has no arrow; write it as \"from -> to\"."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"blur.in -> out\""),
            "invalid-link", "$.links[1]", "\"blur.in\" is an input, so it cannot be the source of a link."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"src -> blur.out\""),
            "invalid-link", "$.links[1]", "\"blur.out\" is an output, so it cannot receive a link."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"src -> my blur\""),
            "invalid-link", "$.links[1]", "step \"my blur\" of link \"src -> my blur\" is not a block name or \"block.port\"."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"src -> blur.in -> out\""),
            "invalid-link", "$.links[1]", "step \"blur.in\" of link \"src -> blur.in -> out\" names a port in the middle of a chain; only the first and last steps may name one."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", { \"chain\": \"blur -> out\", \"from\": \"blur\" }"),
            "invalid-link", "$.links[1]", "link 1 has both \"chain\" and \"from\"/\"to\"; use one form."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", \"blur -> out\""),
            "duplicate-link", "$.links[1]", "the link from \"blur.out\" to \"out.in\" is declared twice; the first is at $.links[0]."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", { \"from\": \"blur\" }"),
            "missing-property", "$.links[1]", "link 1 has \"from\" but no \"to\"."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur -> out\", 42"),
            "wrong-type", "$.links[1]", "link 1 must be a chain string such as \"a -> b\" or an object, not 42."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur\", { \"from\": \"blur\", \"to\": \"out\", \"capasity\": 4 }"),
            "unknown-property", "$.links[1].capasity", "link 1 has no property \"capasity\"; did you mean \"capacity\"?"
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur\", { \"from\": \"blur\", \"to\": \"out\", \"capacity\": \"big\" }"),
            "wrong-type", "$.links[1].capacity", "the capacity of link 1 must be an integer, not \"big\"."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur\", { \"from\": \"blur\", \"to\": \"out\", \"capacity\": 0 }"),
            "out-of-range", "$.links[1].capacity", "the capacity of link 1 must be from 1 to 65536, not 0."
        },
        {
            Valid.Replace("\"src -> blur -> out\"", "\"src -> blur\", { \"chain\": \"blur -> out\", \"full\": \"block\" }"),
            "invalid-value", "$.links[1].full", "the full mode of link 1 must be one of \"wait\", \"drop-oldest\", \"drop-newest\", not \"block\"."
        },
        {
            Valid.Replace("\"blocks\"", "\"defaults\": { \"capacity\": 100000 }, \"blocks\""),
            "out-of-range", "$.defaults.capacity", "the default capacity must be from 1 to 65536, not 100000."
        },
        {
            Valid.Replace("\"blocks\"", "\"defaults\": { \"full\": \"drop_oldest\" }, \"blocks\""),
            "invalid-value", "$.defaults.full", "the default full mode must be one of \"wait\", \"drop-oldest\", \"drop-newest\", not \"drop_oldest\"."
        },
        {
            Valid.Replace("\"blocks\"", "\"defaults\": { \"fulll\": \"wait\" }, \"blocks\""),
            "unknown-property", "$.defaults.fulll", "\"defaults\" has no property \"fulll\"; did you mean \"full\"?"
        },
        {
            Valid.Replace("\"out\": { \"type\": \"frameSink\" }", "\"out\": { \"type\": \"frameSink\" }, \"spare\": { \"type\": \"frameSink\" }"),
            "unconnected-port", "$.blocks.spare", "block \"spare\" (frameSink) is not linked to anything."
        },
        {
            Valid.Replace("\"out\": { \"type\": \"frameSink\" }", "\"out\": { \"type\": \"frameSink\" }, \"my-sink\": { \"type\": \"frameSink\" }"),
            "unconnected-port", "$.blocks['my-sink']", "block \"my-sink\" (frameSink) is not linked to anything."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "motion": { "type": "motion" }, "mux": { "type": "mux" }, "out": { "type": "frameSink" } }, "links": ["src -> motion -> mux.records", "mux.out -> out"] }""",
            "unconnected-port", "$.blocks.mux", "input \"video\" of block \"mux\" (mux) is not connected."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "blur": { "type": "blur" }, "out": { "type": "frameSink" }, "rec": { "type": "recordSink", "options": { "path": "r.jsonl" } } }, "links": ["src -> blur -> out", "src -> rec"] }""",
            "type-mismatch", "$.links[1]", "output \"src.out\" produces VideoFrame but input \"rec.in\" accepts AnalysisRecord."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "a": { "type": "blur" }, "b": { "type": "blur" }, "out": { "type": "frameSink" } }, "links": ["src -> a -> b -> out", "b -> a"] }""",
            "cycle", "$.links[1]", "the links form a cycle: a -> b -> a; data must flow one way, from sources to sinks."
        },
        {
            """{ "blocks": { "src": { "type": "testSource" }, "a": { "type": "blur" }, "out": { "type": "frameSink" } }, "links": ["src -> a -> out", "a -> a"] }""",
            "cycle", "$.links[1]", "the links form a cycle: a -> a; data must flow one way, from sources to sinks."
        },
        {
            Valid.Replace("\"blocks\"", "\"description\": 7, \"blocks\""),
            "wrong-type", "$.description", "\"description\" must be a string, not 7."
        },
        {
            Valid.Replace("\"blocks\"", "\"plugins\": \"Acme.dll\", \"blocks\""),
            "wrong-type", "$.plugins", "\"plugins\" must be an array of assembly paths, not \"Acme.dll\"."
        },
    };

    [Theory]
    [MemberData(nameof(SingleProblemFiles))]
    public void Load_FileWithOneProblem_ReportsExactlyThatProblem(string json, string rule, string path, string message)
    {
        var result = Load(json);

        Assert.False(result.IsValid);
        Assert.Null(result.Definition);
        var error = Assert.Single(result.Errors);
        Assert.Equal(rule, error.Rule);
        Assert.Equal(path, error.Path);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Load_MalformedJson_ReportsLineAndColumn()
    {
        const string json = "{\n  \"blocks\": {\n    \"src\" { }\n  }\n}";

        var error = Assert.Single(Load(json).Errors);

        Assert.Equal("malformed-json", error.Rule);
        Assert.Equal("$", error.Path);
        Assert.Equal("the file is not valid JSON: '{' is invalid after a property name. Expected a ':'.", error.Message);
        Assert.Equal(3, error.Line);
        Assert.Equal(11, error.Column);
        Assert.Equal("$ (line 3, column 11): the file is not valid JSON: '{' is invalid after a property name. Expected a ':'.", error.ToString());
    }

    [Fact]
    public void Load_UnclosedObject_ReportsMalformedJson()
    {
        var error = Assert.Single(Load("{ \"blocks\": {").Errors);

        Assert.Equal("malformed-json", error.Rule);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Load_EscapedLoneSurrogate_ReportsMalformedJsonAtTheString()
    {
        var json = Valid.Replace("\"type\": \"blur\"", "\"type\": \"bl\\uD800ur\"");

        var error = Assert.Single(Load(json).Errors);

        Assert.Equal(new PipelineError("malformed-json", "$.blocks.blur.type", "the string here holds an invalid \\u escape (a lone UTF-16 surrogate)."), error);
    }

    [Fact]
    public void Load_LoneSurrogateInText_ReportsMalformedJson()
    {
        var json = Valid.Replace("\"type\": \"blur\"", "\"type\": \"bl\uD800ur\"");

        var error = Assert.Single(Load(json).Errors);

        Assert.Equal("malformed-json", error.Rule);
        Assert.Equal("$", error.Path);
    }

    [Fact]
    public void Load_InvalidBlockName_ReportsNameAndQuotedPath()
    {
        var json = Valid.Replace("\"out\": { \"type\": \"frameSink\" }", "\"out\": { \"type\": \"frameSink\" }, \"odd name\": { \"type\": \"frameSink\" }");

        var errors = Load(json).Errors;

        Assert.Equal<PipelineError>(
            [
                new PipelineError("invalid-name", "$.blocks['odd name']", "block name \"odd name\" may use only letters, digits, '_' and '-', and must not be empty."),
                new PipelineError("unconnected-port", "$.blocks['odd name']", "block \"odd name\" (frameSink) is not linked to anything."),
            ],
            errors);
    }

    [Fact]
    public void Load_ManyProblems_ReportsEveryOneInFileOrder()
    {
        const string json = """
            {
              "defaults": { "capacity": 0 },
              "blocks": {
                "src": { "type": "testSource", "options": { "widht": 320, "pattern": "plaid" } },
                "blur": { "type": "gaussianBlur" },
                "motion": { "type": "motion", "parallelism": 4 },
                "rec": { "type": "recordSink" },
                "spare": { "type": "frameSink" }
              },
              "links": [
                "src -> blur",
                "src -> motion -> rec",
                "motion -> -> rec",
                "rec -> src"
              ]
            }
            """;

        var errors = Load(json).Errors;

        Assert.Equal<PipelineError>(
            [
                new PipelineError("out-of-range", "$.defaults.capacity", "the default capacity must be from 1 to 65536, not 0."),
                new PipelineError("unknown-option", "$.blocks.src.options.widht", "block \"src\" (testSource) has no option \"widht\"; did you mean \"width\"?"),
                new PipelineError("invalid-value", "$.blocks.src.options.pattern", "option \"pattern\" of block \"src\" (testSource) must be one of \"bars\", \"gradient\", \"solid-color\", not \"plaid\"."),
                new PipelineError("unknown-block-type", "$.blocks.blur.type", "block \"blur\" has unknown type \"gaussianBlur\"; \"odyssey-pipeline blocks\" lists the registered types."),
                new PipelineError("invalid-parallelism", "$.blocks.motion.parallelism", "block \"motion\" (motion) cannot run with parallelism 4: its type is not marked thread-safe (it keeps state between items)."),
                new PipelineError("missing-option", "$.blocks.rec", "block \"rec\" (recordSink) needs option \"path\" (a string)."),
                new PipelineError("invalid-link", "$.links[2]", "link \"motion -> -> rec\" has an empty step; every \"->\" needs a block on each side."),
                new PipelineError("unknown-port", "$.links[3]", "block \"rec\" (recordSink) has no output port, so it cannot be the source of a link."),
                new PipelineError("unknown-port", "$.links[3]", "block \"src\" (testSource) has no input port, so it cannot receive a link."),
                new PipelineError("unconnected-port", "$.blocks.spare", "block \"spare\" (frameSink) is not linked to anything."),
            ],
            errors);
    }

    [Fact]
    public void Load_SeveralCycles_ReportsEachOnce()
    {
        const string json = """
            {
              "blocks": {
                "src": { "type": "testSource" },
                "a": { "type": "blur" }, "b": { "type": "blur" }, "c": { "type": "blur" },
                "d": { "type": "blur" }, "e": { "type": "blur" },
                "out": { "type": "frameSink" }
              },
              "links": ["src -> a -> b -> c -> out", "c -> a", "b -> a", "src -> d -> e -> out", "e -> d"]
            }
            """;

        var errors = Load(json).Errors;

        Assert.Equal<PipelineError>(
            [
                new PipelineError("cycle", "$.links[2]", "the links form a cycle: a -> b -> a; data must flow one way, from sources to sinks."),
                new PipelineError("cycle", "$.links[4]", "the links form a cycle: d -> e -> d; data must flow one way, from sources to sinks."),
            ],
            errors);
    }

    [Fact]
    public void Load_OverrideWithoutEquals_ReportsInvalidOverride()
    {
        var error = Assert.Single(Load(Valid, "blur.kernel").Errors);

        Assert.Equal(new PipelineError("invalid-override", "--set[0]", "--set \"blur.kernel\" is not of the form block.option=value."), error);
    }

    [Fact]
    public void Load_OverrideOfUnknownBlock_ReportsInvalidOverrideWithHint()
    {
        var error = Assert.Single(Load(Valid, "blur.kernel=5", "blurr.kernel=5").Errors);

        Assert.Equal(new PipelineError("invalid-override", "--set[1]", "--set \"blurr.kernel=5\" names block \"blurr\", which the pipeline does not define; did you mean \"blur\"?"), error);
    }

    [Fact]
    public void Load_OverrideWithWrongType_ReportsAtTheOverride()
    {
        var error = Assert.Single(Load(Valid, "blur.kernel=big").Errors);

        Assert.Equal(new PipelineError("wrong-type", "--set[0]", "option \"kernel\" of block \"blur\" (blur) must be an integer, not \"big\"."), error);
    }

    [Fact]
    public void Load_OverrideOfUnknownOption_ReportsUnknownOptionAtTheOverride()
    {
        var error = Assert.Single(Load(Valid, "blur.sigmaa=2").Errors);

        Assert.Equal(new PipelineError("unknown-option", "--set[0]", "block \"blur\" (blur) has no option \"sigmaa\"; did you mean \"sigma\"?"), error);
    }

    [Fact]
    public void LoadFile_MissingFile_ReportsFileNotFound()
    {
        var path = Path.Combine(Path.GetTempPath(), $"odyssey-missing-{Guid.NewGuid():N}.json");

        var error = Assert.Single(PipelineLoader.LoadFile(path, TestRegistry.Create()).Errors);

        Assert.Equal(new PipelineError("file-not-found", "$", $"pipeline file \"{path}\" does not exist."), error);
    }

    [Fact]
    public void Load_PluginThatDoesNotExist_ReportsPluginNotFound()
    {
        var json = Valid.Replace("\"blocks\"", "\"plugins\": [\"plugins/Acme.Missing.dll\"], \"blocks\"");
        var expectedPath = Path.Combine(BaseDirectory, "plugins", "Acme.Missing.dll");

        var error = Assert.Single(Load(json).Errors);

        Assert.Equal(new PipelineError("plugin-not-found", "$.plugins[0]", $"plugin \"plugins/Acme.Missing.dll\" was not found (looked for {expectedPath})."), error);
    }

    [Fact]
    public void LoadFile_PluginThatIsNotAnAssembly_ReportsPluginLoadFailed()
    {
        var directory = Directory.CreateTempSubdirectory("odyssey-loader-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "NotAnAssembly.dll"), "this is text, not a PE image");
            var file = Path.Combine(directory.FullName, "p.json");
            File.WriteAllText(file, Valid.Replace("\"blocks\"", "\"plugins\": [\"NotAnAssembly.dll\"], \"blocks\""));

            var error = Assert.Single(PipelineLoader.LoadFile(file, TestRegistry.Create()).Errors);

            Assert.Equal("plugin-load-failed", error.Rule);
            Assert.Equal("$.plugins[0]", error.Path);
            Assert.StartsWith("plugin \"NotAnAssembly.dll\" could not be loaded: ", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
