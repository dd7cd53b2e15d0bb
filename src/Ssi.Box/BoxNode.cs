using System.Collections;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ssi.Box.Native;
using Ssi.Posix;

namespace Ssi.Box;

/// <summary>
/// One node of a box: a network namespace whose <c>eth0</c> is a port of the box bridge, a
/// persistent mount namespace, and a state directory that the host sees too (it holds the
/// node daemon's Unix socket, pidfiles and logs).
/// </summary>
public sealed class BoxNode
{
    internal BoxNode(ClusterBox box, int number)
    {
        Box = box;
        Number = number;
        Address = BoxAddressPlan.NodeAddress(box.Index, number);
    }

    /// <summary>The box this node belongs to.</summary>
    public ClusterBox Box { get; }

    /// <summary>The node number, 1-based.</summary>
    public int Number { get; }

    /// <summary>The node's name within its box, <c>node&lt;K&gt;</c>.</summary>
    public string Name => $"node{Number}";

    /// <summary>The node's address on the box network (prefix <see cref="BoxAddressPlan.PrefixLength"/>).</summary>
    public IPAddress Address { get; }

    /// <summary>The node's state directory, <c>&lt;box dir&gt;/node&lt;K&gt;</c>: the same path from the host and from the node.</summary>
    public string StateDirectory => Path.Combine(Box.StateDirectory, Name);

    /// <summary>Where the node daemon listens; reachable from the host.</summary>
    public string SocketPath => Path.Combine(StateDirectory, "ssid.sock");

    /// <summary>The network namespace name, as <c>ip netns</c> shows it.</summary>
    public string NetworkNamespace => $"{Box.Name}-n{Number}";

    /// <summary>The file that holds the network namespace (for setns or <c>nsenter --net</c>).</summary>
    public string NetworkNamespacePath => $"/run/netns/{NetworkNamespace}";

    /// <summary>The file that holds the persistent mount namespace (for <c>nsenter --mount</c>).</summary>
    public string MountNamespacePath => Path.Combine(Box.StateDirectory, "ns", $"{Name}.mnt");

    /// <summary>The node's network interface, inside its namespace.</summary>
    public string InterfaceName => "eth0";

    /// <summary>The bridge port of the node's link, inside the switch namespace.</summary>
    public string PortName => $"{Box.Name}-n{Number}";

    /// <summary>
    /// Starts a long-running process inside the node's network and mount namespaces, in a
    /// session of its own, stdin from /dev/null, stdout and stderr appended to its log file,
    /// and records its pid in <c>&lt;state dir&gt;/&lt;name&gt;.pid</c>. Returns once the process
    /// runs inside the node (or has already exited). The process outlives the caller.
    /// </summary>
    public NodeProcess Start(NodeCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Name.Length == 0 || !command.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"'{command.Name}' cannot name a process: use letters, digits, '-', '_' or '.'", nameof(command));
        if (FindProcess(command.Name) is { } running)
            throw new BoxException($"{Name} of box {Box.Name} already runs '{command.Name}' (pid {running.Pid}): kill it first");

        string logFile = command.LogFile ?? Path.Combine(StateDirectory, command.Name + ".log");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            environment[(string)e.Key] = (string?)e.Value ?? "";
        foreach (var (key, value) in command.Environment ?? new Dictionary<string, string>())
            environment[key] = value;

        // nsenter enters the namespaces and execs the command: no fork, so the pid is the command's.
        int pid = DetachedProcess.Start(
            ["nsenter", .. NsenterArguments(command.WorkingDirectory), command.Executable, .. command.Arguments],
            environment, logFile);

        WaitUntilInside(pid);

