using System.Security.Cryptography;
using System.Text;

namespace PerfCI.Server.GitHub;

/// <summary>GitHub's X-Hub-Signature-256: <c>sha256=</c> and the hex HMAC-SHA256 of the raw body, keyed by the webhook secret.</summary>
public static class WebhookSignature
{
    public const string Header = "X-Hub-Signature-256";
    private const string Prefix = "sha256=";

    /// <summary>
    /// True only when the header is the body's HMAC under <paramref name="secret"/>. The comparison takes
    /// the same time whatever bytes differ, so that a forger learns nothing from how fast it fails.
    /// </summary>
    public static bool IsValid(string? secret, ReadOnlySpan<byte> body, string? header)
    {
        if (string.IsNullOrEmpty(secret) || header is null || !header.StartsWith(Prefix, StringComparison.Ordinal) || header.Length != Prefix.Length + 64)
            return false;
        Span<byte> given = stackalloc byte[32];
        if (Convert.FromHexString(header.AsSpan(Prefix.Length), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            return false;
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
