using System.Globalization;
using System.Text.RegularExpressions;

namespace PerfCI.Core.Suites;

/// <summary>The scalar forms a suite file accepts for durations and percentages.</summary>
public static partial class SuiteValues
{
    /// <summary>
    /// <c>90s</c>, <c>10m</c>, <c>1h</c>, <c>1h30m</c>, <c>1.5h</c>, <c>500ms</c>, or plain seconds (<c>600</c>,
    /// <c>2.5</c>). Units in the order h, m, s, ms, each at most once. Must be positive.
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
            return Positive(seconds * 1000, out duration);
        var match = DurationPattern().Match(text);
        if (!match.Success)
            return false;
        double milliseconds = 0;
        foreach (var (group, scale) in new[] { ("h", 3_600_000.0), ("m", 60_000.0), ("s", 1000.0), ("ms", 1.0) })
        {
            if (match.Groups[group].Success)
                milliseconds += double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) * scale;
        }
        return Positive(milliseconds, out duration);
    }

    private static bool Positive(double milliseconds, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (!(milliseconds > 0) || milliseconds > TimeSpan.MaxValue.TotalMilliseconds / 2)
            return false;
        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>
    /// <c>3%</c> or <c>0.03</c>, both 0.03. A plain number must be below 1 (write <c>150%</c> for 1.5) so that
    /// <c>3</c> is not silently 300%. Must not be negative.
    /// </summary>
    public static bool TryParsePercentage(string? text, out double fraction)
    {
        fraction = 0;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        const NumberStyles style = NumberStyles.AllowDecimalPoint;
        if (text.EndsWith('%'))
        {
            if (!double.TryParse(text[..^1].TrimEnd(), style, CultureInfo.InvariantCulture, out var percent) || double.IsInfinity(percent))
                return false;
            fraction = percent / 100;
            return true;
        }
        if (!double.TryParse(text, style, CultureInfo.InvariantCulture, out var plain) || !(plain < 1))
            return false;
        fraction = plain;
        return true;
    }

    [GeneratedRegex(@"^(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m(?!s))?(?:(?<s>\d+(?:\.\d+)?)s)?(?:(?<ms>\d+(?:\.\d+)?)ms)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
