using System.Net;
using System.Security.Cryptography;
using System.Text;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>The RFC 5769 sample messages: parse, check integrity and fingerprint, read the attributes.</summary>
public sealed class StunVectorTests
{
    private static readonly byte[] Password = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");

    // RFC 5769 §2.1 (USERNAME is padded with spaces, not zeros: parsers must not care).
    internal static readonly byte[] SampleRequest = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74" +
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836765920202000080014" +
        "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");

    // RFC 5769 §2.2.
    internal static readonly byte[] SampleIpv4Response = Convert.FromHexString(
        "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f722000200008" +
        "0001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96");

    // RFC 5769 §2.3.
    internal static readonly byte[] SampleIpv6Response = Convert.FromHexString(
        "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f722000200014" +
        "0002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf11784c97c8292c275" +
        "bfe3ed4180280004c8fb0b4c");

    // RFC 5769 §2.4: long-term credentials, no FINGERPRINT.
    internal static readonly byte[] SampleLongTermRequest = Convert.FromHexString(
        "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000" +
        "0015001c662f2f3439396b39353464364f4c33346f4c39465354767936347341" +
        "0014000b6578616d706c652e6f726700" +
        "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666");

    [Fact]
    public void Parse_SampleRequest_AttributesIntegrityAndFingerprintCheck()
    {
        var message = StunMessage.Parse(SampleRequest);

        Assert.Equal(Stun.BindingMethod, message.Method);
        Assert.Equal(StunClass.Request, message.Class);
        Assert.Equal("b7e7a701bc34d686fa87dfae", Convert.ToHexStringLower(message.TransactionId));
        Assert.Equal("evtj:h6vY", message.Username);
        Assert.Equal(0x6e0001ffu, message.Priority);
        Assert.Equal(0x932ff9b151263b36UL, message.IceControlled);
        Assert.Null(message.IceControlling);
        Assert.False(message.UseCandidate);
        Assert.True(message.UsernameStartsWith("evtj:"));
        Assert.True(message.VerifyMessageIntegrity(Password));
        Assert.False(message.VerifyMessageIntegrity("wrong"u8));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Parse_SampleIpv4Response_XorMappedAddressDecodes()
    {
        var message = StunMessage.Parse(SampleIpv4Response);

        Assert.Equal(StunClass.SuccessResponse, message.Class);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), message.XorMappedAddress);
        Assert.True(message.VerifyMessageIntegrity(Password));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Parse_SampleIpv6Response_XorMappedAddressDecodes()
    {
        var message = StunMessage.Parse(SampleIpv6Response);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), message.XorMappedAddress);
        Assert.True(message.VerifyMessageIntegrity(Password));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Parse_SampleLongTermRequest_IntegrityWithLongTermKeyChecks()
    {
        var message = StunMessage.Parse(SampleLongTermRequest);
        // RFC 8489 §9.2.2: key = MD5(username ":" realm ":" SASLprep(password)); "TheMatrIX" is the prepared password.
        var key = MD5.HashData(Encoding.UTF8.GetBytes("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9:example.org:TheMatrIX"));

        Assert.Equal("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9", message.Username);
        Assert.False(message.HasFingerprint);
        Assert.False(message.VerifyFingerprint());
        Assert.True(message.VerifyMessageIntegrity(key));
    }

    [Fact]
    public void Write_SameFieldsAsSampleIpv4Response_ReproducesItByteForByte()
    {
        var buffer = new byte[128];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.SuccessResponse, SampleIpv4Response.AsSpan(8, 12));
        // The vector pads SOFTWARE with a space; our writer pads with zeros, so write the padding as part of the value and fix the length.
        writer.AddAttribute(Stun.Software, "test vector "u8);
        buffer[23] = 11;
        writer.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853));
        writer.AddMessageIntegrity(Password);
        writer.AddFingerprint();

        Assert.Equal(Convert.ToHexStringLower(SampleIpv4Response), Convert.ToHexStringLower(buffer.AsSpan(0, writer.Length)));
    }

    [Fact]
    public void Write_SameFieldsAsSampleIpv6Response_ReproducesItByteForByte()
    {
        var buffer = new byte[128];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.SuccessResponse, SampleIpv6Response.AsSpan(8, 12));
        writer.AddAttribute(Stun.Software, "test vector "u8);
        buffer[23] = 11;
        writer.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853));
        writer.AddMessageIntegrity(Password);
        writer.AddFingerprint();

        Assert.Equal(Convert.ToHexStringLower(SampleIpv6Response), Convert.ToHexStringLower(buffer.AsSpan(0, writer.Length)));
    }

    [Fact]
    public void Parse_FlippedByteInsideIntegrityCoverage_IntegrityAndFingerprintFail()
    {
        var tampered = (byte[])SampleRequest.Clone();
        tampered[30] ^= 0x01; // inside SOFTWARE

        var message = StunMessage.Parse(tampered);

        Assert.False(message.VerifyMessageIntegrity(Password));
        Assert.False(message.VerifyFingerprint());
    }
}
