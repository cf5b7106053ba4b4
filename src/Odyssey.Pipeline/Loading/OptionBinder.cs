using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Odyssey.Pipeline;

/// <summary>
/// Binds a block's JSON options (and its <c>--set</c> overrides) onto a fresh options record, then
/// runs the record's own rules: ranges, then <see cref="IValidatableObject"/> for cross-field rules.
/// </summary>
internal sealed class OptionBinder(PipelineReader reader)
{
    /// <summary>Returns the bound record, or null when any option of the block was wrong (all reported).</summary>
    public object? Bind(BlockEntry block, JsonElement? options)
    {
        var descriptor = block.Descriptor!;
        var optionsPath = block.Path + ".options";
        var errorsBefore = reader.Errors.Count;

        // Overrides replace the file's value of the same option; the value keeps the path it came from.
        var values = new List<(string Name, JsonElement Value, string Path)>();
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        if (options is { } element)
        {
            foreach (var property in element.EnumerateObject())
            {
                var path = JsonPaths.Member(optionsPath, property.Name);
                if (!indexOf.TryAdd(property.Name, values.Count))
                {
                    reader.Add(PipelineRules.DuplicateProperty, path, $"{block.Label} sets option \"{property.Name}\" more than once; give it once.");
                    continue;
                }

                values.Add((property.Name, property.Value, path));
            }
        }

        foreach (var over in block.Overrides)
        {
            if (indexOf.TryGetValue(over.Option, out var existing))
            {
                values[existing] = (over.Option, over.Value, over.Path);
            }
            else
            {
                indexOf.Add(over.Option, values.Count);
                values.Add((over.Option, over.Value, over.Path));
            }
        }

