using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Data.Entities;
using PerfCI.Testing;

namespace PerfCI.Data.Tests;

public sealed class ModelRoundTripTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Measurement_KeepsEveryTrialSample_AndItsSeriesIdentity()
    {
        long measurementId;
        await using (var db = database.CreateContext())
        {
            var (repository, commit, suite) = await SeedAsync(db, "samples");
            var run = new Run { RepositoryId = repository.Id, CommitId = commit.Id, Trigger = RunTrigger.Push, State = RunState.Succeeded, CreatedAt = Now };
            var series = new Series
            {
                RepositoryId = repository.Id, SuiteId = suite.Id, Scenario = "chat-1k-128", Metric = "ttft_p99",
                HardwareClass = "1x-nvidia-h100-80gb", Unit = "ms", Direction = MetricDirection.LowerIsBetter, CreatedAt = Now,
            };
            db.AddRange(run, series);
            await db.SaveChangesAsync(Ct);
            var measurement = new Measurement
            {
                SeriesId = series.Id, RunId = run.Id, CommitId = commit.Id, Samples = [41.5, 40.25, 43.125, double.Epsilon],
                Mean = 31.2, Median = 40.875, StdDev = 20.1, Min = double.Epsilon, Max = 43.125, CreatedAt = Now,
            };
            db.Measurements.Add(measurement);
            await db.SaveChangesAsync(Ct);
            measurementId = measurement.Id;
        }

        await using var read = database.CreateContext();
        var stored = await read.Measurements.AsNoTracking().Include(m => m.Series).SingleAsync(m => m.Id == measurementId, Ct);
        Assert.Equal([41.5, 40.25, 43.125, double.Epsilon], stored.Samples);
        Assert.Equal(("chat-1k-128", "ttft_p99", MetricDirection.LowerIsBetter), (stored.Series.Scenario, stored.Series.Metric, stored.Series.Direction));
    }

    [Fact]
    public async Task Runner_StoresItsHardwareFingerprint_AsJsonb()
    {
        var fingerprint = new HardwareFingerprint
        {
            Gpus = [new GpuInfo("NVIDIA H100 80GB HBM3", 81559, "550.54.15", "12.4")],
            CpuModel = "AMD EPYC 9654", CpuCores = 16, MemoryMiB = 131072, Os = "Ubuntu 24.04", RunnerVersion = "0.1.0",
        };
        await using (var db = database.CreateContext())
        {
            db.Runners.Add(new Runner
            {
                Name = "gpu-1", Labels = ["gpu", "h100"], Hardware = fingerprint, HardwareClass = HardwareClass.Derive(fingerprint),
                TokenHash = [1, 2, 3], State = RunnerState.Idle, RegisteredAt = Now,
            });
            await db.SaveChangesAsync(Ct);
        }

        await using var read = database.CreateContext();
        var runner = await read.Runners.AsNoTracking().SingleAsync(r => r.Name == "gpu-1", Ct);
        Assert.Equal(fingerprint.Gpus, runner.Hardware.Gpus);
        Assert.Equal(fingerprint with { Gpus = runner.Hardware.Gpus }, runner.Hardware);
        Assert.Equal(["gpu", "h100"], runner.Labels);
        var jsonType = await MigrationTests.QueryStringsAsync(database.ConnectionString,
            "SELECT jsonb_typeof(hardware -> 'gpus') FROM runners WHERE name = 'gpu-1'");
        Assert.Equal(["array"], jsonType);
    }

    [Fact]
    public async Task RepositorySettings_ChangeIsDetected_AndSaved()
    {
        long id;
        await using (var db = database.CreateContext())
        {
            var (repository, _, _) = await SeedAsync(db, "settings");
            id = repository.Id;
            repository.Settings = repository.Settings with { CommentPolicy = CommentPolicy.OnChange, TrackedBranches = ["main", "release"] };
            await db.SaveChangesAsync(Ct);
        }

        await using var read = database.CreateContext();
        var stored = await read.Repositories.AsNoTracking().SingleAsync(r => r.Id == id, Ct);
        Assert.Equal(CommentPolicy.OnChange, stored.Settings.CommentPolicy);
        Assert.Equal(["main", "release"], stored.Settings.TrackedBranches);
    }

    [Fact]
    public async Task Commit_PositionOnTheDefaultBranch_IsUniquePerRepository()
    {
        await using var db = database.CreateContext();
        var (repository, commit, _) = await SeedAsync(db, "positions");
        db.Commits.Add(new Commit { RepositoryId = repository.Id, Sha = new string('b', 40), FirstParentPosition = commit.FirstParentPosition, CommittedAt = Now });

        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));
    }

    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static async Task<(Repository, Commit, Suite)> SeedAsync(PerfCiDbContext db, string name)
    {
        var repository = new Repository { Owner = "acme", Name = name, CloneUrl = $"https://github.com/acme/{name}.git", CreatedAt = Now };
        db.Repositories.Add(repository);
        await db.SaveChangesAsync(Ct);
        var commit = new Commit
        {
            RepositoryId = repository.Id, Sha = new string('a', 40), ParentShas = [new string('0', 40)], AuthorName = "Ada",
            Message = "Speed up decode", CommittedAt = Now, FirstParentPosition = 0,
        };
        var suite = new Suite { RepositoryId = repository.Id, Name = "serving-1gpu", CreatedAt = Now };
        db.AddRange(commit, suite);
        await db.SaveChangesAsync(Ct);
        return (repository, commit, suite);
    }
}
