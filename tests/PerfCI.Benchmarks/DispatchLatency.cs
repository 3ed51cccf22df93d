using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Npgsql;
using PerfCI.Testing;

namespace PerfCI.Benchmarks;

/// <summary>
/// Dispatch latency: from a job being queued (its INSERT committed) to a runner that was already
/// waiting in its long-poll claim having it. A real server process, real PostgreSQL, HTTP on
/// loopback; the NOTIFY trigger and the LISTEN connection are what is measured.
/// </summary>
public static class DispatchLatency
{
    public static async Task<int> RunAsync(int jobs)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("dispatch");
        using var workdir = new TempDirectory();
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__PerfCI"] = connectionString, ["Logging__LogLevel__Default"] = "Warning" };
        await using var tokenProcess = await ServerProcess.RunToExitAsync(["runner-token"], environment, workdir.Path, TimeSpan.FromMinutes(1));
        var token = tokenProcess.Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("perfci_reg_", StringComparison.Ordinal));
        var port = FreePort.Next();
        await using var server = ServerProcess.Start([], new Dictionary<string, string?>(environment) { ["Urls"] = $"http://127.0.0.1:{port}" }, workdir.Path);
        await server.WaitForOkAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), TimeSpan.FromMinutes(2));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(1) };
        using var registered = await http.PostAsJsonAsync("api/runners/register", new { token, name = "bench", labels = Array.Empty<string>(), hardware = new { cpuModel = "bench", cpuCores = 2 } });
        var credential = (await registered.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<Registered>())!.Credential;
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credential);

        await using var db = NpgsqlDataSource.Create(connectionString);
        var (runId, suiteId) = await SeedAsync(db);
        var latencies = new List<double>(jobs);
        for (var i = 0; i < jobs + 5; i++)
        {
            var claim = http.PostAsync("api/runners/claim", null);
            await Task.Delay(30); // the claim is waiting in its long poll
            var queued = Stopwatch.GetTimestamp();
            await using (var insert = db.CreateCommand("INSERT INTO jobs (run_id, suite_id, suite_definition, required_labels, state, attempt, max_attempts, queued_at, cancel_requested) VALUES ($1, $2, '{}', '{}', 'queued', 0, 3, now(), false)"))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = runId });
                insert.Parameters.Add(new NpgsqlParameter { Value = suiteId });
                await insert.ExecuteNonQueryAsync();
            }
            using var response = await claim;
            var elapsed = Stopwatch.GetElapsedTime(queued).TotalMilliseconds;
            if ((int)response.StatusCode != 200)
                throw new InvalidOperationException($"claim {i} answered {(int)response.StatusCode}");
            if (i >= 5) // the first few warm the JIT and the connection pools
                latencies.Add(elapsed);
        }
        latencies.Sort();
        double Q(double p) => latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(p * latencies.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dispatch latency over {latencies.Count} jobs (queued -> claimed by a waiting runner): p50 {Q(0.5):0.00} ms, p90 {Q(0.9):0.00} ms, p99 {Q(0.99):0.00} ms, max {latencies[^1]:0.00} ms (target p99 < 100 ms)"));
        return 0;
    }

    private static async Task<(long RunId, long SuiteId)> SeedAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("""
            WITH r AS (INSERT INTO repositories (owner, name, clone_url, default_branch, settings, created_at) VALUES ('bench', 'dispatch', 'https://github.com/bench/dispatch.git', 'main', '{}', now()) RETURNING id),
                 c AS (INSERT INTO commits (repository_id, sha, parent_shas, author_name, author_email, message, committed_at) SELECT id, repeat('a', 40), '{}', '', '', '', now() FROM r RETURNING id, repository_id),
                 s AS (INSERT INTO suites (repository_id, name, created_at) SELECT id, 'serving', now() FROM r RETURNING id),
                 u AS (INSERT INTO runs (repository_id, commit_id, trigger, state, created_at) SELECT repository_id, id, 'manual', 'queued', now() FROM c RETURNING id)
            SELECT u.id, s.id FROM u, s
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private sealed record Registered(string Credential);
}
