using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>
/// Turns one raw request (fuse_in_header + body) into a call on <see cref="IFileSystem"/> and
/// writes the reply as one message. Partial files hold the handlers by concern.
/// </summary>
internal sealed partial class FuseDispatcher
{
    /// <summary>The newest protocol minor whose structs this dispatcher knows.</summary>
    public const uint SupportedMinor = 45;

    private readonly IFileSystem _fs;
    private readonly IFuseChannel _channel;
    private readonly FuseMountOptions _options;
    private readonly ILogger? _logger;
    private readonly InflightRequests _inflight = new();
    private readonly TaskCompletionSource<FuseConnectionInfo> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FuseDispatcher(IFileSystem fileSystem, IFuseChannel channel, FuseMountOptions options)
    {
        _fs = fileSystem;
        _channel = channel;
        _options = options;
        _logger = options.Logger;
        _trace = _logger?.IsEnabled(LogLevel.Trace) == true;
    }

    private readonly bool _trace;

    /// <summary>Completes with the negotiated connection once INIT is answered.</summary>
    public Task<FuseConnectionInfo> Initialized => _initialized.Task;

    /// <summary>True once DESTROY was received.</summary>
    public bool Destroyed { get; private set; }

    /// <summary>Requests currently being served (for tests and diagnostics).</summary>
    public int InflightCount => _inflight.Count;

    /// <summary>Number of INTERRUPT requests that cancelled a request being served.</summary>
    public int InterruptsDelivered => _interruptsDelivered;

    private int _interruptsDelivered;

    /// <summary>Cancels every request being served (shutdown).</summary>
    public void CancelAll() => _inflight.CancelAll();

    /// <summary>
    /// Serves one request held in <paramref name="buffer"/>[0..<paramref name="length"/>).
    /// The buffer must stay untouched until the returned task completes.
    /// </summary>
    public ValueTask DispatchAsync(byte[] buffer, int length)
    {
        if (length < InHeader.Size)
        {
            _logger?.LogWarning("FUSE: short request of {Length} bytes dropped", length);
            return default;
        }
        InHeader h = MemoryMarshal.Read<InHeader>(buffer);
        int end = (int)Math.Min(h.Length, (uint)length);
        ReadOnlyMemory<byte> body = buffer.AsMemory(InHeader.Size, Math.Max(0, end - InHeader.Size));
        if (_trace)
            _logger!.LogTrace("FUSE: {Opcode} unique {Unique} node {Node} pid {Pid} ({Length} bytes)", h.Opcode, h.Unique, h.NodeId, h.Pid, h.Length);

        switch (h.Opcode)
        {
            case FuseOpcode.Init: HandleInit(h, body.Span); return default;
            case FuseOpcode.Destroy: HandleDestroy(h); return default;
            case FuseOpcode.Interrupt: HandleInterrupt(h, body.Span); return default;
            case FuseOpcode.Forget: HandleForget(h, body.Span); return default;
            case FuseOpcode.BatchForget: HandleBatchForget(body.Span); return default;
        }

        if (!_initialized.Task.IsCompleted)
        {
            ReplyError(h.Unique, Errno.EIO);
            return default;
        }

        return h.Opcode switch
        {
            FuseOpcode.Lookup => LookupAsync(h, body),
            FuseOpcode.GetAttr => GetAttrAsync(h, body),
            FuseOpcode.SetAttr => SetAttrAsync(h, body),
            FuseOpcode.ReadLink => ReadLinkAsync(h),
            FuseOpcode.Symlink => SymlinkAsync(h, body),
            FuseOpcode.MkNod => MkNodAsync(h, body),
            FuseOpcode.MkDir => MkDirAsync(h, body),
            FuseOpcode.Unlink => UnlinkAsync(h, body, directory: false),
            FuseOpcode.RmDir => UnlinkAsync(h, body, directory: true),
            FuseOpcode.Rename => RenameAsync(h, body, WireReader.SizeOf<RenameIn>()),
            FuseOpcode.Rename2 => RenameAsync(h, body, WireReader.SizeOf<Rename2In>()),
            FuseOpcode.Link => LinkAsync(h, body),
            FuseOpcode.StatFs => StatFsAsync(h),
            FuseOpcode.Access => AccessAsync(h, body),
            FuseOpcode.Open => OpenAsync(h, body, directory: false),
            FuseOpcode.OpenDir => OpenAsync(h, body, directory: true),
            FuseOpcode.Create => CreateAsync(h, body),
            FuseOpcode.Read => ReadAsync(h, body),
            FuseOpcode.Write => WriteAsync(h, body),
            FuseOpcode.Flush => FlushAsync(h, body),
            FuseOpcode.Release => ReleaseAsync(h, body, directory: false),
            FuseOpcode.ReleaseDir => ReleaseAsync(h, body, directory: true),
            FuseOpcode.Fsync => FsyncAsync(h, body, directory: false),
            FuseOpcode.FsyncDir => FsyncAsync(h, body, directory: true),
            FuseOpcode.Fallocate => FallocateAsync(h, body),
            FuseOpcode.Lseek => LseekAsync(h, body),
            FuseOpcode.CopyFileRange => CopyFileRangeAsync(h, body),
            FuseOpcode.ReadDir => ReadDirAsync(h, body, plus: false),
            FuseOpcode.ReadDirPlus => ReadDirAsync(h, body, plus: true),
            FuseOpcode.GetLk => GetLockAsync(h, body),
            FuseOpcode.SetLk => SetLockAsync(h, body, wait: false),
            FuseOpcode.SetLkW => SetLockAsync(h, body, wait: true),
            FuseOpcode.SetXattr => SetXattrAsync(h, body),
            FuseOpcode.GetXattr => GetXattrAsync(h, body),
            FuseOpcode.ListXattr => ListXattrAsync(h, body),
            FuseOpcode.RemoveXattr => RemoveXattrAsync(h, body),
            _ => Unknown(h),
        };
    }

    private ValueTask Unknown(in InHeader h)
    {
        _logger?.LogDebug("FUSE: opcode {Opcode} not implemented, answering ENOSYS", (uint)h.Opcode);
        ReplyError(h.Unique, Errno.ENOSYS);
        return default;
    }

    /// <summary>Registers the request for INTERRUPT and builds the context handed to the file system.</summary>
    private FuseRequestContext Begin(in InHeader h) =>
        new(h.Unique, h.Uid, h.Gid, h.Pid, _inflight.Register(h.Unique));

    private void End(ulong unique) => _inflight.Complete(unique);

    /// <summary>Maps an exception from a handler to the errno the caller sees.</summary>
    private void ReplyException(in InHeader h, Exception exception, in FuseRequestContext context)
    {
        if (exception is OperationCanceledException && context.Cancellation.IsCancellationRequested)
        {
            ReplyError(h.Unique, Errno.EINTR);
            return;
        }
        _logger?.LogError(exception, "FUSE: {Opcode} on node {Node} failed", h.Opcode, h.NodeId);
        ReplyError(h.Unique, Errno.EIO);
    }
}
