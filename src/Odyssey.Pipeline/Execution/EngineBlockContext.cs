using Odyssey.Media;

namespace Odyssey.Pipeline;

/// <summary>The engine's <see cref="BlockContext"/>: one per block, built before the block starts.</summary>
internal sealed class EngineBlockContext(string name, VideoFramePool framePool, string baseDirectory,
    IReadOnlyDictionary<string, IEnginePort> inputs, IReadOnlyDictionary<string, IEnginePort> outputs, string runId,
    PipelineExecution? execution = null) : BlockContext
{
    public override PipelineDefinition? Pipeline => execution?.Definition;

    public override PipelineSnapshot GetMetrics() => execution?.Snapshot() ?? base.GetMetrics();

    public override string Name => name;

    public override string RunId => runId;

    public override VideoFramePool FramePool => framePool;

    public override string BaseDirectory => baseDirectory;

    public IReadOnlyDictionary<string, IEnginePort> Inputs => inputs;

    public IReadOnlyDictionary<string, IEnginePort> Outputs => outputs;

    public override IBlockInput<T> GetInput<T>(string port)
    {
        if (!inputs.TryGetValue(port, out var found))
        {
            throw new ArgumentException($"block \"{name}\" has no input port \"{port}\"", nameof(port));
        }

        return found as IBlockInput<T>
            ?? throw new InvalidCastException($"input port {found.Address} does not carry {typeof(T).Name}: ask for the payload type it declares");
    }

    public override IBlockOutput<T> GetOutput<T>(string port)
    {
        if (!outputs.TryGetValue(port, out var found))
        {
            throw new ArgumentException($"block \"{name}\" has no output port \"{port}\"", nameof(port));
        }

        return found as IBlockOutput<T>
            ?? throw new InvalidCastException($"output port {found.Address} does not carry {typeof(T).Name}: ask for the payload type it declares or a base of it");
    }
}
