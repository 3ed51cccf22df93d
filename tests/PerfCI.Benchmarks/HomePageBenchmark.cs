using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Domain;
using PerfCI.Data.Entities;
using PerfCI.Testing;
using PerfCI.Ui;

namespace PerfCI.Benchmarks;

/// <summary>
/// The home page with a fleet and a history: real PostgreSQL seeded with <c>runners</c> runners and
/// <c>runs</c> runs (five repositories, a job per run, some queued and running, open alert groups and
/// pull requests with finished runs), the server in process. Timed: the home query alone, and a GET
/// of <c>/</c>, whose prerendered HTML already holds the data (query + render: what the browser paints
/// first). The target is under 500 ms.
/// </summary>
public static class HomePageBenchmark
{
    private const int Repositories = 5;
    private const int PullRequests = 5;
    private const int Iterations = 30;

    public static async Task<int> RunAsync(int runners, int runs)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("home");
        var seeding = Stopwatch.StartNew();
        await SeedAsync(connectionString, runners, runs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {runners} runners and {runs} runs in {seeding.Elapsed.TotalSeconds:0.0} s"));

        // Test projects get the server's content root from Mvc.Testing's build targets; this is no test project.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PERFCI", Path.Combine(RepositoryPaths.Root, "src", "PerfCI.Server"));
        await using var server = new PerfCiServerFactory(connectionString, new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Warning" });
        using var http = server.CreateClient();

        var query = new List<double>();
        var page = new List<double>();
        for (var i = 0; i < Iterations + 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            HomeSummary summary;
            await using (var scope = server.Services.CreateAsyncScope())
                summary = await scope.ServiceProvider.GetRequiredService<IDashboardQueries>().GetHomeAsync(CancellationToken.None);
            var queried = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            started = Stopwatch.GetTimestamp();
            var html = await http.GetStringAsync(new Uri("/", UriKind.Relative));
            var rendered = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            if (summary.Fleet.Total != runners || summary.Repositories.Sum(r => r.Runs) != runs)
                throw new InvalidOperationException($"the home query saw {summary.Fleet.Total} runners and {summary.Repositories.Sum(r => r.Runs)} runs");
            if (!html.Contains("data-testid=\"repository-table\"", StringComparison.Ordinal) || !html.Contains($"/ {runners}", StringComparison.Ordinal))
                throw new InvalidOperationException("GET / did not render the repositories and the fleet");
            if (i >= 5) // the first few warm the JIT, the pools and the circuit machinery
            {
                query.Add(queried);
                page.Add(rendered);
            }
        }
        Console.WriteLine(Line("home query (IDashboardQueries.GetHomeAsync)", query));
        Console.WriteLine(Line("GET / (query + prerendered HTML)", page));
        return page.Order().ElementAt(page.Count / 2) < 500 ? 0 : 1;
    }

    private static string Line(string what, List<double> timings)
    {
        timings.Sort();
        double Q(double p) => timings[(int)Math.Min(timings.Count - 1, Math.Ceiling(p * timings.Count) - 1)];
        return string.Create(CultureInfo.InvariantCulture,
            $"{what} over {timings.Count} calls: p50 {Q(0.5):0.0} ms, p90 {Q(0.9):0.0} ms, max {timings[^1]:0.0} ms (target < 500 ms)");
    }

    private static async Task SeedAsync(string connectionString, int runnerCount, int runCount)
    {
        await using var db = TestPostgres.CreateContext(connectionString);
        var now = DateTimeOffset.UtcNow;
        var random = new Random(7);
        string Sha() => Convert.ToHexString(BitConverter.GetBytes(random.NextInt64())).ToLowerInvariant() + Convert.ToHexString(BitConverter.GetBytes(random.NextInt64())).ToLowerInvariant() + "00000000";

        var runners = Enumerable.Range(0, runnerCount).Select(i => new Runner
        {
            Name = $"gpu-{i:000}", Labels = ["gpu", i % 2 == 0 ? "h100" : "a100"], HardwareClass = i % 2 == 0 ? "h100x1" : "a100x1",
            TokenHash = BitConverter.GetBytes((long)i).Concat(new byte[24]).ToArray(),
            State = (i % 10) switch { < 5 => RunnerState.Idle, < 8 => RunnerState.Busy, _ => RunnerState.Offline },
            Version = "0.1.0", RegisteredAt = now.AddDays(-30), LastSeenAt = now.AddSeconds(-i),
        }).ToList();
        db.Runners.AddRange(runners);
        var busy = runners.Where(r => r.State == RunnerState.Busy).ToList();

        for (var r = 0; r < Repositories; r++)
        {
            var repository = new Repository { Owner = "acme", Name = $"engine-{r}", CloneUrl = $"https://github.com/acme/engine-{r}.git", CreatedAt = now.AddDays(-60) };
            var suite = new Suite { Repository = repository, Name = "serving", CreatedAt = now.AddDays(-60) };
            db.Suites.Add(suite);
            // Each pull request has a run too: the branch runs make up the rest of the total.
            var branchRuns = runCount - Repositories * PullRequests;
            var perRepository = branchRuns / Repositories + (r < branchRuns % Repositories ? 1 : 0);
            var commits = new List<Commit>();
            for (var i = 0; i < perRepository; i++)
            {
                var commit = new Commit { Repository = repository, Sha = Sha(), Message = $"Commit {i}", AuthorName = "dev", CommittedAt = now.AddMinutes(-perRepository + i), FirstParentPosition = i };
                commits.Add(commit);
                // The newest runs are still queued or running; the rest finished.
                var age = perRepository - i;
                var state = age <= 4 ? RunState.Queued : age <= 10 ? RunState.Running : i % 17 == 0 ? RunState.Failed : RunState.Succeeded;
                var run = new Run { Repository = repository, Commit = commit, Trigger = RunTrigger.Push, State = state, CreatedAt = commit.CommittedAt, FinishedAt = state is RunState.Succeeded or RunState.Failed ? commit.CommittedAt.AddMinutes(5) : null };
                var jobState = state switch { RunState.Queued => JobState.Queued, RunState.Running => JobState.Running, RunState.Failed => JobState.Failed, _ => JobState.Succeeded };
                run.Jobs.Add(new Job
                {
                    Suite = suite, State = jobState, RequiredLabels = ["gpu"], QueuedAt = run.CreatedAt, Attempt = 1,
                    Runner = jobState == JobState.Running && busy.Count > 0 ? busy[(r * 7 + i) % busy.Count] : null,
                });
                db.Runs.Add(run);
            }
            for (var g = 0; g < 3; g++)
                db.AlertGroups.Add(new AlertGroup { Repository = repository, FromCommit = commits[10 * g], ToCommit = commits[10 * g + 1], State = AlertState.New, CreatedAt = now.AddHours(-g) });
            for (var p = 0; p < PullRequests; p++)
            {
                var head = new Commit { Repository = repository, Sha = Sha(), Message = $"PR {p}", CommittedAt = now };
                var pullRequest = new PullRequest
                {
                    Repository = repository, Number = 100 + p, Title = $"Change {p}", Author = "dev", State = PullRequestState.Open, HeadSha = head.Sha,
                    HeadRepositoryFullName = repository.FullName, BaseRef = "main", BaseSha = commits[^1].Sha, MergeBaseSha = commits[^1].Sha, UpdatedAt = now.AddMinutes(-p),
                };
                db.PullRequests.Add(pullRequest);
                db.Runs.Add(new Run { Repository = repository, Commit = head, PullRequest = pullRequest, Trigger = RunTrigger.PullRequest, State = RunState.Succeeded, CreatedAt = now, FinishedAt = now });
            }
        }
        await db.SaveChangesAsync();
    }
}
