using Odyssey.Media;

namespace Odyssey.Pipeline.Tests.Execution;

/// <summary>Builds definitions directly (no loader) and runs them with a bound on time.</summary>
internal static class PipelineTestKit
{
    /// <summary>Long enough for any of these small runs on a loaded machine; a hang fails instead.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    public static BlockDefinition Block<TBlock>(string name, object options, int parallelism = 1) => new()
    {
        Name = name,
        Descriptor = BlockDescriptor.FromType(typeof(TBlock)),
        Options = options,
        Parallelism = parallelism,
    };

    public static LinkDefinition Link(string from, string to, int capacity = PipelineDefinition.DefaultCapacity, FullMode full = FullMode.Wait) => new()
    {
        From = Address(from),
        To = Address(to),
        Capacity = capacity,
        Full = full,
    };

    public static PipelineDefinition Graph(BlockDefinition[] blocks, params LinkDefinition[] links) => new()
    {
        Blocks = [.. blocks],
        Links = [.. links],
        BaseDirectory = Path.GetTempPath(),
    };

    public static PipelineRunOptions Options(VideoFramePool pool, ParallelTransformStrategy strategy = ParallelTransformStrategy.Channels) =>
        new() { FramePool = pool, ParallelStrategy = strategy };

    /// <summary>Awaits the run and checks the invariant every test shares: every frame went back to the pool.</summary>
    public static async Task<PipelineResult> FinishAsync(PipelineExecution execution, VideoFramePool pool)
    {
        var result = await execution.Completion.WaitAsync(RunTimeout);
        Assert.Equal(0, pool.Outstanding);
        return result;
    }

    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        while (!condition())
        {
            await Task.Delay(1, timeout.Token);
        }
    }

    public static long[] Sequence(long first, long count)
    {
        var values = new long[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = first + i;
        }

        return values;
    }

    public static BlockMetrics BlockOf(PipelineSnapshot snapshot, string name) => snapshot.Blocks.Single(b => b.Name == name);

    public static LinkMetrics LinkOf(PipelineSnapshot snapshot, string name) => snapshot.Links.Single(l => l.Name == name);

    private static PortAddress Address(string text)
    {
        var dot = text.LastIndexOf('.');
        return new PortAddress(text[..dot], text[(dot + 1)..]);
    }
}
