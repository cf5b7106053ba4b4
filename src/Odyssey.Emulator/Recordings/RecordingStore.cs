using System.Collections.Concurrent;

namespace Odyssey.Emulator.Recordings;

/// <summary>A finished (or running) stream's recording and what GET /recordings/{stream_id} says about it.</summary>
internal sealed record RecordingInfo(string StreamId, string ApiKey, int Width, int Height, DateTimeOffset StartedAt)
{
    public DateTimeOffset? EndedAt { get; init; }

    public long FrameCount { get; init; }

    public double? DurationSeconds { get; init; }

    /// <summary>The remuxed video on disk; null while the stream runs or when no keyframe was ever recorded.</summary>
    public string? VideoPath { get; init; }

    public string? EventsPath { get; init; }

    /// <summary>The first picture as JPEG (thumbnail_url); null until made after the stream ends.</summary>
    public string? ThumbnailPath { get; init; }

    /// <summary>The first seconds at half size as MP4 (preview_url); null until made after the stream ends.</summary>
    public string? PreviewPath { get; init; }
}

/// <summary>Every recording of this emulator's lifetime, by stream id, in memory; the files live in one directory.</summary>
internal sealed class RecordingStore
{
    private readonly ConcurrentDictionary<string, RecordingInfo> _recordings = new(StringComparer.Ordinal);

    public RecordingStore(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    public void Put(RecordingInfo info) => _recordings[info.StreamId] = info;

    /// <summary>Changes a known recording atomically (a derivative finished while the API reads it).</summary>
    public void Update(string streamId, Func<RecordingInfo, RecordingInfo> change) =>
        _recordings.AddOrUpdate(streamId, static (id, _) => throw new InvalidOperationException($"recording {id} is not in the store"), (_, old, apply) => apply(old), change);

    public RecordingInfo? Find(string streamId) => _recordings.GetValueOrDefault(streamId);

    /// <summary>The key's recordings, most recent first (PROTOCOL.md §7).</summary>
    public List<RecordingInfo> ListFor(string apiKey)
    {
        var list = new List<RecordingInfo>();
        foreach (var info in _recordings.Values)
        {
            if (info.ApiKey == apiKey)
            {
                list.Add(info);
            }
        }

        list.Sort((a, b) => b.StartedAt.CompareTo(a.StartedAt));
        return list;
    }
}
