using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using PerfCI.Core.Access;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Accounts;

/// <summary>
/// Accounts and who may do what: ASP.NET Core Identity on PerfCI's database, the dashboard's cookie,
/// API tokens for scripts, and the three policies every endpoint and page uses.
/// </summary>
public static class AccountsExtensions
{
    public static IHostApplicationBuilder AddPerfCiAccounts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();
        services.AddPerfCiIdentity();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = AccessSchemes.CookieOrToken;
                options.DefaultSignInScheme = IdentityConstants.ApplicationScheme;
            })
            .AddPolicyScheme(AccessSchemes.CookieOrToken, "Dashboard cookie or API token", options =>
                options.ForwardDefaultSelector = context => ApiTokenAuthenticationHandler.HasApiToken(context.Request)
                    ? AccessSchemes.ApiToken
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(AccessSchemes.ApiToken, null)
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(options =>
        {
            options.Cookie.Name = "perfci_session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.LoginPath = "/account/login";
            options.LogoutPath = "/account/logout";
            options.AccessDeniedPath = "/account/access-denied";
            options.ExpireTimeSpan = TimeSpan.FromDays(14);
            options.SlidingExpiration = true;
            options.Events.OnRedirectToLogin = context =>
            {
                if (ApiProblems.IsApi(context.Request))
                    return ApiProblems.UnauthorizedAsync(context.HttpContext);
                context.Response.Redirect(context.RedirectUri);
                return Task.CompletedTask;
            };
            options.Events.OnRedirectToAccessDenied = context =>
            {
                if (ApiProblems.IsApi(context.Request))
                    return ApiProblems.ForbiddenAsync(context.HttpContext);
                context.Response.Redirect(context.RedirectUri);
                return Task.CompletedTask;
            };
        });
        // A disabled account's or a changed role's sessions are re-checked this often (a database read per
        // session and interval, not per request).
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));

        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, CircuitRevalidation>();
        services.AddScoped<PerfCI.Ui.Account.IAccountSignIn, AccountSignIn>();
        services.AddScoped<PerfCI.Ui.Settings.IAccountAdministration, AccountAdministration>();

        services.AddSingleton<IAuthorizationHandler, ReadAccessHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(PerfCiPolicies.Read, policy => policy.AddRequirements(new ReadRequirement()))
            .AddPolicy(PerfCiPolicies.Maintain, policy => policy.RequireRole(PerfCiRoles.Maintainer, PerfCiRoles.Admin))
            .AddPolicy(PerfCiPolicies.Administer, policy => policy.RequireRole(PerfCiRoles.Admin));
        return builder;
    }

    /// <summary>Identity's user store and managers alone; the one-shot commands (create-admin, api-token) use just this.</summary>
    public static IServiceCollection AddPerfCiIdentity(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddIdentityCore<PerfCiUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                // Length is what makes a password strong; composition rules only annoy.
                options.Password.RequiredLength = 10;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Lockout.MaxFailedAccessAttempts = 10;
                // Disabled accounts are "not confirmed": the sign-in manager refuses them.
                options.SignIn.RequireConfirmedAccount = true;
            })
            .AddRoles<IdentityRole<long>>()
            .AddEntityFrameworkStores<PerfCiDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.AddScoped<IUserConfirmation<PerfCiUser>, EnabledUserConfirmation>();
        services.AddScoped<UserAccounts>();
        services.AddScoped<ApiTokens>();
        return services;
    }

    /// <summary>
    /// The first admin from configuration (<c>Access:AdminEmail</c>, <c>Access:AdminPassword</c>), when
    /// there is no admin yet. The password is never logged.
    /// </summary>
    public static async Task EnsureFirstAdminAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<AccessOptions>>().Value;
        if (string.IsNullOrWhiteSpace(options.AdminEmail) || string.IsNullOrEmpty(options.AdminPassword))
            return;
        await using var scope = services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AccountsExtensions));
        if (await accounts.AnyAdminAsync(cancellationToken))
            return;
        var result = await accounts.FindByEmailAsync(options.AdminEmail, cancellationToken) is { } existing
            ? await accounts.SetRoleAsync(existing.Id, PerfCiRoles.Admin, cancellationToken)
            : await accounts.CreateAsync(options.AdminEmail, options.AdminPassword, PerfCiRoles.Admin, cancellationToken);
        if (!result.Succeeded)
            throw new OptionsValidationException(AccessOptions.SectionName, typeof(AccessOptions),
                [.. result.Errors.SelectMany(e => e.Value.Select(m => $"Access:Admin{(e.Key == "password" ? "Password" : "Email")}: {m}"))]);
        logger.LogInformation("The first admin is {Email}, from configuration", result.User!.Email);
    }

    private sealed class EnabledUserConfirmation : IUserConfirmation<PerfCiUser>
    {
        public Task<bool> IsConfirmedAsync(UserManager<PerfCiUser> manager, PerfCiUser user) => Task.FromResult(user.DisabledAt is null);
    }
}
