using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PerfCI.Core.Access;
using PerfCI.Ui.Trends;

namespace PerfCI.Server.Dashboard;

/// <summary>
/// The trends chart's data, read by the chart script itself (not through the page's circuit): the
/// deep-linked page's prerendered HTML names this address, so that its points travel as compressed
/// JSON while the circuit starts.
/// </summary>
public static class TrendsApi
{
    /// <summary>Overlaid metrics or hardware classes one chart may draw.</summary>
    public const int MaxOverlay = 8;

    public static IEndpointRouteBuilder MapTrendsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/trends").WithTags("Trends");
        api.MapGet("/chart", ChartAsync).WithName("GetTrendChart").RequireAuthorization(PerfCiPolicies.Read);
        return app;
    }

    /// <summary>
    /// The lines of a selection (as the trends page's address has it: <c>repo</c>, <c>suite</c>,
    /// <c>scenario</c>, and <c>metric</c> and <c>hw</c>, which repeat to overlay lines) on one commit
    /// axis in first-parent order, with their change points and alerts. Overlaid pairs that do not
    /// exist are left out; 404 when none does. <c>Server-Timing</c> says how long the series keys
    /// (<c>keys</c>, cached), the series (<c>db</c>) and the chart model (<c>build</c>) took, and
    /// <c>prepared</c> when the read began as the page was prerendered.
    /// </summary>
    public static async Task<Results<Ok<TrendChartModel>, ValidationProblem, ProblemHttpResult>> ChartAsync(
        string? repo, string? suite, string? scenario, [FromQuery(Name = "metric")] string[]? metrics, [FromQuery(Name = "hw")] string[]? hardwareClasses,
        TrendChartReads charts, HttpResponse response, CancellationToken cancellationToken)
    {
        var selection = new TrendSelection
        {
            Repository = repo?.Trim(), Suite = suite?.Trim(), Scenario = scenario?.Trim(),
            Metrics = Distinct(metrics), HardwareClasses = Distinct(hardwareClasses),
        };
        var errors = Validate(selection);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        if (await charts.TakeOrReadAsync(selection, cancellationToken) is not { } read)
        {
            return TypedResults.Problem(
                $"{selection.Repository} has no series {selection.Suite}/{selection.Scenario}/{string.Join(" or ", selection.Metrics)} on {string.Join(" or ", selection.HardwareClasses)}.",
                statusCode: StatusCodes.Status404NotFound, title: "No such series");
        }
        response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"keys;dur={read.KeysMs:0.0};desc=\"series keys\", db;dur={read.SeriesMs:0.0};desc=\"series query\", build;dur={read.BuildMs:0.0};desc=\"chart model\"{(read.Prepared ? ", prepared;desc=\"read since the page was prerendered\"" : "")}");
        return TypedResults.Ok(read.Model);
    }

    private static Dictionary<string, string[]> Validate(TrendSelection selection)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(selection.Repository))
            errors["repo"] = ["Required: the repository as owner/name."];
        else if (selection.Repository.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            errors["repo"] = [$"Expected owner/name, was '{selection.Repository}'."];
        if (string.IsNullOrEmpty(selection.Suite))
            errors["suite"] = ["Required: the suite's name."];
        if (string.IsNullOrEmpty(selection.Scenario))
            errors["scenario"] = ["Required: the scenario's name."];
        if (selection.Metrics.Count == 0)
            errors["metric"] = ["Required: one metric, or several to overlay."];
        else if (selection.Metrics.Count > MaxOverlay)
            errors["metric"] = [$"At most {MaxOverlay} metrics, was {selection.Metrics.Count}."];
        if (selection.HardwareClasses.Count == 0)
            errors["hw"] = ["Required: one hardware class, or several to overlay."];
        else if (selection.HardwareClasses.Count > MaxOverlay)
            errors["hw"] = [$"At most {MaxOverlay} hardware classes, was {selection.HardwareClasses.Count}."];
        return errors;
    }

    private static string[] Distinct(string[]? values) =>
        [.. (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).Distinct(StringComparer.Ordinal)];
}
