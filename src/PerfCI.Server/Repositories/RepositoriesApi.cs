using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Repositories;

public static class RepositoriesApi
{
    public static IEndpointRouteBuilder MapRepositoriesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/repositories").WithTags("Repositories");
        api.MapGet("/", ListAsync).WithName("ListRepositories").RequireAuthorization(PerfCiPolicies.Read);
        api.MapGet("/{owner}/{name}", GetAsync).WithName("GetRepository").RequireAuthorization(PerfCiPolicies.Read);
        api.MapPost("/", CreateAsync).WithName("CreateRepository").RequireAuthorization(PerfCiPolicies.Administer);
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
        CreateRepositoryRequest request, PerfCiDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var repository = new Repository
        {
            Owner = request.Owner!,
            Name = request.Name!,
            CloneUrl = string.IsNullOrWhiteSpace(request.CloneUrl) ? $"https://github.com/{request.Owner}/{request.Name}.git" : request.CloneUrl,
            DefaultBranch = string.IsNullOrWhiteSpace(request.DefaultBranch) ? "main" : request.DefaultBranch,
            Settings = request.Settings ?? new RepositorySettings(),
            CreatedAt = time.GetUtcNow(),
        };
        db.Repositories.Add(repository);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return TypedResults.Problem($"{repository.FullName} is already registered.", statusCode: StatusCodes.Status409Conflict, title: "Repository exists");
        }
        return TypedResults.Created($"/api/repositories/{repository.Owner}/{repository.Name}", RepositoryDto.From(repository));
    }
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
        if (Settings is { DefaultThreshold: <= 0 or >= 1 })
            errors["settings.defaultThreshold"] = ["A fraction between 0 and 1 (0.03 = 3%)."];
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
