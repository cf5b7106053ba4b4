using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>Settings for one run that are not part of the pipeline file.</summary>
public sealed record PipelineRunOptions
{
    /// <summary>The pool blocks rent frames from; <see cref="VideoFramePool.Shared"/> when null.</summary>
    public VideoFramePool? FramePool { get; init; }

    /// <summary>
    /// Directory that relative paths in block options resolve against (<see cref="BlockContext.BaseDirectory"/>);
    /// the process's current directory when null, as ffmpeg and gst-launch users expect.
    /// </summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Names the run in what network sinks publish (<see cref="BlockContext.RunId"/>): a job id under a
    /// worker; when null, a fresh one per run so two runs of one file stay apart.
    /// </summary>
    public string? RunId { get; init; }

    /// <summary>How transforms with <c>parallelism</c> above 1 run; for the benchmark that compares the two.</summary>
    internal ParallelTransformStrategy ParallelStrategy { get; init; }
}

/// <summary>The two ordered-parallel transform implementations (see benchmarks/RESULTS.md, "## Engine").</summary>
internal enum ParallelTransformStrategy
{
    /// <summary>Round-robin workers on channels: the default.</summary>
    Channels,

    /// <summary>TPL Dataflow's ordered TransformBlock.</summary>
    Dataflow,
}

/// <summary>The block that failed first, and how.</summary>
/// <param name="Block">Block name from the pipeline file.</param>
/// <param name="Phase">"start", "run" or "complete".</param>
/// <param name="Exception">The cause.</param>
public sealed record BlockFault(string Block, string Phase, Exception Exception)
{
    /// <inheritdoc />
    public override string ToString() => $"block \"{Block}\" failed during {Phase}: {Exception.Message}";
}

/// <summary>How a run ended.</summary>
/// <param name="Fault">The first failure, or null when the run succeeded.</param>
/// <param name="Stopped">True when the run was asked to stop before its sources ended.</param>
/// <param name="Metrics">Final per-block and per-link figures.</param>
public sealed record PipelineResult(BlockFault? Fault, bool Stopped, PipelineSnapshot Metrics)
{
    /// <summary>True when no block failed.</summary>
    public bool Succeeded => Fault is null;
}

/// <summary>
/// A running pipeline. <see cref="Start"/> creates the blocks and links and runs them;
/// <see cref="Stop"/> (or the stop token) asks sources to end, after which every in-flight item
/// drains and every sink finalises; a fault in any block cancels the rest and is reported once.
/// </summary>
/// <remarks>
/// Phases: every block is created and attached, then started (StartAsync, in file order) before any
/// item flows; a failure there is a "start" fault and nothing runs, though sinks that did start are
/// still finalised. Then each block runs as its own loop; completion flows downstream link by link.
/// A fault aborts: all blocks are cancelled, every channel is completed so nothing stays blocked,
/// sinks finalise, and whatever is still queued is released. Last, every block is disposed.
/// </remarks>
public sealed partial class PipelineExecution
{
    private readonly PipelineDefinition _definition;
    private readonly RunControl _control = new();
    private readonly PipelineMeter _meter = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly BlockRunner[] _runners;
    private readonly BlockCounters[] _counters;
    private readonly LinkRuntime[] _links;
    private readonly List<Func<Task>> _pumps = [];
    private Task<PipelineResult> _completion = null!;
    private CancellationTokenRegistration _stopRegistration;
    private int _ended;

