namespace Ssi.Ics;

/// <summary>
/// A request waiting for its answer. Completion runs the caller's continuation inline on the
/// receive loop: one thread hop less per round trip. Callers are async all the way, so a
/// continuation only runs until its next await.
/// </summary>
internal sealed class PendingRequest(ushort method, long deadline) : TaskCompletionSource<byte[]>(TaskCreationOptions.None)
{
    public ushort Method { get; } = method;

    /// <summary>Environment.TickCount64 after which the request fails.</summary>
    public long Deadline { get; } = deadline;
}
