using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace PerfCI.Ui;

public static class PerfCiUiExtensions
{
    /// <summary>Razor components with interactive server rendering and MudBlazor's services.</summary>
    public static IServiceCollection AddPerfCiUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddMudServices();
        // Pages read the user from the cascading authentication state to show only what they may do;
        // the action services check the role again on the server.
        services.AddCascadingAuthenticationState();
        return services;
    }

    /// <summary>Serves the dashboard at the site root; the host maps its APIs beside it.</summary>
    public static WebApplication MapPerfCiUi(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
