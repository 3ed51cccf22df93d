using System.Globalization;
using PerfCI.Core.Suites;

namespace PerfCI.Server.Runs;

/// <summary>
/// A run that asks for one series (a bisect step) measures only that: the suite keeps the one
/// scenario at the one load point the series' key names, with the trials the run asks for.
/// </summary>
public static class SuiteNarrowing
{
    /// <summary>The scenario of the engine's start (cold start and time to ready): one sample per engine start.</summary>
    public const string ColdStartScenario = "cold_start";

    /// <summary>
    /// The suite as the run asks for it, and how many jobs measure it: one, or the trials asked for
    /// when the series is the cold start (each job starts the engine once). Null with a reason when
    /// the suite has no such scenario at that load point.
    /// </summary>
    public static (SuiteDefinition? Suite, int Jobs, string? Error) Narrow(SuiteDefinition suite, string? scenarioKey, int? trials)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (scenarioKey is null)
            return (trials is { } t ? suite with { Scenarios = [.. suite.Scenarios.Select(s => s with { Trials = t })] } : suite, 1, null);
        if (scenarioKey == ColdStartScenario)
            return (suite with { Scenarios = [] }, Math.Max(1, trials ?? 1), null);
        foreach (var scenario in suite.Scenarios)
        {
            foreach (var point in scenario.LoadPoints())
            {
                if (Key(scenario.Name, point) != scenarioKey && !(scenario.Name == scenarioKey && scenario.LoadPoints().Count == 1))
                    continue;
                var narrowed = scenario with
                {
                    Concurrency = point.Concurrency is { } c ? [c] : [],
                    Rate = point.Rate is { } r ? [r] : [],
                    Trials = trials ?? scenario.Trials,
                };
                return (suite with { Scenarios = [narrowed] }, 1, null);
            }
        }
        return (null, 0, $"suite '{suite.Name}' has no scenario '{scenarioKey}' at this commit");
    }

    /// <summary>The series' scenario key of a load point, as result documents name it (<c>chat@c4</c>, <c>chat@r2.5</c>).</summary>
    public static string Key(string scenario, LoadPoint point) => point switch
    {
        { Concurrency: { } c } => $"{scenario}@c{c.ToString(CultureInfo.InvariantCulture)}",
        { Rate: { } r } => FormattableString.Invariant($"{scenario}@r{r:0.###}"),
        _ => scenario,
    };
}
