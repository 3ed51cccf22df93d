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
    public static async Task<double> ForAsync(PerfCiDbContext db, Series series, CancellationToken cancellationToken)
    {
        var definition = await db.Jobs.AsNoTracking().Where(j => j.SuiteId == series.SuiteId)
            .OrderByDescending(j => j.Id).Select(j => j.SuiteDefinition).FirstOrDefaultAsync(cancellationToken);
        if (definition is not null)
        {
            try
            {
                if (JsonSerializer.Deserialize<SuiteDefinition>(definition, Json) is { } suite)
                    return suite.Thresholds.For(series.Metric);
            }
            catch (JsonException)
            {
                // A definition stored by an older server: fall back to the repository's settings.
            }
        }
        var settings = await db.Repositories.AsNoTracking().Where(r => r.Id == series.RepositoryId).Select(r => r.Settings).SingleAsync(cancellationToken);
        return settings.MetricThresholds.TryGetValue(series.Metric, out var fraction) ? fraction : settings.DefaultThreshold;
    }
}
