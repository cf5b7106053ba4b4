using System.Text.Json.Nodes;
using CsCheck;
using Odyssey.Tests;

namespace Odyssey.Pipeline.Tests.Loading;

/// <summary>Random and mutated pipeline files: the loader answers with errors, never an exception or a hang.</summary>
public sealed class PipelineLoaderPropertyTests
{
    /// <summary>Generous bound for a whole property run: reached only if the loader hangs, never by slowness.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private const int Iterations = 1500;

    /// <summary>A valid file touching every feature, so mutations reach every check.</summary>
    private const string Seed = """
        {
          "$schema": "schema.json",
          "description": "seed", // a comment
          "defaults": { "capacity": 8, "full": "wait" },
          "blocks": {
            "src": { "type": "testSource", "options": { "width": 320, "frames": null, "pattern": "solid-color", "fps": 25.5, "live": false, "label": "x" } },
            "mux": { "type": "mux" },
            "blur": { "type": "blur", "options": { "kernel": 5 }, "parallelism": 2 },
            "motion": { "type": "motion", "options": { "minArea": 1, "maxArea": 9 } },
            "rec": { "type": "recordSink", "options": { "path": "r.jsonl" } },
            "out": { "type": "frameSink" },
            "preview": { "type": "frameSink" },
          },
          "links": [
            "src -> mux.video",
            "mux.out -> blur -> motion -> rec",
            { "from": "mux.preview", "to": "preview.in", "capacity": 4, "full": "drop-oldest" },
            { "chain": "blur -> out", "capacity": 2 },
          ],
        }
        """;

    private static readonly HashSet<string> KnownRules =
        [.. typeof(PipelineRules).GetFields().Select(f => (string)f.GetValue(null)!)];

    private static readonly Gen<char> JsonishChar = Gen.Char["{}[]\":,.-> \n/*\\abcdefklmnoprstuvwxy0123456789eE+-_'"];

    [Fact]
    public void Load_SeedFile_IsValid()
    {
        var result = PipelineLoader.Load(Seed, TestRegistry.Create(), LoaderTestKit.BaseDirectory);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Load_SeedWithCharacterEdits_OnlyEverReportsErrors()
    {
        // Each edit: 0 delete, 1 duplicate, 2 insert, 3 replace the character at a position.
        var edits = Gen.Select(Gen.Int[0, TextMutation.KindCount - 1], Gen.Int[0, Seed.Length - 1], JsonishChar).Array[1, 8];

        await Run(() => edits.Sample(e => AssertLoads(TextMutation.Apply(Seed, e), []), iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Load_SeedWithRandomValues_OnlyEverReportsErrors()
    {
        var nodeCount = JsonNode.Parse(Seed, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!
            .AsObject().DescendantsAndSelf().Count();
        var replacements = Gen.Select(Gen.Int[1, nodeCount - 1], RandomValue()).Array[1, 4];

        await Run(() => replacements.Sample(r => AssertLoads(Replace(r), []), iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Load_RandomText_OnlyEverReportsErrors()
    {
        var jsonish = JsonishChar.Array[0, 120].Select(c => new string(c));

        await Run(() => Gen.OneOf<string>(Gen.String, jsonish).Sample(text => AssertLoads(text, []), iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Load_RandomOverrides_OnlyEverReportsErrors()
    {
        var key = Gen.OneOf<string>(Gen.Const("src."), Gen.Const("blur.kernel"), Gen.Const("rec.path="), Gen.String);
        var overrides = Gen.Select(key, Gen.OneOf<string>(Gen.String, JsonishChar.Array[0, 12].Select(c => new string(c))), (k, v) => k + "=" + v).Array[0, 4];

        await Run(() => overrides.Sample(o => AssertLoads(Seed, o), iter: Iterations, threads: 1));
    }

    private static async Task Run(Action property) => await Task.Run(property).WaitAsync(HangGuard);

    private static void AssertLoads(string json, string[] overrides)
    {
        var result = PipelineLoader.Load(json, TestRegistry.Create(), LoaderTestKit.BaseDirectory, overrides);

        if (result.Definition is null)
        {
            Assert.NotEmpty(result.Errors);
        }
        else
        {
            Assert.Empty(result.Errors);
        }

        foreach (var error in result.Errors)
        {
            Assert.Contains(error.Rule, KnownRules);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
            Assert.True(error.Path.StartsWith('$') || error.Path.StartsWith("--set[", StringComparison.Ordinal), error.Path);
        }
    }

    private static Gen<Func<JsonNode?>> RandomValue()
    {
        // Factories, not nodes: a JsonNode can have only one parent, and a sample may be replayed.
        var finite = Gen.Double.Where(double.IsFinite);
        return Gen.OneOf<Func<JsonNode?>>(
            Gen.Int.Select(i => (Func<JsonNode?>)(() => JsonValue.Create(i))),
            Gen.Long.Select(l => (Func<JsonNode?>)(() => JsonValue.Create(l))),
            finite.Select(d => (Func<JsonNode?>)(() => JsonValue.Create(d))),
            Gen.String.Select(s => (Func<JsonNode?>)(() => JsonValue.Create(s))),
            Gen.OneOf<string>(Gen.Const("->"), Gen.Const("a -> b"), Gen.Const("src.out"), Gen.Const("drop-oldest"), Gen.Const("blur"), Gen.Const("testSource"))
                .Select(s => (Func<JsonNode?>)(() => JsonValue.Create(s))),
            Gen.Bool.Select(b => (Func<JsonNode?>)(() => JsonValue.Create(b))),
            Gen.Int[0, 2].Select(Structured));
    }

    private static Func<JsonNode?> Structured(int which) => which switch
    {
        0 => () => null,
        1 => () => new JsonArray(1, "x", null),
        _ => () => new JsonObject { ["type"] = "blur", ["x"] = 1 },
    };

    private static string Replace((int Index, Func<JsonNode?> Value)[] replacements)
    {
        var root = JsonNode.Parse(Seed, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        foreach (var (index, value) in replacements)
        {
            var nodes = root.AsObject().DescendantsAndSelf().ToList();
            var target = nodes[index % nodes.Count];
            if (target is not null && target.Parent is not null)
            {
                target.ReplaceWith(value());
            }
        }

        return root.ToJsonString();
    }
}

internal static class JsonNodeWalk
{
    /// <summary>The node and everything under it, depth first.</summary>
    public static IEnumerable<JsonNode?> DescendantsAndSelf(this JsonNode? node)
    {
        yield return node;
        switch (node)
        {
            case JsonObject obj:
                foreach (var property in obj.ToList())
                {
                    foreach (var child in property.Value.DescendantsAndSelf())
                    {
                        yield return child;
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array.ToList())
                {
                    foreach (var child in item.DescendantsAndSelf())
                    {
                        yield return child;
                    }
                }

                break;
            default:
                break;
        }
    }
}
