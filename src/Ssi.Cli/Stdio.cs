using System.Runtime.InteropServices;

namespace Ssi.Cli;

/// <summary>
/// Reads and writes the process's descriptors 0-2 with plain read(2)/write(2): no offset of its
/// own (a FileStream would write a redirected file from its start, not where the shell left
/// it), and no terminal handling (System.Console resets the modes around its reads).
/// </summary>
internal static unsafe partial class Stdio
{
    private const int F_SETPIPE_SZ = 1031;
    private const int EPIPE = 32;
    private const int PipeBytes = 1024 * 1024;

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);

    /// <summary>
    /// Grows the pipe behind <paramref name="fd"/>, if it is one, to 1 MiB (the unprivileged
    /// limit): the writer then fills big chunks, and each read carries more. Nothing otherwise.
    /// </summary>
    public static void GrowPipe(int fd) => Fcntl(fd, F_SETPIPE_SZ, PipeBytes);

    /// <summary>Reads what is available (blocking); 0 at end of input.</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Native.Read(fd, p, (nuint)buffer.Length);
                if (n >= 0)
                    return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Native.EINTR)
                    throw new IOException($"read from descriptor {fd} failed: errno {errno}");
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/> (blocking: a slow reader slows the stream).</summary>
    public static void Write(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var p = start;
            var left = data.Length;
            while (left > 0)
            {
                var n = Native.Write(fd, p, (nuint)left);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Native.EINTR)
                        continue;
                    if (errno == EPIPE)
                        throw new ReaderGoneException(fd);
                    throw new IOException($"write to descriptor {fd} failed: errno {errno}");
                }
                p += n;
                left -= (int)n;
            }
        }
    }
}

/// <summary>
/// The reader of descriptor 1 or 2 went away (EPIPE): what kills a local program with SIGPIPE
/// (the runtime ignores the signal, so the write fails instead).
/// </summary>
internal sealed class ReaderGoneException(int fd) : IOException($"the reader of descriptor {fd} went away")
{
    /// <summary>The status of a program killed by SIGPIPE, as a shell reports it.</summary>
    public const int Status = 128 + 13;
}
