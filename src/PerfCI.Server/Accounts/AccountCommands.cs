using System.CommandLine;
using PerfCI.Core.Access;
using PerfCI.Server.Database;
using PerfCI.Server.Hosting;

namespace PerfCI.Server.Accounts;

/// <summary>
/// <c>perfci create-admin</c> and <c>perfci api-token</c>: accounts from a shell on the server, for the
/// first admin, a lost admin password, or a token for a script. They work on the database directly,
/// with the server's settings (extra <c>--Key=value</c> tokens included).
/// </summary>
internal static class AccountCommands
{
    /// <param name="input">Where a password comes from when <c>--password</c> is not given (standard input).</param>
    public static Command CreateAdmin(Func<TextReader> input)
    {
        var email = new Option<string>("--email") { Description = "The admin's email address (the user name to sign in with).", Required = true };
        var password = new Option<string?>("--password") { Description = "The password; when left out, the first line of standard input (keeps it out of the shell history)." };
        var command = new Command("create-admin", "Create an admin account, or make an existing account admin (and set its password when one is given).")
        {
            email, password,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => ServerCommandLine.GuardAsync(async () =>
        {
            var error = parse.InvocationConfiguration.Error;
            var address = parse.GetValue(email)!.Trim();
            if (!UserAccounts.IsEmail(address))
            {
                await error.WriteLineAsync($"perfci create-admin: --email: '{address}' is not an email address.");
                return ExitCodes.BadInput;
            }
            var secret = parse.GetValue(password) ?? (await input().ReadLineAsync(ct))?.TrimEnd('\r', '\n');

            using var host = AccountsHost([.. parse.UnmatchedTokens]);
            await host.Services.MigrateDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
            AccountResult result;
            string done;
            if (await accounts.FindByEmailAsync(address, ct) is { } existing)
            {
                result = string.IsNullOrEmpty(secret) ? new AccountResult(existing, []) : await accounts.SetPasswordAsync(existing.Id, secret, ct);
                if (result.Succeeded)
                    result = await accounts.SetRoleAsync(existing.Id, PerfCiRoles.Admin, ct);
                if (result.Succeeded && existing.DisabledAt is not null)
                    result = await accounts.SetDisabledAsync(existing.Id, false, ct);
                done = string.IsNullOrEmpty(secret) ? $"{address} is now an admin." : $"{address} is now an admin, with the new password.";
            }
            else
            {
                if (string.IsNullOrEmpty(secret))
                {
                    await error.WriteLineAsync("perfci create-admin: --password: required for a new account (or give it on standard input).");
                    return ExitCodes.BadInput;
                }
                result = await accounts.CreateAsync(address, secret, PerfCiRoles.Admin, ct);
                done = $"Created the admin {address}.";
            }
            if (!result.Succeeded)
            {
                foreach (var (field, messages) in result.Errors)
                    await error.WriteLineAsync($"perfci create-admin: --{field}: {string.Join(" ", messages)}");
                return ExitCodes.BadInput;
            }
            await parse.InvocationConfiguration.Output.WriteLineAsync(done);
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command ApiToken()
    {
        var user = new Option<string>("--user") { Description = "The email of the user the token acts as (with that user's role).", Required = true };
        var name = new Option<string>("--name") { Description = "What the token is for, e.g. 'nightly import'.", Required = true };
        var create = new Command("create", "Create an API token and print it (once: only its hash is stored).") { user, name };
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction((parse, ct) => ServerCommandLine.GuardAsync(async () =>
        {
            var error = parse.InvocationConfiguration.Error;
            var tokenName = parse.GetValue(name)!;
            if (ApiTokens.ValidateName(tokenName).Count > 0)
            {
                await error.WriteLineAsync($"perfci api-token create: --name: required, at most {ApiTokens.MaxNameLength} characters.");
                return ExitCodes.BadInput;
            }
            using var host = AccountsHost([.. parse.UnmatchedTokens]);
            await host.Services.MigrateDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var email = parse.GetValue(user)!.Trim();
            var account = await scope.ServiceProvider.GetRequiredService<UserAccounts>().FindByEmailAsync(email, ct);
            if (account is null || account.DisabledAt is not null)
            {
                await error.WriteLineAsync($"perfci api-token create: --user: {(account is null ? "there is no user" : "disabled user")} '{email}'.");
                return ExitCodes.BadInput;
            }
            var token = await scope.ServiceProvider.GetRequiredService<ApiTokens>().CreateAsync(account.Id, tokenName, ct);
            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync(token.Token);
            await output.WriteLineAsync($"API token {token.Id} '{token.Name}' acts as {account.Email} ({account.Role}). It is shown this once; send it as:");
            await output.WriteLineAsync("  Authorization: Bearer <token>");
            return ExitCodes.Success;
        }));

        var id = new Option<long>("--id") { Description = "The token's id (printed when it was created, listed on the users page).", Required = true };
        var revokeUser = new Option<string>("--user") { Description = "The email of the token's user.", Required = true };
        var revoke = new Command("revoke", "Revoke an API token: it stops working at once.") { revokeUser, id };
        revoke.TreatUnmatchedTokensAsErrors = false;
        revoke.SetAction((parse, ct) => ServerCommandLine.GuardAsync(async () =>
        {
            using var host = AccountsHost([.. parse.UnmatchedTokens]);
            await host.Services.MigrateDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var email = parse.GetValue(revokeUser)!.Trim();
            var account = await scope.ServiceProvider.GetRequiredService<UserAccounts>().FindByEmailAsync(email, ct);
            if (account is null || !await scope.ServiceProvider.GetRequiredService<ApiTokens>().RevokeAsync(account.Id, parse.GetValue(id), ct))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci api-token revoke: --id: '{email}' has no token {parse.GetValue(id)}.");
                return ExitCodes.BadInput;
            }
            await parse.InvocationConfiguration.Output.WriteLineAsync($"Revoked API token {parse.GetValue(id)} of {account.Email}.");
            return ExitCodes.Success;
        }));
        return new Command("api-token", "API tokens for scripts.") { create, revoke };
    }

    private static IHost AccountsHost(string[] args)
    {
        var builder = ServerCommandLine.CommandHost(args);
        builder.Services.AddPerfCiIdentity();
        return builder.Build();
    }
}
