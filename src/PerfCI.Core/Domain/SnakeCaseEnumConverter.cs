using System.Text.Json;
using System.Text.Json.Serialization;

namespace PerfCI.Core.Domain;

/// <summary>
/// The domain's states travel as words (<c>"wont_fix"</c>, <c>"pull_request"</c>), the way the result
/// document already writes them, on every API and for every client that reads them with the shared
/// types. Numbers written by older versions are still read.
/// </summary>
public sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower)
    where TEnum : struct, Enum;