    private PipelineExecution(PipelineDefinition definition, PipelineRunOptions options)
    {
        _definition = definition;
        var pool = options.FramePool ?? VideoFramePool.Shared;
        var workingDirectory = Path.GetFullPath(options.WorkingDirectory ?? Environment.CurrentDirectory);
        var runId = options.RunId ?? Guid.NewGuid().ToString("N", System.Globalization.CultureInfo.InvariantCulture);
        var blocks = new Dictionary<string, BlockDefinition>(StringComparer.Ordinal);
        var counters = new Dictionary<string, BlockCounters>(StringComparer.Ordinal);
        foreach (var block in definition.Blocks)
        {
            if (!blocks.TryAdd(block.Name, block))
            {
                throw new ArgumentException($"block \"{block.Name}\" is defined twice", nameof(definition));
            }

            counters[block.Name] = new BlockCounters(block.Name, block.Descriptor.TypeName, block.Descriptor.Kind == BlockKind.Sink, _meter);
        }

        var outgoing = new Dictionary<PortAddress, List<LinkRuntime>>();
        var incoming = new Dictionary<PortAddress, List<LinkRuntime>>();
        var links = new List<LinkRuntime>(definition.Links.Length);
        foreach (var link in definition.Links)
        {
            var from = FindPort(blocks, link.From, PortDirection.Output, link);
            var to = FindPort(blocks, link.To, PortDirection.Input, link);
            if (!to.Payload.IsAssignableFrom(from.Payload))
            {
                throw new ArgumentException($"link {link.Name}: {link.From} produces {from.Payload.Name} but {link.To} takes {to.Payload.Name}", nameof(definition));
            }

            var runtime = (LinkRuntime)Activator.CreateInstance(typeof(LinkRuntime<>).MakeGenericType(from.Payload), link, _control)!;
            links.Add(runtime);
            Add(outgoing, link.From, runtime);
            Add(incoming, link.To, runtime);
        }

        _links = [.. links];
        _counters = new BlockCounters[definition.Blocks.Length];
        _runners = new BlockRunner[definition.Blocks.Length];
        for (var i = 0; i < definition.Blocks.Length; i++)
        {
            var block = definition.Blocks[i];
            var blockCounters = counters[block.Name];
            var inputs = new Dictionary<string, IEnginePort>(StringComparer.Ordinal);
            var outputs = new Dictionary<string, IEnginePort>(StringComparer.Ordinal);
            foreach (var port in block.Descriptor.Ports)
            {
                var address = new PortAddress(block.Name, port.Name);
                if (port.Direction == PortDirection.Output)
                {
                    outputs[port.Name] = (IEnginePort)Generic(nameof(CreateOutput), port.Payload)
                        .Invoke(this, [address.ToString(), outgoing.GetValueOrDefault(address), blockCounters])!;
                }
                else
                {
                    inputs[port.Name] = (IEnginePort)Generic(nameof(CreateInput), port.Payload)
                        .Invoke(this, [address.ToString(), incoming.GetValueOrDefault(address), blockCounters])!;
                }
            }

            var context = new EngineBlockContext(block.Name, pool, workingDirectory, inputs, outputs, runId, this);
            _counters[i] = blockCounters;
            _runners[i] = CreateRunner(block, context, blockCounters, options.ParallelStrategy);
        }

        _meter.Observe(_counters, _links);
    }

    /// <summary>The pipeline being run.</summary>
    public PipelineDefinition Definition => _definition;

    /// <summary>Completes with the result when every block has ended; never faults.</summary>
    public Task<PipelineResult> Completion => _completion;

    /// <summary>
    /// Creates and starts the pipeline. Throws <see cref="ArgumentException"/> only for a definition the
    /// loader would have rejected (unknown block or port in a link, mismatched payload types); every
    /// failure of a block, from its constructor on, is reported through <see cref="Completion"/>.
    /// </summary>
    public static PipelineExecution Start(PipelineDefinition definition, PipelineRunOptions? options = null, CancellationToken stopToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var execution = new PipelineExecution(definition, options ?? new PipelineRunOptions());
        execution._completion = Task.Run(execution.RunAsync);
        execution._stopRegistration = stopToken.Register(static state => ((PipelineExecution)state!).Stop(), execution);
        return execution;
    }

    /// <summary>Asks sources to stop; in-flight items still drain. Idempotent.</summary>
    public void Stop()
    {
        if (_completion is { IsCompleted: true } || Volatile.Read(ref _ended) != 0)
        {
            return;
        }

        _control.Stop();
    }

