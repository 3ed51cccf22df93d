using System.Globalization;
using MudBlazor;
using PerfCI.Core.Domain;

namespace PerfCI.Ui.Bisect;

/// <summary>How the bisect pages write states, decisions, commits and changes.</summary>
public static class BisectFormat
{
    public static string Sha(string? sha) => sha is null ? "—" : sha[..Math.Min(12, sha.Length)];

    /// <summary>A relative change as a signed percentage (+8.1%).</summary>
    public static string Percent(double? fraction) => fraction is not { } f ? "—"
        : (f > 0 ? "+" : "") + (f * 100).ToString(Math.Abs(f) < 0.1 ? "0.0" : "0", CultureInfo.InvariantCulture) + "%";

    public static string Value(double? value, string unit) => value is not { } v ? "—"
        : v.ToString(Math.Abs(v) >= 100 ? "0" : Math.Abs(v) >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture) + (unit.Length > 0 ? " " + unit : "");

    public static string PValue(double? p) => p is not { } v ? "—" : v < 0.001 ? v.ToString("0.0e0", CultureInfo.InvariantCulture) : v.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>The word the API uses (snake_case).</summary>
    public static string Word(Enum value) =>
        string.Concat(value.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public static Color StateColor(BisectState state) => state switch
    {
        BisectState.Succeeded => Color.Success,
        BisectState.Running => Color.Info,
        BisectState.Queued => Color.Default,
        BisectState.Inconclusive => Color.Warning,
        BisectState.Failed => Color.Error,
        _ => Color.Dark,
    };

    public static Color DecisionColor(BisectDecision decision) => decision switch
    {
        BisectDecision.SameAsGood => Color.Success,
        BisectDecision.SameAsBad => Color.Error,
        BisectDecision.Unknown => Color.Warning,
        BisectDecision.Skipped => Color.Dark,
        _ => Color.Default,
    };

    public static string Outcome(string? outcome) => outcome switch
    {
        "culprit" => "Culprit found",
        "range" => "Narrowed to a range",
        "no_difference" => "No reproducible difference",
        "budget_exhausted" => "Budget spent",
        _ => "",
    };
}
