using PerfCI.Core.Access;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Server.Runners;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.GitHub;

/// <summary>
/// One test's world for the GitHub integration: a fake GitHub that Octokit talks to over HTTP, the
/// server on its own fresh database configured as a GitHub App (or with a token), a real git
/// repository registered with it, and intent methods that read as the story: deliver a webhook, run
/// the queued jobs as a runner would with results a test chooses.
/// </summary>
internal sealed class GitHubHarness : IAsyncDisposable
{
    public const string Secret = "It's a Secret to Everybody";
    public const string Owner = "acme";
    public const string RunnerLabel = "sim";

    public const string Suites = """
        suites:
          - name: serving
            runs-on: [sim]
            engine:
              command: engine --port {port}
              ready: http://127.0.0.1:{port}/health
            scenarios:
              - name: chat
                workload: { input-tokens: 32, output-tokens: 8 }
                concurrency: 1
        """;

    /// <summary>The admin <see cref="Http"/> acts as; the audit trail records this name.</summary>
    public const string Ana = "ana@perfci.test";

    private readonly TempDirectory _temp;
    private HttpClient? _runner;

    private GitHubHarness(TempDirectory temp, FakeGitHub gitHub, PerfCiServerFactory server)
    {
        _temp = temp;
        GitHub = gitHub;
        Server = server;
        Http = server.CreateClient();
    }

    public FakeGitHub GitHub { get; }
    public PerfCiServerFactory Server { get; }
    public HttpClient Http { get; }
    public string TempPath => _temp.Path;