    /// <summary>Current figures, safe to call from any thread while running.</summary>
    public PipelineSnapshot Snapshot()
    {
        var blocks = ImmutableArray.CreateBuilder<BlockMetrics>(_counters.Length);
        foreach (var counters in _counters)
        {
            blocks.Add(counters.ToMetrics());
        }

        var links = ImmutableArray.CreateBuilder<LinkMetrics>(_links.Length);
        foreach (var link in _links)
        {
            links.Add(link.ToMetrics());
        }

        return new PipelineSnapshot(_clock.Elapsed, blocks.MoveToImmutable(), links.MoveToImmutable());
    }

    private static void Add(Dictionary<PortAddress, List<LinkRuntime>> map, PortAddress address, LinkRuntime link)
    {
        if (!map.TryGetValue(address, out var list))
        {
            map[address] = list = [];
        }

        list.Add(link);
    }

    private static PortDescriptor FindPort(Dictionary<string, BlockDefinition> blocks, PortAddress address, PortDirection direction, LinkDefinition link)
    {
        if (!blocks.TryGetValue(address.Block, out var block))
        {
            throw new ArgumentException($"link {link.Name} names block \"{address.Block}\", which the pipeline does not define", nameof(link));
        }

        return block.Descriptor.FindPort(address.Port, direction)
            ?? throw new ArgumentException($"link {link.Name}: block \"{address.Block}\" ({block.Descriptor.TypeName}) has no {direction.ToString().ToLowerInvariant()} port \"{address.Port}\"", nameof(link));
    }

    private static MethodInfo Generic(string name, Type payload) =>
        typeof(PipelineExecution).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(payload);

    private static Type[] ShapeArguments(Type blockType, Type shape)
    {
        for (var current = blockType.BaseType; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == shape)
            {
                return current.GetGenericArguments();
            }
        }

