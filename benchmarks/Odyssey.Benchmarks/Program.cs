using BenchmarkDotNet.Running;
using Odyssey.Benchmarks;

if (args.Length > 0 && args[0] == "decode-cpu")
{
    return DecodeCpuComparison.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
