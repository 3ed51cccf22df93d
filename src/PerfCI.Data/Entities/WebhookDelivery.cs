namespace PerfCI.Data.Entities;

/// <summary>A GitHub webhook delivery, stored by its X-GitHub-Delivery id so a redelivery is a no-op.</summary>
public sealed class WebhookDelivery
{
    public required string DeliveryId { get; set; }
    public required string Event { get; set; }
    public string? Action { get; set; }
    public string? RepositoryFullName { get; set; }
    /// <summary>The raw JSON body, kept so that the delivery is processed by a background job, not in GitHub's 10 s.</summary>
    public string Payload { get; set; } = "{}";
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }
    public string? Error { get; set; }
}
