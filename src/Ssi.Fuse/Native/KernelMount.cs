using System.Globalization;
using System.Text;

namespace Ssi.Fuse.Native;

/// <summary>mount(2)/umount2(2) of a FUSE file system as root, stale-mount cleanup and connection abort.</summary>
internal static unsafe class KernelMount
{
    private const string FuseControlDirectory = "/sys/fs/fuse/connections";

    public static bool IsRoot => Libc.GetEffectiveUid() == 0;

    /// <summary>The mount(2) data string: fd, root mode, owner and the chosen options.</summary>
    public static string MountData(int fd, FuseMountOptions options, bool includeFd)
    {
        var data = new StringBuilder();
        if (includeFd)
            data.Append(CultureInfo.InvariantCulture, $"fd={fd},");
        data.Append(CultureInfo.InvariantCulture, $"rootmode=40000,user_id={Libc.GetEffectiveUid()},group_id={Libc.GetEffectiveGid()}");
        if (options.AllowOther)
            data.Append(",allow_other");
        if (options.DefaultPermissions)
            data.Append(",default_permissions");
        return data.ToString();
    }

    public static void Mount(string mountPoint, int fd, FuseMountOptions options)
    {
        string type = options.Subtype is null ? "fuse" : "fuse." + options.Subtype;
        ulong flags = options.AllowSuidAndDevices ? 0 : Libc.MS_NOSUID | Libc.MS_NODEV;
        if (options.ReadOnly)
            flags |= Libc.MS_RDONLY;
        if (Libc.Mount(options.FileSystemName, mountPoint, type, flags, MountData(fd, options, includeFd: true)) != 0)
        {
            var error = new Errno(Libc.LastError);
            throw new IOException($"mount(2) of FUSE at {mountPoint} failed: {error}. Mounting needs root (or UseFusermount) and an existing directory.");
        }
    }

    /// <summary>Lazily detaches the mount; false (with errno) when it fails, e.g. not mounted.</summary>
    public static Errno Unmount(string mountPoint) =>
        Libc.Umount2(mountPoint, Libc.MNT_DETACH) == 0 ? Errno.Ok : new Errno(Libc.LastError);

    /// <summary>
    /// A FUSE mount whose server died answers ENOTCONN. Detaches such a mount so the point can be reused;
    /// true if one was cleared.
    /// </summary>
    public static bool ClearStale(string mountPoint, bool viaFusermount)
    {
        if (FuseMountTable.At(mountPoint).Count == 0)
            return false;
        // Force a GETATTR: cached attributes of a dead mount's root would hide that its server is gone.
        var stx = default(Statx);
        if (Libc.Statx(Libc.AT_FDCWD, mountPoint, Libc.AT_STATX_FORCE_SYNC, Statx.BasicStats, &stx) == 0)
            return false;
        if (Libc.LastError != Errno.ENOTCONN.Value)
            return false;
        if (viaFusermount)
            return Fusermount.Unmount(mountPoint).IsOk;
        return Unmount(mountPoint).IsOk;
    }

    /// <summary>
    /// Aborts the connection of every FUSE mount at <paramref name="mountPoint"/> and detaches it,
    /// without a request to its server; the number of mounts removed.
    /// </summary>
    public static int AbortAndDetach(string mountPoint, bool viaFusermount)
    {
        var connections = FuseMountTable.At(mountPoint);
        for (var i = connections.Count - 1; i >= 0; i--)
        {
            Abort(connections[i]);
            if (!(viaFusermount ? Fusermount.Unmount(mountPoint) : Unmount(mountPoint)).IsOk)
                return connections.Count - 1 - i;
        }
        return connections.Count;
    }

    /// <summary>
    /// The kernel's device number of the FUSE mount at <paramref name="mountPoint"/>: from the
    /// mount table, else (a path through a symlink, say) from a stat of the mount.
    /// </summary>
    public static uint? DeviceOf(string mountPoint)
    {
        var listed = FuseMountTable.At(mountPoint);
        if (listed.Count > 0)
            return listed[^1];
        var stx = default(Statx);
        return Libc.Statx(Libc.AT_FDCWD, mountPoint, 0, Statx.BasicStats, &stx) == 0 ? stx.KernelDev : null;
    }

    /// <summary>Aborts a FUSE connection through fusectl, ending every blocked read and request (root only).</summary>
    public static bool Abort(uint device)
    {
        try
        {
            string abortFile = Path.Combine(FuseControlDirectory, device.ToString(CultureInfo.InvariantCulture), "abort");
            if (!File.Exists(abortFile) && IsRoot && Directory.Exists(FuseControlDirectory))
                Libc.Mount("fusectl", FuseControlDirectory, "fusectl", 0, "");
            if (!File.Exists(abortFile))
                return false;
            File.WriteAllText(abortFile, "1");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
