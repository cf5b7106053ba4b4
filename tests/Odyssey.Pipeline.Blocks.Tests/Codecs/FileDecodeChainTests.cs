using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>
/// file → decode → null through the engine, on files with bytes overwritten in the middle: a clear error
/// naming the file, or a run that completes — never a crash, a hang or a leaked frame. Whether the
/// decoder notices depends on where the bytes land (a codec cannot detect every damaged residual; ffmpeg
/// shows such pictures too); the counted loss on detectable damage is tested in <see cref="DecodeBlockTests"/>.
/// </summary>
public sealed class FileDecodeChainTests : IDisposable
{
    private const int FrameCount = 30;
    private readonly string _folder = Directory.CreateTempSubdirectory("odyssey-file-decode-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("clip.webm", 0.55)]
    [InlineData("clip.mkv", 0.55)]
    [InlineData("clip.mp4", 0.45)]
    [InlineData("clip.ivf", 0.55)]
    [InlineData("clip.h264", 0.55)]
    public async Task Run_FileDamagedInTheMiddle_ClearErrorOrCompletesWithoutLeaks(string name, double where)
    {
        var path = MediaFiles.Encode(Path.Combine(_folder, name), FrameCount, gop: 10);
        var bytes = await File.ReadAllBytesAsync(path);
        var start = (int)(bytes.Length * where);
        Array.Fill(bytes, (byte)0xA5, start, Math.Min(400, bytes.Length - start));
        await File.WriteAllBytesAsync(path, bytes);

        var result = await RunAsync(path);

        if (result.Fault is { } fault)
        {
            // The reader could not go on: the error names the file.
            var error = Assert.IsType<MediaFileException>(fault.Exception);
            Assert.Equal(path, error.FilePath);
            Assert.Equal("src", fault.Block);
        }
        else
        {
            // The damage was read as packet data: the decoder kept going, and never invented frames.
            var decoded = result.Metrics.Blocks.Single(b => b.Name == "dec").ItemsOut;
            Assert.InRange(decoded, 1, FrameCount);
            Assert.Equal(decoded, result.Metrics.Blocks.Single(b => b.Name == "end").ItemsIn);
        }
    }

    private async Task<PipelineResult> RunAsync(string path)
    {
        var definition = PipelineLoader.Load($$"""
            {
              "blocks": {
                "src": { "type": "file", "options": { "path": "{{path}}" } },
                "dec": { "type": "decode" },
                "end": { "type": "null" }
              },
              "links": [ "src -> dec -> end" ]
            }
            """, BuiltInBlocks.CreateRegistry(), _folder).EnsureValid();
        var pool = new VideoFramePool();
        var result = await PipelineExecution.Start(definition, new PipelineRunOptions { FramePool = pool, WorkingDirectory = _folder }).Completion.WaitAsync(BlockHarness.Timeout);
        Assert.Equal(0, pool.Outstanding);
        return result;
    }
}
