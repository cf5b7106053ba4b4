namespace Odyssey.Media.Containers;

/// <summary>
/// What a file's video stream is: what <see cref="MediaFileReader"/> reports and <see cref="MediaFileWriter"/>
/// writes into a container header. A width or height of 0 means "unknown": the writer then takes the
/// size from the first keyframe.
/// </summary>
/// <param name="Codec">The stream's codec.</param>
/// <param name="Width">Picture width in pixels, or 0 when unknown.</param>
/// <param name="Height">Picture height in pixels, or 0 when unknown.</param>
public sealed record VideoStreamInfo(VideoCodec Codec, int Width = 0, int Height = 0)
{
    /// <summary>Frames per second, or 0 when unknown (variable or unstated).</summary>
    public double FrameRate { get; init; }
}
