using System.Text;

namespace PerfCI.Runner.Agent;

/// <summary>A job's log: lines collected as they come, sent to the server in batches every ~500 ms.</summary>
public sealed class JobLog(ServerApi api, ClaimedJob job, TextWriter echo) : IAsyncDisposable
{
    private readonly StringBuilder _pending = new();
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
        string text;
        lock (_pending)
        {
            if (_pending.Length == 0)
                return;
            text = _pending.ToString();
            _pending.Clear();
        }
        try
        {
            await api.AppendLogAsync(job, [(_sequence++, text)], ct);
        }
        catch (HttpRequestException)
        {
            // The log is best effort; the job's outcome does not depend on it.
        }
        catch (LeaseLostException)
        {
            // The job is being dropped; the heartbeat loop says so.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_pump is not null)
            await _pump;
        await FlushAsync(CancellationToken.None);
        _stop.Dispose();
    }
}
