using System.Text.Json;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks.Tests;

public class SinkBlockTests
{
    [Fact]
    public async Task Jsonl_Records_AreWrittenAsOneFlushedLineEach()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new JsonlSinkBlock(new JsonlSinkOptions { Path = "out/deep/records.jsonl" }), context);
        var path = Path.Combine(context.BaseDirectory, "out/deep/records.jsonl");

        for (var i = 0; i < 5; i++)
        {
            await BlockHarness.ConsumeAsync(sink, Record(i));

            // Before completion, every consumed record is already in the file.
            Assert.Equal(i + 1, ReadShared(path).Length);
        }

        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();

        var lines = File.ReadAllLines(path);
        Assert.Equal(5, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            Assert.Equal(i, json.RootElement.GetProperty("frame").GetInt64());
            Assert.Equal("motion", json.RootElement.GetProperty("kind").GetString());
            Assert.Equal(i / 10.0, json.RootElement.GetProperty("movingFraction").GetDouble());
        }
    }

    [Fact]
    public async Task Jsonl_Append_KeepsEarlierLines()
    {
        using var context = new TestBlockContext();
        foreach (var append in new[] { false, true })
        {
            var sink = await BlockHarness.StartAsync(new JsonlSinkBlock(new JsonlSinkOptions { Path = "records.jsonl", Append = append }), context);
            await BlockHarness.ConsumeAsync(sink, Record(append ? 1 : 0));
            await BlockHarness.CompleteAsync(sink);
            await sink.DisposeAsync();
        }

        var lines = File.ReadAllLines(Path.Combine(context.BaseDirectory, "records.jsonl"));
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    public async Task Jsonl_AppendAfterARunThatDiedMidLine_StartsTheNewRecordOnItsOwnLine()
    {
        using var context = new TestBlockContext();
        var path = Path.Combine(context.BaseDirectory, "records.jsonl");
        File.WriteAllText(path, "{\"kind\":\"motion\",\"frame\":0}\n{\"kind\":\"mot");
        var sink = await BlockHarness.StartAsync(new JsonlSinkBlock(new JsonlSinkOptions { Path = "records.jsonl", Append = true }), context);

        await BlockHarness.ConsumeAsync(sink, Record(7));
        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();

        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Equal("{\"kind\":\"mot", lines[1]);
        using var json = JsonDocument.Parse(lines[2]);
        Assert.Equal(7, json.RootElement.GetProperty("frame").GetInt64());
    }

    [Fact]
    public async Task Jsonl_WithoutAppend_ReplacesTheFile()
    {
        using var context = new TestBlockContext();
        for (var run = 0; run < 2; run++)
        {
            var sink = await BlockHarness.StartAsync(new JsonlSinkBlock(new JsonlSinkOptions { Path = "records.jsonl" }), context);
            await BlockHarness.ConsumeAsync(sink, Record(run));
            await BlockHarness.CompleteAsync(sink);
            await sink.DisposeAsync();
        }

        Assert.Single(File.ReadAllLines(Path.Combine(context.BaseDirectory, "records.jsonl")));
    }

    [Theory]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Rgb24)]
    public async Task Png_EveryThirdFrame_WritesDecodableImagesOfTheRightSize(PixelFormat format)
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new PngSinkBlock(new PngSinkOptions { Directory = "images", Every = 3 }), context);
        var frames = new List<VideoFrame>();
        for (var i = 0; i < 10; i++)
        {
            var frame = await OpenCvTransformTests.InputAsync(context, format);
            frame.Index = 100 + i;
            frames.Add(frame);
            await BlockHarness.ConsumeAsync(sink, frame);
        }

        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();

        var directory = Path.Combine(context.BaseDirectory, "images");
        var names = Directory.GetFileSystemEntries(directory).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { "frame-000100.png", "frame-000103.png", "frame-000106.png", "frame-000109.png" }, names);
        foreach (var name in names)
        {
            using var image = Cv2.ImRead(Path.Combine(directory, name), ImreadModes.Unchanged);
            Assert.Equal((320, 240), (image.Cols, image.Rows));
            Assert.Equal(format == PixelFormat.Gray8 ? 1 : 3, image.Channels());
        }

        // The stored pixels are the frame's, in BGR order on disk.
        using var first = Cv2.ImRead(Path.Combine(directory, names[0]), ImreadModes.Unchanged);
        using var source = TestFrames.ToMat(frames[0]);
        using var expected = format == PixelFormat.Rgb24 ? source.CvtColor(ColorConversionCodes.RGB2BGR) : source.Clone();
        Assert.Equal(0, TestFrames.MaxDifference(expected, first));
        TestFrames.ReleaseAll(frames);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Theory]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    public async Task Png_PlanarFrame_IsConvertedAndKeepsTheIndexStamp(PixelFormat format)
    {
        // Needs PixelConverter (stubbed until the converter branch is merged).
        using var context = new TestBlockContext();
        var gray = await OpenCvTransformTests.InputAsync(context, PixelFormat.Gray8);
        var frame = TestFrames.PlanarFromGray(context.FramePool, gray, format);
        gray.Release();
        var sink = await BlockHarness.StartAsync(new PngSinkBlock(new PngSinkOptions { Directory = "planar" }), context);

        try
        {
            await BlockHarness.ConsumeAsync(sink, frame);
            await BlockHarness.CompleteAsync(sink);
            using var image = Cv2.ImRead(Path.Combine(context.BaseDirectory, "planar", $"frame-{frame.Index:D6}.png"), ImreadModes.Unchanged);
            Assert.Equal((320, 240, 3), (image.Cols, image.Rows, image.Channels()));
            var decoded = TestFrames.FromMat(context.FramePool, image, PixelFormat.Bgr24);
            Assert.True(FrameIndexCode.TryRead(decoded, out var index));
            Assert.Equal(frame.Index, index);
            decoded.Release();
        }
        finally
        {
            frame.Release();
        }

        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Mp4_I420Frames_AreConvertedAndEncoded()
    {
        // Needs PixelConverter (stubbed until the converter branch is merged).
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "planar.mp4" }), context);
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var frame = await OpenCvTransformTests.PlanarInputAsync(context, PixelFormat.I420);
                try
                {
                    await BlockHarness.ConsumeAsync(sink, frame);
                }
                finally
                {
                    frame.Release();
                }
            }

            await BlockHarness.CompleteAsync(sink);
        }
        finally
        {
            await sink.DisposeAsync();
        }

        using var capture = new VideoCapture(Path.Combine(context.BaseDirectory, "planar.mp4"));
        Assert.Equal(4, capture.FrameCount);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public void PngOptions_PatternWithoutIndex_IsRejected()
    {
        var error = Assert.Single(OptionsValidation.Validate(new PngSinkOptions { Directory = "x", Pattern = "frame.png" }));

        Assert.Equal(["pattern"], error.MemberNames);
    }

    [Theory]
    [InlineData("frame-{{index}}.png")]
    [InlineData("frame-{index:yyyy}.png")]
    [InlineData("frame-{index:0,}.png")]
    public void PngOptions_PatternThatDoesNotPrintTheIndex_IsRejected(string pattern)
    {
        var error = Assert.Single(OptionsValidation.Validate(new PngSinkOptions { Directory = "x", Pattern = pattern }));

        Assert.Equal(["pattern"], error.MemberNames);
        Assert.Contains("same file name", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("recording")]
    [InlineData("clips/recording")]
    [InlineData("clips.v2/recording")]
    public void Mp4Options_PathWithoutAnExtension_IsRejected(string path)
    {
        var error = Assert.Single(OptionsValidation.Validate(new Mp4SinkOptions { Path = path }));

        Assert.Equal(["path"], error.MemberNames);
        Assert.Contains("extension", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Png_CustomPattern_NamesFilesByIndex()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new PngSinkBlock(new PngSinkOptions { Directory = ".", Pattern = "shot_{index}.png" }), context);
        var frame = TestFrames.Uniform(context.FramePool, 64, 48, PixelFormat.Gray8, 40, index: 12);

        await BlockHarness.ConsumeAsync(sink, frame);
        await BlockHarness.CompleteAsync(sink);

        Assert.True(File.Exists(Path.Combine(context.BaseDirectory, "shot_12.png")));
        Assert.Equal(1, sink.ImagesWritten);
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Mp4_Frames_ProduceAPlayableFileWithTheRightCountAndNoPartial()
    {
        const int Count = 20;
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, 320, 240, count: Count);
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "clips/out.mp4", Fps = 25 }), context);
        foreach (var frame in frames)
        {
            await BlockHarness.ConsumeAsync(sink, frame);
        }

        var path = Path.Combine(context.BaseDirectory, "clips/out.mp4");
        Assert.False(File.Exists(path), "the final name appears only at completion");
        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();
        TestFrames.ReleaseAll(frames);

        Assert.Equal(["out.mp4"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        using var capture = new VideoCapture(path);
        Assert.True(capture.IsOpened());
        Assert.Equal(Count, capture.FrameCount);
        Assert.Equal(25, capture.Fps, 3);
        var read = 0;
        using var image = new Mat();
        while (capture.Read(image) && !image.Empty())
        {
            Assert.Equal((320, 240), (image.Cols, image.Rows));
            read++;
        }

        Assert.Equal(Count, read);
        Assert.Equal(Count, sink.FramesWritten);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Mp4_GrayFrames_AreEncoded()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "gray.mp4" }), context);
        for (var i = 0; i < 5; i++)
        {
            var frame = TestFrames.Uniform(context.FramePool, 160, 120, PixelFormat.Gray8, (byte)(40 * i), i);
            await BlockHarness.ConsumeAsync(sink, frame);
            frame.Release();
        }

        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();

        using var capture = new VideoCapture(Path.Combine(context.BaseDirectory, "gray.mp4"));
        Assert.Equal(5, capture.FrameCount);
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Mp4_SizeChange_ThrowsNamingBothSizes()
    {
        using var context = new TestBlockContext("recorder");
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "out.mp4" }), context);
        var first = TestFrames.Uniform(context.FramePool, 160, 120, PixelFormat.Bgr24, 0, 0);
        var second = TestFrames.Uniform(context.FramePool, 80, 60, PixelFormat.Bgr24, 0, 1);

        await BlockHarness.ConsumeAsync(sink, first);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BlockHarness.ConsumeAsync(sink, second));

        Assert.Contains("\"recorder\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("80x60", error.Message, StringComparison.Ordinal);
        Assert.Contains("160x120", error.Message, StringComparison.Ordinal);
        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();
        first.Release();
        second.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Mp4_NoFrames_WritesNoFileAndLeavesANote()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "empty.mp4" }), context);

        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();

        Assert.Empty(Directory.GetFiles(context.BaseDirectory));
        Assert.Contains("no frames", sink.CompletionNote, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mp4_OddFrameSize_FailsNamingTheBlockAndCompletesWithoutClaimingNoFrames()
    {
        using var context = new TestBlockContext("recorder");
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "out.mp4" }), context);
        var frame = TestFrames.Uniform(context.FramePool, 161, 121, PixelFormat.Bgr24, 0, 0);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BlockHarness.ConsumeAsync(sink, frame));
        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();
        frame.Release();

        Assert.Contains("\"recorder\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("161x121", error.Message, StringComparison.Ordinal);
        Assert.Null(sink.CompletionNote);
        Assert.Empty(Directory.GetFiles(context.BaseDirectory));
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Mp4_Frames_FfprobeSeesH264WithEveryFrame()
    {
        const int Count = 12;
        using var context = new TestBlockContext();
        var frames = await TestFrames.PatternAsync(context, 160, 120, count: Count);
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "probe.mkv", Fps = 25, KeyframeInterval = 5 }), context);
        foreach (var frame in frames)
        {
            await BlockHarness.ConsumeAsync(sink, frame);
        }

        await BlockHarness.CompleteAsync(sink);
        await sink.DisposeAsync();
        TestFrames.ReleaseAll(frames);

        var probe = MediaFiles.Probe(Path.Combine(context.BaseDirectory, "probe.mkv"));
        Assert.Equal("h264", (string?)probe["codec_name"]);
        Assert.Equal(160, (int?)probe["width"]);
        Assert.Equal($"{Count}", (string?)probe["nb_read_frames"]);
        Assert.Equal(0, sink.PacketPool.Outstanding);
    }

    [Theory]
    [InlineData("out.webm")]
    [InlineData("out.avi")]
    public void Mp4Options_NotAnH264Container_IsRejected(string path)
    {
        var error = Assert.Single(OptionsValidation.Validate(new Mp4SinkOptions { Path = path }));

        Assert.Equal(["path"], error.MemberNames);
    }

    [Fact]
    public async Task Mp4_DisposedWithoutCompletion_LeavesNoFileUnderTheFinalName()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new Mp4SinkBlock(new Mp4SinkOptions { Path = "cut.mp4" }), context);
        var frame = TestFrames.Uniform(context.FramePool, 160, 120, PixelFormat.Bgr24, 0, 0);
        await BlockHarness.ConsumeAsync(sink, frame);
        frame.Release();

        await sink.DisposeAsync();

        Assert.False(File.Exists(Path.Combine(context.BaseDirectory, "cut.mp4")));
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Null_AnyPayload_IsCounted()
    {
        using var context = new TestBlockContext();
        var sink = await BlockHarness.StartAsync(new NullSinkBlock(new NullSinkOptions()), context);
        var frame = TestFrames.Uniform(context.FramePool, 16, 16, PixelFormat.Gray8, 0);

        await BlockHarness.ConsumeAsync(sink, frame);
        await BlockHarness.ConsumeAsync(sink, Record(1));
        await BlockHarness.ConsumeAsync(sink, "text");
        await BlockHarness.CompleteAsync(sink);

        Assert.Equal(3, sink.Count);
        Assert.Equal(1, frame.ReferenceCount);
        frame.Release();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    private static MotionRecord Record(long index) => new()
    {
        Block = "m",
        FrameIndex = index,
        Pts = TimeSpan.FromMilliseconds(40 * index),
        MeanDifference = index,
        MovingFraction = index / 10.0,
    };

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
