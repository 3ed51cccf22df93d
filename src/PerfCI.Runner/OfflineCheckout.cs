using PerfCI.Bench.Suites;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;

namespace PerfCI.Runner;

/// <summary>A mistake in what the user asked for offline (a commit, suite, scenario or metric that is not there).</summary>
internal sealed class OfflineInputException(string message) : Exception(message);

/// <summary>
/// The offline commands' private clone of a local repository (<c>exec</c> checks out one commit,
/// <c>bisect</c> many in turn): check out a commit, read a suite of its perfci.yml, build and run it.
/// </summary>
internal sealed class OfflineCheckout : IDisposable
{
    private OfflineCheckout(string repository, string directory) => (Repository, Directory) = (repository, directory);

    /// <summary>The repository the clone was made from.</summary>
    public string Repository { get; }

    /// <summary>The working copy the suite runs in, as <c>{checkout}</c>.</summary>
    public string Directory { get; }

    public static async Task<OfflineCheckout> CloneAsync(string repository, CancellationToken ct)
    {
        if (!System.IO.Directory.Exists(repository))
            throw new OfflineInputException($"--repo {repository} is not a directory.");
        var directory = Path.Combine(Path.GetTempPath(), $"perfci-offline-{Guid.NewGuid():N}");
        await Processes.GitAsync(["clone", "--quiet", "--no-checkout", repository, directory], ct);
        return new OfflineCheckout(repository, directory);
    }

    /// <summary>The full sha of a revision of the repository; <paramref name="option"/> names it in the error.</summary>
    public async Task<string> ResolveAsync(string revision, string option, CancellationToken ct)
    {
        try
        {
            return (await Processes.GitAsync(["-C", Repository, "rev-parse", "--verify", "--quiet", $"{revision}^{{commit}}"], ct)).Trim();
        }
        catch (InvalidOperationException)
        {
            throw new OfflineInputException($"{option} {revision} is not a commit of {Repository}.");
        }
    }

    /// <summary>
    /// Checks out <paramref name="sha"/>, leaving nothing of the previous commit's build behind (a
    /// bisect checks out one commit after another in the same clone).
    /// </summary>
    public async Task CheckoutAsync(string sha, CancellationToken ct)
    {
        await Processes.GitAsync(["-C", Directory, "checkout", "--quiet", "--force", "--detach", sha], ct);
        await Processes.GitAsync(["-C", Directory, "clean", "--quiet", "-d", "-x", "--force"], ct);
    }

    /// <summary>The suite named <paramref name="name"/> (or the only one) of the checked-out commit's perfci.yml.</summary>
    public async Task<SuiteDefinition> ReadSuiteAsync(string? name, string sha, CancellationToken ct)
    {
        var file = Path.Combine(Directory, "perfci.yml");
        if (!File.Exists(file))
            throw new OfflineInputException($"there is no perfci.yml at {sha[..Math.Min(12, sha.Length)]}.");
        SuiteFile suites;
        try
        {
            suites = SuiteParser.Parse(await File.ReadAllTextAsync(file, ct), "perfci.yml");
        }
        catch (SuiteDefinitionException e)
        {
            throw new OfflineInputException(e.Message);
        }
        var definition = name is null ? (suites.Suites.Count == 1 ? suites.Suites[0] : null) : suites.Find(name);
        return definition ?? throw new OfflineInputException(name is null
            ? $"choose a suite with --suite: {string.Join(", ", suites.Suites.Select(s => s.Name))}"
            : $"--suite {name} is not a suite of perfci.yml at {sha[..Math.Min(12, sha.Length)]}; it has {string.Join(", ", suites.Suites.Select(s => s.Name))}.");
    }

    /// <summary>Runs the suite's build step, then the suite, in the checkout; build output goes to <paramref name="log"/>.</summary>
    public async Task<ResultDocument> RunSuiteAsync(SuiteDefinition definition, string sha, ISuiteProgress progress, Action<string> log, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(definition.Build))
        {
            log($"build: {definition.Build}");
            await Processes.ShellAsync(definition.Build, Directory, definition.Environment, log, ct);
        }
        var document = await SuiteRunner.RunAsync(definition, Directory, progress, ct);
        return document with { Engine = new EngineInfo(Commit: sha) };
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }
}
