using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ssi.Vproc.Wire;

/// <summary>
/// The messages of every <c>ssi run</c> as the CLI writes and reads them: the same JSON as
/// <see cref="VprocJson"/>, written and read by hand. The CLI is a new process per command, and
/// building System.Text.Json's type metadata for these records cost about 0.5 ms of its start.
/// </summary>
public static class RunWire
{
    /// <summary>
    /// Encodes <paramref name="run"/> as JSON that <see cref="VprocJson"/> reads. Written by hand:
    /// Utf8JsonWriter's escaping tables alone took about 1 ms to set up in every ssi run.
    /// </summary>
    public static byte[] Encode(RunRequest run)
    {
        var json = new StringBuilder(4096);
        json.Append("{\"argv\":[");
        for (var i = 0; i < run.Argv.Count; i++)
            String(json.Append(i == 0 ? "" : ","), run.Argv[i]);
        json.Append("],\"environment\":{");
        var first = true;
        foreach (var (key, value) in run.Environment)
        {
            String(json.Append(first ? "" : ","), key).Append(':');
            String(json, value);
            first = false;
        }
        String(json.Append("},\"workingDirectory\":"), run.WorkingDirectory);
        json.Append(",\"node\":").Append(Nullable(run.Node))
            .Append(",\"any\":").Append(Bool(run.Any))
            .Append(",\"tty\":").Append(Bool(run.Tty))
            .Append(",\"rows\":").Append(run.Rows.ToString(CultureInfo.InvariantCulture))
            .Append(",\"cols\":").Append(run.Cols.ToString(CultureInfo.InvariantCulture))
            .Append(",\"detach\":").Append(Bool(run.Detach))
            .Append(",\"group\":").Append(Nullable(run.Group))
            .Append(",\"stdio\":").Append(run.Stdio.ToString(CultureInfo.InvariantCulture)).Append('}');
        // Only ASCII was written: every other character is escaped.
        return Encoding.ASCII.GetBytes(json.ToString());
    }

    // A JSON string in ASCII: quote, backslash, controls and every non-ASCII UTF-16 unit escaped
    // (a lone surrogate too, so any .NET string round-trips).
    private static StringBuilder String(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (var c in text)
        {
            if (c == '"' || c == '\\')
                json.Append('\\').Append(c);
            else if (c < 0x20 || c > 0x7e)
                json.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else
                json.Append(c);
        }
        return json.Append('"');
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Nullable(int? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "null";

    /// <summary>Reads a Started frame's payload.</summary>
    public static StartedInfo ReadStarted(ReadOnlySpan<byte> payload)
    {
        int cpid = 0, node = 0;
        var json = Open(payload, "started");
        while (NextProperty(ref json, "started") is { } name)
        {
            switch (name)
            {
                case "cpid":
                    cpid = Int(ref json);
                    break;
                case "node":
                    node = Int(ref json);
                    break;
                default:
                    json.Skip();
                    break;
            }
        }
        return new StartedInfo(cpid, node);
    }

    /// <summary>Reads an Exit frame's payload.</summary>
    public static ExitInfo ReadExit(ReadOnlySpan<byte> payload)
    {
        int code = 0, signal = 0;
        string? reason = null;
        var json = Open(payload, "exit");
        while (NextProperty(ref json, "exit") is { } name)
        {
            switch (name)
            {
                case "code":
                    code = Int(ref json);
                    break;
                case "signal":
                    signal = Int(ref json);
                    break;
                case "reason":
                    reason = json.TokenType switch
                    {
                        JsonTokenType.Null => null,
                        JsonTokenType.String => json.GetString(),
                        _ => throw new JsonException("the exit frame's reason is not a string"),
                    };
                    break;
                default:
                    json.Skip();
                    break;
            }
        }
        return new ExitInfo(code, signal, reason);
    }

    private static int Int(ref Utf8JsonReader json) =>
        json.TokenType == JsonTokenType.Number && json.TryGetInt32(out var value) ? value : throw new JsonException("a frame's number is not a 32-bit integer");

    private static Utf8JsonReader Open(ReadOnlySpan<byte> payload, string what)
    {
        var json = new Utf8JsonReader(payload);
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"the {what} frame is not a JSON object");
        return json;
    }

    // Positions the reader on the next property's value and returns its name; null at the end.
    private static string? NextProperty(ref Utf8JsonReader json, string what)
    {
        if (!json.Read() || json.TokenType == JsonTokenType.EndObject)
            return null;
        if (json.TokenType != JsonTokenType.PropertyName)
            throw new JsonException($"the {what} frame is malformed");
        var name = json.GetString();
        if (!json.Read())
            throw new JsonException($"the {what} frame is truncated");
        return name;
    }
}