        throw new ArgumentException($"{blockType.FullName} does not derive from {shape.Name}", nameof(blockType));
    }

    private BlockRunner CreateRunner(BlockDefinition block, EngineBlockContext context, BlockCounters counters, ParallelTransformStrategy strategy)
    {
        var descriptor = block.Descriptor;
        if (block.Parallelism != 1 && (descriptor.Kind != BlockKind.Transform || block.Parallelism < 1 || !descriptor.ThreadSafe))
        {
            throw new ArgumentException($"block \"{block.Name}\": parallelism {block.Parallelism} needs a transform whose [Block] attribute says ThreadSafe = true", nameof(block));
        }

        var (runner, shape) = descriptor.Kind switch
        {
            BlockKind.Source => (typeof(SourceRunner<,>), typeof(SourceBlock<,>)),
            BlockKind.Sink => (typeof(SinkRunner<,>), typeof(SinkBlock<,>)),
            BlockKind.Custom => (typeof(CustomRunner<>), typeof(CustomBlock<>)),
            _ when block.Parallelism == 1 => (typeof(TransformRunner<,,>), typeof(TransformBlock<,,>)),
            _ when strategy == ParallelTransformStrategy.Dataflow => (typeof(DataflowParallelTransformRunner<,,>), typeof(TransformBlock<,,>)),
            _ => (typeof(OrderedParallelTransformRunner<,,>), typeof(TransformBlock<,,>)),
        };
        var type = runner.MakeGenericType(ShapeArguments(descriptor.BlockType, shape));
        return (BlockRunner)Activator.CreateInstance(type, block, context, counters, _control)!;
    }

    private OutputPort<T> CreateOutput<T>(string address, List<LinkRuntime>? links, BlockCounters counters)
    {
        var typed = new LinkRuntime<T>[links?.Count ?? 0];
        for (var i = 0; i < typed.Length; i++)
        {
            typed[i] = (LinkRuntime<T>)links![i];
        }

        return new OutputPort<T>(address, typed, counters, _control);
    }

    private InputPort<T> CreateInput<T>(string address, List<LinkRuntime>? links, BlockCounters counters)
    {
        switch (links?.Count ?? 0)
        {
            case 0:
                // An optional input left unconnected: a queue that is already over.
                var empty = _control.CreateChannel<T>(1, System.Threading.Channels.BoundedChannelFullMode.Wait, null, counters.CountDiscarded);
                empty.Writer.Complete();
                return new InputPort<T>(address, empty.Reader, isConnected: false, counters, _control);
            case 1:
                return new InputPort<T>(address, links![0].ReaderAs<T>(), isConnected: true, counters, _control);
            default:
                var readers = new System.Threading.Channels.ChannelReader<T>[links!.Count];
                for (var i = 0; i < readers.Length; i++)
                {
                    readers[i] = links[i].ReaderAs<T>();
                }

                var merge = new FanInMerge<T>(readers, counters, _control);
                _pumps.AddRange(merge.Pumps());
                return new InputPort<T>(address, merge.Reader, isConnected: true, counters, _control);
        }
    }

    private async Task<PipelineResult> RunAsync()
    {
        try
        {
            await CreateAndStartAsync().ConfigureAwait(false);
            if (!_control.IsAborted)
            {
                var tasks = new List<Task>(_runners.Length + _pumps.Count);
                foreach (var runner in _runners)
                {
                    tasks.Add(Task.Run(runner.RunAsync));
                }

                foreach (var pump in _pumps)
                {
                    tasks.Add(Task.Run(pump));
                }

                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            else
            {
                foreach (var runner in _runners)
                {
                    if (runner.Started)
                    {
                        await runner.FinishWithoutRunningAsync().ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e)
        {
            // Runners catch everything their blocks throw; reaching here is an engine bug, and the
            // run must still end with a result and every item released.
            _control.EngineFault(e);
        }

        Volatile.Write(ref _ended, 1);
        _control.DrainAll();
        await NotifyRunEndedAsync().ConfigureAwait(false);
        await DisposeBlocksAsync().ConfigureAwait(false);
        _clock.Stop();
        var result = new PipelineResult(_control.FirstFault, _control.StopRequested, Snapshot());
        await _stopRegistration.DisposeAsync().ConfigureAwait(false);
        _meter.Dispose();
        _control.Dispose();
        return result;
    }

    private async Task CreateAndStartAsync()
    {
        foreach (var runner in _runners)
        {
            try
            {
                var block = runner.Definition.Descriptor.CreateBlock(runner.Definition.Options);
                block.Attach(runner.Context);
                runner.Bind(block);
            }
            catch (Exception e)
            {
                _control.Fault(runner.Counters, "start", e);
                return;
            }
        }

        foreach (var runner in _runners)
        {
            try
            {
                await runner.Block!.StartAsync(_control.AbortToken).ConfigureAwait(false);
                runner.Started = true;
            }
            catch (Exception e)
            {
                if (!RunControl.IsOwnCancellation(e, _control.AbortToken))
                {
                    _control.Fault(runner.Counters, "start", e);
                }

                return;
            }

            if (_control.IsAborted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Tells blocks that describe the whole run (<see cref="IRunEndedObserver"/>) how it went, once every
    /// block has finished, so the figures they get are final; before disposal, so they still hold their resources.
    /// </summary>
    private async Task NotifyRunEndedAsync()
    {
        foreach (var runner in _runners)
        {
            if (runner.Block is not IRunEndedObserver observer)
            {
                continue;
            }

            try
            {
                // The result so far: a fault an observer raises here still becomes the run's fault afterwards.
                var result = new PipelineResult(_control.FirstFault, _control.StopRequested, Snapshot());
                await observer.RunEndedAsync(result, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _control.Fault(runner.Counters, "complete", e);
            }
        }
    }

    private async Task DisposeBlocksAsync()
    {
        foreach (var runner in _runners)
        {
            if (runner.Block is not { } block)
            {
                continue;
            }

            try
            {
                await block.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _control.Fault(runner.Counters, "complete", e);
            }
        }
    }
}
