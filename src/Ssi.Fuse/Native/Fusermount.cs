using System.Diagnostics;

namespace Ssi.Fuse.Native;

/// <summary>
/// Mounting without root: fusermount3 (setuid) opens /dev/fuse, mounts, and passes the descriptor
/// back over a Unix socket named by _FUSE_COMMFD.
/// </summary>
internal static unsafe class Fusermount
{
    private const string Program = "fusermount3";

    public static int Mount(string mountPoint, FuseMountOptions options)
    {
        int* pair = stackalloc int[2];
        // No SOCK_CLOEXEC: fusermount3 must inherit its end.
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM, 0, pair) != 0)
            throw new IOException($"socketpair for {Program} failed: {new Errno(Libc.LastError)}");
        int ours = pair[0], theirs = pair[1];
        try
        {
            var opts = new List<string> { "fsname=" + options.FileSystemName };
            if (options.Subtype is not null)
                opts.Add("subtype=" + options.Subtype);
            if (options.AllowOther)
                opts.Add("allow_other");
            if (options.DefaultPermissions)
                opts.Add("default_permissions");
            opts.Add(options.ReadOnly ? "ro" : "rw");
            if (!options.AllowSuidAndDevices)
            {
                opts.Add("nosuid");
                opts.Add("nodev");
            }
            var start = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardError = true };
            start.ArgumentList.Add("-o");
            start.ArgumentList.Add(string.Join(',', opts));
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(mountPoint);
            start.Environment["_FUSE_COMMFD"] = theirs.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var process = Process.Start(start) ?? throw new IOException($"{Program} did not start");
            Libc.Close(theirs);
            theirs = -1;
            int fd = ReceiveDescriptor(ours);
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (fd < 0)
                throw new IOException($"{Program} could not mount {mountPoint} (exit {process.ExitCode}): {errors.Trim()}");
            return fd;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new IOException($"{Program} is needed to mount FUSE without root; install the fuse3 package. ({ex.Message})", ex);
        }
        finally
        {
            Libc.Close(ours);
            if (theirs >= 0)
                Libc.Close(theirs);
        }
    }

    public static Errno Unmount(string mountPoint)
    {
        try
        {
            var start = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardError = true };
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("-z");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(mountPoint);
            using var process = Process.Start(start);
            if (process is null)
                return Errno.EIO;
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? Errno.Ok : Errno.EIO;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return Errno.ENOSYS;
        }
    }

    private static int ReceiveDescriptor(int socket)
    {
        byte data = 0;
        var vector = new IoVector { Base = &data, Length = 1 };
        const int controlSize = 24; // CMSG_SPACE(sizeof(int))
        byte* control = stackalloc byte[controlSize];
        new Span<byte>(control, controlSize).Clear();
        var message = new MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = controlSize };
        nint received;
        do
        {
            received = Libc.RecvMsg(socket, &message, 0);
        } while (received < 0 && Libc.LastError == Errno.EINTR.Value);
        if (received <= 0)
            return -1;
        var header = (ControlMessageHeader*)control;
        if (message.ControlLength < (nuint)sizeof(ControlMessageHeader) || header->Level != Libc.SOL_SOCKET || header->Type != Libc.SCM_RIGHTS)
            return -1;
        return *(int*)(control + sizeof(ControlMessageHeader));
    }
}
