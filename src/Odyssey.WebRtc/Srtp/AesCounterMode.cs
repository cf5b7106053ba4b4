using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Odyssey.WebRtc.Srtp;

/// <summary>
/// AES in counter mode as SRTP defines it (RFC 3711 §4.1.1): block j of the keystream is
/// AES(k, IV + j), where the IV's low 16 bits are zero, so j only ever touches the last two bytes.
/// The counter blocks are encrypted in batches with one ECB transform call. A reused
/// <see cref="ICryptoTransform"/> is used rather than <c>Aes.EncryptEcb</c>, which creates a cipher
/// object per call (64 bytes of garbage per packet, measured).
/// </summary>
internal sealed class AesCounterMode : IDisposable
{
    internal const int BlockSize = 16;

    /// <summary>Counter blocks per ECB call: 128 blocks = 2 KiB covers a whole MTU-sized packet in one call.</summary>
    private const int BatchBlocks = 128;

    /// <summary>RFC 3711 §4.1.1: the counter is 16 bits, so one IV covers at most 2^16 blocks (1 MiB).</summary>
    internal const int MaxLength = BlockSize << 16;

    private readonly Aes _aes;
    private readonly ICryptoTransform _ecb;
    private readonly byte[] _counters = new byte[BatchBlocks * BlockSize];
    private readonly byte[] _keystream = new byte[BatchBlocks * BlockSize];

    internal AesCounterMode(ReadOnlySpan<byte> key)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor();
    }

    /// <summary>XORs the keystream for <paramref name="iv"/> into <paramref name="data"/> (encrypts or decrypts).</summary>
    internal void Apply(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        if (data.Length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, "AES-CM covers at most 2^16 blocks per packet.");
        }

        int block = 0;
        while (!data.IsEmpty)
        {
            int blocks = Math.Min(BatchBlocks, (data.Length + BlockSize - 1) / BlockSize);
            int bytes = blocks * BlockSize;
            FillCounters(iv, _counters.AsSpan(0, bytes), block, blocks);

            Span<byte> keystream = _keystream.AsSpan(0, bytes);
            _ecb.TransformBlock(_counters, 0, bytes, _keystream, 0);
            int take = Math.Min(bytes, data.Length);
            Xor(data[..take], keystream);
            data = data[take..];
            block += blocks;
        }
    }

    /// <summary>Writes counter blocks IV + first .. IV + first + count - 1 (only the last two bytes change).</summary>
    private static void FillCounters(ReadOnlySpan<byte> iv, Span<byte> counters, int first, int count)
    {
        if (BitConverter.IsLittleEndian)
        {
            // Two 64-bit stores per block: the IV's halves, with the big-endian 16-bit counter in the top
            // bytes of the second half (its low 16 bits are zero by construction, RFC 3711 §4.1.1).
            ulong high = MemoryMarshal.Read<ulong>(iv);
            ulong low = MemoryMarshal.Read<ulong>(iv[8..]);
            Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(counters);
            for (int i = 0; i < count; i++)
            {
                uint counter = (uint)(first + i);
                words[2 * i] = high;
                words[(2 * i) + 1] = low | ((ulong)((counter >> 8) & 0xFF) << 48) | ((ulong)(counter & 0xFF) << 56);
            }

            return;
        }

        for (int i = 0; i < count; i++)
        {
            Span<byte> block = counters.Slice(i * BlockSize, BlockSize);
            iv[..BlockSize].CopyTo(block);
            BinaryPrimitives.WriteUInt16BigEndian(block[14..], (ushort)(first + i));
        }
    }

    public void Dispose()
    {
        _ecb.Dispose();
        _aes.Dispose();
    }

    /// <summary>data ^= keystream, a vector at a time.</summary>
    internal static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && data.Length >= Vector<byte>.Count)
        {
            Span<Vector<byte>> dataVectors = MemoryMarshal.Cast<byte, Vector<byte>>(data);
            ReadOnlySpan<Vector<byte>> keyVectors = MemoryMarshal.Cast<byte, Vector<byte>>(keystream);
            for (int v = 0; v < dataVectors.Length; v++)
            {
                dataVectors[v] ^= keyVectors[v];
            }

            i = dataVectors.Length * Vector<byte>.Count;
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }
}
