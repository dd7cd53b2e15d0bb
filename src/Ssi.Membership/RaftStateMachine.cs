using System.Buffers;
using System.Text.Json;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Ssi.Membership;

/// <summary>
/// The Raft group's replicated state machine on a voter. It keeps its own
/// <see cref="MembershipState"/> (exactly what the local log says) and hands every applied
/// command to the node's <see cref="MembershipReplica"/>, which may already be ahead through a
/// push from the master; the replica ignores what it already has.
/// </summary>
internal sealed class RaftStateMachine(DirectoryInfo location, MembershipReplica replica) : SimpleStateMachine(location)
{
    /// <summary>Commands between two snapshots; the log only grows on membership changes, so this is rare.</summary>
    private const int SnapshotEvery = 512;

    private readonly Lock _lock = new();
    private readonly MembershipState _state = new();
    private int _sinceSnapshot;

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        // Configuration entries reach the state machine with an empty payload; no-ops do not reach it.
        if (entry.IsConfiguration || !entry.TryGetPayload(out var payload) || payload.IsEmpty)
            return new(false);

        var command = Deserialize(payload);
        if (command is null)
            return new(false);
        long epoch;
        lock (_lock)
        {
            _state.Apply(command);
            epoch = _state.Epoch;
        }
        if (replica.TryApply(epoch, command) == MembershipReplica.ApplyResult.Gap)
            replica.TryCatchUp(Snapshot());
        return new(++_sinceSnapshot % SnapshotEvery == 0);
    }

    private static MembershipCommand? Deserialize(in ReadOnlySequence<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        return JsonSerializer.Deserialize(ref reader, MembershipJson.Default.MembershipCommand);
    }

    private MembershipSnapshot Snapshot()
    {
        lock (_lock)
            return _state.ToSnapshot();
    }

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        var bytes = await File.ReadAllBytesAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        var snapshot = JsonSerializer.Deserialize(bytes, MembershipJson.Default.MembershipSnapshot)
            ?? throw new InvalidDataException($"membership snapshot {snapshotFile.FullName} is empty");
        lock (_lock)
            _state.Restore(snapshot);
        replica.TryCatchUp(snapshot);
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(Snapshot(), MembershipJson.Default.MembershipSnapshot);
        return writer.WriteAsync(bytes, null, token);
    }
}
