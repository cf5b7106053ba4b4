using System.ComponentModel.DataAnnotations;

namespace Odyssey.Pipeline.Blocks.Tests;

/// <summary>Runs the data-annotation checks the loader runs on a bound options record.</summary>
internal static class OptionsValidation
{
    public static List<ValidationResult> Validate(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
