using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using PerfCI.Data.Entities;

namespace PerfCI.Data;

/// <summary>
/// The unit of work for everything PerfCI stores, accounts included (ASP.NET Core Identity's stores).
/// Configuration lives in one class per entity.
/// </summary>
public sealed class PerfCiDbContext(DbContextOptions<PerfCiDbContext> options)
    : IdentityDbContext<PerfCiUser, IdentityRole<long>, long>(options), IDataProtectionKeyContext
{
    public DbSet<Repository> Repositories => Set<Repository>();
    public DbSet<Commit> Commits => Set<Commit>();
    public DbSet<PullRequest> PullRequests => Set<PullRequest>();
    public DbSet<Runner> Runners => Set<Runner>();
    public DbSet<RegistrationToken> RegistrationTokens => Set<RegistrationToken>();
    public DbSet<Suite> Suites => Set<Suite>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobLogChunk> JobLogChunks => Set<JobLogChunk>();
    public DbSet<JobResult> JobResults => Set<JobResult>();
    public DbSet<Series> Series => Set<Series>();
    public DbSet<Measurement> Measurements => Set<Measurement>();
    public DbSet<ChangePoint> ChangePoints => Set<ChangePoint>();
    public DbSet<AlertGroup> AlertGroups => Set<AlertGroup>();
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<Bisect> Bisects => Set<Bisect>();
    public DbSet<BisectStep> BisectSteps => Set<BisectStep>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    /// <summary>ASP.NET Core data-protection keys, shared by every server instance (antiforgery, dashboard circuits).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        // Identity's own mapping first; the configurations below rename its tables.
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PerfCiDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is an instant; PostgreSQL keeps it as timestamptz.
        configurationBuilder.Properties<DateTimeOffset>().HaveColumnType("timestamptz");
    }
}
