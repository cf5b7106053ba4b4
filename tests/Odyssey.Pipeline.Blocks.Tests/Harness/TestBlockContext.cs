using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// A block context without an engine: its own frame pool (so a test can check every frame came back)
/// and its own temporary base directory, deleted on dispose.
/// </summary>
internal sealed class TestBlockContext : BlockContext, IDisposable
{
    public TestBlockContext(string name = "under-test")
    {
        Name = name;
        BaseDirectory = Directory.CreateTempSubdirectory("odyssey-blocks-").FullName;
    }

    public override string Name { get; }

    public override VideoFramePool FramePool { get; } = new();

    public override string BaseDirectory { get; }

    public override IBlockInput<T> GetInput<T>(string port) => throw new NotSupportedException("the test context has no ports; call the block's methods directly");

    public override IBlockOutput<T> GetOutput<T>(string port) => throw new NotSupportedException("the test context has no ports; call the block's methods directly");

    public void Dispose()
    {
        try
        {
            Directory.Delete(BaseDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a test over.
        }
    }
}

/// <summary>An output port that keeps what it is given; the test owns the items and releases them.</summary>
internal sealed class CollectingOutput<T> : IBlockOutput<T>
{
    private readonly int _cancelAfter;
    private readonly CancellationTokenSource? _stop;

    /// <summary>When <paramref name="stop"/> is given, it is cancelled once <paramref name="cancelAfter"/> items arrived.</summary>
    public CollectingOutput(CancellationTokenSource? stop = null, int cancelAfter = int.MaxValue)
    {
        _stop = stop;
        _cancelAfter = cancelAfter;
    }

    public List<T> Items { get; } = [];

    public bool IsConnected => true;

    public ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        Items.Add(item);
        if (Items.Count >= _cancelAfter)
        {
            _stop?.Cancel();
        }

        return ValueTask.CompletedTask;
    }

    public void ReleaseAll()
    {
        foreach (var item in Items)
        {
            Ownership<T>.Release(item);
        }

        Items.Clear();
    }
}

/// <summary>Runs blocks the way the engine would, one call at a time, without channels.</summary>
internal static class BlockHarness
{
    /// <summary>A bug must fail a test, not hang it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<TBlock> StartAsync<TBlock>(TBlock block, BlockContext context)
        where TBlock : Block
    {
        block.Attach(context);
        await block.StartAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);
        return block;
    }

    public static async Task<List<TOut>> ProduceAsync<TOut, TOptions>(SourceBlock<TOut, TOptions> block, CancellationTokenSource? stop = null, int cancelAfter = int.MaxValue)
        where TOptions : class
    {
        var output = new CollectingOutput<TOut>(stop, cancelAfter);
        await block.ProduceAsync(output, stop?.Token ?? CancellationToken.None).WaitAsync(Timeout);
        return output.Items;
    }

    public static Task<TOut?> TransformAsync<TIn, TOut, TOptions>(TransformBlock<TIn, TOut, TOptions> block, TIn input)
        where TOut : class
        where TOptions : class =>
        block.TransformAsync(input, CancellationToken.None).AsTask().WaitAsync(Timeout);

    public static Task ConsumeAsync<TIn, TOptions>(SinkBlock<TIn, TOptions> block, TIn item)
        where TOptions : class =>
        block.ConsumeAsync(item, CancellationToken.None).AsTask().WaitAsync(Timeout);

    public static Task CompleteAsync<TIn, TOptions>(SinkBlock<TIn, TOptions> block)
        where TOptions : class =>
        block.CompleteAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);

    /// <summary>Feeds each frame to a transform, releasing each input as the engine does; returns the owned outputs.</summary>
    public static async Task<List<TOut>> TransformAllAsync<TOut, TOptions>(TransformBlock<VideoFrame, TOut, TOptions> block, IEnumerable<VideoFrame> inputs)
        where TOut : class
        where TOptions : class
    {
        var results = new List<TOut>();
        foreach (var input in inputs)
        {
            var result = await TransformAsync(block, input);
            Assert.NotNull(result);
            results.Add(result);
        }

        return results;
    }
}
