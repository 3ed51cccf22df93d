using System.Text;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.GitHub;

/// <summary>What the webhook endpoint did with a delivery: queued it, or recognised it as one already received.</summary>
public sealed record WebhookReceipt(string Delivery, string Event, string? Action, string Outcome);

/// <summary>
/// GitHub's deliveries. The signature is checked before anything of the body is read; a delivery is
/// stored under its id (a redelivery is a no-op) and handed to Hangfire, so that the answer comes within
/// GitHub's 10 s however long the work takes or the queue is.
/// </summary>
public static class GitHubWebhookApi
{
    /// <summary>GitHub caps payloads at 25 MB; anything larger is not from GitHub.</summary>
    public const int MaxPayloadBytes = 25 * 1024 * 1024;

    public static IEndpointRouteBuilder MapGitHubWebhookApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/github").WithTags("GitHub");
        api.MapPost("/webhook", ReceiveAsync).WithName("GitHubWebhook").DisableAntiforgery();
        return app;
    }

    public static async Task<Results<Accepted<WebhookReceipt>, Ok<WebhookReceipt>, NoContent, ValidationProblem, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, PerfCiDbContext db, IBackgroundJobClient jobs, IOptions<GitHubOptions> options, TimeProvider time,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(GitHubWebhookApi));
        if (request.ContentLength > MaxPayloadBytes)
            return TypedResults.Problem($"A delivery is at most {MaxPayloadBytes / 1024 / 1024} MB.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");
        var body = await ReadBodyAsync(request, cancellationToken);
        if (body is null)
            return TypedResults.Problem($"A delivery is at most {MaxPayloadBytes / 1024 / 1024} MB.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");
        var secret = options.Value.WebhookSecret;
        if (string.IsNullOrEmpty(secret))
        {
            logger.LogWarning("A GitHub delivery was refused: GitHub:WebhookSecret is not configured, so no signature can be checked");
            return TypedResults.Problem("This server has no webhook secret configured (GitHub:WebhookSecret); it accepts no deliveries.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Signature not verifiable");
        }
        if (!WebhookSignature.IsValid(secret, body, request.Headers[WebhookSignature.Header]))
        {
            logger.LogWarning("A GitHub delivery with a missing or wrong {Header} was refused", WebhookSignature.Header);
            return TypedResults.Problem($"{WebhookSignature.Header} is missing or is not the HMAC-SHA256 of the body under the webhook secret.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Bad signature");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var deliveryId = request.Headers["X-GitHub-Delivery"].ToString();
        var eventName = request.Headers["X-GitHub-Event"].ToString();
        if (deliveryId.Length is 0 or > 100)
            errors["X-GitHub-Delivery"] = ["Required: the delivery's id (at most 100 characters)."];
        if (eventName.Length is 0 or > 100)
            errors["X-GitHub-Event"] = ["Required: the event's name."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        WebhookParse parse;
        try
        {
            using var document = JsonDocument.Parse(body);
            parse = WebhookEvents.Parse(eventName, document.RootElement);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"Malformed JSON: {e.Message}"] });
        }
        if (parse.Errors.Count > 0)
            return TypedResults.ValidationProblem(parse.Errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
        if (parse.Ignored)
            return TypedResults.NoContent();
        var webhookEvent = parse.Event!;

        var delivery = new WebhookDelivery
        {
            DeliveryId = deliveryId, Event = eventName, Action = webhookEvent.Action, RepositoryFullName = webhookEvent.Repository,
            Payload = Encoding.UTF8.GetString(body), ReceivedAt = time.GetUtcNow(),
        };
        if (webhookEvent is PingEvent)
            delivery.ProcessedAt = delivery.ReceivedAt;
        db.WebhookDeliveries.Add(delivery);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            logger.LogInformation("GitHub delivery {Delivery} ({Event}) was already received; the redelivery changes nothing", deliveryId, eventName);
            return TypedResults.Ok(new WebhookReceipt(deliveryId, eventName, webhookEvent.Action, "duplicate"));
        }
        if (webhookEvent is PingEvent)
            return TypedResults.Ok(new WebhookReceipt(deliveryId, eventName, null, "pong"));
        try
        {
            jobs.Enqueue<WebhookDeliveryJob>(job => job.RunAsync(deliveryId, CancellationToken.None));
        }
        catch
        {
            // Stored but not queued would make GitHub's redelivery a no-op and lose the event: forget it,
            // so that a redelivery is processed.
            db.WebhookDeliveries.Remove(delivery);
            await db.SaveChangesAsync(CancellationToken.None);
            throw;
        }
        return TypedResults.Accepted((string?)null, new WebhookReceipt(deliveryId, eventName, webhookEvent.Action, "queued"));
    }

    /// <summary>The raw body, exactly as signed; null when it is larger than GitHub sends.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxPayloadBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
