using Ssi.Cfs.Tests.Posix;

namespace Ssi.Cfs.Tests;

/// <summary>
/// Helper modes for tests that need another process (the test runner does not use this entry point):
/// <c>lock FILE</c> takes a write lock on all of FILE with F_SETLKW, prints LOCKED and waits to be killed;
/// <c>posix DIRECTORY</c> runs the POSIX conformance suite there and prints every case's transcript;
/// <c>fsx-serve FILE COMMANDS REPLIES</c> is a worker of the cluster fsx run (see <see cref="FsxServer"/>).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["lock", string file])
        {
            int fd = Sys.Open(file, Sys.O_RDWR, 0);
            if (fd < 0)
            {
                Console.Error.WriteLine($"open {file}: errno {Sys.Errno}");
                return 1;
            }
            int error = Sys.Lock(fd, Sys.F_SETLKW, Sys.F_WRLCK, 0, 0);
            Console.WriteLine(error == 0 ? "LOCKED" : $"ERROR {error}");
            await Task.Delay(Timeout.Infinite);
            return 0;
        }
        if (args is ["posix", string directory])
        {
            // The conformance suite in DIRECTORY, one subdirectory per case: what the cluster tests run on box nodes.
            for (int i = 0; i < PosixSuite.Cases.Count; i++)
            {
                var c = PosixSuite.Cases[i];
                string caseDirectory = Path.Combine(directory, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(caseDirectory);
                Console.WriteLine($"### {c}");
                Console.Write(PosixSuite.Run(c, caseDirectory));
            }
            return 0;
        }
        if (args is ["fsx-serve", string fsxFile, string commands, string replies])
            return FsxServer.Run(fsxFile, commands, replies);
        Console.Error.WriteLine("usage: lock FILE | posix DIRECTORY | fsx-serve FILE COMMANDS REPLIES");
        return 2;
    }
}
