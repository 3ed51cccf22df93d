namespace PerfCI.Server.Accounts;

/// <summary>The authentication schemes of people (the runners' scheme is separate: RunnerAuthenticationHandler).</summary>
public static class AccessSchemes
{
    /// <summary>Picks, per request, the API token scheme when a <c>perfci_api_</c> bearer token is sent, else the dashboard's cookie.</summary>
    public const string CookieOrToken = "PerfCI";

    public const string ApiToken = "ApiToken";
}
