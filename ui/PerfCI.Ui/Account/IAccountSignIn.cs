namespace PerfCI.Ui.Account;

public enum SignInOutcome
{
    Succeeded,
    /// <summary>Unknown email or wrong password (which one is not said).</summary>
    Failed,
    /// <summary>Too many wrong passwords in a row: wait a few minutes.</summary>
    LockedOut,
    /// <summary>An admin disabled the account.</summary>
    Disabled,
}

/// <summary>
/// Signing in with email and password, implemented by the server with ASP.NET Core Identity. Called
/// from the static login page, whose request sets the session cookie.
/// </summary>
public interface IAccountSignIn
{
    Task<SignInOutcome> PasswordSignInAsync(string email, string password, bool remember);
}
