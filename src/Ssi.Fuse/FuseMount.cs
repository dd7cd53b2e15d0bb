using Microsoft.Extensions.Logging;
using Ssi.Fuse.Dispatch;
using Ssi.Fuse.Native;

namespace Ssi.Fuse;

/// <summary>
/// A mounted FUSE file system and the session serving it: a few threads each read one request
/// at a time from /dev/fuse and answer it through an <see cref="IFileSystem"/>.
/// </summary>
/// <remarks>
/// <para>Mounting goes through mount(2) as root and through fusermount3 otherwise. A dead mount left
/// at the mount point by a crashed server (one that answers ENOTCONN) is detached first.</para>
/// <para>Disposing unmounts lazily (MNT_DETACH), waits briefly for the kernel to end the
/// connection, and aborts it through fusectl if open files keep it alive.</para>
/// </remarks>
public sealed partial class FuseMount : IDisposable
{
    private const int EINTR = 4, EAGAIN = 11, ENODEV = 19, ECONNABORTED = 103;
    private static readonly TimeSpan s_unmountGrace = TimeSpan.FromSeconds(2);

    private readonly IFileSystem _fileSystem;
    private readonly FuseMountOptions _options;
    private readonly FuseDevice _device;
    private readonly FuseDispatcher _dispatcher;
    private readonly RequestBufferPool _buffers;
    private readonly bool _viaFusermount;
    private readonly CountdownEvent _readersRunning;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger? _logger;
    private uint? _deviceNumber;
    private int _disposed;

    private FuseMount(string mountPoint, IFileSystem fileSystem, FuseMountOptions options, FuseDevice device, bool viaFusermount)
    {
        MountPoint = mountPoint;
        _fileSystem = fileSystem;
        _options = options;
        _device = device;
        _viaFusermount = viaFusermount;
        _logger = options.Logger;
        _dispatcher = new FuseDispatcher(fileSystem, device, options);
        _buffers = new RequestBufferPool(options.MaxWrite, keep: options.ReaderThreads * 4);
        _readersRunning = new CountdownEvent(Math.Max(1, options.ReaderThreads));
    }

    /// <summary>The absolute path where the file system is mounted.</summary>
    public string MountPoint { get; }

    /// <summary>What INIT settled with the kernel.</summary>
    public FuseConnectionInfo Connection { get; private set; } = new();

    /// <summary>Completes when the session has ended: unmounted (by anyone) or disposed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Requests currently being served.</summary>
    public int ActiveRequests => _dispatcher.InflightCount;

    /// <summary>INTERRUPTs that cancelled a request being served, since mounting.</summary>
    public int InterruptsDelivered => _dispatcher.InterruptsDelivered;

    /// <summary>
    /// Mounts <paramref name="fileSystem"/> at <paramref name="mountPoint"/> (an existing directory),
    /// starts serving, and completes once the kernel's INIT has been answered.
    /// </summary>
    /// <exception cref="IOException">The device could not be opened or the mount failed.</exception>
    /// <exception cref="TimeoutException">The kernel did not send INIT in time.</exception>
    public static async Task<FuseMount> MountAsync(string mountPoint, IFileSystem fileSystem, FuseMountOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        options ??= new FuseMountOptions();
        string path = Path.GetFullPath(mountPoint);
        bool viaFusermount = options.UseFusermount ?? !KernelMount.IsRoot;
        if (KernelMount.ClearStale(path, viaFusermount))
            options.Logger?.LogWarning("FUSE: cleared a dead mount left at {MountPoint}", path);
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"FUSE mount point {path} does not exist; create the directory first.");

