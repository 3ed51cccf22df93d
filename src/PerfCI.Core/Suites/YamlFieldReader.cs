using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PerfCI.Core.Suites;

/// <summary>A YAML mapping whose keys were checked against the known ones, with the path it sits at.</summary>
internal sealed class YamlMap(YamlMappingNode node, string path, Dictionary<string, KeyValuePair<YamlScalarNode, YamlNode>> fields)
{
    public YamlMappingNode Node { get; } = node;
    public string Path { get; } = path;
    public IEnumerable<KeyValuePair<YamlScalarNode, YamlNode>> Fields => fields.Values;

    public bool Has(string key) => fields.ContainsKey(key);

    public YamlScalarNode? KeyNode(string key) => fields.TryGetValue(key, out var field) ? field.Key : null;

    public YamlNode? Value(string key) => fields.TryGetValue(key, out var field) ? field.Value : null;

    public string PathOf(string key) => YamlFieldReader.Join(Path, key);
}

/// <summary>
/// Reads typed fields out of YAML nodes, collecting an error with its line, column and field path for
/// every problem instead of stopping at the first. A read that fails returns null.
/// </summary>
internal sealed class YamlFieldReader(string file)
{
    private readonly List<SuiteDefinitionError> _errors = [];

    public IReadOnlyList<SuiteDefinitionError> Errors => _errors;

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public void Error(Mark mark, string path, string message) =>
        _errors.Add(new SuiteDefinitionError(file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column), path, message));

    public void Error(YamlNode node, string path, string message) => Error(node.Start, path, message);

    /// <summary>The error for a field's value, or for its key when the value is empty.</summary>
    public void ValueError(YamlMap map, string key, string message) =>
        Error(IsNull(map.Value(key)!) ? map.KeyNode(key)! : map.Value(key)!, map.PathOf(key), message);

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>A mapping with only <paramref name="known"/> keys; an unknown key is an error with a suggestion.</summary>
    public YamlMap? Map(YamlNode node, string path, IReadOnlyList<string> known, string expected, string? knownDescription = null)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected {expected}{Got(node)}");
            return null;
        }
        var fields = new Dictionary<string, KeyValuePair<YamlScalarNode, YamlNode>>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name } scalar)
            {
                Error(key, path, "expected a plain key");
                continue;
            }
            if (!known.Contains(name))
            {
                Error(key, Join(path, name), UnknownKey(name, known, knownDescription));
                continue;
            }
            fields[name] = new(scalar, value);
        }
        return new YamlMap(mapping, path, fields);
    }

    public static string UnknownKey(string name, IReadOnlyCollection<string> known, string? knownDescription = null) =>
        Suggest(name, known) is { } suggestion
            ? $"unknown key '{name}'; did you mean '{suggestion}'?"
            : $"unknown key '{name}'; expected {knownDescription ?? $"one of {string.Join(", ", known)}"}";

    /// <summary>True when the field is absent or empty; reports it when it is required.</summary>
    private bool Missing(YamlMap map, string key, string? required)
    {
        var value = map.Value(key);
        if (value is not null && !IsNull(value))
            return false;
        if (required is not null)
        {
            if (value is null)
                Error(map.Node, map.PathOf(key), $"required: {required}");
            else
                Error(map.KeyNode(key)!, map.PathOf(key), $"required: {required}");
        }
        return true;
    }

    public string? String(YamlMap map, string key, string? required = null)
    {
        if (Missing(map, key, required))
            return null;
        if (map.Value(key) is YamlScalarNode { Value: { } text })
        {
            if (required is not null && text.Trim().Length == 0)
            {
                ValueError(map, key, $"required: {required}");
                return null;
            }
            return text;
        }
        ValueError(map, key, $"expected a string{Got(map.Value(key)!)}");
        return null;
    }

    /// <summary>A scalar value's text, or an error saying what was expected.</summary>
    private string? Scalar(YamlMap map, string key, string expected, string? required)
    {
        if (Missing(map, key, required))
            return null;
        if (map.Value(key) is YamlScalarNode { Value: { } text, Style: ScalarStyle.Plain or ScalarStyle.Any })
            return text;
        ValueError(map, key, $"expected {expected}{Got(map.Value(key)!)}");
        return null;
    }

    public int? Int(YamlMap map, string key, int min, string expected, string? required = null)
    {
        var text = Scalar(map, key, expected, required);
        if (text is null)
            return null;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min)
            return value;
        ValueError(map, key, $"expected {expected}, got '{text}'");
        return null;
    }

    public double? Number(YamlMap map, string key, Func<double, bool> valid, string expected)
    {
        var text = Scalar(map, key, expected, null);
        if (text is null)
            return null;
        if (TryNumber(text, out var value) && valid(value))
            return value;
        ValueError(map, key, $"expected {expected}, got '{text}'");
        return null;
    }

    public bool? Bool(YamlMap map, string key)
    {
        var text = Scalar(map, key, "true or false", null);
        switch (text)
        {
            case null:
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            default:
                ValueError(map, key, $"expected true or false, got '{text}'");
                return null;
        }
    }

    public TimeSpan? Duration(YamlMap map, string key)
    {
        const string expected = "a duration such as 90s, 10m, 1h30m or plain seconds";
        var text = Scalar(map, key, expected, null);
        if (text is null)
            return null;
        if (SuiteValues.TryParseDuration(text, out var duration))
            return duration;
        ValueError(map, key, $"expected {expected}, got '{text}'");
        return null;
    }

    public const string PercentageExpected = "a percentage such as 3% or a fraction such as 0.03";

    public double? Percentage(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } text, Style: ScalarStyle.Plain or ScalarStyle.Any } && !IsNull(node))
        {
            if (SuiteValues.TryParsePercentage(text, out var fraction) && fraction >= 0)
                return fraction;
            var hint = TryNumber(text, out var plain) && plain >= 1 ? $" ({text} would be {plain * 100:0.##}%; write {text}% if that is meant)" : "";
            Error(node, path, $"expected {PercentageExpected}, got '{text}'{hint}");
            return null;
        }
        Error(node, path, $"expected {PercentageExpected}{Got(node)}");
        return null;
    }

    /// <summary>A list of scalars; a single scalar reads as a list of one when <paramref name="allowSingle"/>.</summary>
    public IReadOnlyList<T>? List<T>(YamlMap map, string key, string expected, Func<string, T?> parse, bool allowSingle)
        where T : struct
    {
        if (Missing(map, key, null))
            return null;
        var node = map.Value(key)!;
        var path = map.PathOf(key);
        if (allowSingle && node is YamlScalarNode { Value: { } single, Style: ScalarStyle.Plain or ScalarStyle.Any } && parse(single) is { } one)
            return [one];
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, path, $"expected {expected}{Got(node)}");
            return null;
        }
        if (sequence.Children.Count == 0)
        {
            Error(node, path, $"expected {expected}, got an empty list");
            return null;
        }
        var values = new List<T>();
        var ok = true;
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            var parsed = item is YamlScalarNode { Value: { } text, Style: ScalarStyle.Plain or ScalarStyle.Any } ? parse(text) : null;
            if (parsed is not { } value)
            {
                Error(item, $"{path}[{i}]", $"expected {expected}, got {Describe(item)}");
                ok = false;
            }
            else if (values.Contains(value))
            {
                Error(item, $"{path}[{i}]", $"{Describe(item)} is listed twice");
                ok = false;
            }
            else
            {
                values.Add(value);
            }
        }
        return ok ? values : null;
    }

    public IReadOnlyList<string>? StringList(YamlMap map, string key, string expected)
    {
        if (Missing(map, key, null))
            return null;
        var node = map.Value(key)!;
        var path = map.PathOf(key);
        if (node is YamlScalarNode { Value: { } single })
            return [single];
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, path, $"expected {expected}{Got(node)}");
            return null;
        }
        var values = new List<string>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlScalarNode { Value: { Length: > 0 } text } && !IsNull(sequence.Children[i]))
                values.Add(text);
            else
                Error(sequence.Children[i], $"{path}[{i}]", $"expected {expected}, got {Describe(sequence.Children[i])}");
        }
        return values;
    }

    public static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value);

    /// <summary>", got a list" and the like, for an expectation that a node did not meet.</summary>
    public static string Got(YamlNode node) => $", got {Describe(node)}";

    public static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ when IsNull(node) => "nothing",
        YamlScalarNode { Value: var text, Style: ScalarStyle.Plain or ScalarStyle.Any } => $"'{text}'",
        YamlScalarNode { Value: var text } => $"the string '{text}'",
        _ => "something else",
    };

    /// <summary>The known name closest to <paramref name="name"/>, if one is close enough to be a slip.</summary>
    public static string? Suggest(string name, IEnumerable<string> known)
    {
        static string Normal(string s) => s.ToLowerInvariant().Replace('_', '-');
        var normal = Normal(name);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var other = Normal(candidate);
            var distance = Distance(normal, other);
            if (normal.Length >= 3 && (other.StartsWith(normal, StringComparison.Ordinal) || normal.StartsWith(other, StringComparison.Ordinal)))
                distance = Math.Min(distance, 1);
            if (distance < bestDistance)
                (best, bestDistance) = (candidate, distance);
        }
        return best is not null && bestDistance <= Math.Max(2, normal.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
