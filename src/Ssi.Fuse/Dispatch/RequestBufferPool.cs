using System.Collections.Concurrent;

namespace Ssi.Fuse.Dispatch;

/// <summary>
/// Pinned buffers big enough for the largest request (a WRITE of max_write plus headers), reused
/// across requests so that reading the device allocates nothing in steady state.
/// </summary>
internal sealed class RequestBufferPool
{
    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly int _keep;

    public RequestBufferPool(int maxWrite, int keep)
    {
        // Room for fuse_in_header + fuse_write_in + max_write, and never below the kernel's 8 KiB minimum.
        BufferSize = Math.Max(maxWrite + 4096, 8192);
        _keep = keep;
    }

    public int BufferSize { get; }

    public byte[] Rent() => _free.TryDequeue(out var buffer) ? buffer : GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);

    public void Return(byte[] buffer)
    {
        if (_free.Count < _keep)
            _free.Enqueue(buffer);
    }
}
