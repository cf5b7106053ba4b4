using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// A block context with ports, for custom blocks: each input is fed from a list given up front (then
/// completes), each output collects what the block writes. Owns a frame pool and a temporary directory.
/// </summary>
internal sealed class PortedBlockContext : BlockContext, IDisposable
{
    private readonly Dictionary<string, object> _inputs = [];
    private readonly Dictionary<string, object> _outputs = [];

    public override string Name => "under-test";

    public override VideoFramePool FramePool { get; } = new();

    public override string BaseDirectory { get; } = Directory.CreateTempSubdirectory("odyssey-blocks-").FullName;

    public void SetInput<T>(string port, IEnumerable<T> items) => _inputs[port] = new ListInput<T>(items);

    public CollectingOutput<T> SetOutput<T>(string port)
    {
        var output = new CollectingOutput<T>();
        _outputs[port] = output;
        return output;
    }

    public override IBlockInput<T> GetInput<T>(string port) => (IBlockInput<T>)_inputs[port];

    public override IBlockOutput<T> GetOutput<T>(string port) => (IBlockOutput<T>)_outputs[port];

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

    private sealed class ListInput<T>(IEnumerable<T> items) : IBlockInput<T>
    {
        private readonly Queue<T> _queue = new(items);

        public bool IsConnected => true;

        public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => new(_queue.Count > 0);

        public bool TryRead(out T item) => _queue.TryDequeue(out item!);
    }
}
