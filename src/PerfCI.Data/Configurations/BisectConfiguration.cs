using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PerfCI.Data.Entities;

namespace PerfCI.Data.Configurations;

internal sealed class BisectConfiguration : IEntityTypeConfiguration<Bisect>
{
    public void Configure(EntityTypeBuilder<Bisect> builder)
    {
        builder.ToTable("bisects");
        builder.Property(b => b.Suite).HasMaxLength(200);
        builder.Property(b => b.Scenario).HasMaxLength(200);
        builder.Property(b => b.Metric).HasMaxLength(200);
        builder.Property(b => b.HardwareClass).HasMaxLength(300);
        builder.HasOne<Commit>().WithMany().HasForeignKey(b => b.GoodCommitId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Commit>().WithMany().HasForeignKey(b => b.BadCommitId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Commit>().WithMany().HasForeignKey(b => b.CulpritCommitId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Commit>().WithMany().HasForeignKey(b => b.LastGoodCommitId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Commit>().WithMany().HasForeignKey(b => b.FirstBadCommitId).OnDelete(DeleteBehavior.SetNull);
        builder.Property(b => b.Outcome).HasMaxLength(40);
        builder.HasOne<Alert>().WithMany().HasForeignKey(b => b.AlertId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(b => new { b.RepositoryId, b.CreatedAt });
        builder.HasIndex(b => b.State);
    }
}

internal sealed class BisectStepConfiguration : IEntityTypeConfiguration<BisectStep>
{
    public void Configure(EntityTypeBuilder<BisectStep> builder)
    {
        builder.ToTable("bisect_steps");
        builder.Property(s => s.Samples).HasColumnType("double precision[]");
        builder.HasOne<Bisect>().WithMany(b => b.Steps).HasForeignKey(s => s.BisectId);
        builder.HasOne(s => s.Commit).WithMany().HasForeignKey(s => s.CommitId);
        builder.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(s => new { s.BisectId, s.Sequence }).IsUnique();
    }
}
