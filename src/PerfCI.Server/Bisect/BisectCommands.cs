using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Runs;

namespace PerfCI.Server.Bisect;

/// <summary>
/// A request to bisect: the range (good and bad commits, or an alert's range), the series (suite,
/// scenario, metric, hardware class; an alert's when it names one) and the budget.
/// </summary>
public sealed record StartBisectRequest(
    string? Repository, string? Good, string? Bad, long? AlertGroupId, long? AlertId,
    string? Suite, string? Scenario, string? Metric, string? HardwareClass,
    int? TrialsPerStep, int? MaxTrialsPerStep, int? MaxSteps, double? MaxRunnerHours, string? Mode, string? RequestedBy);

/// <summary>The bisect started, or every field that was wrong.</summary>
public sealed record StartBisectResult(long? BisectId, Dictionary<string, string[]> Errors);

/// <summary>
/// Checks a bisect request against the repository's git history and its series, stores the range's
/// commits and the bisect, and hands it to <see cref="BisectJob"/>; cancels one. Shared by the API, the dashboard
/// and auto-bisect, so that all of them refuse the same things with the same words.
/// </summary>
public sealed class BisectCommands(PerfCiDbContext db, RepositoryMirror mirror, PerfCI.Server.Runs.RunActions runs, IBackgroundJobClient jobs, TimeProvider time, ILogger<BisectCommands> logger)
{
    public const int DefaultTrialsPerStep = 5;
    public const int DefaultMaxSteps = 30;
    public const double DefaultMaxRunnerHours = 24;

