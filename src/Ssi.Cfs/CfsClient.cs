using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ssi.Cfs.Wire;
using Ssi.Fuse;
using Ssi.Protocol;

namespace Ssi.Cfs;

/// <summary>
/// A node's CFS client: the <see cref="IFileSystem"/> behind its <c>/cluster</c> mount. Every operation
/// is forwarded to the server with the caller's uid, gid and pid (the server node's own mount goes
/// through the same messages); node ids are the server's. Invalidations pushed by the server become
/// FUSE notifications, applied outside any request handler.
/// </summary>
public sealed partial class CfsClient : IFileSystem
{
    private readonly ICfsServerLink _link;
    private readonly CfsClientOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _lost = new();
    private readonly WriteBehind _writes;
    private readonly ChangedDirectories _directories = new();
    // (file, lock owner) pairs this client sent a POSIX lock request for: only their close needs the server.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ulong Node, ulong Owner), byte> _lockOwners = new();
    // (file, handle) pairs a lock request went through: only their release may drop locks at the server.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ulong Node, ulong Handle), byte> _lockedHandles = new();
    private readonly Channel<Postponed> _postponed = Channel.CreateUnbounded<Postponed>(new UnboundedChannelOptions { SingleReader = true });
    private long _nextRequest;
    private long _requests;
    private long _invalidationsApplied;
    private volatile bool _detached;

    /// <summary>A client of the server instance <paramref name="instance"/> (from <see cref="AttachAsync"/>).</summary>
    public CfsClient(ICfsServerLink link, int localNode, ulong instance, CfsClientOptions options, ILogger log)
    {
        _link = link;
        LocalNode = localNode;
        Instance = instance;
        _options = options;
        _log = log;
        NodeLinkTarget = System.Text.Encoding.UTF8.GetBytes($"{CfsServer.NodesDirectory}/{localNode}");
        _writes = new WriteBehind(SendWriteBatchAsync);
        _ = Task.Run(SendPostponedAsync);
    }

    /// <summary>This node's number.</summary>
    public int LocalNode { get; }

    /// <summary>The server instance this client's node ids belong to.</summary>
    public ulong Instance { get; }

    /// <summary>The mount whose kernel caches this client invalidates (set once mounted).</summary>
    public FuseMount? Mount { get; set; }

    /// <summary>Operations sent to the server.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Invalidation messages applied.</summary>
    public long Invalidations => Interlocked.Read(ref _invalidationsApplied);

    /// <summary>True once the server was lost or replaced: every operation fails with ENOTCONN.</summary>
    public bool IsDetached => _detached;

    /// <summary>Raised (once) when the server answers as another instance: this client's node ids are void.</summary>
    public event Action<CfsClient>? Stale;

    /// <summary>Asks the server for its instance (and so announces node <paramref name="localNode"/> and its new mount).</summary>
    public static async Task<ulong> AttachAsync(ICfsServerLink link, int localNode, TimeSpan timeout, CancellationToken ct)
    {
        var reply = await link.RequestAsync(CfsMethods.Attach, new CfsWriter(4).U32((uint)localNode).Written, timeout, ct).ConfigureAwait(false);
        var r = new CfsReader(reply);
        int error = r.I32();
        if (error != 0)
            throw new SsiException(Status.Internal, $"the CFS server on node {link.ServerNode} refused to attach: errno {error}");
        return r.U64();
    }

