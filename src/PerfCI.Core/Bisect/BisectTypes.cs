using PerfCI.Core.Domain;

namespace PerfCI.Core.Bisect;

/// <summary>One commit of a history to bisect, with its parents (first parent first).</summary>
public sealed record BisectCommit(string Sha, IReadOnlyList<string> Parents);

/// <summary>
/// One commit the search has seen: every trial recorded at it, what it was decided to be (against
/// the good side and the bad side), the p-value behind that decision, and why.
/// </summary>
public sealed record BisectStepResult(string Sha, IReadOnlyList<double> Samples, BisectDecision Decision, double? PValue, string? Reason);

/// <summary>What the search wants next: more measurements, or nothing because it has finished.</summary>
public abstract record BisectNext;

/// <summary>Measure these commits (independently, in any order or at once) and record each result.</summary>
public sealed record MeasureCommits(IReadOnlyList<MeasureRequest> Requests) : BisectNext;

/// <summary>Run <paramref name="Trials"/> more trials at <paramref name="Sha"/>: they add to those already recorded.</summary>
public sealed record MeasureRequest(string Sha, int Trials);

public sealed record BisectFinished(BisectOutcome Outcome) : BisectNext;

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<BisectOutcomeKind>))]
public enum BisectOutcomeKind
{
    /// <summary>Narrowed to one commit: <see cref="BisectOutcome.Culprit"/>.</summary>
    Culprit,
    /// <summary>Narrowed to several commits that could not be told apart (skipped or undecidable ones).</summary>
    Range,
    /// <summary>The good and bad ends do not differ reproducibly: there is nothing to bisect.</summary>
    NoDifference,
    /// <summary>The budget of measured commits ran out first; the range is what was left.</summary>
    BudgetExhausted,
}

/// <summary>
/// The end of a bisect. <see cref="RemainingRange"/> holds the commits that may still be the culprit
/// (oldest first, <see cref="FirstBad"/> last); for a culprit it is that one commit. The relative
/// change is the bad side against the good side (+0.08 = 8% higher), with its interval at 1 - Alpha
/// (for no difference, the ends' change that was not significant or too small; null when an end
/// could not be measured). <see cref="MeasuredCommits"/> counts every commit measured or
/// tried (skipped ones included), the two ends too.
/// </summary>
public sealed record BisectOutcome(
    BisectOutcomeKind Kind,
    string? Culprit,
    string LastGood,
    string FirstBad,
    IReadOnlyList<string> RemainingRange,
    string Reason,
    double? RelativeChange,
    double? RelativeChangeLower,
    double? RelativeChangeUpper,
    int MeasuredCommits);
