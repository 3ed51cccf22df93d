using System.Net.Http.Json;
using System.Text.Json;

namespace PerfCI.Bench.Client;

public static class ModelDiscovery
{
    /// <summary>The first model of <c>/v1/models</c>, or null when the server has no such list.</summary>
    public static async Task<string?> FirstModelAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
            using var models = await http.GetFromJsonAsync<JsonDocument>("v1/models", cancellationToken);
            return models?.RootElement.GetProperty("data")[0].GetProperty("id").GetString();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }
}
