using Microsoft.AspNetCore.Identity;
using PerfCI.Data.Entities;
using PerfCI.Ui.Account;

namespace PerfCI.Server.Accounts;

/// <summary>The login page's sign-in: Identity's password check, lockout after repeated failures, the session cookie.</summary>
internal sealed class AccountSignIn(SignInManager<PerfCiUser> signIn) : IAccountSignIn
{
    public async Task<SignInOutcome> PasswordSignInAsync(string email, string password, bool remember)
    {
        var result = await signIn.PasswordSignInAsync(email, password, remember, lockoutOnFailure: true);
        return result switch
        {
            { Succeeded: true } => SignInOutcome.Succeeded,
            { IsLockedOut: true } => SignInOutcome.LockedOut,
            { IsNotAllowed: true } => SignInOutcome.Disabled,
            _ => SignInOutcome.Failed,
        };
    }
}
