namespace PerfCI.Server.Accounts;

/// <summary>
/// 401 and 403 for the HTTP API as problem details: a script must never be redirected to the
/// dashboard's login page.
/// </summary>
internal static class ApiProblems
{
    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    public static Task UnauthorizedAsync(HttpContext context, string? detail = null)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"perfci\"";
        return WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized",
            detail ?? "Sign in, or send an API token: Authorization: Bearer perfci_api_...");
    }

    public static Task ForbiddenAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", "Your role does not allow this action.");

    private static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
