using System.Collections;
using System.Reflection;
using Odyssey.Tests;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp;

/// <summary>The SDPs aiortc 1.4.0 and Chromium 156 produced on this kind of machine (INTEROP-NOTES.md), stored with CRLF.</summary>
internal static class SdpSamples
{
    public static string Folder { get; } = Path.Combine(RepositoryRoot.Path, "tests", "Odyssey.WebRtc.Tests", "Sdp", "Samples");

    public static IEnumerable<string> Names =>
        Directory.GetFiles(Folder, "*.sdp").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names)
        {
            data.Add(name);
        }

        return data;
    }

    public static string Text(string name) => File.ReadAllText(Path.Combine(Folder, name));

    public static SessionDescription Parse(string name) => SessionDescription.Parse(Text(name));
}

/// <summary>Deep, structural equality of two SDP models (lists element by element, every public property).</summary>
internal static class SdpModelAssert
{
    public static void Equal(object? expected, object? actual) => Compare(expected, actual, "session");

    private static void Compare(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: {Show(expected)} != {Show(actual)}");
            return;
        }

        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string || expected is decimal)
        {
            Assert.True(expected.Equals(actual), $"{path}: {Show(expected)} != {Show(actual)}");
            return;
        }

        if (expected is IList expectedList)
        {
            var actualList = (IList)actual;
            Assert.True(expectedList.Count == actualList.Count, $"{path}: {expectedList.Count} items != {actualList.Count}");
            for (var i = 0; i < expectedList.Count; i++)
            {
                Compare(expectedList[i], actualList[i], $"{path}[{i}]");
            }

            return;
        }

        Assert.True(type == actual.GetType(), $"{path}: type {type.Name} != {actual.GetType().Name}");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                Compare(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
            }
        }
    }

    private static string Show(object? value) => value is null ? "null" : $"'{value}'";
}
