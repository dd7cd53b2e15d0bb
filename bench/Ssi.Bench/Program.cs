using Ssi.Bench;
using Ssi.Protocol;

// ssi bench [NAME...]: each benchmark runs SSI and a reference side by side in one run,
// prints a table with ratios and updates its section of docs/benchmarks.md.
var benches = new Dictionary<string, Func<Report, Task>>
{
    ["ics"] = IcsBench.RunAsync,
    ["membership"] = MembershipBench.RunAsync,
    ["rexec"] = RexecBench.RunAsync,
    ["cfs"] = CfsBench.RunAsync,
};

// Same socket setting as ssid: the client side of ICS gets the same treatment (see Ssi.Daemon/Program.cs).
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

try
{
    switch (args)
    {
        case ["raw-server", var port]:
            RawServer.Run(int.Parse(port));
            return 0;
        case ["ics-client", .. var rest]:
            return await IcsBench.ClientAsync(rest);
        case ["cfs-workload", .. var rest]:
            return CfsBench.Workload(rest);
    }

    var names = args.Length == 0 ? benches.Keys.ToArray() : args;
    foreach (var name in names)
    {
        if (!benches.TryGetValue(name, out var run))
        {
            Console.Error.WriteLine($"ssi bench: no benchmark '{name}'; there are: {string.Join(", ", benches.Keys)}");
            return 2;
        }
    }
    foreach (var name in names)
    {
        var report = new Report(name, "./ssi bench " + string.Join(' ', args));
        await benches[name](report);
        report.Print();
        report.WriteTo(Report.FindDocs());
    }
    return 0;
}
catch (SsiException e)
{
    Console.Error.WriteLine($"ssi bench: {e.Message}");
    return 1;
}
