namespace Odyssey.Pipeline.Tests.Loading;

/// <summary>Shared loading helpers: one registry of test blocks, a fixed base directory.</summary>
internal static class LoaderTestKit
{
    /// <summary>Base directory for inline JSON; never read, only joined with plugin paths.</summary>
    public static readonly string BaseDirectory = Path.Combine(Path.GetTempPath(), "odyssey-loader-tests");

    public static PipelineLoadResult Load(string json, params string[] overrides) =>
        PipelineLoader.Load(json, TestRegistry.Create(), BaseDirectory, overrides);

    /// <summary>The three-block pipeline most cases start from: src -> blur -> out.</summary>
    public const string Valid = """
        {
          "blocks": {
            "src": { "type": "testSource" },
            "blur": { "type": "blur" },
            "out": { "type": "frameSink" }
          },
          "links": ["src -> blur -> out"]
        }
        """;
}
