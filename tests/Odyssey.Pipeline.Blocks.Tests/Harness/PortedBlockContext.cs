using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// A block context with real ports for custom blocks: inputs are queues filled up front (already
/// completed), outputs collect what is written. Shares the frame pool of <paramref name="frames"/>.
/// </summary>
internal sealed class PortedBlockContext(VideoFramePool frames, string name = "under-test") : BlockContext
{
    private readonly Dictionary<string, object> _inputs = [];
    private readonly Dictionary<string, object> _outputs = [];

    public override string Name { get; } = name;

    public override VideoFramePool FramePool { get; } = frames;

    public override string BaseDirectory => Path.GetTempPath();

    /// <summary>Queues <paramref name="items"/> (ownership passes to the block that reads them) on input <paramref name="port"/>.</summary>
    public void Feed<T>(string port, IEnumerable<T> items) => _inputs[port] = new QueuedInput<T>(items);

    /// <summary>The items written to output <paramref name="port"/> so far (created on first use).</summary>
    public CollectingOutput<T> Output<T>(string port)
    {
        if (!_outputs.TryGetValue(port, out var output))
        {
            output = new CollectingOutput<T>();
            _outputs[port] = output;
        }

        return (CollectingOutput<T>)output;
    }

    /// <summary>Releases whatever the block left unread on its inputs, as the engine does after a failure.</summary>
    public void ReleaseUnread()
    {
        foreach (var input in _inputs.Values)
        {
            ((IUnread)input).ReleaseRest();
        }
    }

    public override IBlockInput<T> GetInput<T>(string port) =>
        _inputs.TryGetValue(port, out var input) ? (IBlockInput<T>)input : throw new InvalidOperationException($"no input fed on port {port}");

    public override IBlockOutput<T> GetOutput<T>(string port) => Output<T>(port);

    private interface IUnread
    {
        void ReleaseRest();
    }

    private sealed class QueuedInput<T>(IEnumerable<T> items) : IBlockInput<T>, IUnread
    {
        private readonly Queue<T> _queue = new(items);

        public bool IsConnected => true;

        public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_queue.Count > 0);

        public bool TryRead(out T item) => _queue.TryDequeue(out item!);

        /// <summary>Releases what the block never read, as the engine would.</summary>
        public void ReleaseRest()
        {
            while (_queue.TryDequeue(out var item))
            {
                Ownership<T>.Release(item);
            }
        }
    }
}