    public async Task<StartBisectResult> StartAsync(StartBisectRequest request, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field) ?? [], message];

        var trials = request.TrialsPerStep ?? DefaultTrialsPerStep;
        if (trials is < 2 or > 100)
            Error("trialsPerStep", "Between 2 and 100: a commit's trials are compared with a two-sample test.");
        var maxTrials = request.MaxTrialsPerStep ?? Math.Max(40, trials);
        if (maxTrials < trials || maxTrials > 1000)
            Error("maxTrialsPerStep", $"Between trialsPerStep ({trials}) and 1000.");
        var maxSteps = request.MaxSteps ?? DefaultMaxSteps;
        if (maxSteps is < 2 or > 500)
            Error("maxSteps", "Between 2 and 500: both ends are measured first.");
        var maxHours = request.MaxRunnerHours ?? DefaultMaxRunnerHours;
        if (!double.IsFinite(maxHours) || maxHours <= 0 || maxHours > 10_000)
            Error("maxRunnerHours", "A positive number of hours, at most 10000.");
        var mode = request.Mode?.Trim().Replace('-', '_').ToLowerInvariant() switch
        {
            null or "" or "first_parent" => BisectMode.FirstParent,
            "full_dag" => BisectMode.FullDag,
            _ => (BisectMode?)null,
        };
        if (mode is null)
            Error("mode", $"'{request.Mode}' is not a mode: first_parent (the default) or full_dag.");

        // An alert (or a group's worst regression) gives the range and the series; fields given explicitly win.
        Alert? alert = null;
        if (request.AlertId is { } alertId)
        {
            alert = await db.Alerts.Include(a => a.Group).Include(a => a.Series).ThenInclude(s => s.Suite)
                .SingleOrDefaultAsync(a => a.Id == alertId, cancellationToken);
            if (alert is null)
                Error("alertId", $"There is no alert {alertId}.");
        }
        else if (request.AlertGroupId is { } groupId)
        {
            alert = await db.Alerts.Include(a => a.Group).Include(a => a.Series).ThenInclude(s => s.Suite)
                .Where(a => a.GroupId == groupId && a.Kind != AlertKind.NoData)
                .OrderByDescending(a => a.Kind == AlertKind.Regression).ThenByDescending(a => Math.Abs(a.Magnitude))
                .FirstOrDefaultAsync(cancellationToken);
            if (alert is null)
                Error("alertGroupId", $"There is no alert group {groupId} with a regression or improvement to bisect.");
        }
        string? good = request.Good?.Trim().ToLowerInvariant(), bad = request.Bad?.Trim().ToLowerInvariant();
        Repository? repository = null;
        if (alert is not null)
        {
            repository = await db.Repositories.SingleAsync(r => r.Id == alert.Group.RepositoryId, cancellationToken);
            if (request.Repository is { Length: > 0 } named && named != repository.FullName)
                Error("repository", $"The alert belongs to {repository.FullName}, not {named}.");
            good ??= alert.Group.FromCommitId is { } from ? await db.Commits.Where(c => c.Id == from).Select(c => c.Sha).SingleAsync(cancellationToken) : null;
            bad ??= await db.Commits.Where(c => c.Id == alert.Group.ToCommitId).Select(c => c.Sha).SingleAsync(cancellationToken);
            if (good is null)
                Error("good", "The alert's range has no last good commit (the series starts there): give good.");
        }
        else if (request.Repository?.Split('/') is [{ Length: > 0 } owner, { Length: > 0 } name])
        {
            repository = await db.Repositories.SingleOrDefaultAsync(r => r.Owner == owner && r.Name == name, cancellationToken);
            if (repository is null)
                Error("repository", $"{request.Repository} is not a registered repository.");
        }
        else if (request.AlertId is null && request.AlertGroupId is null)
        {
            Error("repository", "Required: owner/name of a registered repository (or give alertId or alertGroupId).");
        }
        if (alert is null && request.AlertId is null && request.AlertGroupId is null)
        {
            if (string.IsNullOrEmpty(good))
                Error("good", "Required: the last commit known good (or give alertId or alertGroupId).");
            if (string.IsNullOrEmpty(bad))
                Error("bad", "Required: the first commit known bad (or give alertId or alertGroupId).");
        }
        foreach (var (field, sha) in new[] { ("good", good), ("bad", bad) })
        {
            if (sha is { Length: > 0 } && (sha.Length is < 4 or > 64 || !sha.All(char.IsAsciiHexDigit)))
                Error(field, $"'{sha}' is not a commit sha (4 to 64 hex digits).");
        }

        var suite = request.Suite ?? alert?.Series.Suite.Name;
        var scenario = request.Scenario ?? alert?.Series.Scenario;
        var metric = request.Metric ?? alert?.Series.Metric;
        var hardwareClass = request.HardwareClass ?? alert?.Series.HardwareClass;
        foreach (var (field, value) in new[] { ("suite", suite), ("scenario", scenario), ("metric", metric), ("hardwareClass", hardwareClass) })
        {
            if (string.IsNullOrWhiteSpace(value))
                Error(field, "Required (or give an alert, whose series is used).");
        }
        if (errors.Count > 0 || repository is null)
            return new StartBisectResult(null, errors);

        var series = await FindSeriesAsync(repository.Id, suite!, scenario!, metric!, hardwareClass!, Error, cancellationToken);
        var range = await ResolveRangeAsync(repository, good!, bad!, mode!.Value, Error, cancellationToken);
        if (errors.Count > 0 || series is null || range is null)
            return new StartBisectResult(null, errors);

        var now = time.GetUtcNow();
        var commitIds = await StoreCommitsAsync(repository.Id, range.Value.Good, range.Value.Commits, cancellationToken);
        // As many commits at once as there are runners of the class to measure them (k-ary split);
        // fixed now, so that a replay of the steps always takes the same path.
        var runners = await db.Runners.CountAsync(r => r.HardwareClass == hardwareClass && r.State != RunnerState.Revoked, cancellationToken);
        var bisect = new Data.Entities.Bisect
        {
            RepositoryId = repository.Id, GoodCommitId = commitIds[range.Value.Good.Sha], BadCommitId = commitIds[range.Value.Commits[^1].Sha],
            Suite = suite!, Scenario = scenario!, Metric = metric!, HardwareClass = hardwareClass!, Direction = series.Direction, Mode = mode.Value,
            TrialsPerStep = trials, MaxTrialsPerStep = maxTrials, MaxSteps = maxSteps, MaxRunnerHours = maxHours, Parallelism = Math.Clamp(runners, 1, 4),
            State = BisectState.Queued, AlertId = alert?.Id, RequestedBy = string.IsNullOrWhiteSpace(request.RequestedBy) ? null : request.RequestedBy.Trim(),
            CreatedAt = now,
        };
        db.Bisects.Add(bisect);
        await db.SaveChangesAsync(cancellationToken);
        if (alert is not null)
        {
            // The group shows that a bisect is on it (and auto-bisect does not start a second one).
            await db.AlertGroups.Where(g => g.Id == alert.GroupId && g.BisectId == null)
                .ExecuteUpdateAsync(set => set.SetProperty(g => g.BisectId, bisect.Id), cancellationToken);
        }
        jobs.Enqueue<BisectJob>(job => job.RunAsync(bisect.Id, CancellationToken.None));
        logger.LogInformation("Bisect {BisectId} of {Repository} {Metric} on {Scenario}: {Commits} commits from {Good} to {Bad}",
            bisect.Id, repository.FullName, metric, scenario, range.Value.Commits.Count, range.Value.Good.Sha, range.Value.Commits[^1].Sha);
        return new StartBisectResult(bisect.Id, errors);
    }

    /// <summary>
    /// Stops a queued or running bisect: it ends as cancelled, and so do its runs (queued jobs at once,
    /// running ones at their runner's next heartbeat). Null when there is no such bisect; false when it had
    /// already ended.
    /// </summary>
    public async Task<bool?> CancelAsync(long id, string? by, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var why = string.IsNullOrWhiteSpace(by) ? "Cancelled." : $"Cancelled by {by.Trim()}.";
        // Conditional on the state, so that a turn of the bisect that is creating runs either finishes
        // first (its runs are then found below) or finds the bisect cancelled and creates none.
        var cancelled = await db.Bisects.Where(b => b.Id == id && (b.State == BisectState.Queued || b.State == BisectState.Running))
            .ExecuteUpdateAsync(set => set.SetProperty(b => b.State, BisectState.Cancelled).SetProperty(b => b.FinishedAt, now)
                .SetProperty(b => b.Conclusion, why), cancellationToken);
        if (cancelled == 0)
            return await db.Bisects.AnyAsync(b => b.Id == id, cancellationToken) ? false : null;
        var going = await db.Runs.Where(r => r.BisectId == id && r.FinishedAt == null).Select(r => r.Id).ToListAsync(cancellationToken);
        foreach (var runId in going)
            await runs.CancelUncheckedAsync(runId, cancellationToken);
        await db.BisectSteps.Where(s => s.BisectId == id && s.Decision == BisectDecision.Pending && s.DecidedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.Reason, "the bisect was cancelled"), cancellationToken);
        logger.LogInformation("Bisect {BisectId} cancelled with {Runs} runs still going", id, going.Count);
        return true;
    }

    /// <summary>The series named, or null with the field that names nothing known.</summary>
    private async Task<Series?> FindSeriesAsync(long repositoryId, string suite, string scenario, string metric, string hardwareClass, Action<string, string> error, CancellationToken cancellationToken)
    {
        var series = await db.Series.AsNoTracking().SingleOrDefaultAsync(s => s.RepositoryId == repositoryId && s.Suite.Name == suite && s.Scenario == scenario
            && s.Metric == metric && s.HardwareClass == hardwareClass, cancellationToken);
        if (series is not null)
            return series;
        var known = db.Series.Where(s => s.RepositoryId == repositoryId);
        if (!await known.AnyAsync(s => s.Suite.Name == suite, cancellationToken))
            error("suite", $"The repository has no results of a suite '{suite}'.");
        else if (!await known.AnyAsync(s => s.Suite.Name == suite && s.Scenario == scenario, cancellationToken))
            error("scenario", $"Suite '{suite}' has no results of a scenario '{scenario}' (a scenario at a load point, such as chat@c4).");
        else if (!await known.AnyAsync(s => s.Suite.Name == suite && s.Scenario == scenario && s.Metric == metric, cancellationToken))
            error("metric", $"Scenario '{scenario}' of suite '{suite}' has no metric '{metric}'.");
        else
            error("hardwareClass", $"'{suite}/{scenario}' {metric} was never measured on hardware class '{hardwareClass}'.");
        return null;
    }

    /// <summary>Both ends resolved to full shas, good an ancestor of bad, and the commits between, oldest first (bad last).</summary>
    private async Task<(HistoryCommit Good, IReadOnlyList<HistoryCommit> Commits)?> ResolveRangeAsync(
        Repository repository, string good, string bad, BisectMode mode, Action<string, string> error, CancellationToken cancellationToken)
    {
        string? goodSha, badSha;
        try
        {
            goodSha = await mirror.ResolveCommitAsync(repository.FullName, repository.CloneUrl, good, cancellationToken);
            badSha = await mirror.ResolveCommitAsync(repository.FullName, repository.CloneUrl, bad, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            error("repository", $"The repository's git history cannot be read: {e.Message}");
            return null;
        }
        if (goodSha is null)
            error("good", $"{repository.FullName} has no commit {good}.");
        if (badSha is null)
            error("bad", $"{repository.FullName} has no commit {bad}.");
        if (goodSha is null || badSha is null)
            return null;
        if (goodSha == badSha)
        {
            error("bad", "The same commit as good: there is nothing between them to bisect.");
            return null;
        }
        if (!await mirror.IsAncestorAsync(repository.FullName, repository.CloneUrl, goodSha, badSha, cancellationToken))
        {
            error("good", $"{goodSha[..12]} is not an ancestor of bad ({badSha[..12]}): the range must run forward in history.");
            return null;
        }
        var commits = await mirror.RangeAsync(repository.FullName, repository.CloneUrl, goodSha, badSha, mode == BisectMode.FirstParent, cancellationToken);
        if (mode == BisectMode.FirstParent && (commits.Count == 0 || commits[0].Parents.FirstOrDefault() != goodSha))
        {
            error("good", $"{goodSha[..12]} is not on the first-parent history of bad ({badSha[..12]}): pick a commit of that history, or mode full_dag.");
            return null;
        }
        var goodCommit = (await mirror.CommitsAsync(repository.FullName, repository.CloneUrl, [goodSha], cancellationToken))[0];
        return (goodCommit, commits);
    }

    /// <summary>
    /// Every commit of the range in the commits table (steps and runs point at them), with its message
    /// and parents; commits stored before keep their first-parent position. Returns their ids by sha.
    /// </summary>
    private async Task<Dictionary<string, long>> StoreCommitsAsync(long repositoryId, HistoryCommit good, IReadOnlyList<HistoryCommit> range, CancellationToken cancellationToken)
    {
        var commits = range.Prepend(good).ToList();
        var shas = commits.Select(c => c.Sha).ToArray();
        var parents = commits.Select(c => string.Join(' ', c.Parents)).ToArray();
        var authors = commits.Select(c => c.AuthorName).ToArray();
        var emails = commits.Select(c => c.AuthorEmail).ToArray();
        var messages = commits.Select(c => c.Subject).ToArray();
        var dates = commits.Select(c => c.CommittedAt.ToUniversalTime()).ToArray();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO commits (repository_id, sha, parent_shas, author_name, author_email, message, committed_at)
            SELECT {repositoryId}, u.sha, string_to_array(u.parents, ' '), u.author, u.email, u.message, u.committed_at
              FROM unnest({shas}, {parents}, {authors}, {emails}, {messages}, {dates}) AS u(sha, parents, author, email, message, committed_at)
            ON CONFLICT (repository_id, sha) DO UPDATE SET
                parent_shas = excluded.parent_shas, author_name = excluded.author_name, author_email = excluded.author_email, message = excluded.message
             WHERE commits.message = ''
            """, cancellationToken);
        return await db.Commits.Where(c => c.RepositoryId == repositoryId && shas.Contains(c.Sha)).ToDictionaryAsync(c => c.Sha, c => c.Id, cancellationToken);
    }
}
