using System.Security.Cryptography;
using System.Text;

namespace PerfCI.Server.Runners;

/// <summary>
/// Registration tokens and runner credentials: 32 random bytes, base64url, with a prefix that says
/// what they are (so a leaked one is recognisable). Only their SHA-256 is stored.
/// </summary>
public static class RunnerSecrets
{
    public const string RegistrationPrefix = "perfci_reg_";
    public const string CredentialPrefix = "perfci_run_";

    public static string NewRegistrationToken() => RegistrationPrefix + Random();

    public static string NewCredential() => CredentialPrefix + Random();

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string Random() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
