using Ssi.Protocol;

namespace Ssi.Cfs;

/// <summary>
/// ICS method numbers of the cluster filesystem, inside <see cref="Methods.CfsFirst"/>..<see cref="Methods.CfsLast"/>.
/// Requests go from a client node to the server node; <see cref="Invalidate"/> goes from the server to clients.
/// The numbers are on the wire: never renumber, only add.
/// </summary>
public static class CfsMethods
{
    /// <summary>Client → server: which server instance is this (a new instance means every node id is void).</summary>
    public const ushort Attach = Methods.CfsFirst + 0x01;
    /// <summary>Client → server: one file system operation (the operation code is inside the payload).</summary>
    public const ushort Operation = Methods.CfsFirst + 0x02;
    /// <summary>Client → server, one-way: the client's kernel dropped lookups of nodes.</summary>
    public const ushort Forget = Methods.CfsFirst + 0x03;
    /// <summary>Client → server, one-way: stop waiting for a lock request (the caller was interrupted).</summary>
    public const ushort Cancel = Methods.CfsFirst + 0x04;
    /// <summary>Server → client: drop cached attributes, data or names; answered (empty) once applied.</summary>
    public const ushort Invalidate = Methods.CfsFirst + 0x05;
    /// <summary>Client → server: what the server knows (open files, locks, lookups per node), as JSON.</summary>
    public const ushort ServerStatus = Methods.CfsFirst + 0x06;
    /// <summary>Client → server, one-way: the client's kernel closed files that never had a lock (sent in batches, after its write-behind writes).</summary>
    public const ushort Release = Methods.CfsFirst + 0x07;
    /// <summary>CLI → local daemon: the CFS status of every UP node and of the server, as JSON (<see cref="CfsClusterStatus"/>).</summary>
    public const ushort Status = Methods.CfsFirst + 0x10;
    /// <summary>Daemon → daemon: one node's CFS status, as JSON (<see cref="CfsNodeStatus"/>).</summary>
    public const ushort NodeStatus = Methods.CfsFirst + 0x11;
}
