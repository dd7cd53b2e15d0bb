using Ssi.Fuse.Passthrough;

namespace Ssi.Fuse.Tests.Infrastructure;

/// <summary>
/// A real FUSE mount of a <see cref="PassthroughFileSystem"/> over a fresh backing directory, both under
/// a unique temporary directory that is unmounted and removed on dispose, whatever the test did.
/// </summary>
internal sealed class PassthroughMount : IAsyncDisposable
{
    private PassthroughMount(string directory, string backing, string mountPoint, PassthroughFileSystem fileSystem, FuseMount mount)
    {
        Directory_ = directory;
        Backing = backing;
        MountPoint = mountPoint;
        FileSystem = fileSystem;
        Mount = mount;
    }

    private string Directory_ { get; }

    /// <summary>The directory being mirrored.</summary>
    public string Backing { get; }

    /// <summary>Where it is mounted.</summary>
    public string MountPoint { get; }

    public PassthroughFileSystem FileSystem { get; }

    public FuseMount Mount { get; }

    public static string NewTestDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "ssi-fuse-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(directory, "backing"));
        Directory.CreateDirectory(Path.Combine(directory, "mnt"));
        return directory;
    }

    public static async Task<PassthroughMount> CreateAsync(PassthroughOptions? passthrough = null, FuseMountOptions? options = null)
    {
        string directory = NewTestDirectory();
        string backing = Path.Combine(directory, "backing");
        string mountPoint = Path.Combine(directory, "mnt");
        var fileSystem = new PassthroughFileSystem(backing, passthrough);
        try
        {
            FuseMount mount = await FuseMount.MountAsync(mountPoint, fileSystem, options ?? new FuseMountOptions { Subtype = "ssi-test" });
            return new PassthroughMount(directory, backing, mountPoint, fileSystem, mount);
        }
        catch
        {
            fileSystem.Dispose();
            TryDelete(directory);
            throw;
        }
    }

    public string InMount(string relative) => Path.Combine(MountPoint, relative);

    public string InBacking(string relative) => Path.Combine(Backing, relative);

    public async ValueTask DisposeAsync()
    {
        await Task.Run(Mount.Dispose);
        FileSystem.Dispose();
        TryDelete(Directory_);
    }

    public static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
