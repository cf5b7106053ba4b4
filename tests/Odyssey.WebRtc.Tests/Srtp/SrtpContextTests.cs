using System.Buffers.Binary;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Srtp;

public sealed class SrtpContextTests
{
    public static TheoryData<SrtpProfile> Profiles => [SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm];

    internal static SrtpMasterKey Key(SrtpProfile profile, byte seed = 1)
    {
        var key = new byte[SrtpProfiles.MasterKeyLength(profile)];
        var salt = new byte[SrtpProfiles.MasterSaltLength(profile)];
        for (int i = 0; i < key.Length; i++)
        {
            key[i] = (byte)(seed + i);
        }

        for (int i = 0; i < salt.Length; i++)
        {
            salt[i] = (byte)(seed * 31 + i);
        }

        return new SrtpMasterKey(profile, key, salt);
    }

    /// <summary>Protects a plain packet into a new array of exactly the protected length.</summary>
    private static byte[] Protect(SrtpContext sender, byte[] plain)
    {
        var buffer = new byte[plain.Length + sender.RtpOverhead];
        plain.CopyTo(buffer, 0);
        Assert.Equal(SrtpError.None, sender.ProtectRtp(buffer, plain.Length, out int length));
        Assert.Equal(buffer.Length, length);
        return buffer;
    }

