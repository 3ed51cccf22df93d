using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PerfCI.Data.Entities;

namespace PerfCI.Data.Configurations;

internal sealed class RepositoryConfiguration : IEntityTypeConfiguration<Repository>
{
    public void Configure(EntityTypeBuilder<Repository> builder)
    {
        builder.ToTable("repositories");
        builder.Property(r => r.Owner).HasMaxLength(100);
        builder.Property(r => r.Name).HasMaxLength(100);
        builder.Property(r => r.CloneUrl).HasMaxLength(2000);
        builder.Property(r => r.DefaultBranch).HasMaxLength(255);
        builder.Property(r => r.Settings).HasJsonbConversion();
        builder.Ignore(r => r.FullName);
        builder.HasIndex(r => new { r.Owner, r.Name }).IsUnique();
    }
}

internal sealed class CommitConfiguration : IEntityTypeConfiguration<Commit>
{
    public void Configure(EntityTypeBuilder<Commit> builder)
    {
        builder.ToTable("commits");
        builder.Property(c => c.Sha).HasMaxLength(64);
        builder.HasIndex(c => new { c.RepositoryId, c.Sha }).IsUnique();
        // Reading a series in commit order walks the default branch by position.
        builder.HasIndex(c => new { c.RepositoryId, c.FirstParentPosition })
            .IsUnique()
            .HasFilter("first_parent_position IS NOT NULL");
    }
}

internal sealed class PullRequestConfiguration : IEntityTypeConfiguration<PullRequest>
{
    public void Configure(EntityTypeBuilder<PullRequest> builder)
    {
        builder.ToTable("pull_requests");
        builder.Property(p => p.HeadSha).HasMaxLength(64);
        builder.Property(p => p.BaseSha).HasMaxLength(64);
        builder.Property(p => p.MergeBaseSha).HasMaxLength(64);
        builder.Property(p => p.AcceptedHeadSha).HasMaxLength(64);
        builder.HasIndex(p => new { p.RepositoryId, p.Number }).IsUnique();
        builder.HasIndex(p => new { p.RepositoryId, p.HeadSha });
    }
}

internal sealed class SuiteConfiguration : IEntityTypeConfiguration<Suite>
{
    public void Configure(EntityTypeBuilder<Suite> builder)
    {
        builder.ToTable("suites");
        builder.Property(s => s.Name).HasMaxLength(200);
        builder.HasIndex(s => new { s.RepositoryId, s.Name }).IsUnique();
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> builder)
    {
        builder.ToTable("webhook_deliveries");
        builder.HasKey(d => d.DeliveryId);
        builder.Property(d => d.DeliveryId).HasMaxLength(100);
        builder.Property(d => d.Event).HasMaxLength(100);
        builder.Property(d => d.Payload).HasColumnType("jsonb");
        builder.HasIndex(d => d.ReceivedAt);
    }
}
