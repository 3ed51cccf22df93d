using System.Net.Http.Json;
using System.Text.Json;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Core.Results;
using PerfCI.Runner;
using PerfCI.Runner.Agent;
using PerfCI.Testing;

namespace PerfCI.Ui.Tests.Browser;

/// <summary>
/// What the browser tests find on the server: a local git repository <see cref="Repository"/> of
/// <see cref="CommitCount"/> commits on main, each benchmarked on an H100 runner (the GPU is the one
/// thing faked: the runner's fingerprint says H100, and the results are written here instead of
/// measured). Every commit's results go through the runners' protocol (claim, upload, complete) with
/// the runner's own client, one commit after the other, and the server analyses them as it would
/// any runner's: from <see cref="RegressionCommitIndex"/> on, TTFT is 12% slower, which the server
/// finds as a change point with a regression alert.
/// </summary>
public sealed class DashboardSeed
{
    public const string Owner = "seed";
    public const string Name = "engine";
    public const string Suite = "serving";
    public const string Scenario = "chat@c1";
    public const string RegressedMetric = "ttft_p50";
    public const string RunnerName = "h100-seed";
    public const string RunnerLabel = "seed";
    public const int CommitCount = 40;
    /// <summary>The first commit (0-based) at the slower level.</summary>
    public const int RegressionCommitIndex = 25;
    public const double TtftMs = 40;
    public const double RegressionFactor = 1.12;

    private DashboardSeed(IReadOnlyList<string> commits, string hardwareClass, IReadOnlyList<long> runIds, long alertGroupId)
    {
        Commits = commits;
        HardwareClass = hardwareClass;
        RunIds = runIds;
        AlertGroupId = alertGroupId;
    }

    public static string Repository => $"{Owner}/{Name}";

    /// <summary>The commits of main, oldest first.</summary>
    public IReadOnlyList<string> Commits { get; }

    public string RegressionCommit => Commits[RegressionCommitIndex];

    /// <summary>The seeded runner's hardware class (derived by the server from its H100 fingerprint).</summary>
    public string HardwareClass { get; }

    /// <summary>One succeeded run per commit, in commit order.</summary>
    public IReadOnlyList<long> RunIds { get; }

    /// <summary>The alert group the server raised for the regression.</summary>
    public long AlertGroupId { get; }

    /// <summary>Seeds <paramref name="server"/>; <paramref name="registrationToken"/> registers the seeding runner (labels <see cref="RunnerLabel"/>).</summary>
    public static async Task<DashboardSeed> CreateAsync(DashboardServer server, string registrationToken, CancellationToken ct)
    {
        var git = GitRepository.Init(Path.Combine(server.WorkDirectory, "engine"));
        var commits = new List<string> { git.Commit("Engine and its benchmarks", ("perfci.yml", PerfCiYaml), ("README.md", "# engine\n")) };
        for (var i = 1; i < CommitCount; i++)
            commits.Add(git.Commit(i == RegressionCommitIndex ? "Tokenizer: validate UTF-8 of every prompt token" : $"Scheduler change {i}", ($"src/change{i % 7}.txt", $"{i}\n")));

        using (var created = await server.Http.PostAsJsonAsync("/api/repositories", new { owner = Owner, name = Name, cloneUrl = git.Path }, ct))
            created.EnsureSuccessStatusCode();

        var (config, hardwareClass) = await RegisterRunnerAsync(server, registrationToken, RunnerName, ct);
        using var runner = new ServerApi(config, TimeSpan.FromSeconds(30));
        var runIds = new List<long>();
        for (var i = 0; i < commits.Count; i++)
            runIds.Add(await BenchmarkAsync(server, runner, commits[i], Document(i), ct));

        // The last run's analysis settles the series: its change point and the alert group.
        var groups = await server.WaitForJsonAsync($"/api/alert-groups?repository={Repository}&state=all",
            json => json.EnumerateArray().Any(IsTheRegression), TimeSpan.FromMinutes(3), ct);
        var group = groups.EnumerateArray().First(IsTheRegression);
        return new DashboardSeed(commits, hardwareClass, runIds, group.GetProperty("id").GetInt64());
    }

    private static bool IsTheRegression(JsonElement group) =>
        group.GetProperty("alerts").EnumerateArray().Any(a =>
            a.GetProperty("kind").GetString() == "regression" && a.GetProperty("metric").GetString() == RegressedMetric && a.GetProperty("scenario").GetString() == Scenario);

