using System.Buffers;
using System.Text.Json;

namespace Ssi.Vproc.Wire;

/// <summary>
/// The messages of every <c>ssi run</c> as the CLI writes and reads them: the same JSON as
/// <see cref="VprocJson"/>, written and read by hand. The CLI is a new process per command, and
/// building System.Text.Json's type metadata for these records cost about 0.5 ms of its start.
/// </summary>
public static class RunWire
{
    /// <summary>Encodes <paramref name="run"/> as <see cref="VprocJson"/> would.</summary>
    public static byte[] Encode(RunRequest run)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("argv");
            foreach (var arg in run.Argv)
                json.WriteStringValue(arg);
            json.WriteEndArray();
            json.WriteStartObject("environment");
            foreach (var (key, value) in run.Environment)
                json.WriteString(key, value);
            json.WriteEndObject();
            json.WriteString("workingDirectory", run.WorkingDirectory);
            WriteNullable(json, "node", run.Node);
            json.WriteBoolean("any", run.Any);
            json.WriteBoolean("tty", run.Tty);
            json.WriteNumber("rows", run.Rows);
            json.WriteNumber("cols", run.Cols);
            json.WriteBoolean("detach", run.Detach);
            WriteNullable(json, "group", run.Group);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

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

    private static void WriteNullable(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } v)
            json.WriteNumber(name, v);
        else
            json.WriteNull(name);
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
