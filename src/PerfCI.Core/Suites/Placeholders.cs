namespace PerfCI.Core.Suites;

/// <summary>What the runner fills into a suite's strings.</summary>
/// <param name="Port">The engine's port (fixed by <c>engine.port</c> or a free one).</param>
/// <param name="Model">The suite's model; null when it has none.</param>
/// <param name="Checkout">Absolute path of the repository checkout.</param>
public sealed record PlaceholderValues(int Port, string? Model, string Checkout);

/// <summary>The placeholders a suite's strings may hold, and their substitution.</summary>
public static class Placeholders
{
    public const string Port = "{port}";
    public const string Model = "{model}";
    public const string Checkout = "{checkout}";

    public static IReadOnlyList<string> All { get; } = [Port, Model, Checkout];

    /// <summary>
    /// Replaces <c>{port}</c>, <c>{model}</c> and <c>{checkout}</c>; any other brace (a shell's <c>${HOME}</c>,
    /// JSON in an argument) is left alone.
    /// </summary>
    /// <exception cref="ArgumentException">The template uses <c>{model}</c> and <paramref name="values"/> has none.</exception>
    public static string Substitute(string template, PlaceholderValues values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        if (template.Contains(Model, StringComparison.Ordinal) && values.Model is null)
            throw new ArgumentException($"'{template}' uses {Model} but no model was given.", nameof(values));
        return template
            .Replace(Checkout, values.Checkout, StringComparison.Ordinal)
            .Replace(Port, values.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace(Model, values.Model ?? Model, StringComparison.Ordinal);
    }

    public static bool Uses(string? template, string placeholder) =>
        template is not null && template.Contains(placeholder, StringComparison.Ordinal);
}
