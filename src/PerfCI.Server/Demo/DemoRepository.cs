using System.Diagnostics;
using System.Globalization;

namespace PerfCI.Server.Demo;

/// <summary>One commit of the demo engine's history.</summary>
/// <param name="Subject">The commit message.</param>
/// <param name="Benchmarked">
/// Whether the demo queues a run for it. The commits around each change are left out, as when a push
/// of several commits only runs its head: the alert then spans a few commits and a bisect has
/// something to narrow.
/// </param>
public sealed record DemoCommit(string Sha, string Subject, bool Benchmarked);

/// <summary>
/// The demo engine: a local git repository whose perfci.yml runs perfci-bench's simulated engine,
/// configured by engine.json. Two commits change the engine's speed: one makes prefill slower (TTFT
/// +12%), a later one makes each decode step faster (TPOT -10%). Author and dates are fixed, so the
/// history (and every sha) is the same on every machine and after the directory is deleted.
/// </summary>
public static class DemoRepository
{
    public const string Owner = "demo";
    public const string Name = "engine";
    public const string Branch = "main";
    public const string RunnerLabel = "demo";
    public const string Suite = "serving";

    /// <summary>
    /// The engine model as of the first commit; the two changes below adjust it. Latencies of tens
    /// of milliseconds, so that a busy laptop's scheduling delays stay small beside them.
    /// </summary>
    private const double PrefillMsPerToken = 0.15;
    private const double SlowerPrefillMsPerToken = 0.172; // 512-token prompts: +11 ms on a ~95 ms TTFT
    private const double DecodeMsPerStep = 15.0;
    private const double FasterDecodeMsPerStep = 13.47;   // ~15.25 ms TPOT at c1 becomes ~13.7 ms

    /// <summary>1-based positions in <see cref="Story"/> of the commits that change the speed.</summary>
    public const int SlowerPrefillCommit = 12;
    public const int FasterDecodeCommit = 24;

    private static readonly DateTimeOffset FirstCommitAt = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Subjects and the file each commit touches; the engine model changes only where said above.</summary>
    private static readonly (string Subject, string File)[] Story =
    [
        ("Initial engine: OpenAI-compatible server over a continuous-batching scheduler", "src/server.py"),
        ("Scheduler: admit waiting requests in arrival order", "src/scheduler.py"),
        ("KV cache: block allocator with a free list", "src/kv_cache.py"),
        ("Server: stream usage in the last chunk when asked", "src/server.py"),
        ("Docs: how to run the engine locally", "docs/running.md"),
        ("Sampling: top-p and top-k in one pass", "src/sampling.py"),
        ("Scheduler: cap the batch at max_batch sequences", "src/scheduler.py"),
        ("Tests: golden outputs for greedy decoding", "tests/test_greedy.py"),
        ("KV cache: reuse blocks of finished sequences at once", "src/kv_cache.py"),
        ("Server: /health answers 503 until the weights are loaded", "src/server.py"),
        ("Config: read max_batch from the environment", "src/config.py"),
        ("Tokenizer: validate UTF-8 of every prompt token", "src/tokenizer.py"),
        ("Docs: the metrics the server exports", "docs/metrics.md"),
        ("Sampling: seedable generator per request", "src/sampling.py"),
        ("Scheduler: log queue depth every second", "src/scheduler.py"),
        ("Server: reject prompts over the context length with 400", "src/server.py"),
        ("Tests: concurrency smoke test with four clients", "tests/test_concurrency.py"),
        ("KV cache: count blocks in use for the metrics", "src/kv_cache.py"),
        ("Refactor: one module for request validation", "src/validation.py"),
        ("Docs: the configuration table", "docs/configuration.md"),
        ("Server: finish_reason 'length' when max_tokens is reached", "src/server.py"),
        ("Scheduler: preempt the newest sequence when blocks run out", "src/scheduler.py"),
        ("Tests: preemption keeps outputs identical", "tests/test_preemption.py"),
        ("Decode: fuse sampling into the last kernel of each step", "src/decode.py"),
        ("Docs: performance notes for the fused decode step", "docs/performance.md"),
        ("Config: a flag to turn the fused decode step off", "src/config.py"),
        ("Server: request ids in every log line", "src/server.py"),
        ("Tests: the fused and unfused decode agree", "tests/test_decode.py"),
        ("KV cache: warn when fragmentation passes 20%", "src/kv_cache.py"),
        ("Sampling: repetition penalty", "src/sampling.py"),
        ("Docs: changelog for 0.4", "docs/changelog.md"),
        ("Scheduler: fairness between long and short prompts", "src/scheduler.py"),
        ("Server: graceful drain on SIGTERM", "src/server.py"),
        ("Tests: drain finishes in-flight requests", "tests/test_drain.py"),
        ("Refactor: typed configuration object", "src/config.py"),
        ("Release 0.4.0", "VERSION"),
    ];

    /// <summary>How many commits the demo history has.</summary>
    public static int CommitCount => Story.Length;

