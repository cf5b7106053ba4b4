using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests.OdysseySource;

/// <summary>
/// The odyssey source's options and script, the trigger's rule and rate limiting, and the loader's
/// handling of the feedback loop between them. The live behaviour runs in the runner's end-to-end tests.
/// </summary>
public class OdysseyBlocksTests
{
    private static PipelineLoadResult Load(string odysseyOptions, string extraBlocks = "", string extraLinks = "") =>
        PipelineLoader.Load(
            $$"""
            {
              "blocks": {
                "odyssey": { "type": "odyssey", "options": { {{odysseyOptions}} } },
                "decode": { "type": "decode" },
                "scenes": { "type": "sceneChange" },
                "sink": { "type": "null" }{{extraBlocks}}
              },
              "links": [ "odyssey.out -> decode -> scenes -> sink"{{extraLinks}} ]
            }
            """,
            BuiltInBlocks.CreateRegistry(),
            Path.GetTempPath());

    [Fact]
    public void Load_TriggerFeedsOdysseyInteract_LoopAllowedAndScriptBound()
    {
        var result = Load(
            """ "prompt": "a forest", "script": [ { "at": 1.5, "prompt": "rain" }, { "timestamp_ms": 2500, "interact": { "prompt": "snow" } }, { "frame": 90, "end": {} } ] """,
            """, "trigger": { "type": "trigger", "options": { "when": "scenes.cut == 1", "prompt": "something moves" } }""",
            """, "scenes -> trigger", "trigger -> odyssey.interact" """);

        Assert.Empty(result.Errors);
        var options = (OdysseySourceOptions)result.Definition!.Blocks.Single(b => b.Name == "odyssey").Options;
        Assert.Equal(
            [
                new ScriptEntry(TimeSpan.FromSeconds(1.5), null, ScriptAction.Interact, "rain"),
                new ScriptEntry(TimeSpan.FromSeconds(2.5), null, ScriptAction.Interact, "snow"),
                new ScriptEntry(null, 90, ScriptAction.End, ""),
            ],
            options.Entries);
    }

    [Fact]
    public void Load_CycleNotThroughAFeedbackPort_StillReported()
    {
        var result = PipelineLoader.Load(
            """
            {
              "blocks": {
                "src": { "type": "testpattern" }, "a": { "type": "convert", "options": { "format": "bgr24" } },
                "b": { "type": "gaussianBlur" }, "sink": { "type": "null" }
              },
              "links": [ "src -> a -> b -> sink", "b -> a" ]
            }
            """,
            BuiltInBlocks.CreateRegistry(),
            Path.GetTempPath());

        Assert.Contains(result.Errors, e => e.Rule == "cycle");
    }

