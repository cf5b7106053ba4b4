using System.Buffers;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="TriggerBlock"/>.</summary>
public sealed partial class TriggerOptions : IValidatableObject
{
    /// <summary>Default seconds between two prompts: long enough for the world to show the last one.</summary>
    public const double DefaultCooldown = 5;

    /// <summary>The rule: <c>RECORD.FIELD OP NUMBER [for SECONDS s]</c>.</summary>
    [Description("The rule: RECORD.FIELD OP NUMBER [for SECONDS s], e.g. \"motion.movingFraction < 0.01 for 3 s\"; RECORD is a record kind or the name of the block that wrote it, OP one of < <= > >= == !=.")]
    [Required]
    public required string When { get; init; }

    /// <summary>The prompt sent when the rule fires.</summary>
    [Description("The prompt to send when the rule fires.")]
    [Required]
    public required string Prompt { get; init; }

    /// <summary>Minimum stream seconds between two prompts (rate limit).</summary>
    [Description("Rate limit: at least this many seconds of stream time between two prompts.")]
    [Range(0.0, 86400.0)]
    public double Cooldown { get; init; } = DefaultCooldown;

    /// <summary>Stop firing after this many prompts; null: no limit.</summary>
    [Description("Fire at most this many times; omit for no limit.")]
    [Range(1, int.MaxValue)]
    public int? MaxFires { get; init; }

    /// <summary>The parsed rule; valid after validation.</summary>
    internal TriggerRule Rule => TriggerRule.TryParse(When, out var rule) ? rule : throw new InvalidOperationException($"trigger rule \"{When}\" was not validated");

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!TriggerRule.TryParse(When, out _))
        {
            yield return new ValidationResult($"when \"{When}\" is not a rule of the form RECORD.FIELD OP NUMBER [for SECONDS s], e.g. \"motion.movingFraction < 0.01 for 3 s\"", [nameof(When)]);
        }
    }
}

/// <summary>A parsed trigger rule.</summary>
internal sealed partial record TriggerRule(string Record, string Field, string Operator, double Threshold, TimeSpan For)
{
    public static bool TryParse(string text, out TriggerRule rule)
    {
        rule = null!;
        var match = Pattern().Match(text ?? "");
        if (!match.Success
            || !double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold)
            || !double.IsFinite(threshold))
        {
            return false;
        }

        var seconds = 0.0;
        if (match.Groups["for"].Success
            && (!double.TryParse(match.Groups["for"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || !double.IsFinite(seconds) || seconds < 0))
        {
            return false;
        }

        rule = new TriggerRule(match.Groups["record"].Value, match.Groups["field"].Value, match.Groups["op"].Value, threshold, TimeSpan.FromSeconds(seconds));
        return true;
    }

    public bool Holds(double value) => Operator switch
    {
        "<" => value < Threshold,
        "<=" => value <= Threshold,
        ">" => value > Threshold,
        ">=" => value >= Threshold,
        "==" => value == Threshold,
        _ => value != Threshold,
    };

    [GeneratedRegex(@"^\s*(?<record>[A-Za-z][\w-]*)\.(?<field>[A-Za-z_]\w*)\s*(?<op><=|>=|==|!=|<|>)\s*(?<value>[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(?:for\s+(?<for>[0-9.]+)\s*s)?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>
/// Turns analysis records into prompts by a rule: when a record's field meets a condition continuously
/// for some stream time, it emits one <see cref="PromptRecord"/> (for the <c>odyssey</c> source's
/// <c>interact</c> port), then waits at least <c>cooldown</c> before firing again. Times are the records'
/// timestamps, so a replay fires at the same frames as the live run. Records of other kinds, and records
/// without the field, pass unseen.
/// </summary>
[Block(TypeName, Description = "Turns analysis records into prompts by a rule (e.g. motion.movingFraction < 0.01 for 3 s), rate limited.")]
public sealed class TriggerBlock(TriggerOptions options) : TransformBlock<AnalysisRecord, AnalysisRecord, TriggerOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "trigger";

    private readonly TriggerRule _rule = options.Rule;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly byte[] _field = Encoding.UTF8.GetBytes(options.Rule.Field);
    private Utf8JsonWriter? _writer;
    private TimeSpan? _holdingSince;
    private TimeSpan? _lastFired;

    /// <summary>Prompts emitted so far.</summary>
    public int Fired { get; private set; }

    /// <inheritdoc />
    protected override ValueTask<AnalysisRecord?> TransformAsync(AnalysisRecord input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if ((input.Kind != _rule.Record && input.Block != _rule.Record) || !TryReadField(input, out var value))
        {
            return ValueTask.FromResult<AnalysisRecord?>(null);
        }

        if (!_rule.Holds(value))
        {
            _holdingSince = null;
            return ValueTask.FromResult<AnalysisRecord?>(null);
        }

        _holdingSince ??= input.Pts;
        var held = input.Pts - _holdingSince.Value >= _rule.For;
        var rested = _lastFired is not { } last || input.Pts - last >= TimeSpan.FromSeconds(Options.Cooldown);
        var allowed = Options.MaxFires is not { } max || Fired < max;
        if (!held || !rested || !allowed)
        {
            return ValueTask.FromResult<AnalysisRecord?>(null);
        }

        Fired++;
        _lastFired = input.Pts;
        _holdingSince = null; // the condition must hold for the whole period again before the next prompt
        return ValueTask.FromResult<AnalysisRecord?>(new PromptRecord
        {
            Block = Name,
            FrameIndex = input.FrameIndex,
            Pts = input.Pts,
            CaptureTime = input.CaptureTime,
            Prompt = Options.Prompt,
            Rule = Options.When,
            Value = value,
        });
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        return base.DisposeAsync();
    }

    /// <summary>Reads the rule's field from the record's JSON form (how every record, built-in or plugin, exposes its values).</summary>
    private bool TryReadField(AnalysisRecord record, out double value)
    {
        value = 0;
        _buffer.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_buffer);
        }
        else
        {
            _writer.Reset(_buffer);
        }

        record.WriteTo(_writer);
        _writer.Flush();
        var reader = new Utf8JsonReader(_buffer.WrittenSpan);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }

            var match = reader.ValueTextEquals(_field);
            if (!reader.Read())
            {
                return false;
            }

            if (!match)
            {
                reader.Skip();
                continue;
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.Number:
                    return reader.TryGetDouble(out value);
                case JsonTokenType.True:
                    value = 1;
                    return true;
                case JsonTokenType.False:
                    value = 0;
                    return true;
                default:
                    return false;
            }
        }

        return false;
    }
}