    private static byte[] ProtectRtcp(SrtpContext sender, byte[] plain)
    {
        var buffer = new byte[plain.Length + sender.RtcpOverhead];
        plain.CopyTo(buffer, 0);
        Assert.Equal(SrtpError.None, sender.ProtectRtcp(buffer, plain.Length, out int length));
        Assert.Equal(buffer.Length, length);
        return buffer;
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_ProtectedPackets_RoundTripAndPayloadIsEncrypted(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        foreach (byte[] plain in new[] { RtpPackets.Rtp(1), RtpPackets.Rtp(2, csrcs: 2, extensionWords: 3), RtpPackets.Rtp(3, payload: 1200) })
        {
            byte[] packet = Protect(sender, plain);
            Assert.NotEqual(plain[^16..], packet[(plain.Length - 16)..plain.Length]);

            Assert.Equal(SrtpError.None, receiver.UnprotectRtp(packet, out int length));
            Assert.Equal(plain, packet[..length]);
        }

        Assert.Equal(3, receiver.Statistics.Unprotected);
        Assert.Equal(3, sender.Statistics.Protected);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_SequenceWrapsFrom65535To0_RolloverCounterFollows(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        using var lateReceiver = new SrtpContext(Key(profile));

        // Sent across the wrap; the receiver also gets one packet late (65534 after 0).
        byte[] p65533 = Protect(sender, RtpPackets.Rtp(65533));
        byte[] p65534 = Protect(sender, RtpPackets.Rtp(65534));
        byte[] p65535 = Protect(sender, RtpPackets.Rtp(65535));
        byte[] p0 = Protect(sender, RtpPackets.Rtp(0));
        byte[] p1 = Protect(sender, RtpPackets.Rtp(1));

        foreach (byte[] packet in new[] { p65533, p65535, p0, p65534, p1 })
        {
            byte[] copy = packet.ToArray();
            Assert.Equal(SrtpError.None, receiver.UnprotectRtp(copy, out int length));
            ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(2));
            Assert.Equal(RtpPackets.Rtp(sequence), copy[..length]);
        }

        // After the wrap (ROC 1) the same packets replayed are refused: the index includes the ROC.
        Assert.Equal(SrtpError.Replayed, receiver.UnprotectRtp(p0.ToArray(), out _));

        // A receiver that first sees a packet after the wrap cannot know ROC=1: the tag does not verify
        // (for AES-CM the ROC is in the MAC; for GCM it is in the nonce). That is RFC 3711's rule, kept.
        Assert.Equal(SrtpError.None, lateReceiver.UnprotectRtp(p65535.ToArray(), out _));
        Assert.Equal(SrtpError.None, lateReceiver.UnprotectRtp(p1.ToArray(), out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_TamperedPacket_RejectedAndCounted(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[] packet = Protect(sender, RtpPackets.Rtp(10));
        byte[] headerTampered = packet.ToArray();
        headerTampered[1] ^= 0x01; // payload type, in the authenticated header
        byte[] payloadTampered = packet.ToArray();
        payloadTampered[40] ^= 0x80;
        byte[] tagTampered = packet.ToArray();
        tagTampered[^1] ^= 0x01;

        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtp(headerTampered, out _));
        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtp(payloadTampered, out _));
        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtp(tagTampered, out _));
        Assert.Equal(3, receiver.Statistics.AuthenticationFailures);
        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(packet, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_WrongKey_AuthenticationFailed(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile, seed: 1));
        using var receiver = new SrtpContext(Key(profile, seed: 2));

        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtp(Protect(sender, RtpPackets.Rtp(5)), out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_ReplayedPacket_RejectedAndCounted(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[] packet = Protect(sender, RtpPackets.Rtp(100));
        byte[] replay = packet.ToArray();

        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(packet, out _));
        Assert.Equal(SrtpError.Replayed, receiver.UnprotectRtp(replay, out _));
        Assert.Equal(1, receiver.Statistics.Replayed);
        Assert.Equal(1, receiver.Statistics.Rejected);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_ReorderedInsideWindow_AcceptedOnce(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[][] packets = Enumerable.Range(0, 50).Select(i => Protect(sender, RtpPackets.Rtp((ushort)(1000 + i)))).ToArray();

        for (int i = packets.Length - 1; i >= 0; i--)
        {
            Assert.Equal(SrtpError.None, receiver.UnprotectRtp(packets[i].ToArray(), out _));
        }

        Assert.Equal(SrtpError.Replayed, receiver.UnprotectRtp(packets[7].ToArray(), out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_OlderThanWindow_RejectedAsTooOld(SrtpProfile profile)
    {
        var options = new SrtpOptions { RtpReplayWindow = 64 };
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile), options);
        byte[] old = Protect(sender, RtpPackets.Rtp(10));
        byte[] edge = Protect(sender, RtpPackets.Rtp(11));
        byte[] newest = Protect(sender, RtpPackets.Rtp(10 + 64));

        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(newest, out _));
        Assert.Equal(SrtpError.TooOld, receiver.UnprotectRtp(old, out _));
        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(edge, out _)); // 63 behind: still inside
        Assert.Equal(1, receiver.Statistics.TooOld);
    }

    [Fact]
    public void UnprotectRtp_DefaultWindow_Is1024()
    {
        using var sender = new SrtpContext(Key(SrtpProfile.Aes128CmHmacSha1_80));
        using var receiver = new SrtpContext(Key(SrtpProfile.Aes128CmHmacSha1_80));
        byte[] inside = Protect(sender, RtpPackets.Rtp(2000 - 1023));
        byte[] outside = Protect(sender, RtpPackets.Rtp(2000 - 1024));
        byte[] newest = Protect(sender, RtpPackets.Rtp(2000));

        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(newest, out _));
        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(inside, out _));
        Assert.Equal(SrtpError.TooOld, receiver.UnprotectRtp(outside, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_IndependentSsrcs_HaveIndependentWindows(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[] a = Protect(sender, RtpPackets.Rtp(7, ssrc: 1));
        byte[] b = Protect(sender, RtpPackets.Rtp(7, ssrc: 2));

        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(a, out _));
        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(b, out _));
    }

    [Fact]
    public void UnprotectRtp_MoreSsrcsThanAllowed_RejectedAsTooManyStreams()
    {
        SrtpMasterKey key = Key(SrtpProfile.Aes128CmHmacSha1_80);
        using var sender = new SrtpContext(key);
        using var receiver = new SrtpContext(key, new SrtpOptions { MaxStreams = 2 });

        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(Protect(sender, RtpPackets.Rtp(1, ssrc: 1)), out _));
        Assert.Equal(SrtpError.None, receiver.UnprotectRtp(Protect(sender, RtpPackets.Rtp(1, ssrc: 2)), out _));
        Assert.Equal(SrtpError.TooManyStreams, receiver.UnprotectRtp(Protect(sender, RtpPackets.Rtp(1, ssrc: 3)), out _));
        Assert.Equal(1, receiver.Statistics.TooManyStreams);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void ProtectRtp_NoRoomForTag_BufferTooSmall(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        byte[] plain = RtpPackets.Rtp(1);
        var buffer = new byte[plain.Length + sender.RtpOverhead - 1];
        plain.CopyTo(buffer, 0);

        Assert.Equal(SrtpError.BufferTooSmall, sender.ProtectRtp(buffer, plain.Length, out _));
        Assert.Equal(plain, buffer[..plain.Length]);
    }

    [Fact]
    public void UnprotectRtp_TooShortOrBadHeader_TypedRejections()
    {
        using var receiver = new SrtpContext(Key(SrtpProfile.Aes128CmHmacSha1_80));
        byte[] notVersion2 = new byte[40];
        byte[] extensionPastEnd = new byte[40];
        extensionPastEnd[0] = 0x90;
        extensionPastEnd[14] = 0xFF;

        Assert.Equal(SrtpError.TooShort, receiver.UnprotectRtp(new byte[21], out _));
        Assert.Equal(SrtpError.MalformedHeader, receiver.UnprotectRtp(notVersion2, out _));
        Assert.Equal(SrtpError.MalformedHeader, receiver.UnprotectRtp(extensionPastEnd, out _));
        Assert.Equal(3, receiver.Statistics.Malformed);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtcp_ProtectedCompound_RoundTripsAndReplayRejected(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[] plain = RtpPackets.Rtcp();
        byte[] first = ProtectRtcp(sender, plain);
        byte[] second = ProtectRtcp(sender, plain);
        byte[] replay = first.ToArray();

        Assert.NotEqual(first, second); // a fresh SRTCP index each time
        Assert.Equal(SrtpError.None, receiver.UnprotectRtcp(second, out int length));
        Assert.Equal(plain, second[..length]);
        Assert.Equal(SrtpError.None, receiver.UnprotectRtcp(first, out length));
        Assert.Equal(plain, first[..length]);
        Assert.Equal(SrtpError.Replayed, receiver.UnprotectRtcp(replay, out _));
        Assert.Equal(1, receiver.Statistics.Replayed);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtcp_Tampered_RejectedAndCounted(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[] packet = ProtectRtcp(sender, RtpPackets.Rtcp());
        byte[] indexTampered = packet.ToArray();
        indexTampered[profile == SrtpProfile.AeadAes128Gcm ? ^1 : ^11] ^= 0x01;
        packet[12] ^= 0x01;

        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtcp(packet, out _));
        Assert.Equal(SrtpError.AuthenticationFailed, receiver.UnprotectRtcp(indexTampered, out _));
        Assert.Equal(2, receiver.Statistics.AuthenticationFailures);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtcp_OlderThanWindow_TooOld(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[] first = ProtectRtcp(sender, RtpPackets.Rtcp());
        byte[] last = [];
        for (int i = 0; i < SrtpOptions.DefaultRtcpReplayWindow; i++)
        {
            last = ProtectRtcp(sender, RtpPackets.Rtcp());
        }

        Assert.Equal(SrtpError.None, receiver.UnprotectRtcp(last, out _));
        Assert.Equal(SrtpError.TooOld, receiver.UnprotectRtcp(first, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void UnprotectRtp_SteadyState_AllocatesNothing(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[][] packets = Enumerable.Range(0, 200).Select(i => Protect(sender, RtpPackets.Rtp((ushort)i, payload: 1188))).ToArray();
        byte[] work = new byte[packets[0].Length];
        for (int i = 0; i < 10; i++)
        {
            packets[i].CopyTo(work, 0);
            Assert.Equal(SrtpError.None, receiver.UnprotectRtp(work, out _));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 10; i < packets.Length; i++)
        {
            packets[i].CopyTo(work, 0);
            receiver.UnprotectRtp(work, out _);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(200, receiver.Statistics.Unprotected);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void ProtectRtp_SteadyState_AllocatesNothing(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        byte[] plain = RtpPackets.Rtp(0, payload: 1188);
        var work = new byte[plain.Length + sender.RtpOverhead];
        for (int i = 0; i < 10; i++)
        {
            plain.CopyTo(work, 0);
            BinaryPrimitives.WriteUInt16BigEndian(work.AsSpan(2), (ushort)i);
            sender.ProtectRtp(work, plain.Length, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 10; i < 200; i++)
        {
            plain.CopyTo(work, 0);
            BinaryPrimitives.WriteUInt16BigEndian(work.AsSpan(2), (ushort)i);
            sender.ProtectRtp(work, plain.Length, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Options_WindowNotMultipleOf64_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new SrtpContext(Key(SrtpProfile.Aes128CmHmacSha1_80), new SrtpOptions { RtpReplayWindow = 100 }));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task UnprotectRtpAndRtcp_FromTwoThreads_AllAcceptedOnce(SrtpProfile profile)
    {
        using var sender = new SrtpContext(Key(profile));
        using var receiver = new SrtpContext(Key(profile));
        byte[][] rtp = Enumerable.Range(0, 500).Select(i => Protect(sender, RtpPackets.Rtp((ushort)i))).ToArray();
        byte[][] rtcp = Enumerable.Range(0, 100).Select(_ => ProtectRtcp(sender, RtpPackets.Rtcp())).ToArray();

        Task rtpThread = Task.Run(() => Array.ForEach(rtp, p => Assert.Equal(SrtpError.None, receiver.UnprotectRtp(p, out _))));
        Task rtcpThread = Task.Run(() => Array.ForEach(rtcp, p => Assert.Equal(SrtpError.None, receiver.UnprotectRtcp(p, out _))));
        await Task.WhenAll(rtpThread, rtcpThread).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(600, receiver.Statistics.Unprotected);
        Assert.Equal(0, receiver.Statistics.Rejected);
    }
}
