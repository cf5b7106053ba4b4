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
        TurnAllocateSuccess(),
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

    [Fact]
    public async Task ChannelData_RandomAndMutatedBytes_ReadOrRejectWithinBounds()
    {
        var frames = Gen.Byte.Array[0, 64].Select(b =>
        {
            if (b.Length > 0 && b[0] % 2 == 0)
            {
                b[0] = (byte)(0x40 | (b[0] & 0x0F)); // mostly in the channel range, so the length check is reached
            }

            return b;
        });

        await Task.Run(() => frames.Sample(b =>
        {
            if (TurnChannelData.TryRead(b, out var channel, out var data))
            {
                Assert.InRange(channel, TurnChannelData.FirstChannel, TurnChannelData.LastChannel);
                Assert.True(data.Length + TurnChannelData.HeaderLength <= b.Length);
            }
        }, iter: 20_000)).WaitAsync(HangGuard);
    }

    /// <summary>What the agent does with a datagram from a TURN server: a Data indication unwrapped, a response handled, never an exception.</summary>
    private static bool ChannelDataOrIndication(StunMessage message, byte[] data)
    {
        var turn = new TurnClient(new IceTurnServer("turn:127.0.0.1", "u", "p"), new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 3478), _ => true,
            TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), 2);
        turn.Start(0);
        turn.AddPeer(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5000), 0);
        _ = turn.OnResponse(message, 0);
        _ = turn.TryReadChannelData(data, out _, out _);
        return turn.TryReadDataIndication(message, out _, out _);
    }

    private static byte[] TurnAllocateSuccess()
    {
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, Stun.AllocateMethod, StunClass.SuccessResponse, new byte[12]);
        writer.AddXorRelayedAddress(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("2001:db8::5"), 50000));
        writer.AddXorPeerAddress(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5000));
        writer.AddLifetime(600);
        writer.AddAttribute(Stun.Data, [1, 2, 3]);
        writer.AddRealmOrNonce(Stun.Nonce, "nonce"u8);
        writer.AddMessageIntegrity("k"u8);
        writer.AddFingerprint();
        return buffer[..writer.Length];
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
            _ = thrown.XorRelayedAddress;
            _ = thrown.XorPeerAddress;
            _ = thrown.Lifetime;
            _ = ChannelDataOrIndication(thrown, data);
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
