namespace PerfCI.Server.Hosting;

public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Configuration or environment problem (database unreachable, bad settings): fix, then start again.</summary>
    public const int ConfigurationError = 2;
    /// <summary>The input (a file, an argument) is wrong; the message names the field.</summary>
    public const int BadInput = 3;
}
