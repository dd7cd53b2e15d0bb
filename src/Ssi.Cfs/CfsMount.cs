using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ssi.Fuse;
using Ssi.Protocol;

namespace Ssi.Cfs;

/// <summary>
/// A node's <c>/cluster</c>: attaches to the CFS server, mounts a <see cref="CfsClient"/>, and when the
/// server is lost fails operations fast (ENOTCONN) and mounts afresh once the server answers again.
/// </summary>
public sealed class CfsMount : IAsyncDisposable
{
    /// <summary>FUSE capabilities of a CFS mount: the defaults without readdirplus (listings are forwarded as plain
    /// entries) and without automatic data invalidation (data coherence comes from the server's invalidations).</summary>
    public const FuseCapabilities Capabilities = FuseMountOptions.DefaultCapabilities &
        ~(FuseCapabilities.AutoInvalidateData | FuseCapabilities.ReaddirPlus | FuseCapabilities.ReaddirPlusAuto);

    private readonly ICfsServerLink _link;
    private readonly CfsClientOptions _options;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _kick = new(0);
    private readonly TaskCompletionSource _firstMount = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private FuseMount? _mount;
    private volatile CfsClient? _client;

    /// <summary>A mount of the cluster tree at <paramref name="mountPoint"/> for node <paramref name="localNode"/>.</summary>
    public CfsMount(ICfsServerLink link, int localNode, string mountPoint, CfsClientOptions? options = null, ILoggerFactory? logs = null)
    {
        _link = link;
        LocalNode = localNode;
        MountPoint = mountPoint;
        _options = options ?? new CfsClientOptions();
        _logs = logs ?? NullLoggerFactory.Instance;
        _log = _logs.CreateLogger("cfs");
    }

    /// <summary>This node.</summary>
    public int LocalNode { get; }

    /// <summary>Where the tree is mounted.</summary>
    public string MountPoint { get; }

    /// <summary>The server node.</summary>
    public int ServerNode => _link.ServerNode;

    /// <summary>The current client (null before the first attach).</summary>
    public CfsClient? Client => _client;

    /// <summary>Completes when the tree is mounted the first time.</summary>
    public Task Mounted => _firstMount.Task;

    /// <summary>Times the tree was mounted (more than one: the server was lost and came back).</summary>
    public int Mounts { get; private set; }

    /// <summary>Why the last attempt to attach and mount failed.</summary>
    public string? LastError { get; private set; }

    /// <summary>attached, detached (server lost, waiting for it) or unmounted (never reached it yet).</summary>
    public string State => _client switch
    {
        null => "unmounted",
        { IsDetached: true } => "detached",
        _ => "attached",
    };

    /// <summary>Starts attaching and mounting in the background.</summary>
    public void Start()
    {
        // A daemon that died left its mount behind: detach it first. This daemon alone serves the
        // node (the control socket said so), so any FUSE mount there is a dead daemon's; one
        // killed amid a request on its own mount is still held open, and a stat would hang.
        var leftovers = FuseMount.AbortLeftoverMounts(MountPoint);
        if (leftovers > 0)
            _log.LogWarning("CFS: removed {Count} FUSE mount(s) a previous daemon left at {Mount}", leftovers, MountPoint);
        Directory.CreateDirectory(MountPoint);
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>The server node is down: fail every operation with ENOTCONN until it is back.</summary>
    public void ServerDown()
    {
        _client?.Detach();
        _log.LogWarning("CFS server node {Node} is down: {Mount} fails with ENOTCONN until it returns", ServerNode, MountPoint);
    }

    /// <summary>The server node is up (again): reattach now rather than at the next retry.</summary>
    public void ServerUp() => _kick.Release();

    /// <summary>Applies an invalidation from the server to the current client's caches; completes once applied.</summary>
    public Task ApplyAsync(ReadOnlyMemory<byte> message) => _client?.ApplyAsync(message) ?? Task.CompletedTask;

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var client = _client;
            if (client is null || client.IsDetached)
            {
                try
                {
                    await RemountAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    LastError = e.Message;
                    _log.LogDebug("CFS server on node {Node} not reachable yet: {Reason}", ServerNode, e.Message);
                }
            }
            try
            {
                await _kick.WaitAsync(_options.ReattachInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RemountAsync(CancellationToken ct)
    {
        ulong instance = await CfsClient.AttachAsync(_link, LocalNode, TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
        // ICS completes requests inline on its receive loop; mounting blocks until the kernel's first
        // requests are answered, and their answers arrive on that same loop.
        await Task.Yield();
        var client = new CfsClient(_link, LocalNode, instance, _options, _logs.CreateLogger("cfs-client"));
        client.Stale += _ => _kick.Release();
        var old = _mount;
        if (old is not null)
        {
            _log.LogInformation("CFS: remounting {Mount} for server instance {Instance:x16}", MountPoint, instance);
            _mount = null;
            old.Dispose();
        }
        var mount = await FuseMount.MountAsync(MountPoint, client, new FuseMountOptions
        {
            Capabilities = Capabilities,
            FileSystemName = "ssi-cfs",
            Subtype = "cfs",
            Logger = _logs.CreateLogger("cfs-fuse"),
        }, ct).ConfigureAwait(false);
        client.Mount = mount;
        _mount = mount;
        _client = client;
        Mounts++;
        _log.LogInformation("CFS: node {Node} mounted {Mount} from server node {Server} (instance {Instance:x16})", LocalNode, MountPoint, ServerNode, instance);
        _firstMount.TrySetResult();
    }

    /// <summary>Unmounts and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _client?.Detach();
        _mount?.Dispose();
        _mount = null;
        _stopping.Dispose();
    }
}
