using System.ComponentModel.DataAnnotations;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class PreviewAndDisplayOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1", false, null)]
    [InlineData("::1", false, null)]
    [InlineData("0.0.0.0", true, null)]
    [InlineData("0.0.0.0", false, "set allowRemote: true")]
    [InlineData("localhost", false, "is not an IP address")]
    public void PreviewOptions_Address_OnlyLoopbackWithoutConsent(string address, bool allowRemote, string? problem)
    {
        var options = new PreviewSinkOptions { Address = address, AllowRemote = allowRemote };

        var results = options.Validate(new ValidationContext(options)).ToList();

        if (problem is null)
        {
            Assert.Empty(results);
        }
        else
        {
            Assert.Contains(results, r => r.ErrorMessage!.Contains(problem, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(".movingFraction")]
    [InlineData("motion.")]
    [InlineData("motion.movingFraction, motion .x")]
    public void PreviewOptions_MalformedField_IsRefused(string field)
    {
        var options = new PreviewSinkOptions { Fields = field };

        Assert.Single(options.Validate(new ValidationContext(options)));
    }

    [Theory]
    [InlineData(null, "$DISPLAY is not set")]
    [InlineData("", "$DISPLAY is not set")]
    [InlineData("nonsense", "not of the form")]
    [InlineData(":98765", "nothing accepts connections at /tmp/.X11-unix/X98765")]
    public void DisplayProbe_NoUsableDisplay_SaysWhy(string? display, string expected)
    {
        Assert.Contains(expected, DisplayProbe.Problem(display), StringComparison.Ordinal);
    }
}
