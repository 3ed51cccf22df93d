using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace PerfCI.Ui.Tests;

internal static class MudTestServices
{
    /// <summary>MudBlazor's services for a bUnit context; its JS calls are answered loosely.</summary>
    public static void AddMudServicesForTests(this Bunit.BunitServiceProvider services)
    {
        services.AddMudServices();
    }
}