    /// <summary>
    /// The repository at <paramref name="path"/>, created with its whole history when it is not there
    /// (or was left half-made); an existing one is left as it is. Returns the branch's commits, oldest first.
    /// </summary>
    public static async Task<IReadOnlyList<DemoCommit>> EnsureAsync(string path, CancellationToken cancellationToken)
    {
        path = Path.GetFullPath(path);
        var existing = await ReadHistoryAsync(path, cancellationToken);
        if (existing is { Count: var count } && count == Story.Length)
            return existing;

        // Built beside its final place and moved in at the end: a crash leaves no half-made repository.
        var building = path + ".partial";
        if (System.IO.Directory.Exists(building))
            System.IO.Directory.Delete(building, recursive: true);
        System.IO.Directory.CreateDirectory(building);
        await GitAsync(building, ["init", "--quiet", $"--initial-branch={Branch}"], null, cancellationToken);
        for (var i = 0; i < Story.Length; i++)
        {
            var number = i + 1;
            var (subject, file) = Story[i];
            if (number == 1)
            {
                await WriteAsync(building, "perfci.yml", PerfCiYaml, cancellationToken);
                await WriteAsync(building, "README.md", Readme, cancellationToken);
            }
            await WriteAsync(building, "engine.json", EngineJson(number), cancellationToken);
            var target = Path.Combine(building, file);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.AppendAllTextAsync(target, $"# {subject}\n", cancellationToken);
            await GitAsync(building, ["add", "--all"], null, cancellationToken);
            var at = FirstCommitAt.AddHours(7 * i).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture);
            await GitAsync(building, ["commit", "--quiet", "--no-verify", "-m", subject], at, cancellationToken);
        }
        if (System.IO.Directory.Exists(path))
            System.IO.Directory.Delete(path, recursive: true);
        System.IO.Directory.Move(building, path);
        return await ReadHistoryAsync(path, cancellationToken)
            ?? throw new InvalidOperationException($"the demo repository at {path} has no branch {Branch}");
    }

    /// <summary>
    /// The engine's latency model at commit <paramref name="number"/> (1-based): a small model on one
    /// GPU, as perfci-bench's simulated engine understands it (see the README's simulated engine).
    /// </summary>
    public static string EngineJson(int number)
    {
        var prefill = number >= SlowerPrefillCommit ? SlowerPrefillMsPerToken : PrefillMsPerToken;
        var decode = number >= FasterDecodeCommit ? FasterDecodeMsPerStep : DecodeMsPerStep;
        return string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "model": "demo-engine",
              "prefillOverheadMs": 3,
              "prefillMsPerToken": {{prefill}},
              "decodeMsPerStep": {{decode}},
              "decodeMsPerSequence": 0.25,
              "maxBatch": 16,
              "jitter": 0.02,
              "startupDelayMs": 300
            }

            """);
    }

    /// <summary>
    /// Short trials, so that a commit takes a few seconds. <c>perfci-bench</c> is found on PATH: the
    /// demo's runner puts the one built with the server there.
    /// </summary>
    public const string PerfCiYaml = """
        # The demo engine's benchmarks: perfci-bench's simulated engine, with the latency model in engine.json.
        suites:
          - name: serving
            runs-on: [demo]
            engine:
              command: exec perfci-bench simulate --port {port} --config {checkout}/engine.json
              ready: http://127.0.0.1:{port}/health
              timeout: 60s
              stop-grace: 3s
            scenarios:
              - name: chat
                workload: { input-tokens: 512, output-tokens: 8 }
                concurrency: [1, 4]
                requests: 6
                warmup: 2
                trials: 3
            thresholds: { default: 5% }

        """;

    private const string Readme = """
        # demo engine

        The engine PerfCI's demo benchmarks: perfci-bench's simulated engine stands in for a real one,
        its speed set by engine.json. Generated by PerfCI on its first start.

        """;

    /// <summary>The branch's commits, oldest first, or null when there is no repository with that branch.</summary>
    private static async Task<IReadOnlyList<DemoCommit>?> ReadHistoryAsync(string path, CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Path.Combine(path, ".git")))
            return null;
        var (exitCode, output, _) = await GitCoreAsync(path, ["log", "--first-parent", "--reverse", "--format=%H%x1f%s", $"refs/heads/{Branch}", "--"], null, cancellationToken);
        if (exitCode != 0)
            return null;
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return [.. lines.Select((line, i) =>
        {
            var fields = line.Split('\x1f');
            return new DemoCommit(fields[0], fields.Length > 1 ? fields[1] : "", IsBenchmarked(i + 1));
        })];
    }

    /// <summary>Every commit but the two before each change's first benchmarked one.</summary>
    public static bool IsBenchmarked(int number) =>
        number is not (SlowerPrefillCommit - 1 or SlowerPrefillCommit or FasterDecodeCommit - 1 or FasterDecodeCommit);

    private static Task WriteAsync(string root, string file, string text, CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(Path.Combine(root, file), text, cancellationToken);

    private static async Task GitAsync(string directory, IReadOnlyList<string> arguments, string? date, CancellationToken cancellationToken)
    {
        var (exitCode, _, error) = await GitCoreAsync(directory, arguments, date, cancellationToken);
        if (exitCode != 0)
            throw new InvalidOperationException($"git {arguments[0]} in {directory} failed: {error.Trim()}");
    }

    private static async Task<(int ExitCode, string Output, string Error)> GitCoreAsync(
        string directory, IReadOnlyList<string> arguments, string? date, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The user's git configuration (signing, hooks, templates) must not change the history.
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        if (date is not null)
        {
            start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Demo Engineer";
            start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "engineer@demo.perfci.local";
            start.Environment["GIT_AUTHOR_DATE"] = start.Environment["GIT_COMMITTER_DATE"] = date;
        }
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("git could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"git could not be started ({e.Message}); the demo needs git on PATH", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, await output, await error);
        }
    }
}
