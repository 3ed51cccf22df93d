using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Server.Analysis;
using PerfCI.Server.Results;

namespace PerfCI.Testing;

/// <summary>Series for the dashboard's tests and benchmarks: result documents uploaded the way `perfci upload` does.</summary>
public static class TrendSeeds
{
    /// <summary>
    /// A result document of one scenario per concurrency (<c>chat@c1</c>, ...): TTFT's median and p99
    /// and output throughput, <paramref name="trials"/> trials with <paramref name="noise"/> relative noise.
    /// Throughput grows with concurrency and latency with it, as a serving engine's do.
    /// </summary>
    public static ResultDocument Document(int seed, double ttft, double throughput, int trials = 5, double noise = 0.01, params int[] concurrencies)
    {
        var random = new Random(seed);
        double[] Trials(double level) => [.. Enumerable.Range(0, trials).Select(_ => level * (1 + noise * Gaussian(random)))];
        var scenarios = (concurrencies.Length == 0 ? [1] : concurrencies).Select(c => new ScenarioResult
        {
            Name = "chat",
            Concurrency = c,
            Metrics =
            [
                MetricCatalog.Samples("ttft_p50", Trials(ttft * (1 + 0.1 * (c - 1)))),
                MetricCatalog.Samples("ttft_p99", Trials(ttft * 1.3 * (1 + 0.1 * (c - 1)))),
                MetricCatalog.Samples("output_throughput", Trials(throughput * c / (1 + 0.05 * (c - 1)))),
            ],
        }).ToList();
        return new ResultDocument { Source = new ResultSource("perfci-bench"), Scenarios = scenarios };
    }

    /// <summary>What `perfci upload` does: store the document, then have the server's jobs analyse the new run.</summary>
    public static async Task<long> UploadAsync(
        IServiceProvider services, string repository, string sha, ResultDocument document,
        RunTrigger trigger = RunTrigger.Push, string hardwareClass = "h100", CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResultIngestor>()
            .IngestAsync(document, new IngestTarget(repository, sha, trigger) { Suite = "serving", HardwareClass = hardwareClass }, cancellationToken);
        scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>().Enqueue<AnalyzeRunJob>(job => job.RunAsync(result.RunId, CancellationToken.None));
        return result.RunId;
    }

    /// <summary>
    /// A long mainline history in bulk (SQL, in one transaction): <paramref name="commits"/> commits at
    /// first-parent positions 0.., each with one push run whose chat@c1 ttft_p50 has five trials around
    /// 100 ms, 10% higher from <paramref name="stepAt"/> on. For benchmarks, where uploading 10,000
    /// documents one by one would measure the upload rather than the page. Returns the commit shas.
    /// </summary>
    public static async Task<IReadOnlyList<string>> BulkHistoryAsync(string connectionString, string repository, int commits, int stepAt, CancellationToken cancellationToken = default)
    {
        var (owner, name) = (repository.Split('/')[0], repository.Split('/')[1]);
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO repositories (owner, name, clone_url, default_branch, settings, created_at)
            VALUES (@owner, @name, 'https://github.com/' || @owner || '/' || @name || '.git', 'main', '{}', now())
            ON CONFLICT (owner, name) DO NOTHING;
            CREATE TEMP TABLE seeded ON COMMIT DROP AS
              SELECT (SELECT id FROM repositories WHERE owner = @owner AND name = @name) AS repository_id,
                     g AS position, md5('seed' || @name || g) || substr(md5('more' || g), 1, 8) AS sha
                FROM generate_series(0, @commits - 1) g;
            INSERT INTO commits (repository_id, sha, parent_shas, author_name, author_email, message, committed_at, first_parent_position)
            SELECT repository_id, sha, '{}', 'Author ' || (position % 17), 'a@example.invalid',
                   'change ' || position || ': tune the scheduler', timestamptz '2024-01-01' + position * interval '1 hour', position
              FROM seeded;
            INSERT INTO suites (repository_id, name, created_at) SELECT DISTINCT repository_id, 'serving', now() FROM seeded
            ON CONFLICT (repository_id, name) DO NOTHING;
            INSERT INTO runs (repository_id, commit_id, trigger, state, created_at, finished_at)
            SELECT c.repository_id, c.id, 'push', 'succeeded', c.committed_at, c.committed_at
              FROM commits c JOIN seeded s ON s.repository_id = c.repository_id AND s.sha = c.sha;
            INSERT INTO series (repository_id, suite_id, scenario, metric, hardware_class, unit, direction, created_at)
            SELECT s.repository_id, s.id, 'chat@c1', 'ttft_p50', 'h100', 'ms', 'lower_is_better', now()
              FROM suites s WHERE s.repository_id = (SELECT repository_id FROM seeded LIMIT 1) AND s.name = 'serving'
            ON CONFLICT DO NOTHING;
            WITH trials AS (
              SELECT r.id AS run_id, c.id AS commit_id, c.first_parent_position AS position,
                     ARRAY(SELECT (CASE WHEN c.first_parent_position >= @step THEN 110.0 ELSE 100.0 END)
                                  * (1 + 0.01 * (((hashtext(c.sha || t) % 1000) / 1000.0)))::float8
                             FROM generate_series(1, 5) t) AS samples
                FROM runs r JOIN commits c ON c.id = r.commit_id
               WHERE c.repository_id = (SELECT repository_id FROM seeded LIMIT 1))
            INSERT INTO measurements (series_id, run_id, commit_id, samples, mean, median, std_dev, min, max, created_at)
            SELECT (SELECT id FROM series WHERE repository_id = (SELECT repository_id FROM seeded LIMIT 1) AND scenario = 'chat@c1' AND metric = 'ttft_p50'),
                   run_id, commit_id, samples,
                   (SELECT avg(v) FROM unnest(samples) v), (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(samples) v),
                   (SELECT stddev(v) FROM unnest(samples) v), (SELECT min(v) FROM unnest(samples) v), (SELECT max(v) FROM unnest(samples) v), now()
              FROM trials;
            SELECT sha FROM seeded ORDER BY position;
            """, connection, transaction);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("commits", commits);
        command.Parameters.AddWithValue("step", stepAt);
        var shas = new List<string>(commits);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                    shas.Add(reader.GetString(0));
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return shas;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
