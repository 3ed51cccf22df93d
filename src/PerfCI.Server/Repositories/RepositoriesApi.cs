using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Access;
using PerfCI.Ui.Actions;

namespace PerfCI.Server.Repositories;

public static class RepositoriesApi
{
    public static IEndpointRouteBuilder MapRepositoriesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/repositories").WithTags("Repositories");
        api.MapGet("/", ListAsync).WithName("ListRepositories").RequireAuthorization(PerfCiPolicies.Read);
        api.MapGet("/{owner}/{name}", GetAsync).WithName("GetRepository").RequireAuthorization(PerfCiPolicies.Read);
        api.MapPost("/", CreateAsync).WithName("CreateRepository").RequireAuthorization(PerfCiPolicies.Administer);
        api.MapPut("/{owner}/{name}", UpdateSettingsAsync).WithName("UpdateRepositorySettings").RequireAuthorization(PerfCiPolicies.Administer);
        api.MapPatch("/{owner}/{name}", UpdateSettingsAsync).WithName("PatchRepositorySettings").RequireAuthorization(PerfCiPolicies.Administer);
        return app;
    }

    public static async Task<Ok<RepositoryDto[]>> ListAsync(PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var repositories = await db.Repositories.AsNoTracking()
            .OrderBy(r => r.Owner).ThenBy(r => r.Name)
            .ToArrayAsync(cancellationToken);
        return TypedResults.Ok(repositories.Select(RepositoryDto.From).ToArray());
    }

    public static async Task<Results<Ok<RepositoryDto>, NotFound>> GetAsync(
        string owner, string name, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var repository = await db.Repositories.AsNoTracking()
            .SingleOrDefaultAsync(r => r.Owner == owner && r.Name == name, cancellationToken);
        return repository is null ? TypedResults.NotFound() : TypedResults.Ok(RepositoryDto.From(repository));
    }

    public static async Task<Results<Created<RepositoryDto>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateRepositoryRequest request, RepositoryAdministration administration, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var outcome = await administration.CreateUncheckedAsync(request, cancellationToken);
        if (outcome.Status == ActionStatus.Invalid)
            return ActionResults.Invalid(outcome);
        if (outcome.Status == ActionStatus.Conflict)
            return TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status409Conflict, title: "Repository exists");
        var repository = await db.Repositories.AsNoTracking().SingleAsync(r => r.Id == outcome.Value!.Id, cancellationToken);
        return TypedResults.Created($"/api/repositories/{repository.Owner}/{repository.Name}", RepositoryDto.From(repository));
    }

    /// <summary>
    /// Changes a repository's settings (admin): only the fields given change (PUT and PATCH alike);
    /// every bad field is named in a 400.
    /// </summary>
    public static async Task<Results<Ok<RepositoryDto>, NotFound, ValidationProblem, ProblemHttpResult>> UpdateSettingsAsync(
        string owner, string name, UpdateRepositorySettingsRequest request, ClaimsPrincipal user, RepositoryAdministration administration,
        PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var current = await db.Repositories.AsNoTracking().Where(r => r.Owner == owner && r.Name == name).Select(r => r.Settings).SingleOrDefaultAsync(cancellationToken);
        if (current is null)
            return TypedResults.NotFound();
        var (settings, errors) = request.ApplyTo(current);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var outcome = await administration.UpdateSettingsAsync(user, owner, name, settings, cancellationToken);
        return outcome.Status switch
        {
            ActionStatus.Done => TypedResults.Ok(RepositoryDto.From(await db.Repositories.AsNoTracking().SingleAsync(r => r.Id == outcome.Value!.Id, cancellationToken))),
            ActionStatus.Invalid => ActionResults.Invalid(outcome),
            ActionStatus.Forbidden => ActionResults.Forbidden(outcome),
            _ => TypedResults.NotFound(),
        };
    }
}

