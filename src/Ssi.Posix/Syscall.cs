using System.Runtime.InteropServices;

namespace Ssi.Posix;

/// <summary>Plain libc calls that more than one layer needs and .NET does not expose.</summary>
public static partial class Syscall
{
    /// <summary>
    /// <c>close(2)</c>: 0 on success. It leaves the last P/Invoke error alone, so a caller may
    /// close descriptors between a failed call and reading that call's errno.
    /// </summary>
    public static int Close(int fd) => NativeClose(fd);

    /// <summary>
    /// <c>setns(2)</c>: moves the calling thread into the namespace open as <paramref name="fd"/>
    /// (<paramref name="nsType"/> a <c>CLONE_NEW*</c> flag, or 0 for any). 0 on success; on -1
    /// the errno is in <see cref="Marshal.GetLastPInvokeError"/>.
    /// </summary>
    public static int SetNs(int fd, int nsType) => NativeSetNs(fd, nsType);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int NativeClose(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int NativeSetNs(int fd, int nsType);
}
