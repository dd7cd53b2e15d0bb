using System.Text.Json.Serialization;

namespace Ssi.Vproc.Wire;

/// <summary>CLI → local daemon: start <see cref="Argv"/> as a cluster process.</summary>
/// <param name="Argv">The command and its arguments.</param>
/// <param name="Environment">The caller's environment (the daemon filters it).</param>
/// <param name="WorkingDirectory">The caller's working directory.</param>
/// <param name="Node">Run on this node; null: the local node (unless <paramref name="Any"/>).</param>
/// <param name="Any">Run on the least loaded UP node.</param>
/// <param name="Tty">Allocate a pty.</param>
/// <param name="Rows">Terminal rows (with <paramref name="Tty"/>).</param>
/// <param name="Cols">Terminal columns (with <paramref name="Tty"/>).</param>
/// <param name="Detach">Start in the background and return its cluster PID.</param>
/// <param name="Group">Join this cluster process group (a job started from inside another job); null: a new group.</param>
/// <param name="Stdio">Descriptors the origin may take over from the caller (1 stdin, 2 stdout, 4 stderr): it answers with a Taken frame before any other.</param>
public sealed record RunRequest(
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    int? Node,
    bool Any,
    bool Tty,
    ushort Rows,
    ushort Cols,
    bool Detach,
    int? Group,
    byte Stdio = 0);

/// <summary>The bits of <see cref="RunRequest.Stdio"/> and of the Taken frame.</summary>
public static class StdioBits
{
    /// <summary>Descriptor 0.</summary>
    public const byte Stdin = 1;

    /// <summary>Descriptor 1.</summary>
    public const byte Stdout = 2;

    /// <summary>Descriptor 2.</summary>
    public const byte Stderr = 4;
}

/// <summary>Origin → target node: start the process here with the caller's identity.</summary>
public sealed record ExecRequest(
    int Cpid,
    int Origin,
    int Group,
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    uint Uid,
    uint Gid,
    IReadOnlyList<uint> Groups,
    bool Tty,
    ushort Rows,
    ushort Cols,
    bool Detach);

/// <summary>First frame of a run or attach stream: the process runs.</summary>
public sealed record StartedInfo(int Cpid, int Node);

/// <summary>How a cluster process ended.</summary>
/// <param name="Code">What <c>ssi run</c> exits with: the program's code, 128+N for signal N, or an <see cref="ExitCodes"/> value.</param>
/// <param name="Signal">The signal that killed it, 0 if it exited.</param>
/// <param name="Reason">Set when the end was not the program's doing (node failure, could not start).</param>
public sealed record ExitInfo(int Code, int Signal, string? Reason);

/// <summary>CLI → local: reattach to a cluster process.</summary>
public sealed record AttachRequest(int Cpid);

/// <summary>CLI → local: which process to look up.</summary>
public sealed record WhereRequest(int Cpid);

/// <summary>CLI → local: send <see cref="Signal"/> to process <see cref="Target"/>, or to every process of group <see cref="Target"/>.</summary>
public sealed record SignalRequest(int Target, int Signal, bool Group);

/// <summary>Node → node: the same, with the uid of the caller (checked where the process runs, as the kernel would).</summary>
public sealed record JobSignal(int Target, int Signal, bool Group, uint CallerUid);

/// <summary>How many processes a signal reached, and how many refused it.</summary>
public sealed record SignalReply(int Delivered, int Denied);

/// <summary>CLI → local: new terminal size of a process with a pty.</summary>
public sealed record ResizeRequest(int Cpid, ushort Rows, ushort Cols);

/// <summary>CLI → local and node → node: what to list.</summary>
/// <param name="All">Also every ordinary process of each node (ps -A).</param>
public sealed record PsRequest(bool All);

/// <summary>Target → origin: process <see cref="Cpid"/> ended.</summary>
public sealed record ExitReport(int Cpid, int Node, ExitInfo Exit);

/// <summary>State of a cluster process in its record.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProcessState>))]
public enum ProcessState
{
    /// <summary>Running (or stopped) on <see cref="ProcessRecord.Node"/>.</summary>
    Running,
    /// <summary>Ended; <see cref="ProcessRecord.Exit"/> says how.</summary>
    Exited,
}

/// <summary>What is known of a cluster process: where it runs and how it ended.</summary>
public sealed record ProcessRecord(int Cpid, int Origin, int Node, int Group, uint Uid, ProcessState State, ExitInfo? Exit,
    IReadOnlyList<string> Argv, DateTimeOffset Started, string HeldBy);

/// <summary>One row of <c>ssi ps</c>.</summary>
/// <param name="Id">The cluster PID of a job's program; <c>CPID.N</c> for its descendants (N: pid inside the job); <c>nK:PID</c> for an ordinary process of node K.</param>
/// <param name="Cpid">The cluster PID of the job (0 for ordinary processes).</param>
/// <param name="Group">The cluster process group (0 for ordinary processes).</param>
/// <param name="Node">Where it runs.</param>
/// <param name="Pid">Its pid on that node.</param>
/// <param name="ParentPid">Its parent's pid on that node.</param>
/// <param name="User">User name (or uid).</param>
/// <param name="Stat">Process state letter as in ps (R, S, D, T, Z...).</param>
/// <param name="CpuPercent">CPU use over its lifetime, as ps computes it.</param>
/// <param name="RssKb">Resident memory, KiB.</param>
/// <param name="CpuMs">CPU time used, milliseconds.</param>
/// <param name="Command">Command line.</param>
public sealed record ProcessRow(string Id, int Cpid, int Group, int Node, int Pid, int ParentPid, string User, string Stat,
    double CpuPercent, long RssKb, long CpuMs, string Command);

/// <summary>Reply to <see cref="VprocMethods.Ps"/> and <see cref="VprocMethods.ListJobs"/>.</summary>
/// <param name="Processes">The rows.</param>
/// <param name="Unreachable">Nodes that were UP but did not answer, with why.</param>
public sealed record ProcessList(IReadOnlyList<ProcessRow> Processes, IReadOnlyList<string> Unreachable);

/// <summary>Source-generated JSON of the vproc contracts (the CLI is NativeAOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(RunRequest))]
[JsonSerializable(typeof(ExecRequest))]
[JsonSerializable(typeof(StartedInfo))]
[JsonSerializable(typeof(ExitInfo))]
[JsonSerializable(typeof(AttachRequest))]
[JsonSerializable(typeof(WhereRequest))]
[JsonSerializable(typeof(SignalRequest))]
[JsonSerializable(typeof(JobSignal))]
[JsonSerializable(typeof(SignalReply))]
[JsonSerializable(typeof(ResizeRequest))]
[JsonSerializable(typeof(PsRequest))]
[JsonSerializable(typeof(ExitReport))]
[JsonSerializable(typeof(ProcessRecord))]
[JsonSerializable(typeof(ProcessList))]
public sealed partial class VprocJson : JsonSerializerContext;
