using System.Collections.Concurrent;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>Two loopback agents and the signalling between them, done in process.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    /// <summary>Short timers: checks every 10 ms, a retransmission within 100 ms.</summary>
    public static IceAgentOptions Fast(bool controlling) => new()
    {
        Controlling = controlling,
        LoopbackOnly = true,
        CheckPacing = TimeSpan.FromMilliseconds(10),
        InitialRto = TimeSpan.FromMilliseconds(100),
        MaxRto = TimeSpan.FromMilliseconds(400),
    };

    public AgentHarness(IceAgentOptions a, IceAgentOptions b)
    {
        A = new IceAgent(a);
        B = new IceAgent(b);
        Track(A, StatesA);
        Track(B, StatesB);
    }

    public IceAgent A { get; }

    public IceAgent B { get; }

    public ConcurrentQueue<IceConnectionState> StatesA { get; } = new();

    public ConcurrentQueue<IceConnectionState> StatesB { get; } = new();

    /// <summary>Each side's candidates go to the other as they are found (trickle), unless withheld.</summary>
    public void Wire(bool sendACandidatesToB = true, bool sendBCandidatesToA = true)
    {
        if (sendACandidatesToB)
        {
            A.LocalCandidate += c => B.AddRemoteCandidate(IceCandidate.Parse(c.ToString()));
            A.GatheringComplete += B.AddRemoteEndOfCandidates;
        }

        if (sendBCandidatesToA)
        {
            B.LocalCandidate += c => A.AddRemoteCandidate(IceCandidate.Parse(c.ToString()));
            B.GatheringComplete += A.AddRemoteEndOfCandidates;
        }
    }

    public async Task GatherAndStartAsync()
    {
        using var timeout = new CancellationTokenSource(Guard);
        await Task.WhenAll(A.GatherAsync(timeout.Token), B.GatherAsync(timeout.Token));
        A.Start(B.LocalUfrag, B.LocalPassword);
        B.Start(A.LocalUfrag, A.LocalPassword);
    }

    public async Task ConnectAsync()
    {
        using var timeout = new CancellationTokenSource(Guard);
        await Task.WhenAll(A.ConnectAsync(timeout.Token), B.ConnectAsync(timeout.Token));
    }

    public static async Task WaitForStateAsync(IceAgent agent, IceConnectionState state)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.StateChanged += s =>
        {
            if (s == state)
            {
                reached.TrySetResult();
            }
        };
        if (agent.State == state)
        {
            return;
        }

        await reached.Task.WaitAsync(Guard);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    private static void Track(IceAgent agent, ConcurrentQueue<IceConnectionState> states) => agent.StateChanged += states.Enqueue;
}
