using System.Diagnostics;
using System.Globalization;
using Odyssey.Media;
using Odyssey.Media.Containers;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Benchmarks;

/// <summary>
/// `decode-cpu CLIP [ROUNDS]`: CPU seconds to decode a whole clip (packets already in memory, one codec
/// thread) with zero-copy decoding and with the copy path, alternating in one process. For a shared,
/// saturated machine, where BenchmarkDotNet's wall times and whole-process runs move more with the load
/// than with a 5 % change: CPU time of the same work, A and B interleaved, medians.
/// </summary>
internal static class DecodeCpuComparison
{
    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: decode-cpu CLIP [ROUNDS]");
            return 2;
        }

        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var packets = new EncodedPacketPool();
        var clip = new List<EncodedPacket>();
        VideoCodec codec;
        using (var reader = new MediaFileReader(args[0], packets))
        {
            codec = reader.Codec;
            while (reader.TryRead(out var packet))
            {
                clip.Add(packet);
            }
        }

        var frames = new VideoFramePool();
        var cpu = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        var decoded = 0;
        for (var round = -1; round < rounds; round++)
        {
            // Round -1 warms both paths up (JIT, pools) and is not counted; the order alternates.
            foreach (var direct in round % 2 == 0 ? new[] { true, false } : new[] { false, true })
            {
                var before = Process.GetCurrentProcess().TotalProcessorTime;
                decoded = DecodeAll(codec, clip, frames, direct);
                var spent = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
                if (round >= 0)
                {
                    cpu[direct].Add(spent);
                }
            }
        }

        foreach (var packet in clip)
        {
            packet.Release();
        }

        var zeroCopy = Median(cpu[true]);
        var copy = Median(cpu[false]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(args[0])}: {decoded} frames, {rounds} rounds; CPU median zero-copy {zeroCopy:F3} s (min {cpu[true].Min():F3}), copy {copy:F3} s (min {cpu[false].Min():F3}); copy / zero-copy = {copy / zeroCopy:F3}"));
        return 0;
    }

    private static int DecodeAll(VideoCodec codec, List<EncodedPacket> clip, VideoFramePool frames, bool direct)
    {
        using var decoder = new VideoDecoder(codec, frames, threads: 1, direct);
        var decoded = 0;
        foreach (var packet in clip)
        {
            decoder.Send(packet);
            while (decoder.TryReceive(out var frame))
            {
                decoded++;
                frame.Release();
            }
        }

        decoder.SendEndOfStream();
        while (decoder.TryReceive(out var frame))
        {
            decoded++;
            frame.Release();
        }

        return decoded;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
