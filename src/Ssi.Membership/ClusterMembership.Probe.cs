using System.Buffers.Binary;
using System.Diagnostics;
using Ssi.Ics;

namespace Ssi.Membership;

// Commit probes: how long one replicated membership write takes, for benchmarks and diagnosis.
public sealed partial class ClusterMembership
{
    /// <summary>
    /// Commits one probe entry through the Raft group (on the master; forwarded there from other
    /// nodes) and returns how long the commit took at the master: replication to a majority and
    /// apply, without the forwarding hop.
    /// </summary>
    public async Task<TimeSpan> MeasureCommitAsync(CancellationToken ct = default)
    {
        if (IsMaster)
            return await CommitProbeAsync(ct).ConfigureAwait(false);
        var reply = await ForwardToMasterAsync(ClmsMethods.CommitProbe, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        return TimeSpan.FromTicks(BinaryPrimitives.ReadInt64LittleEndian(reply));
    }

    private async ValueTask<ReadOnlyMemory<byte>> HandleCommitProbeAsync(IncomingRequest request, CancellationToken ct)
    {
        var took = await MeasureCommitAsync(ct).ConfigureAwait(false);
        var reply = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(reply, took.Ticks);
        return reply;
    }

    private async Task<TimeSpan> CommitProbeAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await CommitAsync(new MembershipCommand(CommandKind.Probe, DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }
}
