using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Data;

namespace PerfCI.Server.Runners;

public static class RunnersApi
{
    public static IEndpointRouteBuilder MapRunnersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runners").WithTags("Runners");
        api.MapGet("/", ListRunnersAsync).WithName("ListRunners");
        return app;
    }

    public static async Task<Ok<RunnerDto[]>> ListRunnersAsync(PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var runners = await db.Runners.AsNoTracking()
            .OrderBy(r => r.Name)
            .Select(r => new RunnerDto(r.Id, r.Name, r.Labels, r.HardwareClass, r.Hardware, r.State, r.Version, r.RegisteredAt, r.LastSeenAt))
            .ToArrayAsync(cancellationToken);
        return TypedResults.Ok(runners);
    }
}

public sealed record RunnerDto(
    long Id, string Name, string[] Labels, string HardwareClass, HardwareFingerprint Hardware,
    RunnerState State, string Version, DateTimeOffset RegisteredAt, DateTimeOffset? LastSeenAt);