    /// <summary>The server is gone: fail waiting and future operations with ENOTCONN until a new client replaces this one.</summary>
    public void Detach()
    {
        _detached = true;
        _writes.RevokeAll();
        try
        {
            _lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _postponed.Writer.TryComplete();
    }

    /// <summary>
    /// Applies an <see cref="CfsMethods.Invalidate"/> message from the server to this node's kernel caches;
    /// completes once applied. Runs on a pool thread: a notification can wait for a kernel lock that a
    /// request in flight holds, and must not stall the connection that will bring that request's answer.
    /// </summary>
    public Task ApplyAsync(ReadOnlyMemory<byte> message)
    {
        // Before anything else: a directory's attributes from an earlier reply may be what this drops.
        _directories.Changed();
        return Task.Run(() => Apply(message));
    }

    private Task Apply(ReadOnlyMemory<byte> message)
    {
        var mount = Mount;
        if (mount is null || _detached)
            return Task.CompletedTask;
        List<Task>? revoked = null;
        try
        {
            var r = new CfsReader(message);
            if (r.U64() != Instance)
                return Task.CompletedTask;
            while (r.Remaining > 0)
            {
                var kind = (InvalidationKind)r.U8();
                ulong node = r.U64();
                if (kind == InvalidationKind.Entry)
                    mount.InvalidateEntry(node, r.Bytes().Span);
                else if (kind == InvalidationKind.Revoke)
                    (revoked ??= []).Add(_writes.RevokeAsync(node));
                else
                    mount.InvalidateInode(node);
            }
            Interlocked.Increment(ref _invalidationsApplied);
        }
        catch (Exception e) when (e is InvalidDataException or ObjectDisposedException or IOException)
        {
            _log.LogDebug("invalidation not applied: {Reason}", e.Message);
        }
        return revoked is null ? Task.CompletedTask : Task.WhenAll(revoked);
    }

    private static bool ChangesAttributes(CfsOp op) => op is not (CfsOp.GetAttributes or CfsOp.Lookup or CfsOp.Read or CfsOp.ReadLink
        or CfsOp.GetXattr or CfsOp.ListXattr or CfsOp.OpenDirectory or CfsOp.ReadDirectory or CfsOp.ReleaseDirectory or CfsOp.StatFs
        or CfsOp.GetLock or CfsOp.SetLock or CfsOp.Flush or CfsOp.Fsync or CfsOp.Release or CfsOp.Access or CfsOp.Seek);

    /// <summary>Waits for this node's write-behind writes, as a request sent to the server would.</summary>
    private async ValueTask<Errno> DrainedAsync()
    {
        if (_detached)
            return Errno.ENOTCONN;
        await _writes.DrainAsync().ConfigureAwait(false);
        return Errno.Ok;
    }

    /// <summary>Starts a request: operation code, instance, request id, caller.</summary>
    private CfsWriter Begin(CfsOp op, in FuseRequestContext context, out ulong request) =>
        Begin(new CfsWriter(128), op, context, out request);

    /// <summary>Starts a request in <paramref name="message"/> (a pooled writer for large ones).</summary>
    private CfsWriter Begin(CfsWriter message, CfsOp op, in FuseRequestContext context, out ulong request)
    {
        request = (ulong)Interlocked.Increment(ref _nextRequest);
        return message.U8((byte)op).U64(Instance).U32((uint)LocalNode).U64(request).U32(context.Uid).U32(context.Gid).U32(context.Pid);
    }

    /// <summary>Room for a request's header (<see cref="Begin(CfsOp, in FuseRequestContext, out ulong)"/>).</summary>
    private const int HeaderSize = 1 + 8 + 4 + 8 + 4 + 4 + 4;

    /// <summary>
    /// Sends an operation and returns the reply positioned after the errno. Operations other than lock
    /// waits are not interruptible: once sent, the server carries them out, so the caller waits for the answer.
    /// </summary>
    private async ValueTask<(Errno Error, CfsReader Reply)> CallAsync(CfsWriter request, bool waitsForLock = false,
        ulong requestId = 0, bool behind = false, CancellationToken interrupt = default)
    {
        if (_detached)
            return (Errno.ENOTCONN, default);
        // Whatever this node does next is ordered after the writes it has already answered.
        if (!behind && !_writes.IsIdle)
            await _writes.DrainAsync().ConfigureAwait(false);
        if (!behind && ChangesAttributes((CfsOp)request.Written.Span[0]))
        {
            _writes.ForgetAttributes();
            _directories.Changed();
        }
        Interlocked.Increment(ref _requests);
        try
        {
            ReadOnlyMemory<byte> reply;
            if (!waitsForLock)
            {
                reply = await _link.RequestAsync(CfsMethods.Operation, request.Written, _options.OperationTimeout, _lost.Token).ConfigureAwait(false);
            }
            else
            {
                var pending = _link.RequestAsync(CfsMethods.Operation, request.Written, TimeSpan.FromDays(1), _lost.Token).AsTask();
                while (!pending.IsCompleted)
                {
                    await Task.WhenAny(pending, Task.Delay(interrupt.IsCancellationRequested ? 250 : Timeout.Infinite, interrupt)).ConfigureAwait(false);
                    if (interrupt.IsCancellationRequested && !pending.IsCompleted)
                        await _link.SendAsync(CfsMethods.Cancel, new CfsWriter(12).U32((uint)LocalNode).U64(requestId).Written).ConfigureAwait(false);
                }
                reply = await pending.ConfigureAwait(false);
            }
            var r = new CfsReader(reply);
            int error = r.I32();
            if (error == CfsWire.StaleInstance)
            {
                _log.LogWarning("the CFS server on node {Node} is a new instance: this mount's node ids are void", _link.ServerNode);
                Detach();
                Stale?.Invoke(this);
                return (Errno.ENOTCONN, default);
            }
            return (new Errno(error), r);
        }
        catch (OperationCanceledException)
        {
            return (Errno.ENOTCONN, default);
        }
        catch (SsiException e) when (e.Status == Status.DeadlineExceeded)
        {
            _log.LogWarning("CFS server on node {Node} did not answer: {Reason}", _link.ServerNode, e.Message);
            return (Errno.EIO, default);
        }
        catch (SsiException e) when (e.Status is Status.Unavailable or Status.Cancelled or Status.NotFound)
        {
            _log.LogDebug("CFS server on node {Node} unreachable: {Reason}", _link.ServerNode, e.Message);
            return (Errno.ENOTCONN, default);
        }
        catch (SsiException e)
        {
            _log.LogWarning("CFS server on node {Node} failed a request: {Reason}", _link.ServerNode, e.Message);
            return (Errno.EIO, default);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return (Errno.ENOTCONN, default);
        }
        catch (InvalidDataException)
        {
            return (Errno.EPROTO, default);
        }
    }
}
