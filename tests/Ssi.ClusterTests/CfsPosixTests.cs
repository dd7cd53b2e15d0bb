using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Ssi.ClusterTests;

/// <summary>
/// The POSIX conformance suite of Ssi.Cfs.Tests, run by real processes inside box nodes: on a local
/// directory of node 1 (the reference, same file system as the export), on /cluster from node 1 (the CFS
/// server node) and on /cluster from node 3 (a remote node). Every case must write the same transcript.
/// </summary>
[Trait("Category", "Cluster")]
[Collection("box")]
public partial class CfsPosixTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_case_behaves_on_cfs_from_the_server_node_and_a_remote_node_as_on_a_local_directory()
    {
        string suite = Path.Combine(AppContext.BaseDirectory.Replace("Ssi.ClusterTests", "Ssi.Cfs.Tests", StringComparison.Ordinal), "Ssi.Cfs.Tests.dll");
        Assert.True(File.Exists(suite), $"{suite} is missing: build tests/Ssi.Cfs.Tests");
        string dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

        await using var box = await TestBox.UpAsync(3, output);
        foreach (var node in new[] { box.Box.Node(1), box.Box.Node(3) })
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!(await node.RunAsync("readlink", "/cluster/node")).Succeeded)
            {
                Assert.True(clock.Elapsed < TestBox.Patience, $"node {node.Number} did not mount /cluster");
                await Task.Delay(100);
            }
        }
        string reference = Path.Combine(box.Box.Node(1).StateDirectory, "posix-reference");
        var runs = await Task.WhenAll(
            box.Box.Node(1).RunAsync(dotnet, suite, "posix", reference),
            box.Box.Node(1).RunAsync(dotnet, suite, "posix", "/cluster/posix-node1"),
            box.Box.Node(3).RunAsync(dotnet, suite, "posix", "/cluster/posix-node3"));
        foreach (var run in runs)
            Assert.True(run.Succeeded, run.StandardError);
        var (expected, fromServer, fromRemote) = (Cases(runs[0].StandardOutput), Cases(runs[1].StandardOutput), Cases(runs[2].StandardOutput));
        output.WriteLine($"{expected.Count} cases");
        Assert.NotEmpty(expected);
        foreach (var (name, transcript) in expected)
        {
            Assert.True(transcript == fromServer[name], $"{name} from the server node:\n{fromServer[name]}\nlocal:\n{transcript}");
            Assert.True(transcript == fromRemote[name], $"{name} from node 3:\n{fromRemote[name]}\nlocal:\n{transcript}");
        }
    }

    private static Dictionary<string, string> Cases(string output) =>
        CaseHeader().Split(output).Skip(1).Chunk(2).ToDictionary(c => c[0], c => c[1]);

    [GeneratedRegex("^### (.*)$", RegexOptions.Multiline)]
    private static partial Regex CaseHeader();
}
