using System.Diagnostics;

namespace PerfCI.Testing;

/// <summary>A real git repository on disk, for the server's mirror and the runner's checkout to read.</summary>
public sealed class GitRepository
{
    private int _commits;

    private GitRepository(string path) => Path = path;

    public string Path { get; }

    /// <summary>An empty repository on <paramref name="branch"/>.</summary>
    public static GitRepository Init(string path, string branch = "main")
    {
        Directory.CreateDirectory(path);
        var repository = new GitRepository(path);
        repository.Git("init", "--quiet", $"--initial-branch={branch}");
        return repository;
    }

    /// <summary>Commits the files (path relative to the repository, content), or an empty commit; returns its sha.</summary>
    public string Commit(string message, params (string Path, string Content)[] files)
    {
        foreach (var (file, content) in files)
        {
            var full = System.IO.Path.Combine(Path, file);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
            Git("add", file);
        }
        // Fixed, increasing dates: the history is the same whatever the clock says.
        var date = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(_commits++).ToString("O");
        Git(["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "--allow-empty", "-m", message],
            new Dictionary<string, string> { ["GIT_AUTHOR_DATE"] = date, ["GIT_COMMITTER_DATE"] = date });
        return Git("rev-parse", "HEAD").Trim();
    }

    /// <summary>Commits <paramref name="count"/> empty commits; returns their shas, oldest first.</summary>
    public IReadOnlyList<string> CommitMany(int count, string prefix = "change") =>
        [.. Enumerable.Range(0, count).Select(i => Commit($"{prefix} {i}"))];

    public string Git(params string[] arguments) => Git(arguments, null);

    private string Git(string[] arguments, Dictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? [])
            start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("git could not be started");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {error.Result}");
    }
}
