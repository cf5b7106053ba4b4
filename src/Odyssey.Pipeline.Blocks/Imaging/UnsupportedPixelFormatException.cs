using System.Collections.Immutable;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// A block received frames in a pixel format it does not process. The message names the block, the
/// format received, the formats accepted and the fix (a <c>convert</c> block in front).
/// </summary>
public sealed class UnsupportedPixelFormatException : InvalidOperationException
{
    /// <summary>Creates the exception with a generic message (for serializers and tests).</summary>
    public UnsupportedPixelFormatException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public UnsupportedPixelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public UnsupportedPixelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal UnsupportedPixelFormatException(string blockName, string blockType, PixelFormat received, ImmutableArray<PixelFormat> accepted)
        : base(Describe(blockName, blockType, received, accepted))
    {
        BlockName = blockName;
        BlockType = blockType;
        Received = received;
        Accepted = accepted;
    }

    /// <summary>Name of the block in the pipeline file.</summary>
    public string BlockName { get; } = "";

    /// <summary>Type of the block ("gaussianBlur").</summary>
    public string BlockType { get; } = "";

    /// <summary>The format of the rejected frame.</summary>
    public PixelFormat Received { get; }

    /// <summary>The formats the block processes.</summary>
    public ImmutableArray<PixelFormat> Accepted { get; } = [];

    private static string Describe(string blockName, string blockType, PixelFormat received, ImmutableArray<PixelFormat> accepted)
    {
        var names = string.Join(", ", accepted.Select(FormatName));
        return $"block \"{blockName}\" ({blockType}) received a frame in {FormatName(received)} but accepts only {names}; "
            + $"put a \"convert\" block with \"format\": \"{FormatName(accepted[0])}\" in front of it";
    }

    internal static string FormatName(PixelFormat format) => BlockDescriptor.EnumName(format.ToString());
}

/// <summary>Per-frame format checks that allocate nothing unless they fail.</summary>
internal static class PixelFormatGuard
{
    /// <summary>Throws <see cref="UnsupportedPixelFormatException"/> unless <paramref name="format"/> is in <paramref name="accepted"/>.</summary>
    public static void Require(Block block, string blockType, PixelFormat format, ImmutableArray<PixelFormat> accepted)
    {
        foreach (var candidate in accepted)
        {
            if (candidate == format)
            {
                return;
            }
        }

        throw new UnsupportedPixelFormatException(block.Name, blockType, format, accepted);
    }

    /// <summary>The packed formats every OpenCV block handles.</summary>
    public static readonly ImmutableArray<PixelFormat> Packed = [PixelFormat.Bgr24, PixelFormat.Rgb24, PixelFormat.Gray8];

    /// <summary>Packed formats plus the planar 4:2:0 ones, for blocks that process plane by plane.</summary>
    public static readonly ImmutableArray<PixelFormat> PackedAndPlanar = [PixelFormat.Bgr24, PixelFormat.Rgb24, PixelFormat.Gray8, PixelFormat.I420, PixelFormat.Nv12];
}
