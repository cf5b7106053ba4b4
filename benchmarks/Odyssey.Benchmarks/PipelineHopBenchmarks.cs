using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Pipeline;

namespace Odyssey.Benchmarks;

/// <summary>
/// Per-hop cost of the engine: a source, 8 pass-through transforms and a sink (9 links of the default
/// capacity) against the same shape hand-written on 9 raw bounded channels with one task per stage.
/// Items are a tiny reference-counted payload preallocated per run, so the allocations measured are
/// the engine's own. Two sizes: the difference between them is the steady-state cost per item
/// (start-up — reflection, channels, tasks, the Meter — is the same in both and cancels out).
/// 15 measured iterations with min and median shown: the machine is shared, and 3 iterations gave
/// standard deviations as large as the means. 15 warm-ups, not 3: the engine has more code to tier
/// up than the raw chain, and with both cores busy the JIT's background compiles lag; BDN's pilot then
/// saw tier-0 times, chose 3–4 runs per iteration at 40 000 items, and 3 warm-ups (about 10 runs)
/// ended before tier 1 did, so the measured iterations still contained tier-0 runs (95 ms against
/// 40 ms in steady state). Every row gets the same warm-up.
/// <see cref="Pooled"/> false: N distinct payloads, each used once (a cold one at every source write).
/// True: the source rents from a small free list that each payload rejoins on its last release, as
/// <see cref="VideoFramePool"/> does for frames; what real pipelines do. Both chains use the same payloads.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 15, iterationCount: 15)]
[MinColumn]
[MedianColumn]
public class PipelineHopBenchmarks
{
    public const int Stages = 8;

    /// <summary>
    /// Payloads in the free list: more than the chain can hold at once (9 links of 8, plus one in hand
    /// per stage), so the source never finds it empty and never allocates.
    /// </summary>
    public const int PoolSize = 128;

    private HopPayload[] _payloads = [];
    private HopPayloadPool? _pool;
    private PipelineDefinition _definition = null!;

    [Params(20_000, 40_000)]
    public int Items { get; set; }

    [Params(false, true)]
    public bool Pooled { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Pooled)
        {
            _pool = new HopPayloadPool(PoolSize);
            _payloads = [];
        }
        else
        {
            _payloads = new HopPayload[Items];
            for (var i = 0; i < Items; i++)
            {
                _payloads[i] = new HopPayload();
            }
        }

        _definition = BenchGraphs.Chain(_payloads, Stages, parallelism: 1, pool: _pool, items: Items);
    }

    [Benchmark(Baseline = true, Description = "raw channels, 8 stages")]
    public Task<long> RawChannels() => RawChainAsync(followOwnership: false);

    /// <summary>
    /// The raw chain obeying the same ownership rule as a transform: each stage takes a reference for
    /// its output and gives back its input's. This touches the payload at every hop, as the engine must.
    /// </summary>
    [Benchmark(Description = "raw channels + AddRef/Release per stage")]
    public Task<long> RawChannelsWithOwnership() => RawChainAsync(followOwnership: true);

    [Benchmark(Description = "engine, 8 transforms")]
    public async Task<long> Engine()
    {
        Revive();
        var result = await PipelineExecution.Start(_definition).Completion;
        return result.Fault is null ? result.Metrics.Blocks[^1].ItemsIn : throw result.Fault.Exception;
    }

    private async Task<long> RawChainAsync(bool followOwnership)
    {
        Revive();
        var channels = new Channel<HopPayload>[Stages + 1];
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i] = Channel.CreateBounded<HopPayload>(new BoundedChannelOptions(PipelineDefinition.DefaultCapacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
                AllowSynchronousContinuations = false,
            });
        }

        var tasks = new Task[Stages + 1];
        tasks[0] = Task.Run(() => ProduceAsync(channels[0].Writer));
        for (var i = 0; i < Stages; i++)
        {
            var input = channels[i].Reader;
            var output = channels[i + 1].Writer;
            tasks[i + 1] = Task.Run(() => ForwardAsync(input, output, followOwnership));
        }

        var received = await ConsumeAsync(channels[Stages].Reader);
        await Task.WhenAll(tasks);
        return received;
    }

    private static async Task ForwardAsync(ChannelReader<HopPayload> input, ChannelWriter<HopPayload> output, bool followOwnership)
    {
        while (await input.WaitToReadAsync())
        {
            while (input.TryRead(out var item))
            {
                if (followOwnership)
                {
                    item.AddRef();
                    item.Release();
                }

                if (!output.TryWrite(item))
                {
                    await output.WriteAsync(item);
                }
            }
        }

        output.Complete();
    }

    private static async Task<long> ConsumeAsync(ChannelReader<HopPayload> input)
    {
        long received = 0;
        while (await input.WaitToReadAsync())
        {
            while (input.TryRead(out var item))
            {
                item.Release();
                received++;
            }
        }

        return received;
    }

    private void Revive()
    {
        foreach (var payload in _payloads)
        {
            payload.Revive();
        }
    }

    private async Task ProduceAsync(ChannelWriter<HopPayload> output)
    {
        var pool = _pool;
        for (var i = 0; i < Items; i++)
        {
            var payload = pool is null ? _payloads[i] : pool.Rent();
            if (!output.TryWrite(payload))
            {
                await output.WriteAsync(payload);
            }
        }

        output.Complete();
    }
}

