using System.Globalization;
using System.Text;

namespace PerfCI.Core.Importers;

/// <summary>
/// A CSV file (RFC 4180: comma-separated, fields optionally in double quotes, a quote inside a quoted
/// field written twice, line breaks allowed inside quotes) with a header row. Rows remember the
/// line they start on so that errors can name it.
/// </summary>
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(string fileName, List<string> header, List<CsvRow> rows)
    {
        FileName = fileName;
        Header = header;
        Rows = rows;
        _columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
            _columns.TryAdd(header[i].Trim(), i);
        foreach (var row in rows)
            row.Table = this;
    }

    public string FileName { get; }
    public IReadOnlyList<string> Header { get; }
    public IReadOnlyList<CsvRow> Rows { get; }

    public bool HasColumn(string name) => _columns.ContainsKey(name);

    /// <summary>Fails naming the header line when a column the importer needs is not there.</summary>
    public void RequireColumns(params string[] names)
    {
        foreach (var name in names)
        {
            if (!_columns.ContainsKey(name))
                throw new ImportException(FileName, 1, name, "required column is missing from the header");
        }
    }

    internal int? IndexOf(string name) => _columns.TryGetValue(name, out var index) ? index : null;

    public static CsvTable Parse(string fileName, string content)
    {
        if (string.IsNullOrWhiteSpace(content))
            throw new ImportException(fileName, null, null, "the file is empty");
        var records = ReadRecords(fileName, content);
        var header = records[0].Fields;
        var rows = new List<CsvRow>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count != header.Count)
                throw new ImportException(fileName, line, null, $"expected {header.Count} fields as in the header, found {fields.Count}");
            rows.Add(new CsvRow(line, fields));
        }
        return new CsvTable(fileName, header, rows);
    }

    /// <summary>Every record with the line it starts on; blank lines are skipped.</summary>
    internal static List<(int Line, List<string> Fields)> ReadRecords(string fileName, string content)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var quoted = false;      // inside a quoted field
        var wasQuoted = false;   // the current field was quoted (text after its closing quote is an error)
        var quoteLine = 0;
        var i = 0;

        void EndField()
        {
            fields.Add(field.ToString());
            field.Clear();
            wasQuoted = false;
        }

        void EndRecord()
        {
            EndField();
            if (fields.Count > 1 || fields[0].Length > 0)
                records.Add((recordLine, fields));
            fields = [];
        }

        while (i < content.Length)
        {
            var c = content[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < content.Length && content[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }
                    quoted = false;
                    wasQuoted = true;
                }
                else
                {
                    if (c == '\n')
                        line++;
                    field.Append(c);
                }
                i++;
                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0 && !wasQuoted:
                    quoted = true;
                    quoteLine = line;
                    break;
                case '"':
                    throw new ImportException(fileName, line, null, $"a quote inside an unquoted field (field {fields.Count + 1}); quote the whole field and double the quote");
                case ',':
                    EndField();
                    break;
                case '\r' when i + 1 < content.Length && content[i + 1] == '\n':
                    break;
                case '\r' or '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    if (wasQuoted)
                        throw new ImportException(fileName, line, null, $"text after the closing quote of field {fields.Count + 1}");
                    field.Append(c);
                    break;
            }
            i++;
        }
        if (quoted)
            throw new ImportException(fileName, quoteLine, null, "a quoted field is not closed before the end of the file");
        EndRecord();
        return records;
    }
}

internal sealed class CsvRow(int line, List<string> fields)
{
    public int Line { get; } = line;
    public IReadOnlyList<string> Fields { get; } = fields;
    internal CsvTable Table { get; set; } = null!;

    public string? Get(string column) => Table.IndexOf(column) is { } index ? Fields[index] : null;

    public string Required(string column) =>
        Get(column) ?? throw new ImportException(Table.FileName, 1, column, "required column is missing from the header");

    public double Number(string column)
    {
        var text = Required(column).Trim();
        if (JsonField.ParseSpecial(text) is { } special)
            return special;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ImportException(Table.FileName, Line, column, $"expected a number, was {JsonField.Quote(text)}");
    }

    public int Int(string column)
    {
        var value = Number(column);
        return value is >= int.MinValue and <= int.MaxValue && Math.Floor(value) == value
            ? (int)value
            : throw new ImportException(Table.FileName, Line, column, $"expected a whole number, was {JsonField.Quote(Required(column))}");
    }
}
