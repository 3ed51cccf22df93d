using System.Globalization;
using System.Text;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Server.Analysis;

namespace PerfCI.Server.GitHub;

/// <summary>What a pull request's benchmarks say, all metrics together.</summary>
public enum ReportVerdict
{
    /// <summary>At least one metric is significantly worse by at least its threshold.</summary>
    Regression,
    /// <summary>A regression that a maintainer accepted for this head.</summary>
    AcceptedRegression,
    /// <summary>No confirmed regression, but a metric moved the wrong way by the threshold or more without enough trials to be sure.</summary>
    Inconclusive,
    /// <summary>Nothing to compare with: the base has no results on this hardware.</summary>
    NoBaseline,
    Improvement,
    NoChange,
}

/// <summary>Who accepted a pull request's regression, and why.</summary>
public sealed record Acceptance(string By, string? Note, DateTimeOffset At);

/// <summary>
/// The report of a pull request: the verdict, a table of the metrics that changed, the smallest change
/// the trials could have detected when none did, the rest collapsed, what was compared with what, a
/// link and the commands to reproduce it. The sticky comment and the check run show the same text.
/// </summary>
public sealed class PullRequestReport
{
    /// <summary>Hidden in the comment: how PerfCI finds its own comment again among the others.</summary>
    public const string Marker = "<!-- perfci:report -->";

    /// <summary>An unsure metric counts against the verdict when this many times its trials would settle it.</summary>
    public const int FewMoreTrials = 3;

    /// <summary>GitHub refuses a comment or check-run summary longer than this.</summary>
    public const int MaxLength = 65_000;

    private readonly IReadOnlyList<MetricComparisonView> _metrics;

    public PullRequestReport(
        int number, string headSha, string? baseSha, string baseRef, IReadOnlyList<MetricComparisonView> metrics, IReadOnlyList<long> runIds,
        Acceptance? acceptance, Uri? publicUrl)
    {
        Number = number;
        HeadSha = headSha;
        BaseSha = baseSha;
        BaseRef = baseRef;
        _metrics = metrics;
        RunIds = runIds;
        Acceptance = acceptance;
        PublicUrl = publicUrl;
        // Largest change first: the headline leads with it.
        Regressions = [.. metrics.Where(m => m.Verdict == Verdict.Regression).OrderByDescending(Worse)];
        Improvements = [.. metrics.Where(m => m.Verdict == Verdict.Improvement).OrderBy(Worse)];
        Unsure = [.. metrics.Where(m => m.Verdict == Verdict.Inconclusive && m.BaselineTrials > 0 && Worse(m) >= m.Threshold && Settleable(m)).OrderByDescending(Worse)];
        Overall = Regressions.Count > 0 ? (acceptance is null ? ReportVerdict.Regression : ReportVerdict.AcceptedRegression)
            : metrics.Count == 0 || metrics.All(m => m.BaselineTrials == 0) ? ReportVerdict.NoBaseline
            : Unsure.Count > 0 ? ReportVerdict.Inconclusive
            : Improvements.Count > 0 ? ReportVerdict.Improvement
            : ReportVerdict.NoChange;
    }

    public int Number { get; }
    public string HeadSha { get; }
    public string? BaseSha { get; }
    public string BaseRef { get; }
    public IReadOnlyList<long> RunIds { get; }
    public Acceptance? Acceptance { get; }
    public Uri? PublicUrl { get; }
    public ReportVerdict Overall { get; }
    public IReadOnlyList<MetricComparisonView> Regressions { get; }
    public IReadOnlyList<MetricComparisonView> Improvements { get; }

    /// <summary>
    /// Inconclusive metrics whose estimate is the threshold or more in the wrong direction and that a
    /// few more trials would settle: maybe a regression.
    /// </summary>
    public IReadOnlyList<MetricComparisonView> Unsure { get; }

    /// <summary>A change the comment and check lead with.</summary>
    public bool HasChange => Overall is ReportVerdict.Regression or ReportVerdict.AcceptedRegression or ReportVerdict.Improvement or ReportVerdict.Inconclusive;

    /// <summary>
    /// The median, over the metrics that had a baseline, of the smallest change the comparison could
    /// detect (at 80% power), and the metric where it was largest.
    /// </summary>
    public (double Median, MetricComparisonView Worst)? Detectable
    {
        get
        {
            var known = _metrics.Where(m => m.MinimumDetectableShift is not null && m.BaselineTrials > 0 && m.CandidateTrials > 1).OrderBy(m => m.MinimumDetectableShift).ToList();
            if (known.Count == 0)
                return null;
            var median = known.Count % 2 == 1 ? known[known.Count / 2].MinimumDetectableShift!.Value
                : (known[known.Count / 2 - 1].MinimumDetectableShift!.Value + known[known.Count / 2].MinimumDetectableShift!.Value) / 2;
            return (median, known[^1]);
        }
    }

