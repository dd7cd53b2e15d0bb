using System.Text;
using System.Text.Json;
using CsCheck;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Tests;

// The CLI's hand-written codec and the daemon's generated one must agree on every value.
public class RunWireTests
{
    private static readonly Gen<string> Text = Gen.String[Gen.Char, 0, 40];

    [Fact]
    public void A_run_request_encoded_by_hand_is_what_the_daemon_reads() =>
        Gen.Select(Text.Array[1, 5], Gen.Dictionary(Gen.String[Gen.Char.AlphaNumeric, 1, 12], Text)[0, 8], Text, Gen.Int[1, 20].Nullable(),
                Gen.Bool, Gen.UShort, Gen.Int.Nullable())
            .Sample((argv, env, cwd, node, flag, size, group) =>
            {
                var run = new RunRequest(argv, env, cwd, node, flag, !flag, size, (ushort)(size / 2), flag, group, (byte)(size % 8));
                var encoded = RunWire.Encode(run);
                var read = JsonSerializer.Deserialize(encoded, VprocJson.Default.RunRequest)!;
                return read.Argv.SequenceEqual(argv) && read.Environment.Count == env.Count && read.Environment.All(e => env[e.Key] == e.Value)
                    && read.WorkingDirectory == cwd && read.Node == node && read.Group == group && read.Rows == size && read.Tty == !flag
                    && read.Any == flag && read.Detach == flag && read.Cols == (ushort)(size / 2) && read.Stdio == size % 8;
            });

    [Fact]
    public void Exit_and_started_frames_written_by_the_daemon_are_read_by_hand() =>
        Gen.Select(Gen.Int, Gen.Int[0, 64], Text.Null(), Gen.Int[1, 100]).Sample((code, signal, reason, node) =>
        {
            var exit = RunWire.ReadExit(JsonSerializer.SerializeToUtf8Bytes(new ExitInfo(code, signal, reason), VprocJson.Default.ExitInfo));
            var started = RunWire.ReadStarted(JsonSerializer.SerializeToUtf8Bytes(new StartedInfo(code, node), VprocJson.Default.StartedInfo));
            return exit == new ExitInfo(code, signal, reason) && started == new StartedInfo(code, node);
        });

    [Theory]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("{\"code\":")]
    [InlineData("{\"code\":\"x\"}")]
    public void A_malformed_frame_is_a_json_error(string payload) =>
        Assert.ThrowsAny<JsonException>(() => RunWire.ReadExit(Encoding.UTF8.GetBytes(payload)));

    [Fact]
    public void Unknown_properties_are_skipped() =>
        Assert.Equal(new ExitInfo(3, 0, null), RunWire.ReadExit("{\"later\":{\"a\":[1]},\"code\":3}"u8));
}
