namespace Odyssey.Media.Tests.FFmpeg;

public class EncodedPacketPoolTests
{
    [Fact]
    public void Rent_ThenRelease_OutstandingBackToZeroAndReused()
    {
        var pool = new EncodedPacketPool();
        var packet = pool.Rent(1000);
        Assert.Equal(1, pool.Outstanding);
        Assert.Equal(1000, packet.Length);

        packet.Release();
        var again = pool.Rent(2000);

        Assert.Same(packet, again);
        Assert.Equal(1, pool.Allocated);
        again.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Rent_ReusedPacket_MetadataResetAndPaddingZero()
    {
        var pool = new EncodedPacketPool();
        var packet = pool.Rent(100);
        packet.Pts = TimeSpan.FromSeconds(3);
        packet.IsKeyframe = true;
        packet.Index = 9;
        packet.SetLength(packet.Capacity);
        packet.Data.Fill(0xFF);
        packet.Release();

        var again = pool.Rent(10);

        Assert.Same(packet, again);
        Assert.Equal(TimeSpan.Zero, again.Pts);
        Assert.False(again.IsKeyframe);
        Assert.Equal(0, again.Index);
        again.SetLength(10 + EncodedPacket.PaddingSize);
        Assert.All(again.Data[10..].ToArray(), b => Assert.Equal(0, b));
        again.Release();
    }

    [Fact]
    public void Rent_LargerThanBin_GetsBiggerBuffer()
    {
        var pool = new EncodedPacketPool();
        pool.Rent(100).Release();

        var big = pool.Rent(100_000);

        Assert.True(big.Capacity >= 100_000);
        Assert.Equal(2, pool.Allocated);
        big.Release();
    }

    [Fact]
    public void Release_Twice_ThrowsAndKeepsCount()
    {
        var pool = new EncodedPacketPool();
        var packet = pool.Rent(10);
        packet.Release();

        Assert.Throws<InvalidOperationException>(packet.Release);
        Assert.Throws<InvalidOperationException>(packet.AddRef);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void AddRef_SecondOwner_ReturnsOnlyAfterBothRelease()
    {
        var pool = new EncodedPacketPool();
        var packet = pool.Rent(10);
        packet.AddRef();

        packet.Release();
        Assert.Equal(1, pool.Outstanding);
        packet.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void SetLength_BeyondCapacity_Throws()
    {
        var pool = new EncodedPacketPool();
        var packet = pool.Rent(10);

        Assert.Throws<ArgumentOutOfRangeException>(() => packet.SetLength(packet.Capacity + 1));
        packet.Release();
    }
}