    /// <summary>The one line that says it all: the check run's title and the comment's heading.</summary>
    public string Headline => Overall switch
    {
        ReportVerdict.Regression => $"❌ Regression: {Count(Regressions.Count, "metric")} worse — {Lead(Regressions[0])}{More(Regressions.Count)}",
        ReportVerdict.AcceptedRegression => $"✅ Regression accepted by {Mention(Acceptance!.By)}: {Count(Regressions.Count, "metric")} worse — {Lead(Regressions[0])}{More(Regressions.Count)}",
        ReportVerdict.Inconclusive => $"❔ Inconclusive: {Count(Unsure.Count, "metric")} may be worse — {Lead(Unsure[0])}{More(Unsure.Count)}",
        ReportVerdict.NoBaseline => $"❔ No baseline: {Short(BaseSha) ?? BaseRef} has no results to compare with",
        ReportVerdict.Improvement => $"🚀 Improvement: {Count(Improvements.Count, "metric")} better — {Lead(Improvements[0])}{More(Improvements.Count)}",
        _ => Detectable is { } d
            ? $"✅ No significant change (the smallest detectable change was {Percent(d.Median)})"
            : "✅ No significant change",
    };

    /// <summary>A GitHub login (a label's sender) is mentioned; a dashboard account is named by its email, which GitHub cannot mention.</summary>
    private static string Mention(string by) => by.Contains('@', StringComparison.Ordinal) ? by : "@" + by;

