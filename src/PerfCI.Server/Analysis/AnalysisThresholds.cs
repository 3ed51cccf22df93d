using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Suites;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Analysis;

public static class AnalysisThresholds
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The relative change a series must show to be a regression: the suite's perfci.yml thresholds
    /// as of its latest job, else the repository's settings.
    /// </summary>
    public static async Task<double> ForAsync(PerfCiDbContext db, Series series, CancellationToken cancellationToken) =>
        (await ForSuiteAsync(db, series.RepositoryId, series.SuiteId, cancellationToken))(series.Metric);

    /// <summary>The thresholds of every metric of one suite, read once (a run compares many series of a suite).</summary>
    public static async Task<Func<string, double>> ForSuiteAsync(PerfCiDbContext db, long repositoryId, long suiteId, CancellationToken cancellationToken)
    {
        var definition = await db.Jobs.AsNoTracking().Where(j => j.SuiteId == suiteId)
            .OrderByDescending(j => j.Id).Select(j => j.SuiteDefinition).FirstOrDefaultAsync(cancellationToken);
        if (definition is not null)
        {
            try
            {
                if (JsonSerializer.Deserialize<SuiteDefinition>(definition, Json) is { } suite)
                    return suite.Thresholds.For;
            }
            catch (JsonException)
            {
                // A definition stored by an older server: fall back to the repository's settings.
            }
        }
        var settings = await db.Repositories.AsNoTracking().Where(r => r.Id == repositoryId).Select(r => r.Settings).SingleAsync(cancellationToken);
        return metric => settings.MetricThresholds.TryGetValue(metric, out var fraction) ? fraction : settings.DefaultThreshold;
    }
}
