using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using PerfCI.Core.Access;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Accounts;

public sealed record CurrentUserView(long Id, string Email, string Role);

public sealed record CreateApiTokenRequest(string? Name);

public sealed record CreateUserRequest(string? Email, string? Password, string? Role);

public sealed record SetRoleRequest(string? Role);

/// <summary>
/// The signed-in user and their API tokens; users for admins; and the dashboard's logout (a form post
/// with its antiforgery token). Signing in is the dashboard's login page.
/// </summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/logout", LogoutAsync).WithTags("Account").WithName("Logout").ExcludeFromDescription();

        var account = app.MapGroup("/api/account").WithTags("Account").RequireAuthorization();
        account.MapGet("/", Me).WithName("CurrentUser");
        account.MapGet("/tokens", ListTokensAsync).WithName("ListApiTokens");
        account.MapPost("/tokens", CreateTokenAsync).WithName("CreateApiToken");
        account.MapPost("/tokens/{id:long}/revoke", RevokeTokenAsync).WithName("RevokeApiToken");

        var users = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(PerfCiPolicies.Administer);
        users.MapGet("/", ListUsersAsync).WithName("ListUsers");
        users.MapPost("/", CreateUserAsync).WithName("CreateUser");
        users.MapPost("/{id:long}/role", SetRoleAsync).WithName("SetUserRole");
        users.MapPost("/{id:long}/disable", (long id, UserAccounts accounts, CancellationToken ct) => SetDisabledAsync(id, true, accounts, ct)).WithName("DisableUser");
        users.MapPost("/{id:long}/enable", (long id, UserAccounts accounts, CancellationToken ct) => SetDisabledAsync(id, false, accounts, ct)).WithName("EnableUser");
        return app;
    }

    /// <summary>The form field makes the endpoint validate the antiforgery token (a cross-site page cannot sign anyone out).</summary>
    public static async Task<RedirectHttpResult> LogoutAsync([FromForm] string? returnUrl, SignInManager<PerfCiUser> signIn)
    {
        await signIn.SignOutAsync();
        return TypedResults.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
    }

    public static Ok<CurrentUserView> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new CurrentUserView(user.UserId(), user.Identity!.Name ?? "", user.Role()));

    public static async Task<Ok<IReadOnlyList<ApiTokenView>>> ListTokensAsync(ClaimsPrincipal user, ApiTokens tokens, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tokens.ListAsync(user.UserId(), cancellationToken));

    public static async Task<Results<Created<CreatedApiToken>, ValidationProblem>> CreateTokenAsync(
        CreateApiTokenRequest request, ClaimsPrincipal user, ApiTokens tokens, CancellationToken cancellationToken)
    {
        var errors = ApiTokens.ValidateName(request.Name);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var token = await tokens.CreateAsync(user.UserId(), request.Name!, cancellationToken);
        return TypedResults.Created($"/api/account/tokens/{token.Id}", token);
    }

    public static async Task<Results<NoContent, NotFound>> RevokeTokenAsync(long id, ClaimsPrincipal user, ApiTokens tokens, CancellationToken cancellationToken) =>
        await tokens.RevokeAsync(user.UserId(), id, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    public static async Task<Ok<IReadOnlyList<UserView>>> ListUsersAsync(UserAccounts accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.ListAsync(cancellationToken));

    public static async Task<Results<Created<UserView>, ValidationProblem>> CreateUserAsync(
        CreateUserRequest request, UserAccounts accounts, CancellationToken cancellationToken)
    {
        var result = await accounts.CreateAsync(request.Email, request.Password, request.Role, cancellationToken);
        return result.Succeeded
            ? TypedResults.Created($"/api/users/{result.User!.Id}", result.User)
            : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<UserView>, NotFound, ValidationProblem>> SetRoleAsync(
        long id, SetRoleRequest request, UserAccounts accounts, CancellationToken cancellationToken)
    {
        if (await accounts.FindAsync(id, cancellationToken) is null)
            return TypedResults.NotFound();
        var result = await accounts.SetRoleAsync(id, request.Role, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(result.User!) : TypedResults.ValidationProblem(result.Errors);
    }

    private static async Task<Results<Ok<UserView>, NotFound, ValidationProblem>> SetDisabledAsync(
        long id, bool disabled, UserAccounts accounts, CancellationToken cancellationToken)
    {
        if (await accounts.FindAsync(id, cancellationToken) is null)
            return TypedResults.NotFound();
        var result = await accounts.SetDisabledAsync(id, disabled, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(result.User!) : TypedResults.ValidationProblem(result.Errors);
    }

    /// <summary>Only paths of this site: a login or logout link cannot send anyone elsewhere.</summary>
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
}

/// <summary>The signed-in person as PerfCI's APIs see them.</summary>
public static class UserPrincipal
{
    public static long UserId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Not a signed-in user."), CultureInfo.InvariantCulture);

    /// <summary>The highest of the user's roles (a user has one).</summary>
    public static string Role(this ClaimsPrincipal user) =>
        PerfCiRoles.All.LastOrDefault(user.IsInRole) ?? "";
}
