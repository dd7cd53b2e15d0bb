using System.Runtime.InteropServices;
using System.Text;

namespace Ssi.Posix;

/// <summary>
/// One <c>posix_spawn</c>: the file actions and attributes the child starts with, held in native
/// memory until disposed. posix_spawn is safe in a multithreaded .NET process, unlike fork.
/// File actions run in the child in the order they were added, after the attributes (so after
/// <c>setsid</c>) and before exec.
/// </summary>
/// <example>
/// <code>
/// using var spawn = new PosixSpawn();
/// spawn.Open(0, "/dev/null", O_RDONLY);
/// spawn.Dup2(logFd, 1);
/// spawn.CloseFrom(3);
/// spawn.NewSessionWithDefaultSignals();
/// int pid = spawn.Start(["sleep", "10"], ["PATH=/usr/bin:/bin"], searchPath: true);
/// </code>
/// </example>
public sealed unsafe class PosixSpawn : IDisposable
{
    private readonly List<IntPtr> _strings = [];
    private byte* _fileActions;
    private byte* _attributes;
    private bool _fileActionsReady;
    private bool _attributesReady;

    /// <summary>Prepares empty file actions and default attributes.</summary>
    /// <exception cref="IOException">libc could not initialise them.</exception>
    public PosixSpawn()
    {
        try
        {
            _fileActions = (byte*)NativeMemory.AllocZeroed(LibC.SpawnFileActionsSize);
            Check(LibC.SpawnFileActionsInit(_fileActions), "posix_spawn_file_actions_init");
            _fileActionsReady = true;
            _attributes = (byte*)NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
            Check(LibC.SpawnAttrInit(_attributes), "posix_spawnattr_init");
            _attributesReady = true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The child opens <paramref name="path"/> as descriptor <paramref name="fd"/>.</summary>
    /// <param name="fd">The descriptor the file becomes.</param>
    /// <param name="path">The file, resolved in the child (after any <see cref="Chdir"/> added before).</param>
    /// <param name="flags"><c>open(2)</c> flags (<c>O_*</c>).</param>
    /// <param name="mode">Permissions of a file created by <c>O_CREAT</c>.</param>
    /// <exception cref="IOException">libc refused the action.</exception>
    public void Open(int fd, string path, int flags, UnixFileMode mode = UnixFileMode.None) =>
        Check(LibC.SpawnFileActionsAddOpen(FileActions, fd, Utf8(path), flags, (uint)mode), $"addopen {fd} {path}");

    /// <summary>The child's descriptor <paramref name="newFd"/> becomes a copy of <paramref name="fd"/>.</summary>
    /// <exception cref="IOException">libc refused the action.</exception>
    public void Dup2(int fd, int newFd) =>
        Check(LibC.SpawnFileActionsAddDup2(FileActions, fd, newFd), $"adddup2 {fd} {newFd}");

    /// <summary>The child changes its working directory to <paramref name="path"/>.</summary>
    /// <exception cref="IOException">libc refused the action.</exception>
    public void Chdir(string path) =>
        Check(LibC.SpawnFileActionsAddChdir(FileActions, Utf8(path)), $"addchdir {path}");

    /// <summary>The child closes every descriptor from <paramref name="lowFd"/> up, so it inherits none it was not given.</summary>
    /// <exception cref="IOException">libc refused the action.</exception>
    public void CloseFrom(int lowFd) =>
        Check(LibC.SpawnFileActionsAddCloseFrom(FileActions, lowFd), $"addclosefrom {lowFd}");

    /// <summary>
    /// The child leads a new session (<c>setsid</c>), with every signal at its default
    /// disposition and an empty signal mask, whatever this runtime has set for itself.
    /// </summary>
    /// <exception cref="IOException">libc refused an attribute.</exception>
    public void NewSessionWithDefaultSignals()
    {
        byte* sigset = stackalloc byte[LibC.SigSetSize];
        Check(LibC.SpawnAttrSetFlags(Attributes,
            LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF), "setflags");
        LibC.SigEmptySet(sigset);
        Check(LibC.SpawnAttrSetSigMask(Attributes, sigset), "setsigmask");
        LibC.SigFillSet(sigset);
        Check(LibC.SpawnAttrSetSigDefault(Attributes, sigset), "setsigdefault");
    }

    /// <summary>Starts the child and returns its pid, in the PID namespace of the calling thread's children.</summary>
    /// <param name="argv">The arguments; argv[0] is the program.</param>
    /// <param name="environment">The whole environment, as <c>KEY=VALUE</c>.</param>
    /// <param name="searchPath">
    /// Look argv[0] up in PATH (<c>posix_spawnp</c>, with this process's PATH); otherwise it must
    /// be a path (<c>posix_spawn</c>).
    /// </param>
    /// <exception cref="IOException">The child could not be started (for example ENOENT: no such program).</exception>
    public int Start(IReadOnlyList<string> argv, IReadOnlyList<string> environment, bool searchPath)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        byte* fileActions = FileActions;
        byte* attributes = Attributes;
        byte** args = PointerArray(argv);
        byte** envp = PointerArray(environment);
        int pid;
        int error = searchPath
            ? LibC.PosixSpawnP(out pid, args[0], fileActions, attributes, args, envp)
            : LibC.PosixSpawn(out pid, args[0], fileActions, attributes, args, envp);
        if (error != 0)
            throw new IOException($"cannot start {argv[0]}: posix_spawn failed with errno {error}");
        return pid;
    }

    /// <summary>Frees the file actions, the attributes and every string they refer to.</summary>
    public void Dispose()
    {
        if (_fileActionsReady)
            LibC.SpawnFileActionsDestroy(_fileActions);
        if (_attributesReady)
            LibC.SpawnAttrDestroy(_attributes);
        _fileActionsReady = _attributesReady = false;
        NativeMemory.Free(_fileActions);
        NativeMemory.Free(_attributes);
        _fileActions = _attributes = null;
        foreach (var p in _strings)
            NativeMemory.Free((void*)p);
        _strings.Clear();
    }

    private byte* FileActions
    {
        get
        {
            ObjectDisposedException.ThrowIf(!_fileActionsReady, this);
            return _fileActions;
        }
    }

    private byte* Attributes
    {
        get
        {
            ObjectDisposedException.ThrowIf(!_attributesReady, this);
            return _attributes;
        }
    }

    private static void Check(int result, string step)
    {
        if (result != 0)
            throw new IOException($"posix_spawn setup failed at {step}: errno {result}");
    }

    // The strings live until Dispose: file actions keep pointers to their paths.
    private byte* Utf8(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        _strings.Add((IntPtr)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }

    private byte** PointerArray(IReadOnlyList<string> strings)
    {
        byte** array = (byte**)NativeMemory.AllocZeroed((nuint)(strings.Count + 1), (nuint)sizeof(byte*));
        _strings.Add((IntPtr)array);
        for (int i = 0; i < strings.Count; i++)
            array[i] = Utf8(strings[i]);
        return array;
    }
}