        var record = descriptor.CreateDefaultOptions();
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value, path) in values)
        {
            var option = descriptor.FindOption(name);
            if (option is null)
            {
                reader.Add(PipelineRules.UnknownOption, path, $"{block.Label} has no option \"{name}\"{NearNames.Hint(name, descriptor.Options.Select(o => o.Name))}");
                continue;
            }

            given.Add(name);
            if (TryConvert(block, option, value, path, out var converted) && CheckRange(block, option, converted, value, path))
            {
                Set(block, option, record, converted, path);
            }
        }

        foreach (var option in descriptor.Options)
        {
            if (option.Required && !given.Contains(option.Name))
            {
                reader.Add(PipelineRules.MissingOption, options is null ? block.Path : optionsPath, $"{block.Label} needs option \"{option.Name}\" ({Expected(option)}).");
            }
        }

        if (reader.Errors.Count != errorsBefore)
        {
            return null;
        }

        // Cross-field rules only make sense on options that are each valid, so they run last.
        if (record is IValidatableObject validatable)
        {
            Validate(block, validatable, record, optionsPath);
        }

        return reader.Errors.Count == errorsBefore ? record : null;
    }

    /// <summary>What an option takes, as a message says it: "an integer", "one of \"a\", \"b\"".</summary>
    public static string Expected(OptionDescriptor option)
    {
        var type = option.ValueType;
        var text = type.IsEnum ? $"one of {JsonPaths.QuoteList(option.EnumNames)}"
            : type == typeof(int) || type == typeof(long) ? "an integer"
            : type == typeof(double) || type == typeof(float) ? "a number"
            : type == typeof(bool) ? "true or false"
            : type == typeof(string) ? "a string"
            : type == typeof(JsonElement) ? "an array"
            : $"a {type.Name}";
        return option.Nullable ? text + " or null" : text;
    }

    /// <summary>
    /// True for a string option marked <see cref="RequiredAttribute"/> without <see cref="RequiredAttribute.AllowEmptyStrings"/>:
    /// as in data annotations, an empty or blank value does not count as given.
    /// </summary>
    public static bool RefusesEmpty(OptionDescriptor option) =>
        option.ValueType == typeof(string) && option.Property.GetCustomAttribute<RequiredAttribute>() is { AllowEmptyStrings: false };

    private bool TryConvert(BlockEntry block, OptionDescriptor option, JsonElement value, string path, out object? converted)
    {
        converted = null;
        var type = option.ValueType;
        var subject = $"option \"{option.Name}\" of {block.Label}";
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (option.Nullable)
            {
                return true;
            }

            reader.Add(PipelineRules.WrongType, path, $"{subject} must be {Expected(option)}, not null.");
            return false;
        }

        if (type.IsEnum)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                reader.Add(PipelineRules.WrongType, path, $"{subject} must be {Expected(option)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            var index = option.EnumNames.IndexOf(value.GetString()!);
            if (index < 0)
            {
                reader.Add(PipelineRules.InvalidValue, path, $"{subject} must be {Expected(option)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            converted = Enum.Parse(type, Enum.GetNames(type)[index]);
            return true;
        }

        if (type == typeof(int) || type == typeof(long))
        {
            if (value.ValueKind != JsonValueKind.Number || !PipelineReader.IsIntegral(value, out var number))
            {
                reader.Add(PipelineRules.WrongType, path, $"{subject} must be {Expected(option)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            var (min, max) = type == typeof(int) ? ((double)int.MinValue, (double)int.MaxValue) : (long.MinValue, long.MaxValue);
            if (number < min || number >= max + 1)
            {
                reader.Add(PipelineRules.OutOfRange, path, $"{subject} must be an integer from {JsonPaths.Number(min)} to {JsonPaths.Number(max)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            converted = type == typeof(int) ? (object)(int)number : value.TryGetInt64(out var exact) ? exact : (long)number;
            return true;
        }

        if (type == typeof(double) || type == typeof(float))
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number)
                || (type == typeof(float) && !float.IsFinite((float)number)))
            {
                reader.Add(PipelineRules.WrongType, path, $"{subject} must be {Expected(option)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            converted = type == typeof(double) ? (object)number : (float)number;
            return true;
        }

        if (type == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                reader.Add(PipelineRules.WrongType, path, $"{subject} must be {Expected(option)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            converted = value.ValueKind == JsonValueKind.True;
            return true;
        }

        if (type == typeof(string))
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                reader.Add(PipelineRules.WrongType, path, $"{subject} must be {Expected(option)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            converted = value.GetString();
            if (RefusesEmpty(option) && string.IsNullOrWhiteSpace((string)converted!))
            {
                // A blank path would resolve to the pipeline file's own folder and fail only when the
                // block opens it, with a message about that folder rather than this option.
                reader.Add(PipelineRules.InvalidValue, path, $"{subject} must not be empty.");
                return false;
            }

            return true;
        }

        if (type == typeof(JsonElement))
        {
            // Structured options (a script, a list of rules) are JSON arrays the block's own
            // validation reads; the element is cloned so it outlives the parsed document.
            if (value.ValueKind != JsonValueKind.Array)
            {
                reader.Add(PipelineRules.WrongType, path, $"{subject} must be {Expected(option)}, not {JsonPaths.Describe(value)}.");
                return false;
            }

            converted = value.Clone();
            return true;
        }

        reader.Add(PipelineRules.WrongType, path, $"{subject} has type {type.Name}, which a pipeline file cannot set.");
        return false;
    }

    private bool CheckRange(BlockEntry block, OptionDescriptor option, object? converted, JsonElement value, string path)
    {
        if (option.Range is not { } range || converted is null || converted is string || converted is bool || converted is Enum)
        {
            return true;
        }

        var number = Convert.ToDouble(converted, CultureInfo.InvariantCulture);
        if (number >= range.Minimum && number <= range.Maximum)
        {
            return true;
        }

        reader.Add(PipelineRules.OutOfRange, path, $"option \"{option.Name}\" of {block.Label} must be from {JsonPaths.Number(range.Minimum)} to {JsonPaths.Number(range.Maximum)}, not {JsonPaths.Describe(value)}.");
        return false;
    }

    private void Set(BlockEntry block, OptionDescriptor option, object record, object? converted, string path)
    {
        try
        {
            option.Property.SetValue(record, converted);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            // A setter that validates its own value speaks for itself.
            reader.Add(PipelineRules.InvalidValue, path, $"option \"{option.Name}\" of {block.Label} was refused: {e.InnerException.Message}");
        }
    }

    private void Validate(BlockEntry block, IValidatableObject validatable, object record, string optionsPath)
    {
        List<ValidationResult> results;
        try
        {
            results = [.. validatable.Validate(new ValidationContext(record))];
        }
#pragma warning disable CA1031 // a block's own validation code failing is one more problem to report, not a crash
        catch (Exception e)
#pragma warning restore CA1031
        {
            reader.Add(PipelineRules.InvalidValue, optionsPath, $"checking the options of {block.Label} failed: {e.Message}");
            return;
        }

        foreach (var result in results)
        {
            if (result is null || result == ValidationResult.Success)
            {
                continue;
            }

            var path = optionsPath;
            foreach (var member in result.MemberNames)
            {
                path = JsonPaths.Member(optionsPath, JsonOptionName(block.Descriptor!, member));
                break;
            }

            var text = (result.ErrorMessage ?? "the options are invalid").TrimEnd('.', ' ');
            reader.Add(PipelineRules.InvalidValue, path, $"the options of {block.Label} are invalid: {text}.");
        }
    }

    // Validation results name CLR properties ("MinArea"); files name options ("minArea").
    private static string JsonOptionName(BlockDescriptor descriptor, string member)
    {
        foreach (var option in descriptor.Options)
        {
            if (option.Property.Name == member)
            {
                return option.Name;
            }
        }

        return BlockDescriptor.JsonName(member);
    }
}
