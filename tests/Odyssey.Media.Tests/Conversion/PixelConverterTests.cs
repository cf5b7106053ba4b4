using CsCheck;

namespace Odyssey.Media.Tests.Conversion;

/// <summary>The public converter over every format pair: contract, layout and round trips.</summary>
public class PixelConverterTests
{
    private const byte Sentinel = 0xCD;

    /// <summary>
    /// BGR → I420 → BGR on pictures whose 2×2 blocks are one colour, so chroma subsampling loses nothing and
    /// only 8-bit YUV quantisation remains: Y has 219 steps for 255 levels and chroma 224 for up to 510,
    /// so a channel can move by about two levels (measured: 2 for both matrices).
    /// </summary>
    private const int RoundTripTolerance = 2;

    public static TheoryData<PixelFormat, PixelFormat> AllPairs()
    {
        var data = new TheoryData<PixelFormat, PixelFormat>();
        foreach (var from in Enum.GetValues<PixelFormat>())
        {
            foreach (var to in Enum.GetValues<PixelFormat>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Convert_AnyPairOddSize_CopiesMetadataAndLeavesPaddingAlone(PixelFormat from, PixelFormat to)
    {
        var pool = new VideoFramePool();
        foreach (var (width, height) in new[] { (1, 1), (3, 5), (67, 33) })
        {
            var source = pool.Rent(width, height, from);
            var destination = pool.Rent(width, height, to);
            TestImages.FillRandom(source, seed: width);
            for (var plane = 0; plane < destination.PlaneCount; plane++)
            {
                destination.GetPlane(plane).Fill(Sentinel);
            }

            source.Index = 17;
            source.Pts = TimeSpan.FromMilliseconds(567);
            source.CaptureTime = DateTimeOffset.UnixEpoch.AddHours(3);

            PixelConverter.Convert(source, destination, YuvMatrix.Bt709);

            Assert.Equal(17, destination.Index);
            Assert.Equal(source.Pts, destination.Pts);
            Assert.Equal(source.CaptureTime, destination.CaptureTime);
            for (var plane = 0; plane < destination.PlaneCount; plane++)
            {
                var stride = destination.GetStride(plane);
                var rowBytes = PixelFormats.RowBytes(to, plane, width);
                var bytes = destination.GetPlane(plane);
                for (var row = 0; row < PixelFormats.PlaneHeight(to, plane, height); row++)
                {
                    var padding = bytes.Slice((row * stride) + rowBytes, stride - rowBytes);
                    Assert.True(padding.IndexOfAnyExcept(Sentinel) < 0, $"{from}->{to} {width}x{height}: plane {plane} row {row} padding written");
                }
            }

            source.Release();
            destination.Release();
        }

        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Convert_AnyPairAfterWarmUp_AllocatesNothing(PixelFormat from, PixelFormat to)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(98, 34, from);
        var destination = pool.Rent(98, 34, to);
        TestImages.FillRandom(source, seed: 14);
        PixelConverter.Convert(source, destination, YuvMatrix.Bt709);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 3; i++)
        {
            PixelConverter.Convert(source, destination, YuvMatrix.Bt709);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        source.Release();
        destination.Release();
    }

    [Theory]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Gray8)]
    public void Convert_SameFormat_CopiesPixelsExactly(PixelFormat format)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(45, 13, format);
        var destination = pool.Rent(45, 13, format);
        TestImages.FillRandom(source, seed: 3);

        PixelConverter.Convert(source, destination);

        Assert.Equal(0, TestImages.MaxAbsDifference(source, destination));
        source.Release();
        destination.Release();
    }

    [Theory]
    [InlineData(640, 360, 641, 360)]
    [InlineData(640, 360, 640, 359)]
    public void Convert_DifferentSizes_ThrowsNamingBothShapes(int sourceWidth, int sourceHeight, int destinationWidth, int destinationHeight)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(sourceWidth, sourceHeight, PixelFormat.I420);
        var destination = pool.Rent(destinationWidth, destinationHeight, PixelFormat.Bgr24);