/// <summary>
/// Ordered parallel transform, parallelism 4, the two implementations side by side: round-robin
/// workers on channels (the engine's default) and TPL Dataflow's ordered TransformBlock.
/// <see cref="WorkIterations"/> 0 measures pure coordination; 2000 adds a dependent multiply chain
/// of roughly 4 µs per item on this machine, as a cheap per-frame analysis would.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
[MinColumn]
[MedianColumn]
public class OrderedParallelismBenchmarks
{
    private const int Items = 20_000;
    private const int Parallelism = 4;

    private HopPayload[] _payloads = [];
    private PipelineDefinition _definition = null!;

    [Params(0, 2000)]
    public int WorkIterations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payloads = new HopPayload[Items];
        for (var i = 0; i < Items; i++)
        {
            _payloads[i] = new HopPayload();
        }

        _definition = BenchGraphs.Chain(_payloads, stages: 1, Parallelism, WorkIterations);
    }

    [Benchmark(Baseline = true, Description = "channels round-robin")]
    public Task<long> Channels() => RunAsync(ParallelTransformStrategy.Channels);

    [Benchmark(Description = "TPL Dataflow ordered")]
    public Task<long> Dataflow() => RunAsync(ParallelTransformStrategy.Dataflow);

    private async Task<long> RunAsync(ParallelTransformStrategy strategy)
    {
        foreach (var payload in _payloads)
        {
            payload.Revive();
        }

        var result = await PipelineExecution.Start(_definition, new PipelineRunOptions { ParallelStrategy = strategy }).Completion;
        return result.Fault is null ? result.Metrics.Blocks[^1].ItemsIn : throw result.Fault.Exception;
    }
}

/// <summary>
/// A minimal reference-counted payload: what a frame costs the engine, without its pixels. One from a
/// <see cref="HopPayloadPool"/> goes back to it on its last release, as a pooled frame does.
/// </summary>
public sealed class HopPayload(HopPayloadPool? pool = null) : IRefCounted
{
    private int _references;

    public long Checksum { get; set; }

    public void Revive() => _references = 1;

    public void AddRef() => Interlocked.Increment(ref _references);

    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            pool?.Return(this);
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("hop payload released too often");
        }
    }
}

/// <summary>
/// A small free list of payloads, the same shape as <see cref="VideoFramePool"/>: rent revives one,
/// the last release returns it. Lock-free, and allocation-free once filled.
/// </summary>
public sealed class HopPayloadPool
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<HopPayload> _free = new();

    public HopPayloadPool(int size)
    {
        for (var i = 0; i < size; i++)
        {
            _free.Enqueue(new HopPayload(this));
        }
    }

    public HopPayload Rent()
    {
        // Empty only if the chain held more than the pool's size: a benchmark bug, made visible as allocation.
        var payload = _free.TryDequeue(out var free) ? free : new HopPayload(this);
        payload.Revive();
        return payload;
    }

    public void Return(HopPayload payload) => _free.Enqueue(payload);
}

