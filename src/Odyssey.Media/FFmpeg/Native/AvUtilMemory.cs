using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>libavutil's allocator: buffers FFmpeg frees itself (codec extradata) must come from it.</summary>
internal static partial class AvUtil
{
    [LibraryImport(FFmpegLibraries.AvUtil, EntryPoint = "av_mallocz")]
    public static partial nint AllocZeroed(nuint size);
}
