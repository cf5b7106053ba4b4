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
