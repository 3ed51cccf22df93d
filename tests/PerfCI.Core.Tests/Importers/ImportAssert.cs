using PerfCI.Core.Importers;
using PerfCI.Core.Results;

namespace PerfCI.Core.Tests.Importers;

/// <summary>Fixture files and the checks every imported document must pass.</summary>
internal static class ImportAssert
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Importers", "Fixtures", name);

    /// <summary>Imports a fixture with the detected importer and asserts the document is valid.</summary>
    public static ResultDocument ImportFixture(string name, string? format = null) => Valid(ImportFile(Fixture(name), format));

    /// <summary>The importers take content; reading the file is the caller's (Bench's ResultFiles in the CLI).</summary>
    public static ResultDocument ImportFile(string path, string? format = null) =>
        ResultImporters.Import(Path.GetFileName(path), File.ReadAllText(path), format);

    /// <summary>Passes <see cref="ResultDocumentJson.Validate"/> with no error, and survives a JSON round trip.</summary>
    public static ResultDocument Valid(ResultDocument document)
    {
        var errors = ResultDocumentJson.Validate(document);
        Assert.True(errors.Count == 0, "invalid document: " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")));
        var parsed = ResultDocumentJson.Parse(ResultDocumentJson.Serialize(document), "round trip");
        Assert.Equal(document.Scenarios.Select(s => s.Key), parsed.Scenarios.Select(s => s.Key));
        return document;
    }

    public static ScenarioResult Scenario(ResultDocument document, string key)
    {
        var scenario = document.Scenarios.SingleOrDefault(s => s.Key == key);
        Assert.True(scenario is not null, $"no scenario '{key}' among {string.Join(", ", document.Scenarios.Select(s => s.Key))}");
        return scenario;
    }

    public static IReadOnlyList<double> Samples(ScenarioResult scenario, string metric)
    {
        var found = scenario.Metrics.SingleOrDefault(m => m.Name == metric);
        Assert.True(found is not null, $"no metric '{metric}' in {scenario.Key}: {string.Join(", ", scenario.Metrics.Select(m => m.Name))}");
        return found.Samples;
    }

    /// <summary>The one sample of a metric, compared with a tolerance relative to its size.</summary>
    public static void Single(double expected, ScenarioResult scenario, string metric)
    {
        var samples = Samples(scenario, metric);
        Assert.Single(samples);
        Assert.Equal(expected, samples[0], Math.Abs(expected) * 1e-9 + 1e-12);
    }

    public static ImportException Fails(IResultImporter importer, string fileName, string content) =>
        Assert.Throws<ImportException>(() => importer.Import(fileName, content));
}
