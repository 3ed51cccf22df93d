using System.Collections.Concurrent;
using System.Diagnostics;
using PerfCI.Ui.Trends;

namespace PerfCI.Server.Dashboard;

/// <summary>A selection's chart model and how long its parts took to read.</summary>
public sealed record TrendChartRead(TrendChartModel Model, double KeysMs, double SeriesMs, double BuildMs, bool Prepared);

/// <summary>
/// Reads the trends chart's data (<c>/api/trends/chart</c>). The prerendered trends page starts the
/// read of the chart it names (<see cref="Start"/>), so that the series are read before the browser
/// has even asked, while the page still loads; the chart script's request then takes that read.
/// A read nobody takes is dropped after <see cref="Kept"/>.
/// </summary>
public sealed class TrendChartReads(IServiceScopeFactory scopes, TimeProvider time)
{
    public static readonly TimeSpan Kept = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Started> _started = new(StringComparer.Ordinal);

    /// <summary>Starts reading <paramref name="selection"/>'s chart, unless a read of it is under way already.</summary>
    public void Start(TrendSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var source = selection.ToChartDataUri();
        var added = false;
        var started = _started.GetOrAdd(source, _ =>
        {
            added = true;
            return new Started(Task.Run(() => ReadAsync(selection, prepared: true, CancellationToken.None)), time.GetUtcNow() + Kept);
        });
        if (added)
            _ = ForgetAsync(source, started);
    }

    /// <summary>A read nobody took is let go (with the model it holds) once <see cref="Kept"/> has passed.</summary>
    private async Task ForgetAsync(string source, Started started)
    {
        await Task.Delay(Kept, time);
        _started.TryRemove(KeyValuePair.Create(source, started));
        // A read that failed and nobody awaited is not an unobserved exception.
        _ = started.Read.Exception;
    }

    /// <summary>The read the page started for this selection, else a new one; null when the selection has no series.</summary>
    public Task<TrendChartRead?> TakeOrReadAsync(TrendSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        return _started.TryRemove(selection.ToChartDataUri(), out var started) && started.Until > time.GetUtcNow()
            ? started.Read
            : ReadAsync(selection, prepared: false, cancellationToken);
    }

    private async Task<TrendChartRead?> ReadAsync(TrendSelection selection, bool prepared, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<ITrendQueries>();
        var watch = Stopwatch.StartNew();
        var keys = await queries.GetSeriesKeysAsync(cancellationToken);
        var keysMs = watch.Elapsed.TotalMilliseconds;
        var wanted = selection.SeriesOf(keys);
        if (wanted.Count == 0)
            return null;
        var series = new List<TrendSeries>(wanted.Count);
        foreach (var key in wanted)
        {
            if (await queries.GetSeriesAsync(key.Id, cancellationToken) is { } found)
                series.Add(found);
        }
        var seriesMs = watch.Elapsed.TotalMilliseconds - keysMs;
        var model = TrendChartModels.Build(series);
        return new TrendChartRead(model, keysMs, seriesMs, watch.Elapsed.TotalMilliseconds - keysMs - seriesMs, prepared);
    }

    private sealed record Started(Task<TrendChartRead?> Read, DateTimeOffset Until);
}
