using System.Text;

namespace Ssi.Cfs.Tests.Posix;

/// <summary>
/// The POSIX conformance suite, one group of cases per system call. Each case runs in a fresh empty
/// directory and returns a <see cref="Transcript"/>; the same case must write the same transcript on a
/// local directory (the reference), on CFS from the server node and on CFS from a remote node.
/// </summary>
internal static unsafe class PosixSuite
{
    public sealed record Case(string Syscall, string Name, Action<string, Transcript> Run, bool AsNobody = false)
    {
        public override string ToString() => $"{Syscall}: {Name}";
    }

    public const uint Nobody = 65534;

    public static readonly IReadOnlyList<Case> Cases =
    [
        // open(2)
        new("open", "O_CREAT|O_EXCL creates once, then EEXIST", (d, t) =>
        {
            Close(t.Fd("create", Sys.Open($"{d}/f", Sys.O_CREAT | Sys.O_EXCL | Sys.O_RDWR, 0x1A4)));
            t.Fd("create again", Sys.Open($"{d}/f", Sys.O_CREAT | Sys.O_EXCL | Sys.O_RDWR, 0x1A4));
            t.Value("mode", StatOf($"{d}/f").Mode);
        }),
        new("open", "missing file, file as directory, directory for writing, long name", (d, t) =>
        {
            t.Fd("missing", Sys.Open($"{d}/nope", Sys.O_RDONLY, 0));
            Touch($"{d}/f", "x");
            t.Fd("through a file", Sys.Open($"{d}/f/x", Sys.O_RDONLY, 0));
            t.Fd("O_DIRECTORY on a file", Sys.Open($"{d}/f", Sys.O_RDONLY | Sys.O_DIRECTORY, 0));
            t.Fd("directory O_WRONLY", Sys.Open(d, Sys.O_WRONLY, 0));
            t.Fd("name of 256 bytes", Sys.Open($"{d}/{new string('n', 256)}", Sys.O_CREAT | Sys.O_RDWR, 0x1A4));
            Close(t.Fd("name of 255 bytes", Sys.Open($"{d}/{new string('n', 255)}", Sys.O_CREAT | Sys.O_RDWR, 0x1A4)));
        }),
        new("open", "O_TRUNC empties, O_APPEND appends", (d, t) =>
        {
            Touch($"{d}/f", "0123456789");
            Close(t.Fd("O_TRUNC", Sys.Open($"{d}/f", Sys.O_WRONLY | Sys.O_TRUNC, 0)));
            t.Value("size after O_TRUNC", StatOf($"{d}/f").Size);
            Touch($"{d}/g", "ab");
            int fd = t.Fd("O_APPEND", Sys.Open($"{d}/g", Sys.O_WRONLY | Sys.O_APPEND, 0));
            WriteAll(t, fd, "cd");
            Sys.Lseek(fd, 0, Sys.SEEK_SET);
            WriteAll(t, fd, "ef");
            Close(fd);
            t.Value("content", Content($"{d}/g"));
        }),
        new("open", "O_NOFOLLOW on a symlink, dangling symlink", (d, t) =>
        {
            Touch($"{d}/f", "x");
            t.Call("symlink", Sys.Symlink("f", $"{d}/l"));
            t.Fd("O_NOFOLLOW", Sys.Open($"{d}/l", Sys.O_RDONLY | Sys.O_NOFOLLOW, 0));
            t.Call("dangling symlink", Sys.Symlink("missing", $"{d}/dangling"));
            t.Fd("open dangling", Sys.Open($"{d}/dangling", Sys.O_RDONLY, 0));
            Close(t.Fd("create through dangling", Sys.Open($"{d}/dangling", Sys.O_CREAT | Sys.O_WRONLY, 0x1A4)));
            t.Value("created target exists", File.Exists($"{d}/missing"));
        }),

        // read(2), write(2), pread(2), pwrite(2)
        new("read/write", "round trip, short read at EOF, wrong access mode", (d, t) =>
        {
            int fd = Sys.Open($"{d}/f", Sys.O_CREAT | Sys.O_RDWR, 0x1A4);
            t.Count("pwrite 5 at 0", Sys.PwriteAll(fd, "hello"u8, 0));
            var buffer = new byte[16];
            long n = t.Count("pread 16 at 0", Sys.PreadSome(fd, buffer, 0));
            t.Value("data", Encoding.ASCII.GetString(buffer, 0, (int)Math.Max(n, 0)));
            t.Count("pread past EOF", Sys.PreadSome(fd, buffer, 100));
            Close(fd);
            int ro = Sys.Open($"{d}/f", Sys.O_RDONLY, 0);
            t.Count("write on O_RDONLY", Sys.PwriteAll(ro, "x"u8, 0));
            Close(ro);
            int wo = Sys.Open($"{d}/f", Sys.O_WRONLY, 0);
            t.Count("read on O_WRONLY", Sys.PreadSome(wo, buffer, 0));
            Close(wo);
            t.Count("write on a closed fd", Sys.PwriteAll(wo, "x"u8, 0));
        }),
        new("read/write", "holes read as zeros, 1 MiB blocks round trip", (d, t) =>
        {
            int fd = Sys.Open($"{d}/f", Sys.O_CREAT | Sys.O_RDWR, 0x1A4);
            var block = new byte[1 << 20];
            new Random(7).NextBytes(block);
            t.Count("pwrite 1 MiB at 3 MiB", Sys.PwriteAll(fd, block, 3 << 20));
            t.Value("size", Fstat(fd).Size);
            var back = new byte[1 << 20];
            t.Count("pread hole", Sys.PreadSome(fd, back, 1 << 20));
            t.Value("hole is zeros", back.All(b => b == 0));
            t.Count("pread block", Sys.PreadSome(fd, back, 3 << 20));
            t.Value("block intact", back.AsSpan().SequenceEqual(block));
            Close(fd);
        }),
        new("read/write", "files over 4 GiB", (d, t) =>
        {
            int fd = Sys.Open($"{d}/big", Sys.O_CREAT | Sys.O_RDWR, 0x1A4);
            long offset = 5L << 30;
            t.Count("pwrite at 5 GiB", Sys.PwriteAll(fd, "tail"u8, offset));
            t.Value("size", Fstat(fd).Size);
            var back = new byte[4];
            t.Count("pread at 5 GiB", Sys.PreadSome(fd, back, offset));
            t.Value("data", Encoding.ASCII.GetString(back));
            t.Call("ftruncate to 4 GiB + 1", Sys.Ftruncate(fd, (4L << 30) + 1));
            t.Value("size", Fstat(fd).Size);
            Close(fd);
        }),

        // truncate(2), ftruncate(2)
        new("truncate", "grow, shrink, errors", (d, t) =>
        {
            Touch($"{d}/f", "0123456789");
            t.Call("truncate to 4", Sys.Truncate($"{d}/f", 4));
            t.Value("content", Content($"{d}/f"));
            t.Call("truncate to 8", Sys.Truncate($"{d}/f", 8));
            t.Value("content", Content($"{d}/f").Replace('\0', '0'));
            t.Call("truncate missing", Sys.Truncate($"{d}/nope", 1));
            t.Call("truncate directory", Sys.Truncate(d, 1));
            t.Call("truncate negative", Sys.Truncate($"{d}/f", -1));
            int ro = Sys.Open($"{d}/f", Sys.O_RDONLY, 0);
            t.Call("ftruncate O_RDONLY", Sys.Ftruncate(ro, 0));
            Close(ro);
        }),

        // fallocate(2), lseek(2) SEEK_DATA/SEEK_HOLE, fsync(2)
        new("fallocate", "allocate extends, punch hole zeroes, sparse seeks", (d, t) =>
        {
            int fd = Sys.Open($"{d}/f", Sys.O_CREAT | Sys.O_RDWR, 0x1A4);
            t.Call("fallocate 0..64 KiB", Sys.Fallocate(fd, 0, 0, 64 << 10));
            t.Value("size", Fstat(fd).Size);
            var ones = Enumerable.Repeat((byte)1, 64 << 10).ToArray();
            Sys.PwriteAll(fd, ones, 0);
            t.Call("punch 16..32 KiB", Sys.Fallocate(fd, 3, 16 << 10, 16 << 10));
            var back = new byte[64 << 10];
            Sys.PreadSome(fd, back, 0);
            t.Value("punched zeros", back.AsSpan(16 << 10, 16 << 10).IndexOfAnyExcept((byte)0) < 0);
            t.Value("kept ones", back.AsSpan(0, 16 << 10).IndexOfAnyExcept((byte)1) < 0);
            t.Value("size", Fstat(fd).Size);
            t.Call("fsync", Sys.Fsync(fd));
            Close(fd);
            int sparse = Sys.Open($"{d}/sparse", Sys.O_CREAT | Sys.O_RDWR, 0x1A4);
            Sys.PwriteAll(sparse, "x"u8, 1 << 20);
            t.Count("SEEK_DATA from 0", Sys.Lseek(sparse, 0, Sys.SEEK_DATA));
            t.Count("SEEK_HOLE from 0", Sys.Lseek(sparse, 0, Sys.SEEK_HOLE));
            t.Count("SEEK_END", Sys.Lseek(sparse, 0, Sys.SEEK_END));
            t.Count("SEEK_DATA past EOF", Sys.Lseek(sparse, 2 << 20, Sys.SEEK_DATA));
            Close(sparse);
        }),

        // mkdir(2), rmdir(2)
        new("mkdir/rmdir", "create, exists, missing parent, not empty, not a directory", (d, t) =>
        {
            t.Call("mkdir", Sys.Mkdir($"{d}/a", 0x1ED));
            t.Value("mode", StatOf($"{d}/a").Mode);
            t.Value("parent nlink", StatOf(d).Nlink);
            t.Call("mkdir again", Sys.Mkdir($"{d}/a", 0x1ED));
            t.Call("mkdir missing parent", Sys.Mkdir($"{d}/x/y", 0x1ED));
            Touch($"{d}/a/f", "x");
            t.Call("rmdir not empty", Sys.Rmdir($"{d}/a"));
            t.Call("rmdir a file", Sys.Rmdir($"{d}/a/f"));
            t.Call("rmdir missing", Sys.Rmdir($"{d}/nope"));
            t.Call("unlink", Sys.Unlink($"{d}/a/f"));
            t.Call("rmdir", Sys.Rmdir($"{d}/a"));
            t.Call("rmdir .", Sys.Rmdir($"{d}/."));
        }),

        // unlink(2)
        new("unlink", "remove, directory, missing, open file lives until closed", (d, t) =>
        {
            Touch($"{d}/f", "kept data");
            int fd = Sys.Open($"{d}/f", Sys.O_RDWR, 0);
            t.Call("unlink open file", Sys.Unlink($"{d}/f"));
            t.Call("stat after unlink", StatRc($"{d}/f"));
            var back = new byte[9];
            t.Count("read through fd", Sys.PreadSome(fd, back, 0));
            t.Value("data", Encoding.ASCII.GetString(back));
            t.Count("write through fd", Sys.PwriteAll(fd, "more"u8, 9));
            t.Value("nlink", Fstat(fd).Nlink);
            t.Value("size", Fstat(fd).Size);
            Close(fd);
            Sys.Mkdir($"{d}/dir", 0x1ED);
            t.Call("unlink directory", Sys.Unlink($"{d}/dir"));
            t.Call("unlink missing", Sys.Unlink($"{d}/nope"));
            t.Value("listing", string.Join(",", Directory.GetFileSystemEntries(d).Select(Path.GetFileName).Order()));
        }),

        // rename(2), renameat2(2)
        new("rename", "replace, across directories, directory rules", (d, t) =>
        {
            Touch($"{d}/a", "A");
            Touch($"{d}/b", "B");
            t.Call("rename over existing file", Sys.Rename($"{d}/a", $"{d}/b"));
            t.Value("b", Content($"{d}/b"));
            t.Call("stat a", StatRc($"{d}/a"));
            Sys.Mkdir($"{d}/x", 0x1ED);
            Sys.Mkdir($"{d}/y", 0x1ED);
            t.Call("across directories", Sys.Rename($"{d}/b", $"{d}/x/b"));
            t.Value("x/b", Content($"{d}/x/b"));
            t.Call("file over directory", Sys.Rename($"{d}/x/b", $"{d}/y"));
            t.Call("directory over file", Sys.Rename($"{d}/y", $"{d}/x/b"));
            t.Call("directory over non-empty directory", Sys.Rename($"{d}/y", $"{d}/x"));
            t.Call("directory over empty directory", Sys.Rename($"{d}/x", $"{d}/y"));
            t.Call("directory into itself", Sys.Rename($"{d}/y", $"{d}/y/b/z"));
            t.Call("directory into its subdirectory", Sys.Rename($"{d}/y", $"{d}/y/sub"));
            t.Call("missing source", Sys.Rename($"{d}/nope", $"{d}/z"));
            t.Value("listing", string.Join(",", Directory.GetFileSystemEntries(d, "*", SearchOption.AllDirectories).Select(p => p[(d.Length + 1)..]).Order()));
        }),
        new("rename", "RENAME_NOREPLACE and RENAME_EXCHANGE", (d, t) =>
        {
            Touch($"{d}/a", "A");
            Touch($"{d}/b", "B");
            t.Call("noreplace onto existing", Sys.RenameAt2(Sys.AT_FDCWD, $"{d}/a", Sys.AT_FDCWD, $"{d}/b", Sys.RENAME_NOREPLACE));
            t.Call("exchange", Sys.RenameAt2(Sys.AT_FDCWD, $"{d}/a", Sys.AT_FDCWD, $"{d}/b", Sys.RENAME_EXCHANGE));
            t.Value("a", Content($"{d}/a"));
            t.Value("b", Content($"{d}/b"));
            t.Call("exchange with missing", Sys.RenameAt2(Sys.AT_FDCWD, $"{d}/a", Sys.AT_FDCWD, $"{d}/c", Sys.RENAME_EXCHANGE));
            t.Call("noreplace onto new", Sys.RenameAt2(Sys.AT_FDCWD, $"{d}/a", Sys.AT_FDCWD, $"{d}/c", Sys.RENAME_NOREPLACE));
            t.Value("c", Content($"{d}/c"));
        }),

        // link(2), symlink(2), readlink(2)
        new("link", "hard links share data and count", (d, t) =>
        {
            Touch($"{d}/f", "shared");
            t.Call("link", Sys.Link($"{d}/f", $"{d}/g"));
            t.Value("nlink", StatOf($"{d}/f").Nlink);
            File.AppendAllText($"{d}/g", "+");
            t.Value("f", Content($"{d}/f"));
            t.Call("link onto existing", Sys.Link($"{d}/f", $"{d}/g"));
            Sys.Mkdir($"{d}/dir", 0x1ED);
            t.Call("link a directory", Sys.Link($"{d}/dir", $"{d}/dir2"));
            t.Call("link missing", Sys.Link($"{d}/nope", $"{d}/h"));
            t.Call("unlink one name", Sys.Unlink($"{d}/f"));
            t.Value("nlink", StatOf($"{d}/g").Nlink);
        }),
        new("symlink", "create, read, follow, errors", (d, t) =>
        {
            Touch($"{d}/f", "target data");
            t.Call("symlink", Sys.Symlink("f", $"{d}/l"));
            t.Value("readlink", ReadLink($"{d}/l"));
            t.Value("lstat is a link", (LstatOf($"{d}/l").Mode & 0xF000) == 0xA000);
            t.Value("follow", Content($"{d}/l"));
            t.Call("symlink onto existing", Sys.Symlink("f", $"{d}/l"));
            t.Value("readlink a file", ReadLink($"{d}/f"));
            string longTarget = string.Join("/", Enumerable.Repeat("abcdefgh", 300));
            t.Call("symlink with a 2.7 KB target", Sys.Symlink(longTarget, $"{d}/long"));
            t.Value("long target intact", ReadLink($"{d}/long") == longTarget);
        }),

        // chmod(2), chown(2), utimensat(2), stat(2), access(2)
        new("chmod/chown/utimensat", "attributes change and read back", (d, t) =>
        {
            Touch($"{d}/f", "x");
            t.Call("chmod 4751", Sys.Chmod($"{d}/f", 0x9E9));
            t.Value("mode", Convert.ToString(StatOf($"{d}/f").Mode, 8));
            t.Call("chown 1000:2000", Sys.Chown($"{d}/f", 1000, 2000));
            var s = StatOf($"{d}/f");
            t.Value("owner", $"{s.Uid}:{s.Gid}");
            t.Value("mode after chown (setuid dropped)", Convert.ToString(s.Mode, 8));
            var times = stackalloc Sys.Timespec[2];
            times[0] = new Sys.Timespec { Seconds = 1_000_000_000, Nanoseconds = 123_000_000 };
            times[1] = new Sys.Timespec { Seconds = 1_200_000_000, Nanoseconds = 456_000_000 };
            t.Call("utimensat", Sys.UtimensAt(Sys.AT_FDCWD, $"{d}/f", times, 0));
            s = StatOf($"{d}/f");
            t.Value("atime", $"{s.Atime}.{s.AtimeNsec}");
            t.Value("mtime", $"{s.Mtime}.{s.MtimeNsec}");
            t.Call("chmod missing", Sys.Chmod($"{d}/nope", 0x1A4));
            t.Call("access F_OK", Sys.Access($"{d}/f", 0));
            t.Call("access missing", Sys.Access($"{d}/nope", 0));
            t.Value("directory type", (StatOf(d).Mode & 0xF000) == 0x4000);
        }),

        // setxattr(2), getxattr(2), listxattr(2), removexattr(2)
        new("xattr", "set, get, list, replace rules, remove", (d, t) =>
        {
            Touch($"{d}/f", "x");
            t.Call("set user.a", SetXattr($"{d}/f", "user.a", "one", 0));
            t.Call("XATTR_CREATE existing", SetXattr($"{d}/f", "user.a", "two", 1));
            t.Call("XATTR_REPLACE missing", SetXattr($"{d}/f", "user.b", "two", 2));
            t.Call("XATTR_REPLACE existing", SetXattr($"{d}/f", "user.a", "three", 2));
            t.Value("get user.a", GetXattr($"{d}/f", "user.a", 64));
            t.Value("get user.a into 2 bytes", GetXattr($"{d}/f", "user.a", 2));
            t.Value("size of user.a", GetXattr($"{d}/f", "user.a", 0));
            t.Value("get missing", GetXattr($"{d}/f", "user.nope", 64));
            t.Value("list", ListXattr($"{d}/f"));
            t.Call("remove user.a", Sys.RemoveXattr($"{d}/f", "user.a"));
            t.Call("remove again", Sys.RemoveXattr($"{d}/f", "user.a"));
        }),

        // fcntl(2) record locks (OFD locks: two open files in one process contend like two processes)
        new("fcntl", "ranges, conflicts, splits, upgrades, F_GETLK", (d, t) =>
        {
            Touch($"{d}/f", "0123456789");
            int a = Sys.Open($"{d}/f", Sys.O_RDWR, 0), b = Sys.Open($"{d}/f", Sys.O_RDWR, 0);
            t.Errno("a write-locks 0..99", Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 100));
            t.Errno("b write-locks 50..59", Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 50, 10));
            t.Errno("b read-locks 100..", Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_RDLCK, 100, 0));
            var (error, conflict) = Sys.GetLock(b, Sys.F_OFD_GETLK, Sys.F_WRLCK, 10, 5);
            t.Value("b F_GETLK 10..14", $"{Transcript.Name(error)} type {conflict.Type} {conflict.Start}+{conflict.Length}");
            t.Errno("a unlocks 40..59 (split)", Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_UNLCK, 40, 20));
            t.Errno("b write-locks 45..54", Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 45, 10));
            t.Errno("b write-locks 10..19", Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 10, 10));
            t.Errno("a write-locks 100.. (b reads it)", Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_WRLCK, 100, 0));
            t.Errno("a read-locks 100..", Sys.Lock(a, Sys.F_OFD_SETLK, Sys.F_RDLCK, 100, 0));
            t.Errno("b upgrades 100.. to write", Sys.Lock(b, Sys.F_OFD_SETLK, Sys.F_WRLCK, 100, 0));
            // Not checked here: that a's OFD locks are gone right after close(a). FUSE sends RELEASE after
            // close returns, so on CFS they go one round trip later (LockTests checks that they go).
            Close(a);
            Close(b);
            int ro = Sys.Open($"{d}/f", Sys.O_RDONLY, 0);
            t.Errno("write lock on O_RDONLY", Sys.Lock(ro, Sys.F_OFD_SETLK, Sys.F_WRLCK, 0, 0));
            Close(ro);
        }),
        new("flock", "shared and exclusive", (d, t) =>
        {
            Touch($"{d}/f", "x");
            int a = Sys.Open($"{d}/f", Sys.O_RDONLY, 0), b = Sys.Open($"{d}/f", Sys.O_RDONLY, 0);
            t.Call("a LOCK_SH", Sys.FlockFile(a, Sys.LOCK_SH | Sys.LOCK_NB));
            t.Call("b LOCK_SH", Sys.FlockFile(b, Sys.LOCK_SH | Sys.LOCK_NB));
            t.Call("b LOCK_EX", Sys.FlockFile(b, Sys.LOCK_EX | Sys.LOCK_NB));
            t.Call("a LOCK_UN", Sys.FlockFile(a, Sys.LOCK_UN));
            t.Call("b LOCK_EX", Sys.FlockFile(b, Sys.LOCK_EX | Sys.LOCK_NB));
            t.Call("a LOCK_SH", Sys.FlockFile(a, Sys.LOCK_SH | Sys.LOCK_NB));
            // Not checked here: that b's lock is gone right after close(b) (on CFS it goes one round trip later, see LockTests).
            Close(b);
            Close(a);
        }),

        // permissions, as uid/gid 65534 (the fsuid of the calling thread)
        new("permissions", "mode bits, ownership of new files, sticky directories", (d, t) =>
        {
            t.Fd("open root's 0600 file", Sys.Open($"{d}/secret", Sys.O_RDONLY, 0));
            t.Fd("create in root's 0755 directory", Sys.Open($"{d}/closed/new", Sys.O_CREAT | Sys.O_WRONLY, 0x1A4));
            Close(t.Fd("create in a 0777 directory", Sys.Open($"{d}/open/new", Sys.O_CREAT | Sys.O_WRONLY, 0x1A4)));
            var s = StatOf($"{d}/open/new");
            t.Value("owner of the new file", $"{s.Uid}:{s.Gid}");
            t.Call("mkdir in a 0777 directory", Sys.Mkdir($"{d}/open/sub", 0x1FF));
            t.Value("owner of the new directory", $"{StatOf($"{d}/open/sub").Uid}");
            t.Call("unlink root's file in a sticky directory", Sys.Unlink($"{d}/sticky/roots"));
            t.Call("chmod root's file", Sys.Chmod($"{d}/readable", 0x1FF));
            t.Call("chown own file to root", Sys.Chown($"{d}/open/new", 0, 0));
            t.Call("access W_OK on a 0644 file", Sys.Access($"{d}/readable", 2));
            t.Call("access R_OK on a 0644 file", Sys.Access($"{d}/readable", 4));
            t.Call("truncate root's 0644 file", Sys.Truncate($"{d}/readable", 0));
            t.Call("utimensat now on root's file", Sys.UtimensAt(Sys.AT_FDCWD, $"{d}/readable", null, 0));
        }, AsNobody: true),
    ];

    /// <summary>Prepares what the permission case expects, as root, before it runs as nobody.</summary>
    public static void PrepareAsRoot(Case c, string d)
    {
        if (!c.AsNobody)
            return;
        Touch($"{d}/secret", "s");
        Sys.Chmod($"{d}/secret", 0x180);
        Touch($"{d}/readable", "r");
        Sys.Chmod($"{d}/readable", 0x1A4);
        Sys.Mkdir($"{d}/closed", 0x1ED);
        Sys.Mkdir($"{d}/open", 0x1FF);
        Sys.Chmod($"{d}/open", 0x1FF);
        Sys.Mkdir($"{d}/sticky", 0x3FF);
        Sys.Chmod($"{d}/sticky", 0x3FF);
        Touch($"{d}/sticky/roots", "r");
    }

    /// <summary>Runs a case in <paramref name="directory"/> (as nobody on a thread of its own when the case says so).</summary>
    public static string Run(Case c, string directory)
    {
        var transcript = new Transcript();
        PrepareAsRoot(c, directory);
        if (!c.AsNobody)
        {
            c.Run(directory, transcript);
            return transcript.ToString();
        }
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            Sys.SetFsGid(Nobody);
            Sys.SetFsUid(Nobody);
            try
            {
                c.Run(directory, transcript);
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                Sys.SetFsUid(0);
                Sys.SetFsGid(0);
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
            throw new InvalidOperationException($"case {c} failed", failure);
        return transcript.ToString();
    }

    private static void Close(int fd)
    {
        if (fd >= 0)
            Sys.Close(fd);
    }

    private static void Touch(string path, string content)
    {
        int fd = Sys.Open(path, Sys.O_CREAT | Sys.O_TRUNC | Sys.O_WRONLY, 0x1A4);
        if (fd < 0)
            throw new IOException($"cannot create {path}: {Transcript.Name(Sys.Errno)}");
        Sys.PwriteAll(fd, Encoding.UTF8.GetBytes(content), 0);
        Sys.Close(fd);
    }

    private static void WriteAll(Transcript t, int fd, string text)
    {
        fixed (byte* p = Encoding.UTF8.GetBytes(text))
            t.Count($"write {text}", Sys.Write(fd, p, text.Length) is var n && n < 0 ? -1 : n);
    }

    private static string Content(string path)
    {
        int fd = Sys.Open(path, Sys.O_RDONLY, 0);
        if (fd < 0)
            return Transcript.Name(Sys.Errno);
        var buffer = new byte[4096];
        long n = Sys.PreadSome(fd, buffer, 0);
        Sys.Close(fd);
        return n < 0 ? Transcript.Name((int)-n) : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    private static Sys.Stat StatOf(string path)
    {
        Sys.Stat s;
        return Sys.StatPath(path, &s) == 0 ? s : default;
    }

    private static Sys.Stat LstatOf(string path)
    {
        Sys.Stat s;
        return Sys.LstatPath(path, &s) == 0 ? s : default;
    }

    private static int StatRc(string path)
    {
        Sys.Stat s;
        return Sys.StatPath(path, &s);
    }

    private static Sys.Stat Fstat(int fd)
    {
        Sys.Stat s;
        return Sys.Fstat(fd, &s) == 0 ? s : default;
    }

    private static string ReadLink(string path)
    {
        var buffer = new byte[8192];
        fixed (byte* p = buffer)
        {
            nint n = Sys.ReadLink(path, p, buffer.Length);
            return n < 0 ? Transcript.Name(Sys.Errno) : Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    private static int SetXattr(string path, string name, string value, int flags)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        fixed (byte* p = bytes)
            return Sys.SetXattr(path, name, p, bytes.Length, flags);
    }

    private static string GetXattr(string path, string name, int size)
    {
        var buffer = new byte[size];
        fixed (byte* p = buffer)
        {
            nint n = Sys.GetXattr(path, name, size == 0 ? null : p, size);
            if (n < 0)
                return Transcript.Name(Sys.Errno);
            return size == 0 ? $"size {n}" : Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    private static string ListXattr(string path)
    {
        var buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = Sys.ListXattr(path, p, buffer.Length);
            if (n < 0)
                return Transcript.Name(Sys.Errno);
            return string.Join(",", Encoding.UTF8.GetString(buffer, 0, (int)n).Split('\0', StringSplitOptions.RemoveEmptyEntries).Order());
        }
    }
}
