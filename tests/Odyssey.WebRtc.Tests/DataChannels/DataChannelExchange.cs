namespace Odyssey.WebRtc.Tests.DataChannels;

/// <summary>
/// The traffic of the data-channel interop tests, the same as aiortc_datachannel_peer.py's: strings
/// "label:i", then binary messages of <see cref="BigSize"/> bytes whose byte k is (j + k) mod 256; a
/// <see cref="Receiver"/> checks order and content. The sender applies backpressure through BufferedAmountLow.
/// </summary>
internal static class DataChannelExchange
{
    public const int Small = 1000;
    public const int Big = 20;
    public const int BigSize = 200 * 1024;

    /// <summary>Stop queueing above this many buffered bytes; resume at <see cref="LowWater"/>.</summary>
    public const long HighWater = 1 << 20;

    public const long LowWater = 256 * 1024;

    public static byte[] Pattern(int j, int size = BigSize)
    {
        var data = new byte[size];
        for (var k = 0; k < size; k++)
        {
            data[k] = (byte)(j + k);
        }

        return data;
    }

    /// <summary>Sends <paramref name="small"/> strings then <paramref name="big"/> binary messages, waiting when too much is buffered.</summary>
    public static async Task SendAsync(RtcDataChannel channel, int small, int big, CancellationToken token)
    {
        channel.BufferedAmountLowThreshold = LowWater;
        for (var i = 0; i < small; i++)
        {
            await channel.SendAsync($"{channel.Label}:{i}", token);
            await WaitForRoomAsync(channel, token);
        }

        for (var j = 0; j < big; j++)
        {
            await channel.SendAsync(Pattern(j), token);
            await WaitForRoomAsync(channel, token);
        }
    }

    public static async Task WaitForRoomAsync(RtcDataChannel channel, CancellationToken token)
    {
        while (channel.BufferedAmount > HighWater)
        {
            var low = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnLow(RtcDataChannel _) => low.TrySetResult();
            channel.BufferedAmountLow += OnLow;
            try
            {
                if (channel.BufferedAmount > channel.BufferedAmountLowThreshold)
                {
                    await low.Task.WaitAsync(token);
                }
            }
            finally
            {
                channel.BufferedAmountLow -= OnLow;
            }
        }
    }

    /// <summary>Checks what one channel receives; <see cref="Completed"/> once all expected messages are in.</summary>
    internal sealed class Receiver
    {
        private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _small;
        private readonly int _big;
        private readonly string _label;

        public Receiver(RtcDataChannel channel, int small = Small, int big = Big)
        {
            _small = small;
            _big = big;
            _label = channel.Label;
            channel.Message += OnMessage;
            if (small == 0 && big == 0)
            {
                _completed.TrySetResult();
            }
        }

        public int Strings { get; private set; }

        public int Binaries { get; private set; }

        public List<string> Errors { get; } = [];

        public Task Completed => _completed.Task;

        public override string ToString() => $"{_label}: {Strings}/{_small} strings, {Binaries}/{_big} binaries, errors: {string.Join("; ", Errors.Take(5))}";

        private void OnMessage(RtcDataChannel channel, RtcDataChannelMessage message)
        {
            if (!message.IsBinary)
            {
                var expected = $"{_label}:{Strings}";
                if (message.Text != expected)
                {
                    Errors.Add($"string {Strings}: got '{message.Text[..Math.Min(40, message.Text.Length)]}'");
                }

                Strings++;
            }
            else
            {
                if (!message.Data.SequenceEqual(Pattern(Binaries, message.Data.Length)) || message.Data.Length != BigSize)
                {
                    Errors.Add($"binary {Binaries}: {message.Data.Length} bytes differ from the pattern");
                }

                Binaries++;
            }

            if (Strings >= _small && Binaries >= _big)
            {
                _completed.TrySetResult();
            }
        }
    }
}