    [Theory]
    [InlineData(""" "script": { "at": 1 } """, "$.blocks.odyssey.options.script", "must be an array")]
    [InlineData(""" "script": [ { "at": 1 } ] """, "$.blocks.odyssey.options.script", "script[0] needs \"prompt\"")]
    [InlineData(""" "script": [ { "at": 1, "frame": 3, "prompt": "x" } ] """, "$.blocks.odyssey.options.script", "script[0] needs exactly one of")]
    [InlineData(""" "script": [ { "prompt": "x", "at": 1 }, { "at": -1, "prompt": "y" } ] """, "$.blocks.odyssey.options.script", "script[1].at must be a number of seconds")]
    [InlineData(""" "script": [ { "at": 1, "start": { "prompt": "x" } } ] """, "$.blocks.odyssey.options.script", "\"start\" entry is the source's own \"prompt\"")]
    [InlineData(""" "script": [ { "at": 1, "prompt": " " } ] """, "$.blocks.odyssey.options.script", "script[0].prompt must not be empty")]
    [InlineData(""" "apiUrl": "ftp://example.com" """, "$.blocks.odyssey.options.apiUrl", "http:// or https://")]
    public void Load_BadOdysseyOption_OneErrorNamingTheOption(string options, string path, string text)
    {
        var error = Assert.Single(Load(options).Errors);

        Assert.Equal(path, error.Path);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_NoApiKeyAnywhere_UsesTheEmulator()
    {
        var withKey = new OdysseySourceOptions { ApiKey = "ody_real_key" };
        var forced = new OdysseySourceOptions { ApiKey = "ody_real_key", Emulator = true };
        var blank = new OdysseySourceOptions { ApiKey = " " };

        Assert.False(withKey.UsesEmulator);
        Assert.True(forced.UsesEmulator);
        Assert.True(blank.UsesEmulator);
    }

    [Theory]
    [InlineData("motion.movingFraction < 0.01 for 3 s", "motion", "movingFraction", "<", 0.01, 3)]
    [InlineData("scenes.cut==1", "scenes", "cut", "==", 1, 0)]
    [InlineData("  brightness.mean >= -2.5e1 for 0.5s ", "brightness", "mean", ">=", -25, 0.5)]
    public void TriggerRule_WellFormed_Parsed(string text, string record, string field, string op, double threshold, double seconds)
    {
        Assert.True(TriggerRule.TryParse(text, out var rule));

        Assert.Equal(new TriggerRule(record, field, op, threshold, TimeSpan.FromSeconds(seconds)), rule);
    }

    [Theory]
    [InlineData("")]
    [InlineData("motion < 0.01")]
    [InlineData("motion.movingFraction ~ 0.01")]
    [InlineData("motion.movingFraction < much")]
    [InlineData("motion.movingFraction < 0.01 for ever")]
    [InlineData("motion.movingFraction < 0.01 for 3 minutes")]
    public void TriggerRule_Malformed_RefusedByValidation(string text)
    {
        var options = new TriggerOptions { When = text, Prompt = "x" };

        Assert.False(TriggerRule.TryParse(text, out _));
        Assert.Contains(OptionsValidation.Validate(options), r => r.MemberNames.Contains(nameof(TriggerOptions.When)));
    }

    [Fact]
    public async Task Trigger_ConditionHeldThenCooldown_FiresOncePerPeriodAndResetsWhenBroken()
    {
        var trigger = new TriggerBlock(new TriggerOptions { When = "motion.movingFraction < 0.01 for 1 s", Prompt = "something moves", Cooldown = 2 });
        var fired = new List<long>();

        // 10 records a second: still (0.0) for 3 s, a moving blip at 3.0 s, still again until 6 s.
        for (var i = 0; i <= 60; i++)
        {
            var moving = i == 30 ? 0.5 : 0.0;
            var output = await trigger.TransformAsync(Motion(i, moving), CancellationToken.None);
            if (output is PromptRecord prompt)
            {
                Assert.Equal("something moves", prompt.Prompt);
                Assert.Equal("motion.movingFraction < 0.01 for 1 s", prompt.Rule);
                fired.Add(prompt.FrameIndex);
            }
        }

        // Held 1 s from frame 0: fires at 10. Held again from 11, but the cooldown lasts until 30, where the
        // blip breaks the hold; held from 31, fires at 41. The next would need 61, past the end.
        Assert.Equal([10, 41], fired);
        Assert.Equal(2, trigger.Fired);
    }

    [Fact]
    public async Task Trigger_OtherKindsAndMissingField_PassUnseen()
    {
        var trigger = new TriggerBlock(new TriggerOptions { When = "motion.score > 0", Prompt = "x", Cooldown = 0, MaxFires = 1 });

        Assert.Null(await trigger.TransformAsync(Motion(0, 1), CancellationToken.None)); // motion records have no "score"
        var onBrightness = new TriggerBlock(new TriggerOptions { When = "motion.movingFraction > 0", Prompt = "x", Cooldown = 0, MaxFires = 1 });
        Assert.Null(await onBrightness.TransformAsync(new PromptRecord { Block = "other", FrameIndex = 0, Prompt = "p" }, CancellationToken.None));
        Assert.NotNull(await onBrightness.TransformAsync(Motion(1, 1), CancellationToken.None));
        Assert.Null(await onBrightness.TransformAsync(Motion(2, 1), CancellationToken.None)); // maxFires reached
    }

    [Fact]
    public void EventRecord_WritesOnlyTheFieldsItHas()
    {
        var record = new OdysseyEventRecord { Block = "odyssey", FrameIndex = 30, Event = "acknowledged", Stream = 1, Prompt = "rain", Origin = "script" };
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            record.WriteTo(writer);
        }

        var json = JsonDocument.Parse(buffer.ToArray()).RootElement;
        Assert.Equal("odyssey", json.GetProperty("kind").GetString());
        Assert.Equal("acknowledged", json.GetProperty("event").GetString());
        Assert.Equal("script", json.GetProperty("origin").GetString());
        Assert.False(json.TryGetProperty("reason", out _));
        Assert.False(json.TryGetProperty("streamId", out _));
    }

    private static MotionRecord Motion(long frame, double moving) => new()
    {
        Block = "motion",
        FrameIndex = frame,
        Pts = TimeSpan.FromMilliseconds(frame * 100),
        MovingFraction = moving,
    };
}
