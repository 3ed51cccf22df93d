using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace PerfCI.Data.Configurations;

/// <summary>Stores a value object as jsonb, compared by its serialised form for change tracking.</summary>
internal static class JsonbConversion
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static PropertyBuilder<T> HasJsonbConversion<T>(this PropertyBuilder<T> property) where T : class, new()
    {
        var comparer = new ValueComparer<T>(
            (a, b) => Serialize(a) == Serialize(b),
            v => Serialize(v).GetHashCode(StringComparison.Ordinal),
            v => Deserialize<T>(Serialize(v)));
        return property
            .HasConversion(v => Serialize(v), v => Deserialize<T>(v), comparer)
            .HasColumnType("jsonb");
    }

    private static string Serialize<T>(T? value) => JsonSerializer.Serialize(value, Options);

    private static T Deserialize<T>(string json) where T : class, new() =>
        JsonSerializer.Deserialize<T>(json, Options) ?? new T();
}