        FuseDevice device = viaFusermount ? new FuseDevice(Fusermount.Mount(path, options)) : FuseDevice.Open();
        FuseMount? mount = null;
        try
        {
            if (!viaFusermount)
                KernelMount.Mount(path, device.Fd, options);
            mount = new FuseMount(path, fileSystem, options, device, viaFusermount);
            mount.StartReaders();
            mount.Connection = await mount._dispatcher.Initialized.WaitAsync(options.InitTimeout, cancellationToken).ConfigureAwait(false);
            mount._deviceNumber = KernelMount.DeviceOf(path);
            AppDomain.CurrentDomain.ProcessExit += mount.OnProcessExit;
            return mount;
        }
        catch
        {
            if (mount is not null)
                mount.Dispose();
            else
            {
                if (!viaFusermount)
                    KernelMount.Unmount(path);
                device.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Detaches a dead FUSE mount (one whose server is gone and that answers ENOTCONN) at
    /// <paramref name="mountPoint"/>. Returns true if one was cleared.
    /// </summary>
    public static bool ClearStaleMount(string mountPoint) =>
        KernelMount.ClearStale(Path.GetFullPath(mountPoint), !KernelMount.IsRoot);

    /// <summary>
    /// Aborts and detaches every FUSE mount at <paramref name="mountPoint"/> without asking its
    /// server, for a mount point that belongs to the caller alone (a restarted daemon's own
    /// mount). Unlike <see cref="ClearStaleMount"/> it cannot hang: a server that was killed
    /// while one of its own threads waited on its mount still holds the connection open, and
    /// every request to it waits for good. Returns how many mounts were removed.
    /// </summary>
    public static int AbortLeftoverMounts(string mountPoint) =>
        KernelMount.AbortAndDetach(Path.GetFullPath(mountPoint), !KernelMount.IsRoot);

    /// <summary>
    /// Aborts FUSE connection <paramref name="connection"/> (a device number, as
    /// <see cref="FuseMountTable"/> lists it) through fusectl: every request waiting on it ends
    /// with ENOTCONN. Root only; false when there is no such connection.
    /// </summary>
    public static bool AbortConnection(uint connection) => KernelMount.Abort(connection);

    private void StartReaders()
    {
        for (int i = 0; i < _readersRunning.InitialCount; i++)
        {
            var thread = new Thread(ReadLoop) { IsBackground = true, Name = $"fuse-reader-{i}" };
            thread.Start();
        }
    }

    private void ReadLoop()
    {
        try
        {
            while (true)
            {
                byte[] buffer = _buffers.Rent();
                int length = _device.Read(buffer);
                if (length < 0)
                {
                    _buffers.Return(buffer);
                    int error = -length;
                    if (error is EINTR or EAGAIN)
                        continue;
                    if (error is not (ENODEV or ECONNABORTED) && Volatile.Read(ref _disposed) == 0)
                        _logger?.LogError("FUSE: reading /dev/fuse for {MountPoint} failed: {Error}", MountPoint, new Errno(error));
                    return;
                }
                ValueTask pending = _dispatcher.DispatchAsync(buffer, length);
                if (pending.IsCompletedSuccessfully)
                {
                    pending.GetAwaiter().GetResult();
                    _buffers.Return(buffer);
                }
                else
                {
                    _ = ReturnWhenDoneAsync(pending, buffer);
                }
            }
        }
        catch (Exception ex)
        {
            _logger?.LogCritical(ex, "FUSE: reader for {MountPoint} stopped", MountPoint);
        }
        finally
        {
            if (_readersRunning.Signal())
                _completion.TrySetResult();
        }
    }

    private async Task ReturnWhenDoneAsync(ValueTask pending, byte[] buffer)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger?.LogError(ex, "FUSE: request on {MountPoint} failed", MountPoint);
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    // A process that exits normally (SIGTERM included) unmounts instead of leaving a dead mount behind.
    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    /// <summary>Unmounts (lazily), ends the session and closes the device.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Errno unmounted = _viaFusermount ? Fusermount.Unmount(MountPoint) : KernelMount.Unmount(MountPoint);
        if (!unmounted.IsOk && unmounted.Value != Errno.EINVAL.Value)
            _logger?.LogWarning("FUSE: unmounting {MountPoint} failed: {Error}", MountPoint, unmounted);
        if (!_readersRunning.Wait(s_unmountGrace))
        {
            // Open files keep a detached mount's connection alive: abort it so the readers return.
            if (_deviceNumber is uint device && KernelMount.Abort(device))
                _readersRunning.Wait(s_unmountGrace);
        }
        _dispatcher.CancelAll();
        if (!_dispatcher.Destroyed)
        {
            try
            {
                _fileSystem.Destroy();
            }
            catch (Exception ex)
            {
                _logger?.LogError(ex, "FUSE: destroying the file system of {MountPoint} failed", MountPoint);
            }
        }
        _device.Dispose();
        _completion.TrySetResult();
    }
}
