using Microsoft.Extensions.Logging;
using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>Session-level requests: INIT, DESTROY, INTERRUPT, FORGET, BATCH_FORGET.</summary>
internal sealed partial class FuseDispatcher
{
    private const uint ProtocolMajor = 7;

    private void HandleInit(in InHeader h, ReadOnlySpan<byte> body)
    {
        InitIn init = WireReader.Read<InitIn>(body);
        if (init.Major < ProtocolMajor)
        {
            _logger?.LogError("FUSE: kernel protocol {Major}.{Minor} is too old", init.Major, init.Minor);
            ReplyError(h.Unique, Errno.EPROTO);
            _initialized.TrySetException(new IOException($"FUSE kernel protocol {init.Major}.{init.Minor} is older than 7.x"));
            return;
        }
        if (init.Major > ProtocolMajor)
        {
            // The kernel speaks a newer major: tell it ours and wait for a second INIT.
            Reply(h.Unique, new InitOut { Major = ProtocolMajor });
            return;
        }

        var offered = (FuseCapabilities)init.Flags;
        if ((offered & FuseCapabilities.InitExtended) != 0)
            offered |= (FuseCapabilities)((ulong)init.Flags2 << 32);
        FuseCapabilities wanted = _options.Capabilities;
        if (_options.WritebackCache)
            wanted |= FuseCapabilities.WritebackCache;
        FuseCapabilities enabled = offered & wanted;
        if (((ulong)enabled >> 32) != 0)
            enabled |= offered & FuseCapabilities.InitExtended;

        uint maxWrite = (uint)Math.Clamp(_options.MaxWrite, 4096, 1024 * 1024) & ~4095u;
        bool maxPages = (enabled & FuseCapabilities.MaxPages) != 0;
        if (!maxPages)
            maxWrite = Math.Min(maxWrite, 128 * 1024);
        var connection = new FuseConnectionInfo
        {
            ProtocolMajor = ProtocolMajor,
            ProtocolMinor = Math.Min(init.Minor, SupportedMinor),
            KernelMinor = init.Minor,
            Offered = offered,
            Enabled = enabled,
            MaxWrite = maxWrite,
            MaxRead = maxWrite,
            MaxReadahead = init.MaxReadahead,
        };

        _fs.Initialize(connection);

        var reply = new InitOut
        {
            Major = ProtocolMajor,
            Minor = connection.ProtocolMinor,
            MaxReadahead = init.MaxReadahead,
            Flags = (uint)enabled,
            Flags2 = (uint)((ulong)enabled >> 32),
            MaxBackground = _options.MaxBackground,
            CongestionThreshold = _options.CongestionThreshold,
            MaxWrite = maxWrite,
            TimeGranularity = 1,
            MaxPages = maxPages ? (ushort)(maxWrite / 4096) : (ushort)0,
        };
        Reply(h.Unique, reply);
        _logger?.LogInformation("FUSE: protocol 7.{Minor} (kernel 7.{KernelMinor}), capabilities {Enabled}, max_write {MaxWrite}",
            connection.ProtocolMinor, init.Minor, enabled, maxWrite);
        _initialized.TrySetResult(connection);
    }

    private void HandleDestroy(in InHeader h)
    {
        Destroyed = true;
        _inflight.CancelAll();
        _fs.Destroy();
        ReplyOk(h.Unique);
    }

    private void HandleInterrupt(in InHeader h, ReadOnlySpan<byte> body)
    {
        InterruptIn interrupt = WireReader.Read<InterruptIn>(body);
        if (_inflight.Interrupt(interrupt.Unique))
        {
            Interlocked.Increment(ref _interruptsDelivered);
            return; // the interrupted request itself answers (EINTR or its result)
        }
        // Not (yet) being served: EAGAIN makes the kernel queue the interrupt again if the request is still pending.
        ReplyError(h.Unique, Errno.EAGAIN);
    }

    private void HandleForget(in InHeader h, ReadOnlySpan<byte> body)
    {
        ForgetIn forget = WireReader.Read<ForgetIn>(body);
        ForgetSafely(h.NodeId, forget.NLookup);
    }

    private void HandleBatchForget(ReadOnlySpan<byte> body)
    {
        BatchForgetIn batch = WireReader.Read<BatchForgetIn>(body);
        int itemSize = WireReader.SizeOf<ForgetOne>();
        ReadOnlySpan<byte> items = body[WireReader.SizeOf<BatchForgetIn>()..];
        int count = (int)Math.Min(batch.Count, (uint)(items.Length / itemSize));
        for (int i = 0; i < count; i++)
        {
            ForgetOne one = WireReader.Read<ForgetOne>(items.Slice(i * itemSize, itemSize));
            ForgetSafely(one.NodeId, one.NLookup);
        }
    }

    private void ForgetSafely(ulong node, ulong lookups)
    {
        try
        {
            _fs.Forget(node, lookups);
        }
        catch (Exception ex)
        {
            _logger?.LogError(ex, "FUSE: forget of node {Node} failed", node);
        }
    }
}