    /// <summary>The comment's body (the check run's summary is the same, without the marker).</summary>
    public string Markdown(bool withMarker = true)
    {
        var text = new StringBuilder();
        if (withMarker)
            text.AppendLine(Marker);
        text.AppendLine(CultureInfo.InvariantCulture, $"### PerfCI: {Headline}").AppendLine();
        if (Acceptance is { } accepted && Overall == ReportVerdict.AcceptedRegression)
            text.AppendLine(CultureInfo.InvariantCulture, $"> Accepted by {Mention(accepted.By)} on {accepted.At:yyyy-MM-dd}{(string.IsNullOrWhiteSpace(accepted.Note) ? "." : $": {accepted.Note.Trim()}")}").AppendLine();

        var changed = Regressions.Concat(Unsure).Concat(Improvements).ToList();
        if (changed.Count > 0)
        {
            Table(text, changed, detailed: false);
            text.AppendLine();
        }
        if (Detectable is { } detectable && Overall is ReportVerdict.NoChange or ReportVerdict.Improvement)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Smallest detectable change: **{Percent(detectable.Median)}** (median over the metrics; up to {Percent(detectable.Worst.MinimumDetectableShift!.Value)} for `{detectable.Worst.Metric}` on `{Scenario(detectable.Worst)}`). A change this large or larger would have been reported.")
                .AppendLine();
        }
        var rest = _metrics.Except(changed).ToList();
        if (rest.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"<details><summary>{(changed.Count > 0 ? "The other" : "All")} {Count(rest.Count, "metric")}</summary>").AppendLine();
            Table(text, rest, detailed: true);
            text.AppendLine().AppendLine("</details>").AppendLine();
        }

        var hardware = _metrics.Select(m => m.HardwareClass).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var baseline = _metrics.SelectMany(m => m.BaselineCommits).Distinct(StringComparer.Ordinal).ToList();
        var pooled = baseline.Count > 1 ? $", pooled with {baseline.Count - 1} neighbouring commits of the same level" : "";
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Compared `{Short(HeadSha)}` (this pull request) with `{Short(BaseSha) ?? BaseRef}` (its merge base with `{BaseRef}`{pooled}) on {string.Join(", ", hardware.Select(h => $"`{h}`"))}.");
        if (PublicUrl is not null && RunIds.Count > 0)
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"[The comparison in the dashboard]({ComparisonUrl(RunIds[^1])})");
        text.AppendLine().AppendLine("<details><summary>Reproduce locally</summary>").AppendLine().AppendLine("```sh");
        text.AppendLine(CultureInfo.InvariantCulture, $"git fetch origin pull/{Number}/head");
        foreach (var suite in _metrics.Select(m => m.Suite).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (BaseSha is not null)
                text.AppendLine(CultureInfo.InvariantCulture, $"perfci-runner exec --repo . --commit {BaseSha} --suite {suite} --out base-{suite}.json");
            text.AppendLine(CultureInfo.InvariantCulture, $"perfci-runner exec --repo . --commit {HeadSha} --suite {suite} --out pr-{suite}.json");
        }
        text.AppendLine("```").AppendLine().AppendLine("</details>");
        var markdown = text.ToString();
        return markdown.Length <= MaxLength ? markdown : markdown[..(MaxLength - 200)] + "\n\n… (cut: GitHub takes at most 65,536 characters; the dashboard has everything)\n";
    }

    /// <summary>The dashboard's comparison of a run against its merge base.</summary>
    public Uri? ComparisonUrl(long runId) =>
        PublicUrl is null ? null : new Uri(PublicUrl, $"api/runs/{runId}/comparison" + (BaseSha is null ? "" : $"?base={BaseSha}"));

    private static void Table(StringBuilder text, List<MetricComparisonView> rows, bool detailed)
    {
        text.AppendLine(detailed
            ? "| Metric | Scenario | Baseline | This PR | Change (99% interval) | Detectable | Verdict |\n|---|---|---:|---:|---|---:|---|"
            : "| Metric | Scenario | Baseline | This PR | Change (99% interval) | Verdict |\n|---|---|---:|---:|---|---|");
        foreach (var m in rows)
        {
            // One trial on a side has no spread: neither an interval nor a detectable change means anything.
            var single = m.BaselineTrials < 2 || m.CandidateTrials < 2;
            var change = m.BaselineTrials == 0 ? "—"
                : single ? $"{Percent(m.Shift, signed: true)} (single trials)"
                : $"{Percent(m.Shift, signed: true)} ({Percent(m.ShiftLower, signed: true)} … {Percent(m.ShiftUpper, signed: true)})";
            var detectable = m.MinimumDetectableShift is { } d && !single ? Percent(d) : "—";
            text.Append(CultureInfo.InvariantCulture, $"| `{m.Metric}` | `{Scenario(m)}` | {Value(m.BaselineMedian, m.Unit)} | {Value(m.CandidateMedian, m.Unit)} | {change} | ");
            if (detailed)
                text.Append(CultureInfo.InvariantCulture, $"{detectable} | ");
            text.AppendLine(CultureInfo.InvariantCulture, $"{Label(m)} |");
        }
    }

    private static string Label(MetricComparisonView m) => m.Verdict switch
    {
        Verdict.Regression => "❌ regression",
        Verdict.Improvement => "🚀 improvement",
        Verdict.NoChange => "no change",
        _ when m.BaselineTrials == 0 => "no baseline",
        _ when Settleable(m) => $"❔ unsure (~{m.TrialsNeeded} trials would tell)",
        _ => "too noisy to judge",
    };

    /// <summary>
    /// A re-run with a few more trials (at most <see cref="FewMoreTrials"/> times as many) would decide
    /// the metric. One that would need far more is too noisy to judge: it is listed, but does not make
    /// the verdict inconclusive, or a suite with a noisy statistic (a max, a std) could never pass.
    /// </summary>
    private static bool Settleable(MetricComparisonView m) => m.TrialsNeeded is { } needed && needed <= FewMoreTrials * Math.Max(1, m.CandidateTrials);

    /// <summary>How far the metric moved in its bad direction (negative when it moved the good way).</summary>
    private static double Worse(MetricComparisonView m) => m.Direction == MetricDirection.LowerIsBetter ? m.Shift : -m.Shift;

    private static string Lead(MetricComparisonView m) => $"`{m.Metric}` {Percent(m.Shift, signed: true)} on `{Scenario(m)}`";

    private static string More(int count) => count > 1 ? $" and {count - 1} more" : "";

    private static string Scenario(MetricComparisonView m) => $"{m.Suite}/{m.Scenario}";

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string? Short(string? sha) => sha is null ? null : sha[..Math.Min(12, sha.Length)];

    private static string Percent(double fraction, bool signed = false) =>
        (signed && fraction > 0 ? "+" : "") + (fraction * 100).ToString(Math.Abs(fraction) < 0.1 ? "0.0" : "0", CultureInfo.InvariantCulture) + "%";

    private static string Value(double? value, string unit) => value switch
    {
        null => "—",
        { } v when Math.Abs(v) >= 100 => $"{v.ToString("0", CultureInfo.InvariantCulture)} {unit}",
        { } v when Math.Abs(v) >= 10 => $"{v.ToString("0.0", CultureInfo.InvariantCulture)} {unit}",
        { } v => $"{v.ToString("0.00", CultureInfo.InvariantCulture)} {unit}",
    };
}
