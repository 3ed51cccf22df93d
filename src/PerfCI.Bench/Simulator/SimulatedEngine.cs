using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace PerfCI.Bench.Simulator;

/// <summary>Something the engine tells one request: tokens generated, the end, or an error.</summary>
public readonly record struct EngineEvent(int Tokens, bool Final, string? Error);

/// <summary>
/// The scheduler of the simulated engine: one thread running steps against a monotonic clock, with
/// absolute deadlines so that step times do not drift. See <see cref="EngineModel"/> for the model.
/// </summary>
public sealed class SimulatedEngine : IDisposable
{
    private readonly EngineModel _model;
    private readonly ConcurrentQueue<Sequence> _waiting = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly Random _random;
    private const int MaxBacklog = 256;

    public SimulatedEngine(EngineModel model)
    {
        _model = model;
        _random = new Random(model.Seed);
        _thread = new Thread(Loop) { IsBackground = true, Name = "perfci-sim-scheduler", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    public EngineModel Model => _model;

    /// <summary>Queues a request; its events arrive on the returned reader in order.</summary>
    /// <param name="arrivedTimestamp">When the request reached the server (Stopwatch ticks): an idle engine
    /// starts its step from then, so the time spent reading and parsing the request is inside the model's
    /// latency rather than added to it.</param>
    public ChannelReader<EngineEvent> Submit(int promptTokens, int outputTokens, CancellationToken aborted, long arrivedTimestamp = 0)
    {
        // Not SingleReader: only the multi-reader unbounded channel can count its backlog.
        var channel = Channel.CreateUnbounded<EngineEvent>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
        var sequence = new Sequence(promptTokens, Math.Max(1, outputTokens), channel.Writer, aborted)
        {
            Backlog = channel.Reader,
            Arrived = arrivedTimestamp == 0 ? Stopwatch.GetTimestamp() : arrivedTimestamp,
        };
        _waiting.Enqueue(sequence);
        _wake.Set();
        return channel.Reader;
    }

    private void Loop()
    {
        var running = new List<Sequence>(_model.MaxBatch);
        var admittedPrompts = new List<int>();
        var stepStart = Stopwatch.GetTimestamp();
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            if (running.Count == 0 && _waiting.IsEmpty)
            {
                _wake.Reset();
                if (_waiting.IsEmpty)
                {
                    try
                    {
                        _wake.Wait(token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                stepStart = _waiting.TryPeek(out var first) ? Math.Min(first.Arrived, Stopwatch.GetTimestamp()) : Stopwatch.GetTimestamp();
            }

            admittedPrompts.Clear();
            while (running.Count < _model.MaxBatch && _waiting.TryDequeue(out var next))
            {
                if (next.Aborted.IsCancellationRequested)
                {
                    next.Writer.TryComplete();
                    continue;
                }
                if (_model.FailureRate > 0 && _random.NextDouble() < _model.FailureRate)
                    next.FailAtToken = 1 + _random.Next(next.OutputTokens);
                running.Add(next);
                admittedPrompts.Add(next.PromptTokens);
            }
            if (running.Count == 0)
                continue;

            var stepMs = _model.StepMs(running.Count, admittedPrompts) * JitterFactor();
            var deadline = stepStart + (long)(stepMs * Stopwatch.Frequency / 1000.0);
            WaitUntil(deadline);
            // The next step starts where this one was due to end, unless we are already late
            // (then from now, so a stall is not paid back with a burst of short steps).
            var now = Stopwatch.GetTimestamp();
            stepStart = now - deadline > Stopwatch.Frequency / 1000 ? now : deadline;

            // The zero-latency engine (the ceiling benchmark) has no step time to wait for: stepping
            // again at once while most readers are held back spins one token at a time on the core
            // the HTTP writers need. So when under an eighth of the batch could advance, it rests a
            // millisecond (a held-back reader has hundreds of events queued, enough for far longer)
            // or until a request arrives, which then starts at once.
            var advanced = Emit(running);
            if (stepMs <= 0 && advanced * 8 < running.Count && _waiting.IsEmpty)
            {
                _wake.Reset();
                if (_waiting.IsEmpty)
                    _wake.Wait(1);
            }
        }
    }

    /// <summary>Advances every running sequence that is not held back; returns how many advanced.</summary>
    private int Emit(List<Sequence> running)
    {
        var advanced = 0;
        for (var i = running.Count - 1; i >= 0; i--)
        {
            var sequence = running[i];
            if (sequence.Aborted.IsCancellationRequested)
            {
                sequence.Writer.TryComplete();
                running.RemoveAt(i);
                continue;
            }
            // A reader that is far behind holds its sequence back, as a full output queue would:
            // without this a zero-latency engine would pile up events faster than HTTP can send them.
            if (sequence.Backlog.Count >= MaxBacklog)
                continue;
            advanced++;
            sequence.Generated++;
            sequence.Pending++;
            if (sequence.Generated == sequence.FailAtToken)
            {
                sequence.Writer.TryWrite(new EngineEvent(0, true, "simulated engine failure"));
                sequence.Writer.TryComplete();
                running.RemoveAt(i);
            }
            else if (sequence.Generated >= sequence.OutputTokens)
            {
                sequence.Writer.TryWrite(new EngineEvent(sequence.Pending, true, null));
                sequence.Writer.TryComplete();
                running.RemoveAt(i);
            }
            else if (sequence.Pending >= _model.TokensPerEvent)
            {
                sequence.Writer.TryWrite(new EngineEvent(sequence.Pending, false, null));
                sequence.Pending = 0;
            }
        }
        return advanced;
    }

    private double JitterFactor()
    {
        if (_model.Jitter <= 0)
            return 1;
        // Box-Muller: one standard normal sample from two uniforms.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        var normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        return Math.Max(0, 1 + _model.Jitter * normal);
    }

    /// <summary>Sleeps most of the way, then spins: Thread.Sleep alone is only good to about a millisecond.</summary>
    private static void WaitUntil(long deadline)
    {
        var spinThreshold = Stopwatch.Frequency / 500; // 2 ms
        while (true)
        {
            var remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
                return;
            if (remaining > spinThreshold)
                Thread.Sleep(1);
            else
                Thread.SpinWait(20);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
        _wake.Dispose();
    }

    private sealed class Sequence(int promptTokens, int outputTokens, ChannelWriter<EngineEvent> writer, CancellationToken aborted)
    {
        public int PromptTokens { get; } = promptTokens;
        public int OutputTokens { get; } = outputTokens;
        public ChannelWriter<EngineEvent> Writer { get; } = writer;
        public CancellationToken Aborted { get; } = aborted;
        public int Generated { get; set; }
        public int Pending { get; set; }
        public int FailAtToken { get; set; } = -1;
        public long Arrived { get; init; }
        public required ChannelReader<EngineEvent> Backlog { get; init; }
    }
}
