using CsCheck;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Srtp;

/// <summary>Random and mutated bytes: always a typed <see cref="SrtpError"/>, never an exception or a hang.</summary>
public sealed class SrtpPropertyTests
{
    private const long Iterations = 2_000;

    private static readonly SrtpError[] Rejections =
    [
        SrtpError.TooShort, SrtpError.MalformedHeader, SrtpError.AuthenticationFailed,
        SrtpError.Replayed, SrtpError.TooOld, SrtpError.TooManyStreams, SrtpError.IndexExhausted,
    ];

    [Theory]
    [MemberData(nameof(SrtpContextTests.Profiles), MemberType = typeof(SrtpContextTests))]
    public void UnprotectRtp_RandomBytes_TypedRejection(SrtpProfile profile)
    {
        using var receiver = new SrtpContext(SrtpContextTests.Key(profile));
        Gen.Byte.Array[0, 1600].Sample(bytes =>
        {
            SrtpError error = receiver.UnprotectRtp(bytes, out int length);
            Assert.Contains(error, Rejections);
            Assert.Equal(0, length);
        }, iter: Iterations);
        Assert.Equal(0, receiver.Statistics.Unprotected);
    }

    [Theory]
    [MemberData(nameof(SrtpContextTests.Profiles), MemberType = typeof(SrtpContextTests))]
    public void UnprotectRtcp_RandomBytes_TypedRejection(SrtpProfile profile)
    {
        using var receiver = new SrtpContext(SrtpContextTests.Key(profile));
        Gen.Byte.Array[0, 1600].Sample(bytes =>
        {
            Assert.Contains(receiver.UnprotectRtcp(bytes, out _), Rejections);
        }, iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(SrtpContextTests.Profiles), MemberType = typeof(SrtpContextTests))]
    public void UnprotectRtp_MutatedPacket_TypedRejection(SrtpProfile profile)
    {
        SrtpMasterKey key = SrtpContextTests.Key(profile);
        using var sender = new SrtpContext(key);
        byte[] plain = RtpPackets.Rtp(4242, payload: 300, csrcs: 1, extensionWords: 2);
        var packet = new byte[plain.Length + sender.RtpOverhead];
        plain.CopyTo(packet, 0);
        Assert.Equal(SrtpError.None, sender.ProtectRtp(packet, plain.Length, out _));

        // Flip 1..4 bytes anywhere, optionally truncating: the result never authenticates.
        Gen<(int Position, byte Xor)> flip = Gen.Select(Gen.Int[0, packet.Length - 1], Gen.Byte[1, 255]);
        Gen.Select(flip.Array[1, 4], Gen.Int[0, packet.Length]).Sample(mutation =>
        {
            byte[] copy = packet.ToArray();
            foreach ((int position, byte xor) in mutation.Item1)
            {
                copy[position] ^= xor;
            }

            bool changed = !copy.AsSpan().SequenceEqual(packet);
            byte[] input = mutation.Item2 < copy.Length ? copy[..mutation.Item2] : copy;
            using var receiver = new SrtpContext(key);
            SrtpError error = receiver.UnprotectRtp(input, out _);
            if (changed || input.Length != packet.Length)
            {
                Assert.Contains(error, Rejections);
            }
            else
            {
                Assert.Equal(SrtpError.None, error);
            }
        }, iter: 500);
    }

    [Theory]
    [MemberData(nameof(SrtpContextTests.Profiles), MemberType = typeof(SrtpContextTests))]
    public void UnprotectRtcp_MutatedPacket_TypedRejection(SrtpProfile profile)
    {
        SrtpMasterKey key = SrtpContextTests.Key(profile);
        using var sender = new SrtpContext(key);
        byte[] plain = RtpPackets.Rtcp();
        var packet = new byte[plain.Length + sender.RtcpOverhead];
        plain.CopyTo(packet, 0);
        Assert.Equal(SrtpError.None, sender.ProtectRtcp(packet, plain.Length, out _));

        Gen.Select(Gen.Int[0, packet.Length - 1], Gen.Byte[1, 255], Gen.Int[0, packet.Length - 1]).Sample(mutation =>
        {
            byte[] copy = packet.ToArray();
            copy[mutation.Item1] ^= mutation.Item2;
            using var receiver = new SrtpContext(key);
            Assert.Contains(receiver.UnprotectRtcp(copy, out _), Rejections);
            Assert.Contains(receiver.UnprotectRtcp(packet.AsSpan(0, mutation.Item3).ToArray(), out _), Rejections);
        }, iter: 500);
    }

    [Theory]
    [MemberData(nameof(SrtpContextTests.Profiles), MemberType = typeof(SrtpContextTests))]
    public void ProtectRtpAndRtcp_RandomBytes_TypedResultNeverThrows(SrtpProfile profile)
    {
        using var sender = new SrtpContext(SrtpContextTests.Key(profile));
        Gen.Select(Gen.Byte.Array[0, 300], Gen.Int[0, 40]).Sample(input =>
        {
            var buffer = new byte[input.Item1.Length + input.Item2];
            input.Item1.CopyTo(buffer, 0);
            SrtpError rtp = sender.ProtectRtp(buffer, input.Item1.Length, out int rtpLength);
            Assert.True(rtp == SrtpError.None ? rtpLength == input.Item1.Length + sender.RtpOverhead : rtpLength == 0);
            input.Item1.CopyTo(buffer, 0);
            SrtpError rtcp = sender.ProtectRtcp(buffer, input.Item1.Length, out int rtcpLength);
            Assert.True(rtcp == SrtpError.None ? rtcpLength == input.Item1.Length + sender.RtcpOverhead : rtcpLength == 0);
        }, iter: Iterations);
    }
}
