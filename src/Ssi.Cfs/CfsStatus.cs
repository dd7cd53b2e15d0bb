using System.Text.Json.Serialization;

namespace Ssi.Cfs;

/// <summary>What the CFS server holds for one client node.</summary>
/// <param name="Node">The client node.</param>
/// <param name="Nodes">File system nodes its kernel has looked up.</param>
/// <param name="OpenFiles">Open file handles.</param>
/// <param name="OpenDirectories">Open directory handles.</param>
/// <param name="LockOwners">Lock owners (processes or open files) that have taken record locks.</param>
/// <param name="LockWaits">Lock requests waiting (F_SETLKW, blocking flock).</param>
public sealed record CfsClientStatus(int Node, int Nodes, int OpenFiles, int OpenDirectories, int LockOwners, int LockWaits);

/// <summary>The CFS server's view: what it exports and what each client node holds.</summary>
/// <param name="Node">The server node.</param>
/// <param name="Export">The exported local directory.</param>
/// <param name="Instance">This server run's instance (changes when the server restarts).</param>
/// <param name="Clients">One row per attached client node.</param>
public sealed record CfsServerStatus(int Node, string Export, string Instance, IReadOnlyList<CfsClientStatus> Clients);

/// <summary>One node's CFS: its mount and its server, as <c>ssi fs status</c> shows it.</summary>
/// <param name="Node">This node.</param>
/// <param name="MountPoint">Where the cluster tree is mounted here.</param>
/// <param name="State">attached, detached (server unreachable), disabled.</param>
/// <param name="ServerNode">The CFS server node.</param>
/// <param name="Requests">Operations this node has sent to the server.</param>
/// <param name="Invalidations">Invalidations this node has received.</param>
/// <param name="Mounts">Times the tree was mounted on this node (more than one: the server was lost and came back).</param>
/// <param name="Error">Why the last attach failed, if it did.</param>
public sealed record CfsNodeStatus(int Node, string MountPoint, string State, int ServerNode, long Requests, long Invalidations,
    int Mounts, string? Error);

/// <summary>Reply of <see cref="CfsMethods.Status"/>: every UP node's mount and the server's view.</summary>
/// <param name="Nodes">One row per node that answered.</param>
/// <param name="Server">The server's view, when it could be asked.</param>
/// <param name="Unreachable">Nodes that are UP but did not answer, with the reason.</param>
public sealed record CfsClusterStatus(IReadOnlyList<CfsNodeStatus> Nodes, CfsServerStatus? Server, IReadOnlyList<string> Unreachable);

/// <summary>Source-generated JSON for the CFS status records (NativeAOT CLI).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CfsServerStatus))]
[JsonSerializable(typeof(CfsNodeStatus))]
[JsonSerializable(typeof(CfsClusterStatus))]
public sealed partial class CfsJson : JsonSerializerContext;