    /// <summary>
    /// Another runner like the seeding one (same H100 fingerprint, so the same hardware class, and
    /// label <see cref="RunnerLabel"/>), named <paramref name="name"/>: a test that acts as the runner
    /// for jobs the server queues later (a bisect's runs) claims them through its client.
    /// </summary>
    public static async Task<ServerApi> ConnectRunnerAsync(DashboardServer server, string name, CancellationToken ct)
    {
        var token = await server.CreateRegistrationTokenAsync(RunnerLabel);
        var (config, _) = await RegisterRunnerAsync(server, token, name, ct);
        return new ServerApi(config, TimeSpan.FromSeconds(30));
    }

    /// <summary>The one-time token exchanged at the register endpoint for the runner's credential.</summary>
    private static async Task<(RunnerConfig Config, string HardwareClass)> RegisterRunnerAsync(DashboardServer server, string token, string name, CancellationToken ct)
    {
        var hardware = new HardwareFingerprint
        {
            Gpus = [new GpuInfo("NVIDIA H100 80GB HBM3", 81559, "550.54.15", "12.4")],
            CpuModel = "AMD EPYC 9454 48-Core Processor",
            CpuCores = 96,
            MemoryMiB = 1_548_000,
            Os = "Ubuntu 22.04.4 LTS",
            RunnerVersion = "0.1.0",
        };
        using var response = await server.Http.PostAsJsonAsync("/api/runners/register", new { token, name, labels = new[] { RunnerLabel }, hardware }, ct);
        response.EnsureSuccessStatusCode();
        var registered = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var hardwareClass = registered.GetProperty("hardwareClass").GetString()!;
        return (new RunnerConfig(server.Url, registered.GetProperty("id").GetInt64(), name, registered.GetProperty("credential").GetString()!, hardwareClass, [RunnerLabel]), hardwareClass);
    }

    /// <summary>A manual run of <paramref name="sha"/>, its job claimed, its results uploaded and the job completed, as a runner does.</summary>
    private static async Task<long> BenchmarkAsync(DashboardServer server, ServerApi runner, string sha, ResultDocument document, CancellationToken ct)
    {
        long runId;
        using (var created = await server.Http.PostAsJsonAsync("/api/runs", new { repository = Repository, commit = sha }, ct))
        {
            created.EnsureSuccessStatusCode();
            runId = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt64();
        }
        // The run is expanded into its job in the background; a claim waits for it.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        ClaimedJob? job;
        while ((job = await runner.ClaimAsync(ct)) is null)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No job of run {runId} ({sha}) to claim within a minute.\n{server.Output}");
        }
        if (job.RunId != runId)
            throw new InvalidOperationException($"Claimed a job of run {job.RunId}, expected run {runId}: the seed runs one commit at a time.");
        await runner.UploadAsync(job, document, ct);
        await runner.CompleteAsync(job, succeeded: true, error: null, engineLogTail: null, ct);
        return runId;
    }

    /// <summary>
    /// Commit <paramref name="index"/>'s results: <paramref name="trials"/> trials of TTFT, TPOT and
    /// output throughput at concurrency 1, with a deterministic spread of about 1%.
    /// </summary>
    public static ResultDocument Document(int index, int trials = 3)
    {
        var random = new Random(1000 + index);
        double[] Samples(double level) => [.. Enumerable.Range(0, trials).Select(_ => Math.Round(level * (1 + (random.NextDouble() - 0.5) * 0.02), 3))];
        var ttft = TtftMs * (index >= RegressionCommitIndex ? RegressionFactor : 1);
        return new ResultDocument
        {
            Source = new ResultSource("perfci-bench", "0.1.0"),
            Suite = Suite,
            Scenarios =
            [
                new ScenarioResult
                {
                    Name = "chat",
                    Concurrency = 1,
                    Workload = new WorkloadInfo { InputTokens = 256, OutputTokens = 16, Requests = 6 },
                    Metrics =
                    [
                        new MetricSamples(RegressedMetric, "ms", MetricDirection.LowerIsBetter, Samples(ttft)),
                        new MetricSamples("tpot_p50", "ms", MetricDirection.LowerIsBetter, Samples(8.5)),
                        new MetricSamples("output_throughput", "tok/s", MetricDirection.HigherIsBetter, Samples(95)),
                    ],
                },
            ],
        };
    }

    /// <summary>The suite the runs expand into (its engine never starts: the results are written, not measured).</summary>
    private const string PerfCiYaml = """
        suites:
          - name: serving
            runs-on: [seed]
            engine:
              command: exec perfci-bench simulate --port {port} --config {checkout}/engine.json
              ready: http://127.0.0.1:{port}/health
            scenarios:
              - name: chat
                workload: { input-tokens: 256, output-tokens: 16 }
                concurrency: [1]
                requests: 6
                trials: 3
        """;
}
