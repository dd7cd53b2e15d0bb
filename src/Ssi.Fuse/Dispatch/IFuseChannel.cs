namespace Ssi.Fuse.Dispatch;

/// <summary>Where replies and notifications go: one call writes one whole message.</summary>
internal interface IFuseChannel
{
    /// <summary>Writes one message; returns the errno of a failed write (ENOENT: the request was already gone).</summary>
    Errno Send(ReadOnlySpan<byte> message);
}
