using Ssi.Protocol;

namespace Ssi.Vproc.Wire;

/// <summary>
/// ICS method numbers of vproc, inside <see cref="Methods.VprocFirst"/>..<see cref="Methods.VprocLast"/>.
/// 0x0301-0x031F are asked by the CLI of the local daemon; 0x0320 and up go between nodes
/// (refused from local callers, who must not claim another uid). On the wire: only add.
/// </summary>
public static class VprocMethods
{
    /// <summary>CLI → local, stream: start a cluster process (<see cref="RunRequest"/>); output frames back, stdin forward.</summary>
    public const ushort Run = Methods.VprocFirst + 0x01;
    /// <summary>CLI → local, stream: reattach to a cluster process's output (<see cref="AttachRequest"/>).</summary>
    public const ushort Attach = Methods.VprocFirst + 0x02;
    /// <summary>CLI → local: signal processes or groups (<see cref="SignalRequest"/> → <see cref="SignalReply"/>).</summary>
    public const ushort Kill = Methods.VprocFirst + 0x03;
    /// <summary>CLI → local: where a cluster process is (<see cref="WhereRequest"/> → <see cref="ProcessRecord"/>).</summary>
    public const ushort Where = Methods.VprocFirst + 0x04;
    /// <summary>CLI → local: every cluster process on every UP node (<see cref="PsRequest"/> → <see cref="ProcessList"/>).</summary>
    public const ushort Ps = Methods.VprocFirst + 0x05;
    /// <summary>CLI → local: a terminal's new size (<see cref="ResizeRequest"/>).</summary>
    public const ushort Resize = Methods.VprocFirst + 0x06;

    /// <summary>Origin → target node, stream: start the process here (<see cref="ExecRequest"/>).</summary>
    public const ushort Exec = Methods.VprocFirst + 0x20;
    /// <summary>Node → node, stream: attach to a process running on the target (<see cref="AttachRequest"/>).</summary>
    public const ushort AttachJob = Methods.VprocFirst + 0x21;
    /// <summary>Node → node: signal processes running on the target (<see cref="JobSignal"/> → <see cref="SignalReply"/>).</summary>
    public const ushort SignalJob = Methods.VprocFirst + 0x22;
    /// <summary>Node → node: the processes running on the target (<see cref="PsRequest"/> → <see cref="ProcessList"/>).</summary>
    public const ushort ListJobs = Methods.VprocFirst + 0x23;
    /// <summary>Target → origin: a process ended (<see cref="ExitReport"/>).</summary>
    public const ushort ReportExit = Methods.VprocFirst + 0x24;
    /// <summary>Node → node: what the target knows of a cluster process (<see cref="WhereRequest"/> → <see cref="ProcessRecord"/>).</summary>
    public const ushort Lookup = Methods.VprocFirst + 0x25;
    /// <summary>Node → node: resize the terminal of a process running on the target (<see cref="ResizeRequest"/>).</summary>
    public const ushort ResizeJob = Methods.VprocFirst + 0x26;
    /// <summary>Node → node: how busy the target is, for <c>ssi run --any</c> (reply: f64 1-minute load average, i32 running jobs).</summary>
    public const ushort Load = Methods.VprocFirst + 0x27;
}
