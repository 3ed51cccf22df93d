using System.Globalization;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>
/// The whole loop with GitHub at its edge: webhooks from the fake GitHub reach a server process, a
/// runner process benchmarks perfci-bench's simulated engine at each commit, and the report comes back
/// to the fake GitHub through Octokit as the App. A pull request whose engine decodes and prefills 10%
/// slower is reported as a regression on those metrics; one that changes nothing says so, with the
/// smallest change the trials could have seen.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class GitHubEndToEndTests
{
    private const string Secret = "end-to-end secret";
    private const string Repository = "acme/engine";
    private static readonly string[] LatencyFamilies = ["ttft", "tpot", "itl", "icl", "e2e", "ntpot"];
    private static readonly string[] NoisyStatistics = ["mean", "std", "p90", "p95", "p99", "p99_9", "max"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PullRequests_AreBenchmarkedByARunner_AndReportedOnGitHub_ARegressionAndANoChange()
    {
        await using var gitHub = await FakeGitHub.StartAsync();
        await using var server = await EndToEndServer.StartAsync(nameof(PullRequests_AreBenchmarkedByARunner_AndReportedOnGitHub_ARegressionAndANoChange), new Dictionary<string, string?>
        {
            ["GitHub__WebhookSecret"] = Secret,
            ["GitHub__ApiBaseUrl"] = gitHub.ApiBaseUrl.ToString(),
            ["GitHub__AppId"] = FakeGitHub.AppId.ToString(CultureInfo.InvariantCulture),
            ["GitHub__PrivateKeyPem"] = gitHub.AppPrivateKeyPem,
            ["GitHub__PublicUrl"] = "https://perfci.example/",
            ["Runners__LeaseCheckInterval"] = "00:00:01",
        });
        var config = await server.RegisterRunnerAsync("sim-runner", Ct);
        var path = Path.Combine(server.WorkDirectory, "engine");
        var git = GitRepository.Init(path);
        var main = git.Commit("Engine and its perfci.yml", ("engine.json", Engine(1.0)), ("perfci.yml", Suites()), ("README.md", "An engine.\n"));
        await server.AddRepositoryAsync("acme", "engine", path, Ct);
        git.Git("checkout", "--quiet", "-b", "slower");
        var slower = git.Commit("A scheduler that costs 10% per step", ("engine.json", Engine(1.10)));
        git.Git("checkout", "--quiet", "main");
        git.Git("checkout", "--quiet", "-b", "docs");
        var docs = git.Commit("Only documentation", ("README.md", "An engine, documented.\n"));
        git.Git("checkout", "--quiet", "main");
        git.Git("checkout", "--quiet", "-b", "warm-up");
        var warmUp = git.Commit("The runner's first job", ("README.md", "Warming up.\n"));
        var runner = server.StartRunner(config);

        // A runner's first job runs its request path cold; a long-lived runner's are warm. The first job
        // here is a throwaway off main, so that the baseline is measured as warm as the pull requests.
        await server.CreateRunAsync(Repository, warmUp, suites: null, Ct);
        await WaitForRunsAsync(server, 1, TimeSpan.FromMinutes(3));
        // main is benchmarked on its push: the baseline of both pull requests.
        await DeliverAsync(server, "push", GitHubWebhooks.Push(Repository, "main", new string('0', 40), [new PushedCommit(main)], FakeGitHub.InstallationId));
        await WaitForRunsAsync(server, 2, TimeSpan.FromMinutes(3));
        foreach (var (number, head) in new[] { (1, slower), (2, docs) })
        {
            gitHub.AddPullRequest(Repository, number, head);
            await DeliverAsync(server, "pull_request", GitHubWebhooks.PullRequest("opened", Repository, number, head, main, headRef: number == 1 ? "slower" : "docs",
                installationId: FakeGitHub.InstallationId));
        }
        await gitHub.WaitForAsync(g => g.Comments(Repository, 1).Count > 0 && g.Comments(Repository, 2).Count > 0 && g.CheckRuns(Repository).Count(c => c.Status == "completed") == 2,
            TimeSpan.FromMinutes(5), "both pull requests' reports", () => server.Output);

        var regression = Assert.Single(gitHub.Comments(Repository, 1)).Body;
        var changed = regression[..regression.IndexOf("<details>", StringComparison.Ordinal)];
        Assert.Contains("❌ Regression", changed, StringComparison.Ordinal);
        // Decoding 10% slower: the time per output token and between tokens; prefill 10% slower: the
        // time to first token; both: the request. The token rate, one number per trial, is listed as
        // worse (confirmed, or unsure when one trial of six strays).
        Assert.All(["`tpot_p50`", "`itl_p50`", "`ttft_p50`", "`e2e_p50`"], metric =>
            Assert.Matches($@"\| {metric} \| `serving/tiny@c1` \|[^\n]*\| ❌ regression \|", changed));
        Assert.Matches(@"\| `output_throughput` \| `serving/tiny@c1` \| [^|]+ \| [^|]+ \| -\d", changed);
        Assert.DoesNotContain("improvement", changed, StringComparison.Ordinal);
        Assert.DoesNotContain("`cold_start`", changed, StringComparison.Ordinal);
        var noChange = Assert.Single(gitHub.Comments(Repository, 2)).Body;
        Assert.Contains("✅ No significant change", noChange, StringComparison.Ordinal);
        Assert.Matches(@"Smallest detectable change: \*\*\d+(\.\d)?%\*\*", noChange);
        var checks = gitHub.CheckRuns(Repository);
        Assert.Equal("failure", checks.Single(c => c.HeadSha == slower).Conclusion);
        Assert.Equal("success", checks.Single(c => c.HeadSha == docs).Conclusion);

        runner.Terminate();
        await runner.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The simulated engine, <paramref name="slowdown"/> times slower per decode step and per prefill.
    /// Steps of tens of milliseconds, so that a shared machine's scheduling noise is small beside them.
    /// </summary>
    private static string Engine(double slowdown) => string.Create(CultureInfo.InvariantCulture,
        $$"""{ "model": "sim", "decodeMsPerStep": {{20 * slowdown}}, "prefillOverheadMs": {{60 * slowdown}}, "prefillMsPerToken": {{0.1 * slowdown}}, "startupDelayMs": 200 }""");

    /// <summary>
    /// Six trials of eight requests, after ten warm-up requests. A median or a minimum moving 5% is a
    /// regression; the tails, means and spreads of eight requests move more than that between two runs of
    /// the same engine on a shared machine, so theirs is 30%; cold start is one sample per run,
    /// dominated by starting a .NET process.
    /// </summary>
    private static string Suites()
    {
        var noisy = from family in LatencyFamilies
                    from stat in NoisyStatistics
                    select $"      {family}_{stat}: 30%";
        return $$"""
            suites:
              - name: serving
                runs-on: [{{EndToEndServer.RunnerLabel}}]
                engine:
                  command: {{EngineRepository.SimulateCommand("engine.json")}}
                  ready: http://127.0.0.1:{port}/health
                  timeout: 60s
                scenarios:
                  - name: tiny
                    workload: { input-tokens: 32, output-tokens: 8 }
                    concurrency: [1]
                    requests: 8
                    warmup: 10
                    trials: 6
                thresholds:
                  default: 5%
                  cold_start: 100%
                  time_to_ready: 100%
                  peak_output_throughput: 30%
            {{string.Join("\n", noisy)}}
            """;
    }

    private static async Task DeliverAsync(EndToEndServer server, string @event, string body)
    {
        using var response = await GitHubWebhooks.SendAsync(server.Http, @event, body, Secret);
        Assert.True(response.IsSuccessStatusCode, $"{@event}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task WaitForRunsAsync(EndToEndServer server, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using (var db = TestPostgres.CreateContext(server.ConnectionString))
            {
                var runs = await db.Runs.Select(r => new { r.State, r.Error }).ToListAsync(Ct);
                Assert.DoesNotContain(runs, r => r.State is RunState.Failed or RunState.Cancelled);
                if (runs.Count(r => r.State == RunState.Succeeded) >= count)
                    return;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{count} runs did not succeed within {timeout}.\n{server.Output}");
            await Task.Delay(250, Ct);
        }
    }
}
