using System.Text;

namespace PerfCI.Runner.Agent;

/// <summary>
/// A job's log: lines collected as they come, sent to the server in numbered batches every ~500 ms.
/// A batch the server did not take is sent again with the next (the numbers make a batch that did
/// arrive twice harmless), so that a server outage leaves no hole in the log.
/// </summary>
public sealed class JobLog(ServerApi api, ClaimedJob job, TextWriter echo) : IAsyncDisposable
{
    private readonly StringBuilder _pending = new();
    private readonly List<(int Sequence, string Text)> _unsent = [];
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private int _sequence;
    private Task? _pump;

    public void Start() => _pump = PumpAsync(_stop.Token);

    public void Line(string line)
    {
        var stamped = $"{DateTime.UtcNow:HH:mm:ss.fff} {line}";
        echo.WriteLine($"job {job.JobId}: {stamped}");
        lock (_pending)
            _pending.AppendLine(stamped);
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await FlushAsync(CancellationToken.None);
        }
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try
        {
            lock (_pending)
            {
                if (_pending.Length > 0)
                {
                    _unsent.Add((_sequence++, _pending.ToString()));
                    _pending.Clear();
                }
            }
            if (_unsent.Count == 0)
                return;
            await api.AppendLogAsync(job, _unsent, ct);
            _unsent.Clear();
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // Kept for the next flush. The log is best effort; the job's outcome does not depend on it.
        }
        catch (LeaseLostException)
        {
            // The job has ended or is being dropped: the log is closed.
            _unsent.Clear();
        }
        finally
        {
            _sending.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_pump is not null)
            await _pump;
        await FlushAsync(CancellationToken.None);
        _stop.Dispose();
        _sending.Dispose();
    }
}
