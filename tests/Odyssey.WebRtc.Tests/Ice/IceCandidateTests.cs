using System.Net;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

public sealed class IceCandidateTests
{
    [Fact]
    public void Parse_AiortcHostCandidate_ReadsEveryField()
    {
        // As aiortc 1.4.0 writes it (testdata/sdp/aiortc-offer-*.sdp).
        var candidate = IceCandidate.Parse("a=candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 32977 typ host");

        Assert.Equal("16572de626da4e5384a0ce2d0d93678a", candidate.Foundation);
        Assert.Equal(1, candidate.Component);
        Assert.Equal("udp", candidate.Transport);
        Assert.True(candidate.IsUdp);
        Assert.Equal(2130706431u, candidate.Priority);
        Assert.Equal(IPAddress.Loopback, candidate.IPAddress);
        Assert.Equal(32977, candidate.Port);
        Assert.Equal(IceCandidateType.Host, candidate.Type);
        Assert.Null(candidate.RelatedAddress);
        Assert.Empty(candidate.Extensions);
    }

    [Fact]
    public void Parse_ChromiumSrflxWithExtensions_KeepsThemInOrder()
    {
        const string Text = "candidate:842163049 1 udp 1677729535 203.0.113.7 56143 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag Xy+/ network-id 1 network-cost 10";

        var candidate = IceCandidate.Parse(Text);

        Assert.Equal(IceCandidateType.ServerReflexive, candidate.Type);
        Assert.Equal("0.0.0.0", candidate.RelatedAddress);
        Assert.Equal(0, candidate.RelatedPort);
        Assert.Equal(["generation", "ufrag", "network-id", "network-cost"], candidate.Extensions.Select(e => e.Key));
        Assert.Equal("Xy+/", candidate.UsernameFragment);
        Assert.Equal("10", candidate.Extension("network-cost"));
        Assert.Equal(Text, candidate.ToString());
    }

    [Fact]
    public void Parse_MdnsName_IsAHostNameWithoutAddress()
    {
        var candidate = IceCandidate.Parse("candidate:1 1 UDP 2122262783 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host generation 0");

        Assert.True(candidate.IsMdns);
        Assert.Null(candidate.IPAddress);
        Assert.Equal("udp", candidate.Transport);
    }

    [Fact]
    public void Parse_TcpCandidate_ParsesWithTcpType()
    {
        var candidate = IceCandidate.Parse("candidate:3 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active");

        Assert.False(candidate.IsUdp);
        Assert.Equal("active", candidate.Extension("tcptype"));
    }

    [Fact]
    public void Parse_Ipv6PeerReflexive_Parses()
    {
        var candidate = IceCandidate.Parse("2 1 udp 1853817087 2001:db8::5 61000 typ prflx raddr fd00::5 rport 5000");

        Assert.Equal(IPAddress.Parse("2001:db8::5"), candidate.IPAddress);
        Assert.Equal(IceCandidateType.PeerReflexive, candidate.Type);
        Assert.Equal(5000, candidate.RelatedPort);
    }

    [Fact]
    public void ToStringThenParse_GatheredCandidate_RoundTrips()
    {
        var original = new IceCandidate("7", 1, "udp", IceCandidate.ComputePriority(IceCandidateType.Host, 65535, 1), "::1", 4000, IceCandidateType.Host,
            extensions: [new("generation", "0")]);

        var parsed = IceCandidate.Parse(original.ToString());

        Assert.Equal(original.ToString(), parsed.ToString());
        Assert.Equal(original.Priority, parsed.Priority);
        Assert.Equal(IPAddress.IPv6Loopback, parsed.IPAddress);
    }

    [Fact]
    public void ComputePriority_HostComponentOne_MatchesAiortcAndRfcFormula()
    {
        // aiortc/aioice host candidate priority for local preference 65535, component 1: 2130706431.
        Assert.Equal(2130706431u, IceCandidate.ComputePriority(IceCandidateType.Host, 65535, 1));
        Assert.True(IceCandidate.ComputePriority(IceCandidateType.PeerReflexive, 0, 1) > IceCandidate.ComputePriority(IceCandidateType.ServerReflexive, 65535, 1));
    }

    [Theory]
    [InlineData("candidate:1 1 udp 1 127.0.0.1 1000", "candidate")]
    [InlineData("candidate:f*o 1 udp 1 127.0.0.1 1000 typ host", "foundation")]
    [InlineData("candidate:123456789012345678901234567890123 1 udp 1 127.0.0.1 1000 typ host", "foundation")]
    [InlineData("candidate:1 0 udp 1 127.0.0.1 1000 typ host", "component")]
    [InlineData("candidate:1 257 udp 1 127.0.0.1 1000 typ host", "component")]
    [InlineData("candidate:1 1 u;p 1 127.0.0.1 1000 typ host", "transport")]
    [InlineData("candidate:1 1 udp 4294967296 127.0.0.1 1000 typ host", "priority")]
    [InlineData("candidate:1 1 udp -1 127.0.0.1 1000 typ host", "priority")]
    [InlineData("candidate:1 1 udp 1 999.0.0.1 1000 typ host", "connection-address")]
    [InlineData("candidate:1 1 udp 1 fe80::1%eth0 1000 typ host", "connection-address")]
    [InlineData("candidate:1 1 udp 1 127.0.0.1 65536 typ host", "port")]
    [InlineData("candidate:1 1 udp 1 127.0.0.1 1000 type host", "typ")]
    [InlineData("candidate:1 1 udp 1 127.0.0.1 1000 typ nat", "cand-type")]
    [InlineData("candidate:1 1 udp 1 127.0.0.1 1000 typ srflx raddr 1.2.3.4 rport x", "rport")]
    [InlineData("candidate:1 1 udp 1 127.0.0.1 1000 typ host generation", "extension")]
    public void Parse_Malformed_ThrowsNamingTheField(string text, string field)
    {
        var error = Assert.Throws<IceCandidateFormatException>(() => IceCandidate.Parse(text));

        Assert.Equal(field, error.Field);
        Assert.False(IceCandidate.TryParse(text, out _));
    }
}
