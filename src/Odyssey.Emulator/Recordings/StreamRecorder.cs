using System.Text.Json;
using System.Text.Json.Nodes;
using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Emulator.Recordings;

/// <summary>
/// Records one stream: the packets exactly as sent, remuxed (no re-encode) into MP4 (H.264) or WebM (VP8)
/// by <see cref="MediaFileWriter"/>, and an events JSONL of what the client asked and what was applied.
/// One owner (the session's video loop writes packets; events come from the message loop, so they lock).
/// </summary>
internal sealed class StreamRecorder : IDisposable
{
    private readonly Lock _eventsGate = new();
    private readonly MediaFileWriter _video;
    private readonly StreamWriter _events;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly EncodedPacketPool _packets = new();
    private RecordingInfo _info;
    private bool _done;

    public StreamRecorder(RecordingStore store, string streamId, string apiKey, VideoCodec codec, int width, int height, double fps, TimeProvider time)
    {
        _time = time;
        _startTimestamp = time.GetTimestamp();
        var extension = codec == VideoCodec.H264 ? ".mp4" : ".webm";
        var videoPath = Path.Combine(store.Directory, streamId + extension);
        var eventsPath = Path.Combine(store.Directory, streamId + ".events.jsonl");
        _video = new MediaFileWriter(videoPath, new VideoStreamInfo(codec, width, height) { FrameRate = fps });
        _events = new StreamWriter(eventsPath, append: false) { AutoFlush = true };
        _info = new RecordingInfo(streamId, apiKey, width, height, time.GetUtcNow()) { EventsPath = eventsPath };
        Store = store;
        store.Put(_info);
    }

    public RecordingStore Store { get; }

    /// <summary>Where a failure to make the thumbnail or preview is reported (they are optional: the recording stands).</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The thumbnail and preview being made after <see cref="Complete"/>; completed when there is no video.</summary>
    public Task Derivatives { get; private set; } = Task.CompletedTask;

    public string StreamId => _info.StreamId;

    public int Width => _info.Width;

    public int Height => _info.Height;

    public TimeSpan Elapsed => _time.GetElapsedTime(_startTimestamp);

    /// <summary>Adds a sent packet (borrowed).</summary>
    public void Write(EncodedPacket packet)
    {
        if (_done)
        {
            return;
        }

        _video.Write(packet);
    }

    /// <summary>Appends one event line: <c>{"timestamp_ms": …, "type": …, …fields}</c>.</summary>
    public void Event(string type, JsonObject? fields = null)
    {
        var line = new JsonObject
        {
            ["timestamp_ms"] = (long)Elapsed.TotalMilliseconds,
            ["type"] = type,
        };
        foreach (var (key, value) in fields ?? [])
        {
            line[key] = value?.DeepClone();
        }

        lock (_eventsGate)
        {
            if (!_done)
            {
                _events.WriteLine(line.ToJsonString(JsonOptions.Compact));
            }
        }
    }

    /// <summary>Finishes both files and publishes the recording's final facts; <paramref name="duration"/> overrides the wall-clock duration (simulations run faster than real time).</summary>
    public RecordingInfo Complete(TimeSpan? duration = null)
    {
        lock (_eventsGate)
        {
            if (_done)
            {
                return _info;
            }

            _done = true;
            _events.Dispose();
        }

        var written = _video.Complete();
        _video.Dispose();
        _info = _info with
        {
            EndedAt = _time.GetUtcNow(),
            FrameCount = written ? _video.PacketsWritten : 0,
            DurationSeconds = Math.Round((duration ?? Elapsed).TotalSeconds, 3),
            VideoPath = written ? _video.Path : null,
        };
        Store.Put(_info);
        if (_info.VideoPath is { } video)
        {
            // After the reply that the stream ended, not before it: the derivatives re-decode the whole start.
            Derivatives = Task.Run(() => MakeDerivatives(video, _info.StreamId));
        }

        return _info;
    }

    public void Dispose() => Complete();

    private void MakeDerivatives(string video, string streamId)
    {
        try
        {
            var (thumbnail, preview) = RecordingDerivatives.Create(video, Store.Directory, streamId, _packets);
            Store.Update(streamId, info => info with { ThumbnailPath = thumbnail, PreviewPath = preview });
        }
#pragma warning disable CA1031 // optional files: any failure (a damaged recording, the emulator stopping) leaves them null
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log?.Invoke($"recording {streamId}: no thumbnail/preview: {e.Message}");
        }
    }

    internal static class JsonOptions
    {
        public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };
    }
}
