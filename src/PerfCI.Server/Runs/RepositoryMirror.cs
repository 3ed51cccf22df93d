using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace PerfCI.Server.Runs;

public sealed class GitOptions
{
    public const string SectionName = "Git";

    /// <summary>Where the server keeps bare mirrors of the repositories (to read perfci.yml at a commit).</summary>
    public string CacheDirectory { get; set; } = ".perfci/git";
}

/// <summary>
/// Bare mirrors of the benchmarked repositories, fetched on demand, to read a file at a commit.
/// Git itself does the work; one mirror per repository, fetched under a per-repository lock.
/// </summary>
public sealed class RepositoryMirror(IOptions<GitOptions> options, ILogger<RepositoryMirror> logger)
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    /// <summary>The file's content at <paramref name="sha"/>, or null when the commit has no such file.</summary>
    public async Task<string?> ReadFileAsync(string fullName, string cloneUrl, string sha, string path, CancellationToken cancellationToken)
    {
        var mirror = await EnsureAsync(fullName, cloneUrl, sha, cancellationToken);
        var show = await GitAsync(mirror, ["show", $"{sha}:{path}"], cancellationToken, check: false);
        if (show.ExitCode == 0)
            return show.Output;
        if ((await GitAsync(mirror, ["cat-file", "-e", $"{sha}^{{commit}}"], cancellationToken, check: false)).ExitCode != 0)
            throw new InvalidOperationException($"commit {sha} is not in {cloneUrl}");
        return null;
    }

    /// <summary>
    /// The branch's first-parent history, oldest first, freshly fetched: the order in which a series'
    /// points are read. Null when the branch does not exist.
    /// </summary>
    public async Task<IReadOnlyList<HistoryCommit>?> FirstParentHistoryAsync(string fullName, string cloneUrl, string branch, CancellationToken cancellationToken)
    {
        var mirror = await EnsureAsync(fullName, cloneUrl, sha: null, cancellationToken);
        // Unit and record separators cannot occur in the fields; the subject is the last one.
        var log = await GitAsync(mirror, ["log", "--first-parent", "--reverse", "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s%x1e", $"refs/heads/{branch}", "--"], cancellationToken, check: false);
        if (log.ExitCode != 0)
            return null;
        return [.. log.Output.Split('\x1e', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(record =>
        {
            var fields = record.Split('\x1f');
            return new HistoryCommit(fields[0], fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), fields[2], fields[3],
                DateTimeOffset.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture), fields[5]);
        })];
    }

    /// <summary>The commits' parents, authors and subjects, in the order asked for (the mirror is fetched when it lacks the last one).</summary>
    public async Task<IReadOnlyList<HistoryCommit>> CommitsAsync(string fullName, string cloneUrl, IReadOnlyList<string> shas, CancellationToken cancellationToken)
    {
        if (shas.Count == 0)
            return [];
        var mirror = await EnsureAsync(fullName, cloneUrl, shas[^1], cancellationToken);
        var log = await GitAsync(mirror, ["log", "--no-walk=unsorted", "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s%x1e", .. shas, "--"], cancellationToken);
        return [.. log.Output.Split('\x1e', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(record =>
        {
            var fields = record.Split('\x1f');
            return new HistoryCommit(fields[0], fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), fields[2], fields[3],
                DateTimeOffset.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture), fields[5]);
        })];
    }

    /// <summary>The best common ancestor of two commits (what a pull request's head is compared against); null when they share none.</summary>
    public async Task<string?> MergeBaseAsync(string fullName, string cloneUrl, string baseSha, string headSha, CancellationToken cancellationToken)
    {
        var mirror = await EnsureAsync(fullName, cloneUrl, headSha, cancellationToken);
        if ((await GitAsync(mirror, ["cat-file", "-e", $"{baseSha}^{{commit}}"], cancellationToken, check: false)).ExitCode != 0)
            mirror = await EnsureAsync(fullName, cloneUrl, baseSha, cancellationToken);
        var mergeBase = await GitAsync(mirror, ["merge-base", baseSha, headSha], cancellationToken, check: false);
        return mergeBase.ExitCode == 0 ? mergeBase.Output.Trim() : null;
    }

    /// <summary>The full sha of a commit named by a (possibly abbreviated) sha, fetching when the mirror lacks it; null when the repository has no such commit.</summary>
    public async Task<string?> ResolveCommitAsync(string fullName, string cloneUrl, string sha, CancellationToken cancellationToken)
    {
        var mirror = await EnsureAsync(fullName, cloneUrl, sha, cancellationToken);
        var parsed = await GitAsync(mirror, ["rev-parse", "--verify", "--quiet", $"{sha}^{{commit}}"], cancellationToken, check: false);
        return parsed.ExitCode == 0 ? parsed.Output.Trim() : null;
    }

    /// <summary>Whether <paramref name="ancestor"/> is reachable from <paramref name="descendant"/> (both full shas the mirror has).</summary>
    public async Task<bool> IsAncestorAsync(string fullName, string cloneUrl, string ancestor, string descendant, CancellationToken cancellationToken)
    {
        var mirror = await EnsureAsync(fullName, cloneUrl, descendant, cancellationToken);
        return (await GitAsync(mirror, ["merge-base", "--is-ancestor", ancestor, descendant], cancellationToken, check: false)).ExitCode == 0;
    }

    /// <summary>
    /// The commits after <paramref name="good"/> up to and including <paramref name="bad"/>, oldest first:
    /// the first-parent chain from bad back to good, or (<paramref name="firstParent"/> false) every commit
    /// reachable from bad and not from good, as <c>git bisect</c> considers them.
    /// </summary>
    public async Task<IReadOnlyList<HistoryCommit>> RangeAsync(string fullName, string cloneUrl, string good, string bad, bool firstParent, CancellationToken cancellationToken)
    {
        var mirror = await EnsureAsync(fullName, cloneUrl, bad, cancellationToken);
        var log = await GitAsync(mirror, ["log", firstParent ? "--first-parent" : "--topo-order", "--reverse",
            "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s%x1e", $"{good}..{bad}", "--"], cancellationToken);
        return [.. log.Output.Split('\x1e', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(record =>
        {
            var fields = record.Split('\x1f');
            return new HistoryCommit(fields[0], fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), fields[2], fields[3],
                DateTimeOffset.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture), fields[5]);
        })];
    }

    /// <summary>The mirror's path, cloned or fetched so that it has <paramref name="sha"/> (or the remote's latest refs when null).</summary>
    private async Task<string> EnsureAsync(string fullName, string cloneUrl, string? sha, CancellationToken cancellationToken)
    {
        var mirror = Path.GetFullPath(Path.Combine(options.Value.CacheDirectory, fullName.Replace('/', '_') + ".git"));
        var gate = Locks.GetOrAdd(mirror, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!Directory.Exists(mirror))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(mirror)!);
                await GitAsync(null, ["clone", "--mirror", "--quiet", cloneUrl, mirror], cancellationToken);
            }
            else if (sha is null || (await GitAsync(mirror, ["cat-file", "-e", $"{sha}^{{commit}}"], cancellationToken, check: false)).ExitCode != 0)
            {
                logger.LogInformation("Fetching {Repository} for {Sha}", fullName, sha ?? "its branches");
                await GitAsync(mirror, ["fetch", "--quiet", "--prune", "origin", "+refs/*:refs/*"], cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }
        return mirror;
    }

    private static async Task<(int ExitCode, string Output)> GitAsync(string? gitDir, IEnumerable<string> arguments, CancellationToken cancellationToken, bool check = true)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        if (gitDir is not null)
        {
            start.ArgumentList.Add("--git-dir");
            start.ArgumentList.Add(gitDir);
        }
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("git could not be started");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', start.ArgumentList.Skip(gitDir is null ? 0 : 2).Take(1))} failed: {(await error).Trim()}");
        return (process.ExitCode, await output);
    }
}

/// <summary>One commit of a first-parent history, as git prints it.</summary>
public sealed record HistoryCommit(string Sha, string[] Parents, string AuthorName, string AuthorEmail, DateTimeOffset CommittedAt, string Subject);
