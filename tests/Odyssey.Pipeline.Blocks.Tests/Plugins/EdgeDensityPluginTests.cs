using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>The sample plugin, loaded from its build folder as the runner loads plugins.</summary>
public class EdgeDensityPluginTests
{
    private const string TypeName = "acme.edgeDensity";

    [Fact]
    public void PluginFolder_HoldsThePluginButNoHostAssemblies()
    {
        var folder = Path.GetDirectoryName(PluginPath())!;

        var assemblies = Directory.GetFiles(folder, "*.dll").Select(Path.GetFileName).ToArray();

        Assert.Contains("Acme.EdgeDensity.dll", assemblies);
        Assert.DoesNotContain(assemblies, name => name!.StartsWith("Odyssey.", StringComparison.Ordinal) || name.StartsWith("OpenCvSharp", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadPlugin_BuiltSample_RegistersItsBlock()
    {
        var registry = BuiltInBlocks.CreateRegistry();

        registry.LoadPlugin(PluginPath());

        Assert.True(registry.TryGet(TypeName, out var descriptor));
        Assert.Equal(BlockKind.Transform, descriptor.Kind);
        Assert.Equal(typeof(AnalysisRecord), descriptor.FindPort("out", PortDirection.Output)!.Payload);
        Assert.Equal(["lowThreshold", "highThreshold"], descriptor.Options.Select(o => o.Name));
        Assert.False(descriptor.ThreadSafe);

        // The plugin shares the host's contract assemblies instead of loading its own copies.
        Assert.Same(typeof(Block).Assembly, descriptor.BlockType.BaseType!.Assembly);
    }

    [Fact]
    public async Task LoadedPlugin_Transform_ReportsTheEdgeFraction()
    {
        var registry = BuiltInBlocks.CreateRegistry();
        registry.LoadPlugin(PluginPath());
        Assert.True(registry.TryGet(TypeName, out var descriptor));

        using var context = new TestBlockContext("edges");
        var created = descriptor.CreateBlock(descriptor.CreateDefaultOptions());
        var frame = await OpenCvTransformTests.InputAsync(context, PixelFormat.Bgr24);
        created.Attach(context);

        // The block's TransformAsync is reached through its generic base, whose options type is the plugin's.
        var transform = created.GetType().BaseType!.GetMethod("TransformAsync", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!;
        var pending = (ValueTask<AnalysisRecord?>)transform.Invoke(created, [frame, CancellationToken.None])!;
        var record = (await pending.AsTask().WaitAsync(BlockHarness.Timeout))!;

        using var source = TestFrames.ToMat(frame);
        using var gray = source.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var edges = gray.Canny(100, 200);
        var expected = (double)Cv2.CountNonZero(edges) / (frame.Width * frame.Height);
        Assert.Equal(TypeName, record.Kind);
        Assert.Equal(("edges", frame.Index), (record.Block, record.FrameIndex));
        var density = (double)record.GetType().GetProperty("Density")!.GetValue(record)!;
        Assert.Equal(expected, density, 12);
        Assert.True(density > 0);
        await created.DisposeAsync();
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public void LoadedPlugin_Options_RejectLowAboveHigh()
    {
        var registry = BuiltInBlocks.CreateRegistry();
        registry.LoadPlugin(PluginPath());
        Assert.True(registry.TryGet(TypeName, out var descriptor));
        var options = descriptor.CreateDefaultOptions();
        descriptor.FindOption("lowThreshold")!.Property.SetValue(options, 300.0);

        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains("lowThreshold", results.Single().MemberNames);
    }

    /// <summary>build/plugins/Acme.EdgeDensity.dll at the repository root (found from the test's own folder).</summary>
    private static string PluginPath()
    {
        var path = Path.Combine(Odyssey.Tests.RepositoryRoot.Path, "build", "plugins", "Acme.EdgeDensity.dll");
        Assert.True(File.Exists(path), $"build samples/Acme.EdgeDensity first: {path} is missing");
        return path;
    }
}
