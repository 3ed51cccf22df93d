using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PerfCI.Data.Entities;

namespace PerfCI.Data.Configurations;

internal sealed class RunnerConfiguration : IEntityTypeConfiguration<Runner>
{
    public void Configure(EntityTypeBuilder<Runner> builder)
    {
        builder.ToTable("runners");
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.HardwareClass).HasMaxLength(300);
        builder.Property(r => r.Hardware).HasJsonbConversion();
        builder.HasIndex(r => r.Name).IsUnique();
        builder.HasIndex(r => r.TokenHash).IsUnique();
    }
}

internal sealed class RegistrationTokenConfiguration : IEntityTypeConfiguration<RegistrationToken>
{
    public void Configure(EntityTypeBuilder<RegistrationToken> builder)
    {
        builder.ToTable("registration_tokens");
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.HasOne<Runner>().WithMany().HasForeignKey(t => t.UsedByRunnerId).OnDelete(DeleteBehavior.SetNull);
    }
}
