namespace PerfCI.Server.Hosting;

public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Configuration or environment problem (database unreachable, bad settings): fix, then start again.</summary>
    public const int ConfigurationError = 2;
}
