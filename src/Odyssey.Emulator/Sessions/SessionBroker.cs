using System.Security.Cryptography;

namespace Odyssey.Emulator.Sessions;

/// <summary>One assigned streamer: what POST /sessions/request hands out and the WebSocket then uses.</summary>
internal sealed class EmulatorSession(string id, string apiKey, int streamerId, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    public string ApiKey { get; } = apiKey;

    public int StreamerId { get; } = streamerId;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>When an unconnected session is given up (its streamer freed); moved on by each connection.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>A signalling WebSocket is attached (only one at a time).</summary>
    public bool Attached { get; set; }

    public bool Closed { get; set; }
}

internal enum SessionRequestOutcome
{
    Assigned,

    /// <summary>503: every streamer is busy (or the busy-response fault is still counting down).</summary>
    NoStreamer,

    /// <summary>429 CONCURRENT_LIMIT_REACHED: the key holds its limit of sessions.</summary>
    ConcurrentLimit,
}

/// <summary>
/// The streamer pool and the sessions on it. A session holds its streamer from the request until the client
/// says <c>client_disconnecting</c>, or until it has gone unconnected for a session-token lifetime (the
/// client may retry its connection with the same session and token, PROTOCOL.md §2 step 5).
/// </summary>
internal sealed class SessionBroker
{
    private readonly Lock _gate = new();
    private readonly EmulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly bool[] _busy;
    private readonly Dictionary<string, EmulatorSession> _sessions = new(StringComparer.Ordinal);
    private int _busyResponsesLeft;

    public SessionBroker(EmulatorOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _busy = new bool[options.StreamerCount];
        _busyResponsesLeft = options.BusyResponsesBeforeAssign;
    }

    public event Action<string>? Log;

    public int ActiveSessions
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    public (SessionRequestOutcome Outcome, EmulatorSession? Session, int ActiveForKey) Request(string apiKey)
    {
        Sweep();
        lock (_gate)
        {
            var activeForKey = 0;
            foreach (var session in _sessions.Values)
            {
                activeForKey += session.ApiKey == apiKey ? 1 : 0;
            }

            if (_options.ConcurrentSessionLimit is { } limit && activeForKey >= limit)
            {
                return (SessionRequestOutcome.ConcurrentLimit, null, activeForKey);
            }

            var free = Array.IndexOf(_busy, false);
            if (free < 0 || _busyResponsesLeft > 0)
            {
                _busyResponsesLeft = Math.Max(0, _busyResponsesLeft - 1);
                return (SessionRequestOutcome.NoStreamer, null, activeForKey);
            }

            _busy[free] = true;
            var now = _time.GetUtcNow();
            var created = new EmulatorSession("sess_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), apiKey, free, now)
            {
                Deadline = now + _options.SessionTokenLifetime,
            };
            _sessions.Add(created.Id, created);
            return (SessionRequestOutcome.Assigned, created, activeForKey + 1);
        }
    }

    public EmulatorSession? Find(string sessionId)
    {
        Sweep();
        lock (_gate)
        {
            return _sessions.GetValueOrDefault(sessionId);
        }
    }

    /// <summary>Attaches a WebSocket; false when one already is or the session is over.</summary>
    public bool TryAttach(EmulatorSession session)
    {
        lock (_gate)
        {
            if (session.Closed || session.Attached)
            {
                return false;
            }

            session.Attached = true;
            return true;
        }
    }

    /// <summary>The WebSocket went away without ending the session: the client may come back until the deadline.</summary>
    public void Detach(EmulatorSession session)
    {
        lock (_gate)
        {
            session.Attached = false;
            session.Deadline = _time.GetUtcNow() + _options.SessionTokenLifetime;
        }
    }

    /// <summary>Ends the session and frees its streamer.</summary>
    public void Close(EmulatorSession session, string why)
    {
        lock (_gate)
        {
            if (session.Closed)
            {
                return;
            }

            session.Closed = true;
            session.Attached = false;
            _sessions.Remove(session.Id);
            _busy[session.StreamerId] = false;
        }

        Log?.Invoke($"session {session.Id} closed ({why}); streamer {session.StreamerId} free");
    }

    /// <summary>Drops sessions nobody connected to within their deadline.</summary>
    public void Sweep()
    {
        List<EmulatorSession>? expired = null;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var session in _sessions.Values)
            {
                if (!session.Attached && session.Deadline <= now)
                {
                    (expired ??= []).Add(session);
                }
            }
        }

        foreach (var session in expired ?? [])
        {
            Close(session, "abandoned: no connection before its deadline");
        }
    }
}
