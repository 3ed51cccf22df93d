using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Core.Suites;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Access;
using PerfCI.Ui.Actions;
using PerfCI.Ui.Settings;

namespace PerfCI.Server.Repositories;

/// <summary>Registering repositories and editing their settings, for the API and the dashboard alike (admin).</summary>
public sealed class RepositoryAdministration(IDbContextFactory<PerfCiDbContext> contexts, TimeProvider time) : IRepositoryActions
{
    public async Task<ActionOutcome<RepositoryItem>> AddAsync(ClaimsPrincipal user, NewRepository repository, CancellationToken cancellationToken)
    {
        if (!ActionRoles.MayAdminister(user))
            return ActionOutcome<RepositoryItem>.Forbidden(PerfCiRoles.Admin);
        return await CreateUncheckedAsync(new CreateRepositoryRequest(repository.Owner, repository.Name, repository.CloneUrl, repository.DefaultBranch, null), cancellationToken);
    }

    /// <summary>Registers a repository, for callers authorized elsewhere (an endpoint's policy).</summary>
    public async Task<ActionOutcome<RepositoryItem>> CreateUncheckedAsync(CreateRepositoryRequest request, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
            return ActionOutcome<RepositoryItem>.Invalid(errors);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
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
            return ActionOutcome<RepositoryItem>.Conflict($"{repository.FullName} is already registered.");
        }
        return ActionOutcome<RepositoryItem>.Done(Item(repository));
    }

    public async Task<ActionOutcome<RepositoryItem>> UpdateSettingsAsync(
        ClaimsPrincipal user, string owner, string name, RepositorySettings settings, CancellationToken cancellationToken)
    {
        if (!ActionRoles.MayAdminister(user))
            return ActionOutcome<RepositoryItem>.Forbidden(PerfCiRoles.Admin);
        var errors = Validate(settings);
        if (errors.Count > 0)
            return ActionOutcome<RepositoryItem>.Invalid(errors);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repository = await db.Repositories.SingleOrDefaultAsync(r => r.Owner == owner && r.Name == name, cancellationToken);
        if (repository is null)
            return ActionOutcome<RepositoryItem>.NotFound($"{owner}/{name} is not registered.");
        repository.Settings = settings with { TrackedBranches = [.. settings.TrackedBranches.Select(b => b.Trim()).Distinct(StringComparer.Ordinal)] };
        await db.SaveChangesAsync(cancellationToken);
        return ActionOutcome<RepositoryItem>.Done(Item(repository));
    }

    /// <summary>Every problem of a repository's settings, keyed by the field's JSON name (prefixed for a nested object).</summary>
    public static Dictionary<string, string[]> Validate(RepositorySettings settings, string prefix = "")
    {
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < settings.TrackedBranches.Count; i++)
        {
            var branch = settings.TrackedBranches[i];
            if (string.IsNullOrWhiteSpace(branch) || branch.Length > 255 || branch.Any(char.IsWhiteSpace) || branch.Contains("..", StringComparison.Ordinal) || branch.StartsWith('-'))
                errors[$"{prefix}trackedBranches[{i}]"] = ["A branch name: no spaces, no '..', not starting with '-', at most 255 characters."];
        }
        if (!Enum.IsDefined(settings.CommentPolicy))
            errors[$"{prefix}commentPolicy"] = ["One of always, on_change, never."];
        if (settings.DefaultThreshold is not (> 0 and < 1) || double.IsNaN(settings.DefaultThreshold))
            errors[$"{prefix}defaultThreshold"] = ["A fraction between 0 and 1 (0.03 = 3%)."];
        foreach (var (metric, threshold) in settings.MetricThresholds)
        {
            if (string.IsNullOrWhiteSpace(metric) || metric.Length > 100)
                errors[$"{prefix}metricThresholds"] = ["Every key is a metric name (at most 100 characters)."];
            else if (threshold is not (> 0 and < 1) || double.IsNaN(threshold))
                errors[$"{prefix}metricThresholds.{metric}"] = ["A fraction between 0 and 1 (0.03 = 3%)."];
        }
        if (settings.ApprovalLabel is { Length: > 50 } || settings.ApprovalLabel is { Length: > 0 } label && string.IsNullOrWhiteSpace(label))
            errors[$"{prefix}approvalLabel"] = ["A GitHub label name: at most 50 characters, not blank."];
        if (settings.NoDataAlertAfterCommits is < 1 or > 10_000)
            errors[$"{prefix}noDataAlertAfterCommits"] = ["Between 1 and 10,000 commits."];
        if (!string.IsNullOrWhiteSpace(settings.SuitesYaml))
        {
            try
            {
                SuiteParser.Parse(settings.SuitesYaml, "settings.suitesYaml");
            }
            catch (SuiteDefinitionException e)
            {
                errors[$"{prefix}suitesYaml"] = [e.Message];
            }
        }
        return errors;
    }

    public static RepositoryItem Item(Repository r) => new(r.Id, r.Owner, r.Name, r.CloneUrl, r.DefaultBranch, r.Settings, r.GitHubInstallationId is not null);
}
