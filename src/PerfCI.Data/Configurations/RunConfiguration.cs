using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PerfCI.Data.Entities;

namespace PerfCI.Data.Configurations;

internal sealed class RunConfiguration : IEntityTypeConfiguration<Run>
{
    public void Configure(EntityTypeBuilder<Run> builder)
    {
        builder.ToTable("runs");
        builder.Property(r => r.HardwareClass).HasMaxLength(300);
        builder.Property(r => r.ScenarioFilter).HasMaxLength(200);
        builder.HasOne(r => r.Commit).WithMany().HasForeignKey(r => r.CommitId);
        builder.HasOne(r => r.PullRequest).WithMany().HasForeignKey(r => r.PullRequestId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Bisect>().WithMany().HasForeignKey(r => r.BisectId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(r => new { r.RepositoryId, r.CreatedAt });
        builder.HasIndex(r => r.CommitId);
        builder.HasIndex(r => r.PullRequestId);
        builder.HasIndex(r => r.BisectId);
    }
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> builder)
    {
        builder.ToTable("jobs");
        builder.Property(j => j.SuiteDefinition).HasColumnType("jsonb");
        builder.Property(j => j.RequiredHardwareClass).HasMaxLength(300);
        builder.HasOne(j => j.Run).WithMany(r => r.Jobs).HasForeignKey(j => j.RunId);
        builder.HasOne(j => j.Suite).WithMany().HasForeignKey(j => j.SuiteId);
        builder.HasOne(j => j.Runner).WithMany().HasForeignKey(j => j.RunnerId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(j => j.RunId);
        builder.HasIndex(j => j.RunnerId);
        // The claim query: oldest queued job first, SKIP LOCKED. Partial, so it stays small
        // however many finished jobs the table holds.
        builder.HasIndex(j => new { j.QueuedAt, j.Id })
            .HasDatabaseName("ix_jobs_claim")
            .HasFilter("state = 'queued'");
        // The lease sweeper: running jobs by lease expiry.
        builder.HasIndex(j => j.LeaseExpiresAt)
            .HasDatabaseName("ix_jobs_lease_expiry")
            .HasFilter("state = 'running'");
    }
}

internal sealed class JobLogChunkConfiguration : IEntityTypeConfiguration<JobLogChunk>
{
    public void Configure(EntityTypeBuilder<JobLogChunk> builder)
    {
        builder.ToTable("job_log_chunks");
        builder.HasOne<Job>().WithMany().HasForeignKey(c => c.JobId);
        builder.HasIndex(c => new { c.JobId, c.Attempt, c.Sequence }).IsUnique();
    }
}

internal sealed class JobResultConfiguration : IEntityTypeConfiguration<JobResult>
{
    public void Configure(EntityTypeBuilder<JobResult> builder)
    {
        builder.ToTable("job_results");
        builder.Property(r => r.Document).HasColumnType("jsonb");
        builder.HasOne<Job>().WithMany().HasForeignKey(r => r.JobId);
        builder.HasOne<Run>().WithMany().HasForeignKey(r => r.RunId);
        builder.HasOne<Runner>().WithMany().HasForeignKey(r => r.RunnerId).OnDelete(DeleteBehavior.SetNull);
        // Once per (job, attempt): a replayed upload is a no-op.
        builder.HasIndex(r => new { r.JobId, r.Attempt }).IsUnique().HasFilter("job_id IS NOT NULL");
        builder.HasIndex(r => r.ContentSha256).IsUnique();
        builder.HasIndex(r => r.RunId);
    }
}