/// <summary>The settings to change; a field left out keeps its value. <c>commentPolicy</c>: always, on_change or never.</summary>
public sealed record UpdateRepositorySettingsRequest(
    string[]? TrackedBranches, bool? BenchmarkEveryPushedCommit, string? CommentPolicy, double? DefaultThreshold,
    Dictionary<string, double>? MetricThresholds, string? ApprovalLabel, int? NoDataAlertAfterCommits, bool? AutoBisect,
    bool? OpenIssuesForRegressions, string? SuitesYaml)
{
    public (RepositorySettings Settings, Dictionary<string, string[]> Errors) ApplyTo(RepositorySettings current)
    {
        var errors = new Dictionary<string, string[]>();
        var policy = current.CommentPolicy;
        if (CommentPolicy is not null)
        {
            if (ParsePolicy(CommentPolicy) is { } parsed)
                policy = parsed;
            else
                errors["commentPolicy"] = [$"Unknown comment policy '{CommentPolicy}': one of always, on_change, never."];
        }
        var settings = current with
        {
            TrackedBranches = TrackedBranches ?? current.TrackedBranches,
            BenchmarkEveryPushedCommit = BenchmarkEveryPushedCommit ?? current.BenchmarkEveryPushedCommit,
            CommentPolicy = policy,
            DefaultThreshold = DefaultThreshold ?? current.DefaultThreshold,
            MetricThresholds = MetricThresholds ?? current.MetricThresholds,
            // An empty label turns approval by label off.
            ApprovalLabel = ApprovalLabel is null ? current.ApprovalLabel : ApprovalLabel.Length == 0 ? null : ApprovalLabel,
            NoDataAlertAfterCommits = NoDataAlertAfterCommits ?? current.NoDataAlertAfterCommits,
            AutoBisect = AutoBisect ?? current.AutoBisect,
            OpenIssuesForRegressions = OpenIssuesForRegressions ?? current.OpenIssuesForRegressions,
            SuitesYaml = SuitesYaml is null ? current.SuitesYaml : SuitesYaml.Length == 0 ? null : SuitesYaml,
        };
        foreach (var (field, messages) in RepositoryAdministration.Validate(settings))
            errors.TryAdd(field, messages);
        return (settings, errors);
    }

    private static CommentPolicy? ParsePolicy(string text) => text.Trim().Replace("-", "_", StringComparison.Ordinal).ToLowerInvariant() switch
    {
        "always" => Core.Domain.CommentPolicy.Always,
        "on_change" or "onchange" => Core.Domain.CommentPolicy.OnChange,
        "never" => Core.Domain.CommentPolicy.Never,
        _ => null,
    };
}

public sealed record CreateRepositoryRequest(string? Owner, string? Name, string? CloneUrl, string? DefaultBranch, RepositorySettings? Settings)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (!IsGitHubName(Owner))
            errors["owner"] = ["Required: a GitHub owner (letters, digits, '-', '_', '.'; at most 100 characters)."];
        if (!IsGitHubName(Name))
            errors["name"] = ["Required: a repository name (letters, digits, '-', '_', '.'; at most 100 characters)."];
        if (!string.IsNullOrWhiteSpace(CloneUrl) && !IsCloneUrl(CloneUrl))
            errors["cloneUrl"] = ["Must be an absolute https://, ssh://, git:// or file:// URL, or a local path."];
        if (DefaultBranch is { Length: > 255 })
            errors["defaultBranch"] = ["At most 255 characters."];
        if (Settings is not null)
        {
            foreach (var (field, messages) in RepositoryAdministration.Validate(Settings, "settings."))
                errors[field] = messages;
        }
        return errors;
    }

    private static bool IsGitHubName(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= 100 && value is not ("." or "..")
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsCloneUrl(string value) =>
        Path.IsPathFullyQualified(value)
        || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git" or "file");
}

public sealed record RepositoryDto(long Id, string Owner, string Name, string CloneUrl, string DefaultBranch, RepositorySettings Settings, DateTimeOffset CreatedAt)
{
    public static RepositoryDto From(Repository r) => new(r.Id, r.Owner, r.Name, r.CloneUrl, r.DefaultBranch, r.Settings, r.CreatedAt);
}