        var error = Assert.Throws<ArgumentException>(() => PixelConverter.Convert(source, destination));

        Assert.Contains($"{sourceWidth}x{sourceHeight} I420", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{destinationWidth}x{destinationHeight} Bgr24", error.Message, StringComparison.Ordinal);
        Assert.Equal("destination", error.ParamName);
        source.Release();
        destination.Release();
    }

    [Fact]
    public void Convert_NullFrame_Throws()
    {
        var pool = new VideoFramePool();
        var frame = pool.Rent(4, 4, PixelFormat.Gray8);

        Assert.Throws<ArgumentNullException>(() => PixelConverter.Convert(null!, frame));
        Assert.Throws<ArgumentNullException>(() => PixelConverter.Convert(frame, null!));
        frame.Release();
    }

    [Fact]
    public void Convert_UnknownMatrix_Throws()
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(4, 4, PixelFormat.I420);
        var destination = pool.Rent(4, 4, PixelFormat.Bgr24);

        Assert.Throws<ArgumentOutOfRangeException>(() => PixelConverter.Convert(source, destination, (YuvMatrix)7));
        source.Release();
        destination.Release();
    }

    [Theory]
    [InlineData(YuvMatrix.Bt601, 67, 35)]
    [InlineData(YuvMatrix.Bt709, 66, 34)]
    public void Convert_BgrToI420ToBgr_BlockConstantPicture_WithinRoundTripTolerance(YuvMatrix matrix, int width, int height)
    {
        var pool = new VideoFramePool();
        var original = pool.Rent(width, height, PixelFormat.Bgr24);
        var yuv = pool.Rent(width, height, PixelFormat.I420);
        var back = pool.Rent(width, height, PixelFormat.Bgr24);
        var random = new Random(11);
        var colour = new byte[3];
        for (var row = 0; row < height; row += 2)
        {
            for (var x = 0; x < width; x += 2)
            {
                random.NextBytes(colour);
                for (var dy = 0; dy < 2 && row + dy < height; dy++)
                {
                    for (var dx = 0; dx < 2 && x + dx < width; dx++)
                    {
                        colour.CopyTo(original.GetRow(0, row + dy).Slice((x + dx) * 3, 3));
                    }
                }
            }
        }

        PixelConverter.Convert(original, yuv, matrix);
        PixelConverter.Convert(yuv, back, matrix);

        Assert.InRange(TestImages.MaxAbsDifference(original, back), 0, RoundTripTolerance);
        original.Release();
        yuv.Release();
        back.Release();
    }

    [Theory]
    [InlineData(YuvMatrix.Bt601)]
    [InlineData(YuvMatrix.Bt709)]
    public void Convert_PrimaryToYuv_MatchesRoundedFormula(YuvMatrix matrix)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(2, 2, PixelFormat.Rgb24);
        var yuv = pool.Rent(2, 2, PixelFormat.Nv12);
        foreach (var (red, green, blue) in new[] { (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0), (200, 100, 50) })
        {
            for (var row = 0; row < 2; row++)
            {
                var pixels = source.GetRow(0, row);
                for (var x = 0; x < 2; x++)
                {
                    pixels[3 * x] = (byte)red;
                    pixels[(3 * x) + 1] = (byte)green;
                    pixels[(3 * x) + 2] = (byte)blue;
                }
            }

            PixelConverter.Convert(source, yuv, matrix);

            var (y, u, v) = ColorFormula.BgrToYuv(blue, green, red, matrix);
            Assert.Equal(ColorFormula.RoundToByte(y), yuv.GetRow(0, 1)[1]);
            Assert.Equal(ColorFormula.RoundToByte(u), yuv.GetRow(1, 0)[0]);
            Assert.Equal(ColorFormula.RoundToByte(v), yuv.GetRow(1, 0)[1]);
        }

        source.Release();
        yuv.Release();
    }

    [Theory]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    public void Convert_BgrToYuvOddSize_EdgeChromaIsMeanOfExistingPixels(PixelFormat format)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(3, 3, PixelFormat.Bgr24);
        var yuv = pool.Rent(3, 3, format);
        var random = new Random(13);
        for (var row = 0; row < 3; row++)
        {
            random.NextBytes(source.GetRow(0, row));
        }

        PixelConverter.Convert(source, yuv, YuvMatrix.Bt709);

        // Chroma (1,0) covers pixels (2,0) and (2,1); chroma (0,1) covers (0,2) and (1,2); (1,1) only (2,2).
        AssertChroma(yuv, 1, 0, Mean(source, (2, 0), (2, 1)));
        AssertChroma(yuv, 0, 1, Mean(source, (0, 2), (1, 2)));
        AssertChroma(yuv, 1, 1, Mean(source, (2, 2)));
        source.Release();
        yuv.Release();

        static (double Blue, double Green, double Red) Mean(VideoFrame frame, params (int X, int Y)[] pixels)
        {
            double blue = 0, green = 0, red = 0;
            foreach (var (x, y) in pixels)
            {
                var pixel = frame.GetRow(0, y).Slice(3 * x, 3);
                blue += pixel[0];
                green += pixel[1];
                red += pixel[2];
            }

            return (blue / pixels.Length, green / pixels.Length, red / pixels.Length);
        }

        static void AssertChroma(VideoFrame frame, int chromaX, int chromaY, (double Blue, double Green, double Red) mean)
        {
            var (_, u, v) = ColorFormula.BgrToYuv(mean.Blue, mean.Green, mean.Red, YuvMatrix.Bt709);
            var interleaved = frame.Format == PixelFormat.Nv12;
            var actualU = interleaved ? frame.GetRow(1, chromaY)[2 * chromaX] : frame.GetRow(1, chromaY)[chromaX];
            var actualV = interleaved ? frame.GetRow(1, chromaY)[(2 * chromaX) + 1] : frame.GetRow(2, chromaY)[chromaX];

            // Rounded to the nearest integer, give or take the fixed point's few-thousandths error.
            Assert.InRange(actualU, u - 0.51, u + 0.51);
            Assert.InRange(actualV, v - 0.51, v + 0.51);
        }
    }

    [Fact]
    public void Convert_ByteMovingPairs_RandomSizes_MatchPerPixelDefinition()
    {
        var pool = new VideoFramePool();

        // Sizes either side of the 16-byte vector steps, so both the vector loops and their tails run.
        Gen.Select(Gen.Int[1, 67], Gen.Int[1, 67], Gen.Int).Sample(
            (width, height, seed) =>
            {
                var bgr = pool.Rent(width, height, PixelFormat.Bgr24);
                var rgb = pool.Rent(width, height, PixelFormat.Rgb24);
                var i420 = pool.Rent(width, height, PixelFormat.I420);
                var nv12 = pool.Rent(width, height, PixelFormat.Nv12);
                var i420Again = pool.Rent(width, height, PixelFormat.I420);
                var gray = pool.Rent(width, height, PixelFormat.Gray8);
                var grayBgr = pool.Rent(width, height, PixelFormat.Bgr24);
                try
                {
                    TestImages.FillRandom(bgr, seed);
                    TestImages.FillRandom(i420, seed + 1);
                    TestImages.FillRandom(gray, seed + 2);

                    PixelConverter.Convert(bgr, rgb);
                    PixelConverter.Convert(i420, nv12);
                    PixelConverter.Convert(nv12, i420Again);
                    PixelConverter.Convert(gray, grayBgr);

                    for (var row = 0; row < height; row++)
                    {
                        for (var x = 0; x < width; x++)
                        {
                            var pixel = bgr.GetRow(0, row).Slice(3 * x, 3);
                            var swapped = rgb.GetRow(0, row).Slice(3 * x, 3);
                            Assert.Equal((pixel[0], pixel[1], pixel[2]), (swapped[2], swapped[1], swapped[0]));
                            var level = gray.GetRow(0, row)[x];
                            Assert.True(grayBgr.GetRow(0, row).Slice(3 * x, 3).IndexOfAnyExcept(level) < 0);
                        }
                    }

                    for (var row = 0; row < (height + 1) / 2; row++)
                    {
                        for (var x = 0; x < (width + 1) / 2; x++)
                        {
                            Assert.Equal(i420.GetRow(1, row)[x], nv12.GetRow(1, row)[2 * x]);
                            Assert.Equal(i420.GetRow(2, row)[x], nv12.GetRow(1, row)[(2 * x) + 1]);
                        }
                    }

                    Assert.Equal(0, TestImages.MaxAbsDifference(i420, i420Again));
                }
                finally
                {
                    Release(bgr, rgb, i420, nv12, i420Again, gray, grayBgr);
                }
            },
            iter: 200);

        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Convert_I420ToNv12AndBack_Lossless()
    {
        var pool = new VideoFramePool();
        var i420 = pool.Rent(37, 19, PixelFormat.I420);
        var nv12 = pool.Rent(37, 19, PixelFormat.Nv12);
        var again = pool.Rent(37, 19, PixelFormat.I420);
        TestImages.FillRandom(i420, seed: 8);

        PixelConverter.Convert(i420, nv12);
        PixelConverter.Convert(nv12, again);

        Assert.Equal(0, TestImages.MaxAbsDifference(i420, again));
        Assert.Equal(i420.GetRow(1, 9)[18], nv12.GetRow(1, 9)[36]);
        Assert.Equal(i420.GetRow(2, 9)[18], nv12.GetRow(1, 9)[37]);
        Release(i420, nv12, again);
    }

    [Fact]
    public void Convert_Nv12AndI420OfSamePicture_GiveSameBgr()
    {
        var pool = new VideoFramePool();
        var i420 = pool.Rent(99, 21, PixelFormat.I420);
        var nv12 = pool.Rent(99, 21, PixelFormat.Nv12);
        var fromI420 = pool.Rent(99, 21, PixelFormat.Bgr24);
        var fromNv12 = pool.Rent(99, 21, PixelFormat.Bgr24);
        TestImages.FillRandom(i420, seed: 9);
        PixelConverter.Convert(i420, nv12);

        PixelConverter.Convert(i420, fromI420, YuvMatrix.Bt709);
        PixelConverter.Convert(nv12, fromNv12, YuvMatrix.Bt709);

        Assert.Equal(0, TestImages.MaxAbsDifference(fromI420, fromNv12));
        Release(i420, nv12, fromI420, fromNv12);
    }

    [Fact]
    public void Convert_BgrToRgb_SwapsChannelsAndRgbToYuvAgrees()
    {
        var pool = new VideoFramePool();
        var bgr = pool.Rent(35, 9, PixelFormat.Bgr24);
        var rgb = pool.Rent(35, 9, PixelFormat.Rgb24);
        var fromBgr = pool.Rent(35, 9, PixelFormat.I420);
        var fromRgb = pool.Rent(35, 9, PixelFormat.I420);
        TestImages.FillRandom(bgr, seed: 10);

        PixelConverter.Convert(bgr, rgb);
        PixelConverter.Convert(bgr, fromBgr);
        PixelConverter.Convert(rgb, fromRgb);

        var bgrRow = bgr.GetRow(0, 8);
        var rgbRow = rgb.GetRow(0, 8);
        for (var x = 0; x < 35; x++)
        {
            Assert.Equal(bgrRow[3 * x], rgbRow[(3 * x) + 2]);
            Assert.Equal(bgrRow[(3 * x) + 1], rgbRow[(3 * x) + 1]);
            Assert.Equal(bgrRow[(3 * x) + 2], rgbRow[3 * x]);
        }

        Assert.Equal(0, TestImages.MaxAbsDifference(fromBgr, fromRgb));
        Release(bgr, rgb, fromBgr, fromRgb);
    }

    [Fact]
    public void Convert_GrayToBgr_RepeatsLevelInEveryChannel()
    {
        var pool = new VideoFramePool();
        var gray = pool.Rent(21, 3, PixelFormat.Gray8);
        var bgr = pool.Rent(21, 3, PixelFormat.Bgr24);
        TestImages.FillRandom(gray, seed: 12);

        PixelConverter.Convert(gray, bgr);

        for (var x = 0; x < 21; x++)
        {
            var level = gray.GetRow(0, 2)[x];
            Assert.Equal([level, level, level], bgr.GetRow(0, 2).Slice(3 * x, 3).ToArray());
        }

        Release(gray, bgr);
    }

    [Theory]
    [InlineData(PixelFormat.I420)]
    [InlineData(PixelFormat.Nv12)]
    public void Convert_GrayThroughYuv_BlackWhiteExactNeutralChromaWithinOne(PixelFormat format)
    {
        var pool = new VideoFramePool();
        var gray = pool.Rent(256, 3, PixelFormat.Gray8);
        var yuv = pool.Rent(256, 3, format);
        var back = pool.Rent(256, 3, PixelFormat.Gray8);
        for (var row = 0; row < 3; row++)
        {
            var levels = gray.GetRow(0, row);
            for (var x = 0; x < 256; x++)
            {
                levels[x] = (byte)x;
            }
        }

        PixelConverter.Convert(gray, yuv);
        PixelConverter.Convert(yuv, back);

        Assert.Equal(16, yuv.GetRow(0, 0)[0]);
        Assert.Equal(235, yuv.GetRow(0, 0)[255]);
        Assert.All(yuv.GetRow(1, 1).ToArray(), b => Assert.Equal(128, b));

        // 256 grey levels squeezed into 220 luma codes and back: a level may come back one off.
        Assert.InRange(TestImages.MaxAbsDifference(gray, back), 0, 1);
        Release(gray, yuv, back);
    }

    [Fact]
    public void Convert_YuvToGray_ExpandsLimitedRangeAndClamps()
    {
        var pool = new VideoFramePool();
        var yuv = pool.Rent(4, 2, PixelFormat.I420);
        var gray = pool.Rent(4, 2, PixelFormat.Gray8);
        byte[] luma = [0, 16, 235, 255];
        luma.CopyTo(yuv.GetRow(0, 0));
        luma.CopyTo(yuv.GetRow(0, 1));

        PixelConverter.Convert(yuv, gray);

        Assert.Equal(new byte[] { 0, 0, 255, 255 }, gray.GetRow(0, 1).ToArray());
        Release(yuv, gray);
    }

    [Fact]
    public void Convert_BgrToGray_FollowsMatrixWeights()
    {
        var pool = new VideoFramePool();
        var bgr = pool.Rent(1, 1, PixelFormat.Bgr24);
        var gray = pool.Rent(1, 1, PixelFormat.Gray8);
        new byte[] { 0, 0, 255 }.CopyTo(bgr.GetRow(0, 0)); // pure red

        PixelConverter.Convert(bgr, gray, YuvMatrix.Bt601);
        Assert.Equal(76, gray.GetRow(0, 0)[0]);  // 0.299 × 255 = 76.2

        PixelConverter.Convert(bgr, gray, YuvMatrix.Bt709);
        Assert.Equal(54, gray.GetRow(0, 0)[0]);  // 0.2126 × 255 = 54.2
        Release(bgr, gray);
    }

    private static void Release(params VideoFrame[] frames)
    {
        foreach (var frame in frames)
        {
            frame.Release();
        }
    }
}
