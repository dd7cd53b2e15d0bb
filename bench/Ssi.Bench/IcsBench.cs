using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ssi.Box;
using Ssi.Client;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Bench;

/// <summary>
/// ICS against raw TCP on the same path: node 1 → veth → bridge → veth → node 2 of a box.
/// The client runs inside node 1's namespaces; node 2 runs ssid (the ICS side) and a plain
/// TCP server (the reference).
/// </summary>
internal static class IcsBench
{
    private const int RawPort = 7300;
    private const int PingRounds = 20_000;
    private const int Warmup = 2_000;
    private const long StreamBytes = 1L << 30;
    private const int StreamTrials = 3;
    private const int Chunk = 256 * 1024;

    public static async Task RunAsync(Report report)
    {
        Environment.SetEnvironmentVariable("SSI_SSID", Environment.GetEnvironmentVariable("SSI_SSID") ?? Path.Combine(AppContext.BaseDirectory, "ssid"));
        await using var cluster = await BoxCluster.UpAsync(ClusterBox.NewUniqueName("b"), 2, TimeSpan.FromSeconds(60));
        var server = cluster.Box.Node(2);
        server.Start(new NodeCommand("rawserver", Environment.ProcessPath!, ["raw-server", RawPort.ToString(CultureInfo.InvariantCulture)]));
        await Task.Delay(300);

        var result = await cluster.Box.Node(1).RunAsync(Environment.ProcessPath!, ["ics-client", server.Address.ToString(),
            RawPort.ToString(CultureInfo.InvariantCulture), NodeConfig.DefaultIcsPort.ToString(CultureInfo.InvariantCulture),
            Path.Combine(server.StateDirectory, NodeConfig.CredentialsFileName)]);
        if (!result.Succeeded)
            throw new SsiException(Status.Internal, $"the benchmark client failed: {result.StandardError}{result.StandardOutput}");
        var figures = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));

        report.Columns("measure", "raw TCP", "ICS", "ICS / raw", "target");
        report.Row("request/response p50 (64 B)", Report.Us(figures["raw.p50"]), Report.Us(figures["ics.p50"]), Report.Ratio(figures["ics.p50"], figures["raw.p50"]), "≤ 1.5x");
        report.Row("request/response p99 (64 B)", Report.Us(figures["raw.p99"]), Report.Us(figures["ics.p99"]), Report.Ratio(figures["ics.p99"], figures["raw.p99"]), "");
        report.Row("stream throughput", $"{figures["raw.mbps"]:0} MB/s", $"{figures["ics.mbps"]:0} MB/s",
            $"{figures["ics.mbps"] / figures["raw.mbps"] * 100:0}%", "≥ 70%");
        report.Note($"Path: node 1 → veth → bridge → veth → node 2 of a cluster-in-a-box; {PingRounds} sequential round trips after {Warmup} warm-up, {StreamBytes >> 20} MiB streamed in {Chunk >> 10} KiB writes, {StreamTrials} alternating trials each, median shown.");
        report.Note("Raw TCP: blocking sockets, no framing, a thread per connection. ICS: an authenticated, multiplexed connection to ssid (Echo method, Sink stream with credit-based backpressure).");
    }

    /// <summary>Runs inside node 1: measures both sides and prints key=value lines.</summary>
    public static async Task<int> ClientAsync(string[] args)
    {
        var host = IPAddress.Parse(args[0]);
        var rawPort = int.Parse(args[1], CultureInfo.InvariantCulture);
        var icsPort = int.Parse(args[2], CultureInfo.InvariantCulture);
        var credentials = ClusterCredentials.Load(args[3]);

        var raw = RawPingPong(new IPEndPoint(host, rawPort));
        await using var ics = new IcsNode(new IcsOptions { Credentials = credentials, NodeName = "bench", Listen = new IPEndPoint(IPAddress.Any, 0) }, new Router());
        await using var connection = await ics.OpenConnectionAsync(new IPEndPoint(host, icsPort));
        var icsLatency = await IcsPingPongAsync(connection);
        // Alternating trials, median of each: the machine's other load hits both sides alike.
        var rawTrials = new List<double>();
        var icsTrials = new List<double>();
        for (var trial = 0; trial < StreamTrials; trial++)
        {
            rawTrials.Add(RawStream(new IPEndPoint(host, rawPort)));
            icsTrials.Add(await IcsStreamAsync(connection));
        }
        var rawThroughput = rawTrials.Order().ElementAt(StreamTrials / 2);
        var icsThroughput = icsTrials.Order().ElementAt(StreamTrials / 2);

        Console.WriteLine(FormattableString.Invariant($"raw.p50={raw.P50}"));
        Console.WriteLine(FormattableString.Invariant($"raw.p99={raw.P99}"));
        Console.WriteLine(FormattableString.Invariant($"ics.p50={icsLatency.P50}"));
        Console.WriteLine(FormattableString.Invariant($"ics.p99={icsLatency.P99}"));
        Console.WriteLine(FormattableString.Invariant($"raw.mbps={rawThroughput}"));
        Console.WriteLine(FormattableString.Invariant($"ics.mbps={icsThroughput}"));
        return 0;
    }

    private static Samples RawPingPong(IPEndPoint server)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(server);
        socket.Send("P"u8);
        var message = new byte[RawServer.MessageSize];
        var samples = new Samples();
        for (var i = 0; i < Warmup + PingRounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            socket.Send(message);
            RawServer.ReceiveExactly(socket, message);
            if (i >= Warmup)
                samples.Add(Stopwatch.GetElapsedTime(started));
        }
        return samples;
    }

    private static async Task<Samples> IcsPingPongAsync(Connection connection)
    {
        var message = new byte[RawServer.MessageSize];
        var samples = new Samples();
        for (var i = 0; i < Warmup + PingRounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await connection.RequestAsync(Methods.Echo, message, TimeSpan.FromSeconds(5));
            if (i >= Warmup)
                samples.Add(Stopwatch.GetElapsedTime(started));
        }
        return samples;
    }

    private static double RawStream(IPEndPoint server)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(server);
        socket.Send("S"u8);
        var chunk = new byte[Chunk];
        var started = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < StreamBytes; sent += chunk.Length)
            socket.Send(chunk);
        socket.Shutdown(SocketShutdown.Send);
        var count = new byte[8];
        RawServer.ReceiveExactly(socket, count);
        return Verified(BinaryPrimitives.ReadInt64LittleEndian(count), Stopwatch.GetElapsedTime(started));
    }

    private static async Task<double> IcsStreamAsync(Connection connection)
    {
        await using var stream = await connection.OpenStreamAsync(Methods.Sink, ReadOnlyMemory<byte>.Empty);
        var chunk = new byte[Chunk];
        var started = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < StreamBytes; sent += chunk.Length)
            await stream.WriteAsync(chunk);
        await stream.CompleteWritesAsync();
        var count = new byte[8];
        await stream.ReadExactlyAsync(count);
        return Verified(BinaryPrimitives.ReadInt64LittleEndian(count), Stopwatch.GetElapsedTime(started));
    }

    private static double Verified(long received, TimeSpan took) => received == StreamBytes
        ? StreamBytes / took.TotalSeconds / 1e6
        : throw new SsiException(Status.Internal, $"the receiver counted {received} bytes, {StreamBytes} were sent");
}
