using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PerfCI.Core.Access;
using PerfCI.Data.Entities;

namespace PerfCI.Data.Configurations;

// ASP.NET Core Identity's tables under plain names (its defaults would read asp_net_users).

internal sealed class UserConfiguration : IEntityTypeConfiguration<PerfCiUser>
{
    public void Configure(EntityTypeBuilder<PerfCiUser> builder)
    {
        builder.ToTable("users");
        builder.HasIndex(u => u.NormalizedUserName).HasDatabaseName("ix_users_normalized_user_name").IsUnique();
        builder.HasIndex(u => u.NormalizedEmail).HasDatabaseName("ix_users_normalized_email");
    }
}

internal sealed class RoleConfiguration : IEntityTypeConfiguration<IdentityRole<long>>
{
    /// <summary>The roles are part of the schema: fixed ids and stamps, so that the migration seeds them once.</summary>
    public static readonly IReadOnlyList<IdentityRole<long>> Seed =
    [
        new() { Id = 1, Name = PerfCiRoles.Viewer, NormalizedName = "VIEWER", ConcurrencyStamp = "5b0f1a52-6d1c-4c57-9a43-7a8f0c3e1a01" },
        new() { Id = 2, Name = PerfCiRoles.Maintainer, NormalizedName = "MAINTAINER", ConcurrencyStamp = "5b0f1a52-6d1c-4c57-9a43-7a8f0c3e1a02" },
        new() { Id = 3, Name = PerfCiRoles.Admin, NormalizedName = "ADMIN", ConcurrencyStamp = "5b0f1a52-6d1c-4c57-9a43-7a8f0c3e1a03" },
    ];

    public void Configure(EntityTypeBuilder<IdentityRole<long>> builder)
    {
        builder.ToTable("roles");
        builder.HasIndex(r => r.NormalizedName).HasDatabaseName("ix_roles_normalized_name").IsUnique();
        builder.HasData(Seed);
    }
}

internal sealed class UserRoleConfiguration : IEntityTypeConfiguration<IdentityUserRole<long>>
{
    public void Configure(EntityTypeBuilder<IdentityUserRole<long>> builder) => builder.ToTable("user_roles");
}

internal sealed class UserClaimConfiguration : IEntityTypeConfiguration<IdentityUserClaim<long>>
{
    public void Configure(EntityTypeBuilder<IdentityUserClaim<long>> builder)
    {
        builder.ToTable("user_claims");
        builder.HasOne<PerfCiUser>().WithMany().HasForeignKey(c => c.UserId).HasConstraintName("fk_user_claims_users_user_id");
    }
}

internal sealed class UserLoginConfiguration : IEntityTypeConfiguration<IdentityUserLogin<long>>
{
    public void Configure(EntityTypeBuilder<IdentityUserLogin<long>> builder) => builder.ToTable("user_logins");
}

internal sealed class UserTokenConfiguration : IEntityTypeConfiguration<IdentityUserToken<long>>
{
    public void Configure(EntityTypeBuilder<IdentityUserToken<long>> builder) => builder.ToTable("user_tokens");
}

internal sealed class RoleClaimConfiguration : IEntityTypeConfiguration<IdentityRoleClaim<long>>
{
    public void Configure(EntityTypeBuilder<IdentityRoleClaim<long>> builder)
    {
        builder.ToTable("role_claims");
        builder.HasOne<IdentityRole<long>>().WithMany().HasForeignKey(c => c.RoleId).HasConstraintName("fk_role_claims_roles_role_id");
    }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> builder)
    {
        builder.ToTable("api_tokens");
        builder.Property(t => t.Name).HasMaxLength(100);
        builder.Property(t => t.Prefix).HasMaxLength(32);
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.HasIndex(t => t.UserId);
        builder.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