        string pidFile = PidFileOf(command.Name);
        File.WriteAllText(pidFile, pid.ToString(CultureInfo.InvariantCulture) + "\n");
        return new NodeProcess(Number, command.Name, pid, pidFile, logFile);
    }

    /// <summary>The process started under <paramref name="name"/>, if it is still running.</summary>
    public NodeProcess? FindProcess(string name)
    {
        DetachedProcess.ReapExited();
        int pid = ReadPidFile(name);
        // Our own child may not have entered the namespaces yet, but its pid is certain.
        bool running = DetachedProcess.TryGetChild(pid) is { } child ? !child.HasExited : pid > 0 && IsInNode(pid);
        if (!running)
            return null;
        return new NodeProcess(Number, name, pid, PidFileOf(name), Path.Combine(StateDirectory, name + ".log"));
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (SIGKILL by default) to the process started under
    /// <paramref name="name"/> and waits until it has exited. Returns false when it was not running.
    /// </summary>
    public async Task<bool> KillAsync(string name, int signal = 9, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) => await KillAsync(name, signal, servesFuse: false, timeout, cancellationToken);

    /// <summary>
    /// <see cref="KillAsync(string, int, TimeSpan?, CancellationToken)"/> for a process that
    /// serves the node's FUSE mounts (<paramref name="servesFuse"/>: its daemon): killed with
    /// SIGKILL, those mounts' connections are aborted too.
    /// </summary>
    public async Task<bool> KillAsync(string name, int signal, bool servesFuse, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        int pid = ReadPidFile(name);
        if (pid <= 0)
            return false;

        // Our own child cannot have its pid reused before we reap it; anything else must be
        // shown to live in this node before it is signalled.
        var child = DetachedProcess.TryGetChild(pid);
        Pidfd? opened = null;
        bool wasRunning;
        try
        {
            opened = child is null && IsInNode(pid) ? Pidfd.Open(pid) : null;
            var pidfd = child ?? opened;
            var fuse = servesFuse && signal == 9 && pidfd is not null ? FuseConnections.Of([pid], new HashSet<ulong> { LibC.InodeOf(MountNamespacePath) }) : [];
            wasRunning = pidfd is not null && !pidfd.HasExited && pidfd.Signal(signal);
            // Killed, it serves none of its mounts any more: end their requests, or a thread of
            // its own waiting in one would keep it from ever exiting.
            if (wasRunning)
                FuseConnections.Abort(fuse);
            if (wasRunning && !await pidfd!.WaitUntilExitedAsync(timeout ?? TimeSpan.FromSeconds(10), cancellationToken))
            {
                throw new BoxException(
                    $"'{name}' (pid {pid}) on {Name} of box {Box.Name} did not exit after signal {signal}: kill it with SIGKILL");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BoxException(e.Message, e);
        }
        finally
        {
            opened?.Dispose();
        }
        DetachedProcess.ReapExited();
        File.Delete(PidFileOf(name));
        return wasRunning;
    }

    /// <summary>Cuts the node's cable: its bridge port goes down and no frame passes either way.</summary>
    public Task CutLinkAsync(CancellationToken cancellationToken = default) => SetPortAsync("down", cancellationToken);

    /// <summary>Plugs the node's cable back in.</summary>
    public Task RestoreLinkAsync(CancellationToken cancellationToken = default) => SetPortAsync("up", cancellationToken);

    /// <summary>Runs a command to completion inside the node's namespaces and captures its output.</summary>
    public Task<CommandResult> RunAsync(string executable, IEnumerable<string> arguments, CancellationToken cancellationToken = default) =>
        HostCommand.RunAsync("nsenter", [.. NsenterArguments(null), executable, .. arguments], null, cancellationToken);

    /// <summary>Runs a command to completion inside the node's namespaces and captures its output.</summary>
    public Task<CommandResult> RunAsync(string executable, params string[] arguments) =>
        RunAsync(executable, arguments, CancellationToken.None);

    /// <summary>
    /// Creates a socket that lives in the node's network namespace: the host process can then
    /// bind, listen or connect as if it ran on the node. A socket keeps the namespace it was
    /// made in, so only its creation needs a thread that has entered the namespace.
    /// </summary>
    public Socket CreateSocket(AddressFamily family, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle(NetworkNamespacePath);
                if (Syscall.SetNs((int)ns.DangerousGetHandle(), LibC.CLONE_NEWNET) != 0)
                    throw new BoxException($"cannot enter {NetworkNamespace}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
                socket = new Socket(family, type, protocol);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        // The thread ends right after, taking its namespace with it.
        thread.Start();
        thread.Join();
        return error is null ? socket! : throw new BoxException($"cannot create a socket in {Name} of box {Box.Name}: {error.Message}", error);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} of box {Box.Name} ({Address})";

    internal async Task BuildAsync(CancellationToken cancellationToken)
    {
        string sw = Box.SwitchNamespace;
        await HostCommand.RunCheckedAsync("ip", ["netns", "add", NetworkNamespace], cancellationToken);
        await HostCommand.RunCheckedAsync("ip",
            ["-n", sw, "link", "add", "name", PortName, "type", "veth", "peer", "name", InterfaceName, "netns", NetworkNamespace],
            cancellationToken);
        await HostCommand.RunCheckedAsync("ip", ["-n", sw, "link", "set", PortName, "master", Box.BridgeName, "up"], cancellationToken);
        // Only the box subnet is on-link: no default route, no route to the host's networks.
        await HostCommand.RunCheckedAsync("ip", ["-n", NetworkNamespace, "-batch", "-"], cancellationToken,
            $"""
            link set lo up
            addr add {Address}/{BoxAddressPlan.PrefixLength} dev {InterfaceName}
            link set {InterfaceName} up

            """);

        // The new mount namespace starts as a copy of the host's, including the bind mounts that
        // hold other namespaces (/run/netns/*, every box's ns/*.mnt) and the boxes' private ns
        // directories; dropping them keeps this node from pinning what other boxes delete. That
        // is best effort: another box may delete one meanwhile, so only unshare's own failure counts.
        File.WriteAllBytes(MountNamespacePath, []);
        await HostCommand.RunCheckedAsync("unshare",
            [$"--mount={MountNamespacePath}", "--propagation", "private", "sh", "-c",
             """umount -a -l -t nsfs 2>/dev/null; for d in "$1"/*/ns; do umount -l "$d" 2>/dev/null; done; exit 0""",
             "sh", Box.Root],
            cancellationToken);
        if (!Mounts.Under(MountNamespacePath).Contains(MountNamespacePath))
            throw new BoxException($"the mount namespace of {this} was not kept at {MountNamespacePath}");
    }

    // Until nsenter has entered both namespaces, a /proc scan would not count the process as
    // the box's: returning earlier would let a concurrent stale-box cleanup take a live box for dead.
    private void WaitUntilInside(int pid)
    {
        ulong net = LibC.InodeOf(NetworkNamespacePath), mnt = LibC.InodeOf(MountNamespacePath);
        var child = DetachedProcess.TryGetChild(pid);
        long deadline = System.Environment.TickCount64 + 5000;
        while (NamespaceMembers.NamespaceOf(pid, "net") != net || NamespaceMembers.NamespaceOf(pid, "mnt") != mnt)
        {
            if (child is null || child.HasExited)
                return; // it failed early; its log says why
            if (System.Environment.TickCount64 > deadline)
                throw new BoxException($"pid {pid} did not enter the namespaces of {this} within 5 s");
            Thread.Sleep(1);
        }
    }

    private string[] NsenterArguments(string? workingDirectory) =>
        [$"--net={NetworkNamespacePath}", $"--mount={MountNamespacePath}", $"--wd={workingDirectory ?? StateDirectory}", "--"];

    private Task SetPortAsync(string state, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync("ip", ["-n", Box.SwitchNamespace, "link", "set", PortName, state], cancellationToken);

    private string PidFileOf(string name) => Path.Combine(StateDirectory, name + ".pid");

    private int ReadPidFile(string name)
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidFileOf(name)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0;
        }
        catch (IOException) { return 0; }
    }

    // A live process inside this node's network namespace (a recycled pid elsewhere does not count).
    private bool IsInNode(int pid)
    {
        ulong inode = LibC.InodeOf(NetworkNamespacePath);
        return inode != 0 && NamespaceMembers.NamespaceOf(pid, "net") == inode && !ProcessIdentity.IsZombie(pid);
    }
}
