using System.Net;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

public sealed class StunMessageTests
{
    private static readonly byte[] TransactionId = Convert.FromHexString("0102030405060708090a0b0c");

    [Fact]
    public void WriteThenParse_EveryIceAttribute_RoundTrips()
    {
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, TransactionId);
        writer.AddUsername("abcd:efgh");
        writer.AddPriority(0x6E7F1EFF);
        writer.AddIceControlling(0x0102030405060708);
        writer.AddUseCandidate();
        writer.AddMappedAddress(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 4567));
        writer.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("fd00::1:2"), 65535));
        writer.AddMessageIntegrity("secret"u8);
        writer.AddFingerprint();

        var message = StunMessage.Parse(buffer.AsSpan(0, writer.Length));

        Assert.Equal(StunClass.Request, message.Class);
        Assert.Equal("abcd:efgh", message.Username);
        Assert.Equal(0x6E7F1EFFu, message.Priority);
        Assert.Equal(0x0102030405060708UL, message.IceControlling);
        Assert.True(message.UseCandidate);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 4567), message.MappedAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd00::1:2"), 65535), message.XorMappedAddress);
        Assert.True(message.VerifyMessageIntegrity("secret"u8));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void WriteThenParse_ErrorResponse_CodeReasonAndUnknownAttributesRoundTrip()
    {
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.ErrorResponse, TransactionId);
        writer.AddErrorCode(Stun.RoleConflict, "Role Conflict");
        writer.AddUnknownAttributes([0x0031, 0x7777, 0x0032]);
        writer.AddFingerprint();

        var message = StunMessage.Parse(buffer.AsSpan(0, writer.Length));

        Assert.Equal(StunClass.ErrorResponse, message.Class);
        Assert.Equal((487, "Role Conflict"), message.Error);
        Assert.Equal(new ushort[] { 0x0031, 0x7777, 0x0032 }, message.UnknownAttributes);
        Assert.False(message.HasMessageIntegrity);
        Assert.True(message.VerifyFingerprint());
    }

    [Theory]
    [InlineData(Stun.BindingMethod, 0, 0x0001)]
    [InlineData(Stun.BindingMethod, 1, 0x0011)]
    [InlineData(Stun.BindingMethod, 2, 0x0101)]
    [InlineData(Stun.BindingMethod, 3, 0x0111)]
    [InlineData(0x003, 0, 0x0003)] // TURN Allocate
    [InlineData(0xFFF, 3, 0x3FFF)]
    public void MessageType_MethodAndClass_EncodeAndDecode(ushort method, int classBits, int expected)
    {
        var stunClass = (StunClass)classBits;
        var type = Stun.MessageType(method, stunClass);

        Assert.Equal(expected, type);
        Assert.Equal(method, Stun.MethodOf(type));
        Assert.Equal(stunClass, Stun.ClassOf(type));
    }

    [Fact]
    public void Parse_IntegrityFollowedByFingerprint_FingerprintDoesNotChangeTheHmac()
    {
        var buffer = new byte[128];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, TransactionId);
        writer.AddUsername("a:b");
        writer.AddMessageIntegrity("pw"u8);
        var withoutFingerprint = buffer.AsSpan(0, writer.Length).ToArray();
        writer.AddFingerprint();

        Assert.True(StunMessage.Parse(withoutFingerprint).VerifyMessageIntegrity("pw"u8));
        Assert.True(StunMessage.Parse(buffer.AsSpan(0, writer.Length)).VerifyMessageIntegrity("pw"u8));
    }

    [Fact]
    public void TryGetAttribute_AttributeAfterIntegrity_IsIgnored()
    {
        var buffer = new byte[128];
        var writer = new StunWriter(buffer, Stun.BindingMethod, StunClass.Request, TransactionId);
        writer.AddMessageIntegrity("pw"u8);
        writer.AddPriority(7); // RFC 8489 §14.5: not covered by the HMAC, so a receiver must not trust it

        var message = StunMessage.Parse(buffer.AsSpan(0, writer.Length));

        Assert.Null(message.Priority);
    }

    public static TheoryData<string, string, int> Malformed => new()
    {
        { "0001000021", "header", 0 },
        { "c00100002112a442000000000000000000000000", "message type", 0 },
        { "000100022112a442000000000000000000000000", "message length", 2 },
        { "000100042112a442000000000000000000000000", "message length", 2 },
        { "000100002112a443000000000000000000000000", "magic cookie", 4 },
        { "000100082112a44200000000000000000000000000240008000000000000", "message length", 2 },
        { "000100082112a44200000000000000000000000000240008aabbccdd", "PRIORITY", 20 },
        { "000100082112a44200000000000000000000000000240005aabbccdd", "PRIORITY", 20 },
        { "000100082112a4420000000000000000000000000020000400030000", "XOR-MAPPED-ADDRESS", 20 },
        { "0001000c2112a442000000000000000000000000002000080002000001020304", "XOR-MAPPED-ADDRESS", 20 },
        { "000100102112a44200000000000000000000000080280004000000000024000400000001", "FINGERPRINT", 20 },
        { "000100082112a4420000000000000000000000000009000400000264", "ERROR-CODE", 20 },
        { "000100082112a44200000000000000000000000000250000", "message length", 2 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Parse_Malformed_ThrowsNamingFieldAndOffset(string hex, string field, int offset)
    {
        var bytes = Convert.FromHexString(hex);

        var error = Assert.Throws<StunParseException>(() => StunMessage.Parse(bytes));

        Assert.Equal(field, error.Field);
        Assert.Equal(offset, error.Offset);
        Assert.False(StunMessage.TryParse(bytes, out _));
    }
}
