using Ssi.Fuse.Passthrough;
using Ssi.Fuse.Tests.Infrastructure;

namespace Ssi.Fuse.Tests;

/// <summary>
/// Helper modes for tests that need another process (the test runner does not use this entry point):
/// <c>serve BACKING MOUNTPOINT</c> mounts a passthrough and waits to be killed;
/// <c>lockwait FILE</c> blocks in F_SETLKW on FILE and prints LOCKED once it has the lock.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["serve", string backing, string mountPoint]:
                using (var fileSystem = new PassthroughFileSystem(backing))
                {
                    var mount = await FuseMount.MountAsync(mountPoint, fileSystem);
                    Console.WriteLine("MOUNTED");
                    await mount.Completion;
                    return 0;
                }
            case ["lockwait", string file]:
                int fd = TestLibc.Open(file, 2, 0);
                if (fd < 0)
                {
                    Console.Error.WriteLine($"open {file}: errno {TestLibc.LastError}");
                    return 1;
                }
                Console.WriteLine("WAITING");
                int error = TestLibc.LockWhole(fd, wait: true);
                Console.WriteLine(error == 0 ? "LOCKED" : $"ERROR {error}");
                await Task.Delay(Timeout.Infinite);
                return 0;
            default:
                Console.Error.WriteLine("usage: serve BACKING MOUNTPOINT | lockwait FILE");
                return 2;
        }
    }
}
