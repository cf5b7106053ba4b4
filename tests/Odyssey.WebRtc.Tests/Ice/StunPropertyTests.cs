using CsCheck;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>Random and mutated bytes through the STUN parser: a typed rejection or a usable message, nothing else.</summary>
public sealed class StunPropertyTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static readonly byte[][] Seeds =
    [
        StunVectorTests.SampleRequest,
        StunVectorTests.SampleIpv4Response,
        StunVectorTests.SampleIpv6Response,
        StunVectorTests.SampleLongTermRequest,
    ];

    [Fact]
    public async Task Parse_RandomBytes_ParsesOrThrowsStunParseException()
    {
        // Mostly STUN-shaped headers, so the attribute walk is reached and not just the header checks.
        var bytes = Gen.Byte.Array[0, 200];
        var withCookie = bytes.Select(b =>
        {
            if (b.Length >= 20)
            {
                b[0] &= 0x3F;
                b[2] = 0;
                b[3] = (byte)((b.Length - 20) & ~3);
                b[4] = 0x21;
                b[5] = 0x12;
                b[6] = 0xA4;
                b[7] = 0x42;
            }

            return b;
        });

        await Task.Run(() => Gen.OneOf(bytes, withCookie).Sample(Exercise, iter: 20_000)).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Parse_MutatedVectors_ParsesOrThrowsStunParseException()
    {
        var mutated = Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Select(Gen.Int[0, 127], Gen.Byte).Array[1, 6], Gen.Int[0, 130])
            .Select((seed, edits, cut) =>
            {
                var source = Seeds[seed];
                var copy = source.AsSpan(0, Math.Min(cut, source.Length) is var n && n < 20 ? source.Length : n).ToArray();
                foreach (var (position, value) in edits)
                {
                    if (position < copy.Length)
                    {
                        copy[position] = value;
                    }
                }

                return copy;
            });

        await Task.Run(() => mutated.Sample(Exercise, iter: 20_000)).WaitAsync(HangGuard);
    }

    /// <summary>Every getter and check must hold for anything Parse accepted.</summary>
    private static void Exercise(byte[] data)
    {
        var parsed = StunMessage.TryParse(data, out var message);
        try
        {
            var thrown = StunMessage.Parse(data);
            Assert.True(parsed);
            _ = thrown.Username;
            _ = thrown.Priority;
            _ = thrown.IceControlled;
            _ = thrown.IceControlling;
            _ = thrown.UseCandidate;
            _ = thrown.XorMappedAddress;
            _ = thrown.MappedAddress;
            _ = thrown.Error;
            _ = thrown.UnknownAttributes;
            _ = thrown.VerifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBt"u8);
            _ = thrown.VerifyFingerprint();
            _ = message.Method;
        }
        catch (StunParseException error)
        {
            Assert.False(parsed);
            Assert.InRange(error.Offset, 0, Math.Max(0, data.Length));
        }
    }
}
