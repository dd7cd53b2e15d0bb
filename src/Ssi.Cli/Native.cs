using System.Runtime.InteropServices;

namespace Ssi.Cli;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();
}
