using System.Buffers;
using System.Text;
using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// Collects the preview chart's points between two updates: the chosen numeric fields of each record as
/// <c>[block, field, frame, value]</c>, copied as UTF-8 spans from the record's own JSON into one growing
/// buffer, so a record costs no allocation. Thread-safe: records arrive on one loop, updates leave on another.
/// </summary>
internal sealed class ChartPoints
{
    /// <summary>Held between updates at most; beyond, records are counted in <see cref="Skipped"/> until the next update.</summary>
    public const int MaxPendingBytes = 256 * 1024;

    private const int InitialBufferBytes = 4096;

    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _record = new(InitialBufferBytes);
    private readonly ArrayBufferWriter<byte> _points = new(InitialBufferBytes);
    private readonly Utf8JsonWriter _recordWriter;
    private readonly Utf8JsonWriter _pointsWriter;
    private readonly (string? Block, byte[] Field)[] _fields;
    private long _skipped;

    /// <param name="fields">"field" or "block.field" entries; empty charts every numeric field.</param>
    public ChartPoints(IReadOnlyList<string> fields)
    {
        _fields = new (string?, byte[])[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            var dot = field.LastIndexOf('.');
            _fields[i] = dot < 0 ? (null, Encoding.UTF8.GetBytes(field)) : (field[..dot], Encoding.UTF8.GetBytes(field[(dot + 1)..]));
        }

        _recordWriter = new Utf8JsonWriter(_record);
        _pointsWriter = new Utf8JsonWriter(_points);
    }

    /// <summary>Records left out because updates could not keep up.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Adds the charted fields of <paramref name="record"/>.</summary>
    public void Add(AnalysisRecord record)
    {
        lock (_lock)
        {
            if (_points.WrittenCount > MaxPendingBytes)
            {
                _skipped++;
                return;
            }

            _record.ResetWrittenCount();
            _recordWriter.Reset(_record);
            record.WriteTo(_recordWriter);
            _recordWriter.Flush();
            var reader = new Utf8JsonReader(_record.WrittenSpan);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isCharted = IsCharted(ref reader, record.Block);
                var name = reader.ValueSpan;
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.Number || !isCharted)
                {
                    continue;
                }

                // Each point is its own JSON value; the comma between them is ours, so the writer keeps validating.
                if (_points.WrittenCount > 0)
                {
                    _points.GetSpan(1)[0] = (byte)',';
                    _points.Advance(1);
                }

                _pointsWriter.Reset(_points);
                _pointsWriter.WriteStartArray();
                _pointsWriter.WriteStringValue(record.Block);
                _pointsWriter.WriteStringValue(name);
                _pointsWriter.WriteNumberValue(record.FrameIndex);
                _pointsWriter.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                _pointsWriter.WriteEndArray();
                _pointsWriter.Flush();
            }
        }
    }

    /// <summary>The pending points as one <c>{"type":"points","points":[…]}</c> message, or null when there are none; starts afresh.</summary>
    public byte[]? TakeMessage()
    {
        lock (_lock)
        {
            if (_points.WrittenCount == 0)
            {
                return null;
            }

            var prefix = """{"type":"points","points":["""u8;
            var message = new byte[prefix.Length + _points.WrittenCount + 2];
            prefix.CopyTo(message);
            _points.WrittenSpan.CopyTo(message.AsSpan(prefix.Length));
            message[^2] = (byte)']';
            message[^1] = (byte)'}';
            _points.ResetWrittenCount();
            return message;
        }
    }

    /// <summary>Drops the pending points (for benchmarks that measure <see cref="Add"/> alone).</summary>
    internal void Discard()
    {
        lock (_lock)
        {
            _points.ResetWrittenCount();
        }
    }

    /// <summary>True when the property under <paramref name="reader"/> is a measurement to chart.</summary>
    private bool IsCharted(ref Utf8JsonReader reader, string block)
    {
        if (reader.ValueTextEquals("frame"u8) || reader.ValueTextEquals("ptsMs"u8))
        {
            return false;
        }

        if (_fields.Length == 0)
        {
            return true;
        }

        foreach (var (wantedBlock, field) in _fields)
        {
            if ((wantedBlock is null || wantedBlock == block) && reader.ValueTextEquals(field))
            {
                return true;
            }
        }

        return false;
    }
}
