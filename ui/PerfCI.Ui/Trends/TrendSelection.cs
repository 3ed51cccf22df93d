using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace PerfCI.Ui.Trends;

/// <summary>
/// What the trends page shows, as its URL says it: <c>/trends?repo=o/n&amp;suite=s&amp;scenario=c&amp;metric=m&amp;hw=h</c>.
/// <c>metric</c> and <c>hw</c> repeat to overlay lines (the first is the primary one); <c>sweep</c>
/// repeats (one or two commits) to draw the concurrency sweep of the scenario's name.
/// </summary>
public sealed record TrendSelection
{
    public const string Path = "/trends";

    /// <summary>
    /// The server's endpoint of a selection's chart data (<see cref="TrendChartModel"/> as JSON), relative
    /// to the page's base address; the chart script reads it while the circuit starts.
    /// </summary>
    public const string ChartDataPath = "api/trends/chart";

    public string? Repository { get; init; }
    public string? Suite { get; init; }
    public string? Scenario { get; init; }
    public IReadOnlyList<string> Metrics { get; init; } = [];
    public IReadOnlyList<string> HardwareClasses { get; init; } = [];
    public IReadOnlyList<string> SweepCommits { get; init; } = [];

    public string? Metric => Metrics.Count > 0 ? Metrics[0] : null;
    public string? HardwareClass => HardwareClasses.Count > 0 ? HardwareClasses[0] : null;

    /// <summary>Reads the selection from a URL's query string (absolute URL, path or bare query).</summary>
    public static TrendSelection FromUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var at = uri.IndexOf('?', StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(at < 0 ? "" : uri[at..].Split('#')[0]);
        string? One(string key) => query.TryGetValue(key, out var v) && v.Count > 0 && !string.IsNullOrWhiteSpace(v[0]) ? v[0] : null;
        string[] Many(string key) => query.TryGetValue(key, out var v)
            ? [.. v.Where(x => !string.IsNullOrWhiteSpace(x)).Select(x => x!).Distinct(StringComparer.Ordinal)]
            : [];
        return new TrendSelection
        {
            Repository = One("repo"), Suite = One("suite"), Scenario = One("scenario"),
            Metrics = Many("metric"), HardwareClasses = Many("hw"), SweepCommits = [.. Many("sweep").Take(2)],
        };
    }

    /// <summary>The URL that restores this selection.</summary>
    public string ToUri() => Path + Query(withSweep: true);

    /// <summary>Where the chart script reads this selection's lines (its series, no sweep), relative to the base address.</summary>
    public string ToChartDataUri() => ChartDataPath + Query(withSweep: false);

    private string Query(bool withSweep)
    {
        var query = new StringBuilder();
        void Add(string key, string? value)
        {
            if (string.IsNullOrEmpty(value))
                return;
            query.Append(query.Length == 0 ? '?' : '&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
        }
        Add("repo", Repository);
        Add("suite", Suite);
        Add("scenario", Scenario);
        foreach (var metric in Metrics)
            Add("metric", metric);
        foreach (var hardware in HardwareClasses)
            Add("hw", hardware);
        if (withSweep)
        {
            foreach (var commit in SweepCommits)
                Add("sweep", commit);
        }
        return query.ToString();
    }

    /// <summary>
    /// Fills what the URL left out (or named wrongly) with the first choice there is, level by level:
    /// a repository, its first suite, that suite's first scenario, its first metric and hardware class.
    /// Overlaid metrics and hardware classes that do not exist for the scenario are dropped; the
    /// primary hardware class is one the primary metric has.
    /// </summary>
    public TrendSelection Resolve(IReadOnlyList<SeriesKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var repository = Pick(Repository, keys.Select(k => k.Repository));
        var inRepository = keys.Where(k => k.Repository == repository).ToList();
        var suite = Pick(Suite, inRepository.Select(k => k.Suite));
        var inSuite = inRepository.Where(k => k.Suite == suite).ToList();
        var scenario = Pick(Scenario, inSuite.Select(k => k.Scenario));
        var inScenario = inSuite.Where(k => k.Scenario == scenario).ToList();
        var metrics = Keep(Metrics, inScenario.Select(k => k.Metric));
        // The primary hardware class is one the primary metric was measured on.
        var hardware = Keep(HardwareClasses, inScenario.Where(k => metrics.Length == 0 || k.Metric == metrics[0]).Select(k => k.HardwareClass));
        return this with { Repository = repository, Suite = suite, Scenario = scenario, Metrics = metrics, HardwareClasses = hardware };
    }

    /// <summary>The series to draw: every (metric, hardware class) pair of the selection that exists.</summary>
    public IReadOnlyList<SeriesKey> SeriesOf(IReadOnlyList<SeriesKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return [.. from metric in Metrics
                   from hardware in HardwareClasses
                   let key = keys.FirstOrDefault(k => k.Repository == Repository && k.Suite == Suite && k.Scenario == Scenario && k.Metric == metric && k.HardwareClass == hardware)
                   where key is not null
                   select key];
    }

    /// <summary>A concurrency sweep's scenario name: <c>chat</c> for <c>chat@c8</c>; null when the scenario is not one.</summary>
    public string? SweepScenario =>
        Scenario is { } s && s.LastIndexOf("@c", StringComparison.Ordinal) is var at and > 0
        && s.Length > at + 2 && s[(at + 2)..].All(char.IsAsciiDigit) ? s[..at] : null;

    private static string? Pick(string? wanted, IEnumerable<string> choices)
    {
        var all = choices.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return wanted is not null && all.Contains(wanted, StringComparer.Ordinal) ? wanted : all.FirstOrDefault();
    }

    private static string[] Keep(IReadOnlyList<string> wanted, IEnumerable<string> choices)
    {
        var all = choices.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var kept = wanted.Where(w => all.Contains(w, StringComparer.Ordinal)).ToArray();
        return kept.Length > 0 ? kept : all.Count > 0 ? [all[0]] : [];
    }
}