    /// <summary>The server as the App (the default) or, with <paramref name="asApp"/> false, with a personal token.</summary>
    public static async Task<GitHubHarness> StartAsync(string test, bool asApp = true, IReadOnlyDictionary<string, string>? settings = null)
    {
        var temp = new TempDirectory();
        var gitHub = await FakeGitHub.StartAsync();
        var all = new Dictionary<string, string>
        {
            ["GitHub:WebhookSecret"] = Secret,
            ["GitHub:ApiBaseUrl"] = gitHub.ApiBaseUrl.ToString(),
            ["GitHub:PublicUrl"] = "https://perfci.example/",
            ["Git:CacheDirectory"] = Path.Combine(temp.Path, "mirrors"),
            // Hangfire's scheduler polls as often, so that a retry scheduled after a rate limit comes back at once.
            ["Runners:LeaseCheckInterval"] = "00:00:01",
            ["Runners:ClaimWait"] = "00:00:01",
        };
        if (asApp)
        {
            all["GitHub:AppId"] = FakeGitHub.AppId.ToString(CultureInfo.InvariantCulture);
            all["GitHub:PrivateKeyPem"] = gitHub.AppPrivateKeyPem;
        }
        else
        {
            all["GitHub:Token"] = FakeGitHub.PersonalToken;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            all[key] = value;
        var server = new PerfCiServerFactory(await TestPostgres.CreateDatabaseAsync(test), all);
        var harness = new GitHubHarness(temp, gitHub, server);
        // The dashboard's calls (repositories, approvals, acceptances) are made by an admin, Ana.
        harness.Http.DefaultRequestHeaders.Authorization = new("Bearer", await server.CreateApiTokenAsync(PerfCiRoles.Admin, Ana));
        return harness;
    }

    /// <summary>A git repository with the suites on main, registered as acme/<paramref name="name"/>; returns main's first commit.</summary>
    public async Task<(string Repository, GitRepository Git, string MainSha)> CreateRepositoryAsync(string name, RepositorySettings? settings = null)
    {
        var git = GitRepository.Init(Path.Combine(_temp.Path, name));
        var sha = git.Commit("Engine and its perfci.yml", ("perfci.yml", Suites), ("engine.json", """{ "decodeMsPerStep": 10 }"""));
        using var response = await Http.PostAsJsonAsync("/api/repositories", new { owner = Owner, name, cloneUrl = git.Path, settings });
        response.EnsureSuccessStatusCode();
        return ($"{Owner}/{name}", git, sha);
    }

    public Task<HttpResponseMessage> DeliverAsync(string @event, string body, string? deliveryId = null, string secret = Secret) =>
        GitHubWebhooks.SendAsync(Http, @event, body, secret, deliveryId);

    /// <summary>A push of main's commits <paramref name="shas"/> (oldest first), then Hangfire's work on it.</summary>
    public async Task PushAsync(string repository, string branch, string before, params string[] shas)
    {
        using var response = await DeliverAsync("push", GitHubWebhooks.Push(repository, branch, before, [.. shas.Select(s => new PushedCommit(s))], FakeGitHub.InstallationId));
        response.EnsureSuccessStatusCode();
        await Server.WaitForBackgroundJobsAsync();
    }

    /// <summary>A pull_request event (the fake GitHub learns of the pull request too), then Hangfire's work on it.</summary>
    public async Task PullRequestAsync(string action, string repository, int number, string headSha, string baseSha,
        string? headRepository = null, string authorAssociation = "MEMBER", string? label = null, string? sender = null, bool wait = true)
    {
        GitHub.AddPullRequest(repository, number, headSha);
        using var response = await DeliverAsync("pull_request", GitHubWebhooks.PullRequest(action, repository, number, headSha, baseSha,
            headRepository: headRepository, authorAssociation: authorAssociation, label: label, sender: sender, installationId: FakeGitHub.InstallationId));
        response.EnsureSuccessStatusCode();
        if (wait)
            await Server.WaitForBackgroundJobsAsync();
    }

    /// <summary>
    /// Claims every queued job as a runner would, uploads results whose latencies are
    /// <paramref name="slowdown"/> times the usual for the job's commit (1.10 = 10% slower), and ends
    /// each job; then waits for Hangfire unless told not to. With <paramref name="pauseWhileRunning"/>
    /// Hangfire's work on the claim is done before the job ends, as with a real benchmark's minutes.
    /// Returns the jobs run.
    /// </summary>
    public async Task<int> RunQueuedJobsAsync(Func<string, double> slowdown, bool wait = true, int trials = 6, bool pauseWhileRunning = false)
    {
        _runner ??= (await Server.RegisterRunnerAsync("sim-runner", RunnerLabel)).Client;
        var count = 0;
        while (true)
        {
            using var claim = await _runner.PostAsync("/api/runners/claim", null);
            if (claim.StatusCode == System.Net.HttpStatusCode.NoContent)
                break;
            var job = (await claim.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ClaimedJob>())!;
            if (pauseWhileRunning)
                await Server.WaitForBackgroundJobsAsync();
            var results = Results(slowdown(job.CommitSha), seed: (int)job.JobId, trials);
            using (var upload = await _runner.PostAsync($"/api/runners/jobs/{job.JobId}/results?lease={job.LeaseToken}", new StringContent(results, Encoding.UTF8, "application/json")))
                upload.EnsureSuccessStatusCode();
            using (var complete = await _runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/complete", new { leaseToken = job.LeaseToken, succeeded = true }))
                complete.EnsureSuccessStatusCode();
            count++;
        }
        if (wait)
            await Server.WaitForBackgroundJobsAsync();
        return count;
    }

    /// <summary>One scenario's trials: TTFT around 50 ms, TPOT around 10 ms, throughput the inverse, with 1% noise.</summary>
    public static string Results(double slowdown, int seed, int trials = 6)
    {
        var random = new Random(seed);
        double[] Trials(double level) => [.. Enumerable.Range(0, trials).Select(_ => level * (1 + 0.01 * Gaussian(random)))];
        return ResultDocumentJson.Serialize(new ResultDocument
        {
            Source = new ResultSource("perfci-bench"),
            Scenarios =
            [
                new ScenarioResult
                {
                    Name = "chat", Concurrency = 1,
                    Metrics =
                    [
                        MetricCatalog.Samples("ttft_p50", Trials(50 * slowdown)),
                        MetricCatalog.Samples("tpot_p50", Trials(10 * slowdown)),
                        MetricCatalog.Samples("output_throughput", Trials(100 / slowdown)),
                    ],
                },
            ],
        });
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public async ValueTask DisposeAsync()
    {
        _runner?.Dispose();
        Http.Dispose();
        await Server.DisposeAsync();
        await GitHub.DisposeAsync();
        _temp.Dispose();
    }
}
