using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PerfCI.Data.Entities;

namespace PerfCI.Data.Configurations;

internal sealed class SeriesConfiguration : IEntityTypeConfiguration<Series>
{
    public void Configure(EntityTypeBuilder<Series> builder)
    {
        builder.ToTable("series");
        builder.Property(s => s.Scenario).HasMaxLength(200);
        builder.Property(s => s.Metric).HasMaxLength(200);
        builder.Property(s => s.HardwareClass).HasMaxLength(300);
        builder.Property(s => s.Unit).HasMaxLength(50);
        builder.HasIndex(s => new { s.RepositoryId, s.SuiteId, s.Scenario, s.Metric, s.HardwareClass }).IsUnique();
    }
}

internal sealed class MeasurementConfiguration : IEntityTypeConfiguration<Measurement>
{
    public void Configure(EntityTypeBuilder<Measurement> builder)
    {
        builder.ToTable("measurements");
        builder.Property(m => m.Samples).HasColumnType("double precision[]");
        builder.HasOne(m => m.Series).WithMany().HasForeignKey(m => m.SeriesId);
        builder.HasOne(m => m.Commit).WithMany().HasForeignKey(m => m.CommitId);
        builder.HasOne<Run>().WithMany().HasForeignKey(m => m.RunId);
        builder.HasOne<Job>().WithMany().HasForeignKey(m => m.JobId).OnDelete(DeleteBehavior.SetNull);
        // One series in commit order: (series, commit) joined to commits' first-parent position.
        builder.HasIndex(m => new { m.SeriesId, m.CommitId });
        // Ingest is idempotent: one point per series per run.
        builder.HasIndex(m => new { m.SeriesId, m.RunId }).IsUnique();
        builder.HasIndex(m => m.RunId);
    }
}

internal sealed class ChangePointConfiguration : IEntityTypeConfiguration<ChangePoint>
{
    public void Configure(EntityTypeBuilder<ChangePoint> builder)
    {
        builder.ToTable("change_points");
        builder.HasOne(c => c.Series).WithMany().HasForeignKey(c => c.SeriesId);
        builder.HasOne(c => c.Commit).WithMany().HasForeignKey(c => c.CommitId);
        builder.HasOne<Commit>().WithMany().HasForeignKey(c => c.PreviousCommitId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(c => new { c.SeriesId, c.CommitId }).IsUnique();
    }
}

internal sealed class AlertGroupConfiguration : IEntityTypeConfiguration<AlertGroup>
{
    public void Configure(EntityTypeBuilder<AlertGroup> builder)
    {
        builder.ToTable("alert_groups");
        builder.HasOne(g => g.FromCommit).WithMany().HasForeignKey(g => g.FromCommitId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne(g => g.ToCommit).WithMany().HasForeignKey(g => g.ToCommitId);
        builder.HasOne<Commit>().WithMany().HasForeignKey(g => g.CulpritCommitId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Bisect>().WithMany().HasForeignKey(g => g.BisectId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(g => new { g.RepositoryId, g.State });
        builder.HasIndex(g => new { g.RepositoryId, g.FromCommitId, g.ToCommitId });
    }
}

internal sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> builder)
    {
        builder.ToTable("alerts");
        builder.HasOne(a => a.Group).WithMany(g => g.Alerts).HasForeignKey(a => a.GroupId);
        builder.HasOne(a => a.Series).WithMany().HasForeignKey(a => a.SeriesId);
        builder.HasOne(a => a.ChangePoint).WithMany().HasForeignKey(a => a.ChangePointId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<ChangePoint>().WithMany().HasForeignKey(a => a.FixedByChangePointId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(a => a.GroupId);
        builder.HasIndex(a => new { a.SeriesId, a.State });
    }
}