internal static class BenchGraphs
{
    public static PipelineDefinition Chain(HopPayload[] payloads, int stages, int parallelism, int workIterations = 0, HopPayloadPool? pool = null, int items = 0)
    {
        var sourceOptions = new BenchSourceOptions { Payloads = payloads, Pool = pool, Items = pool is null ? payloads.Length : items };
        var blocks = new List<BlockDefinition>
        {
            new() { Name = "src", Descriptor = BlockDescriptor.FromType(typeof(BenchSource)), Options = sourceOptions },
        };
        var links = new List<LinkDefinition>();
        var previous = "src";
        for (var i = 0; i < stages; i++)
        {
            var name = $"t{i}";
            blocks.Add(new()
            {
                Name = name,
                Descriptor = BlockDescriptor.FromType(typeof(BenchPassThrough)),
                Options = new BenchPassOptions { WorkIterations = workIterations },
                Parallelism = parallelism,
            });
            links.Add(Link(previous, name));
            previous = name;
        }

        blocks.Add(new() { Name = "sink", Descriptor = BlockDescriptor.FromType(typeof(BenchSink)), Options = new BenchSinkOptions() });
        links.Add(Link(previous, "sink"));
        return new PipelineDefinition { Blocks = [.. blocks], Links = [.. links], BaseDirectory = AppContext.BaseDirectory };
    }

    private static LinkDefinition Link(string from, string to) => new()
    {
        From = new PortAddress(from, "out"),
        To = new PortAddress(to, "in"),
        Capacity = PipelineDefinition.DefaultCapacity,
        Full = FullMode.Wait,
    };
}

public sealed class BenchSourceOptions
{
    /// <summary>Written in order when there is no <see cref="Pool"/>.</summary>
    public HopPayload[] Payloads { get; set; } = [];

    /// <summary>When set, <see cref="Items"/> payloads are rented from it instead.</summary>
    public HopPayloadPool? Pool { get; set; }

    public int Items { get; set; }
}

[Block("bench.source")]
public sealed class BenchSource(BenchSourceOptions options) : SourceBlock<HopPayload, BenchSourceOptions>(options)
{
    protected internal override async Task ProduceAsync(IBlockOutput<HopPayload> output, CancellationToken cancellationToken)
    {
        var pool = Options.Pool;
        for (var i = 0; i < Options.Items; i++)
        {
            await output.WriteAsync(pool is null ? Options.Payloads[i] : pool.Rent(), cancellationToken);
        }
    }
}

public sealed class BenchPassOptions
{
    public int WorkIterations { get; set; }
}

[Block("bench.passThrough", ThreadSafe = true)]
public sealed class BenchPassThrough(BenchPassOptions options) : TransformBlock<HopPayload, HopPayload, BenchPassOptions>(options)
{
    protected internal override ValueTask<HopPayload?> TransformAsync(HopPayload input, CancellationToken cancellationToken)
    {
        if (Options.WorkIterations > 0)
        {
            // Stand-in for per-item work: a dependent chain the JIT cannot fold away.
            var x = input.Checksum | 1;
            for (var i = 0; i < Options.WorkIterations; i++)
            {
                x = (x * 6364136223846793005L) + 1442695040888963407L;
            }

            input.Checksum = x;
        }

        input.AddRef();
        return new ValueTask<HopPayload?>(input);
    }
}

public sealed class BenchSinkOptions
{
}

[Block("bench.sink")]
public sealed class BenchSink(BenchSinkOptions options) : SinkBlock<HopPayload, BenchSinkOptions>(options)
{
    protected internal override ValueTask ConsumeAsync(HopPayload item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
