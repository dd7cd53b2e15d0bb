using Ssi.Cfs.Tests.Infrastructure;
using Ssi.Cfs.Tests.Posix;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests;

/// <summary>One rig for the whole suite: a server, its own node's mount and a remote node's mount.</summary>
public sealed class CfsRigFixture : IAsyncLifetime
{
    internal CfsRig Rig { get; private set; } = null!;

    public async Task InitializeAsync() => Rig = await CfsRig.StartAsync();

    public async Task DisposeAsync() => await Rig.DisposeAsync();
}

/// <summary>
/// The POSIX conformance suite: every case writes the same transcript on a local directory (the
/// reference), on CFS from the server node and on CFS from a remote node.
/// </summary>
[Collection("cfs")]
public sealed class PosixConformanceTests(CfsRigFixture fixture, ITestOutputHelper output) : IClassFixture<CfsRigFixture>
{
    public static TheoryData<string> CaseNames => new(PosixSuite.Cases.Select(c => c.ToString()));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Case_behaves_on_cfs_as_on_a_local_directory(string name)
    {
        var c = PosixSuite.Cases.Single(x => x.ToString() == name);
        string id = Guid.NewGuid().ToString("N")[..8];
        string reference = Path.Combine(fixture.Rig.Root, "reference-" + id);
        Directory.CreateDirectory(reference);
        Directory.CreateDirectory(Path.Combine(fixture.Rig.LocalPath, "server-" + id));
        Directory.CreateDirectory(Path.Combine(fixture.Rig.RemotePath, "remote-" + id));

        string expected = PosixSuite.Run(c, reference);
        string fromServer = PosixSuite.Run(c, Path.Combine(fixture.Rig.LocalPath, "server-" + id));
        string fromRemote = PosixSuite.Run(c, Path.Combine(fixture.Rig.RemotePath, "remote-" + id));
        output.WriteLine(expected);
        Assert.Equal(expected, fromServer);
        Assert.Equal(expected, fromRemote);
    }
}
