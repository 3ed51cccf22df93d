using PerfCI.Ui.Trends;

namespace PerfCI.Server.Dashboard;

/// <summary>
/// The trends pickers' series keys, kept for <see cref="Lifetime"/> so that loading the page (its
/// prerender, its circuit, the chart's data endpoint) does not read every series each time. This
/// server's ingest drops the keys when it creates a series; another server's new series shows up
/// within <see cref="Lifetime"/>.
/// </summary>
public sealed class SeriesKeyCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private IReadOnlyList<SeriesKey>? _keys;
    private DateTimeOffset _until;
    private long _version;

    /// <summary>The cached keys, or what <paramref name="load"/> reads when there are none or they are too old.</summary>
    public async Task<IReadOnlyList<SeriesKey>> GetAsync(Func<CancellationToken, Task<IReadOnlyList<SeriesKey>>> load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(load);
        long version;
        lock (_gate)
        {
            if (_keys is not null && time.GetUtcNow() < _until)
                return _keys;
            version = _version;
        }
        var started = time.GetUtcNow();
        var keys = await load(cancellationToken);
        lock (_gate)
        {
            // A series created while they were read would be missing: keep them only if none was.
            if (_version == version)
                (_keys, _until) = (keys, started + Lifetime);
        }
        return keys;
    }

    /// <summary>A series was created (or the keys changed otherwise): the next read goes to the database.</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _version++;
            _keys = null;
        }
    }
}
