using System.Runtime.InteropServices;
using Ssi.Fuse.Dispatch;
using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Tests;

/// <summary>The dispatcher fed raw kernel requests, replies captured: protocol behaviour without a mount.</summary>
public sealed class DispatcherTests
{
    private sealed class CapturingChannel : IFuseChannel
    {
        public List<byte[]> Messages { get; } = [];

        public Errno Send(ReadOnlySpan<byte> message)
        {
            lock (Messages)
                Messages.Add(message.ToArray());
            return Errno.Ok;
        }

        public (OutHeader Header, byte[] Payload) Last()
        {
            lock (Messages)
            {
                byte[] last = Messages[^1];
                return (MemoryMarshal.Read<OutHeader>(last), last[OutHeader.Size..]);
            }
        }
    }

    private sealed class RecordingFileSystem : IFileSystem
    {
        public List<(ulong Node, ulong Lookups)> Forgotten { get; } = [];

        public void Forget(ulong node, ulong lookups) => Forgotten.Add((node, lookups));

        public async ValueTask<FuseResult<AttributeReply>> GetAttributesAsync(FuseRequestContext context, ulong node, ulong? handle)
        {
            await Task.Delay(Timeout.Infinite, context.Cancellation);
            return Errno.EIO;
        }

        public ValueTask<Errno> ReadDirectoryAsync(FuseRequestContext context, ulong node, ulong handle, long offset, DirectoryEntryWriter entries)
        {
            entries.TryAdd("."u8, 1, 4, 1);
            entries.TryAdd("a"u8, 10, 8, 2);
            entries.TryAdd("longer-name"u8, 11, 8, 3);
            return new(Errno.Ok);
        }
    }

    private readonly CapturingChannel _channel = new();
    private readonly RecordingFileSystem _fs = new();
    private readonly FuseDispatcher _dispatcher;

    public DispatcherTests() => _dispatcher = new FuseDispatcher(_fs, _channel, new FuseMountOptions());

    private static byte[] Request<T>(FuseOpcode opcode, ulong unique, ulong node, in T body, ReadOnlySpan<byte> tail = default) where T : unmanaged
    {
        int bodySize = Marshal.SizeOf<T>();
        int length = InHeader.Size + bodySize + tail.Length;
        var buffer = new byte[length];
        var header = new InHeader { Length = (uint)length, Opcode = opcode, Unique = unique, NodeId = node, Uid = 1000, Gid = 1000, Pid = 42 };
        MemoryMarshal.Write(buffer, in header);
        MemoryMarshal.Write(buffer.AsSpan(InHeader.Size), in body);
        tail.CopyTo(buffer.AsSpan(InHeader.Size + bodySize));
        return buffer;
    }

    private async Task InitAsync(uint offeredFlags = 0xFFFFFFFF, uint offeredFlags2 = 0)
    {
        byte[] init = Request(FuseOpcode.Init, 1, 0, new InitIn { Major = 7, Minor = 45, MaxReadahead = 131072, Flags = offeredFlags, Flags2 = offeredFlags2 });
        await _dispatcher.DispatchAsync(init, init.Length);
    }

    [Fact]
    public async Task Init_answers_with_protocol_7_and_the_wanted_capabilities_the_kernel_offers()
    {
        uint offered = (uint)(FuseCapabilities.AsyncRead | FuseCapabilities.PosixLocks | FuseCapabilities.BigWrites |
                              FuseCapabilities.MaxPages | FuseCapabilities.WritebackCache | FuseCapabilities.ParallelDirOps);
        await InitAsync(offered);

        var (header, payload) = _channel.Last();
        InitOut reply = MemoryMarshal.Read<InitOut>(payload);
        Assert.Equal(0, header.Error);
        Assert.Equal(1UL, header.Unique);
        Assert.Equal(7u, reply.Major);
        Assert.Equal(45u, reply.Minor);
        var enabled = (FuseCapabilities)reply.Flags;
        Assert.True(enabled.HasFlag(FuseCapabilities.PosixLocks | FuseCapabilities.BigWrites | FuseCapabilities.MaxPages | FuseCapabilities.ParallelDirOps));
        Assert.False(enabled.HasFlag(FuseCapabilities.WritebackCache)); // not asked for by default
        Assert.False(enabled.HasFlag(FuseCapabilities.FlockLocks));     // not offered
        Assert.Equal(1024u * 1024, reply.MaxWrite);
        Assert.Equal(256, reply.MaxPages);
        Assert.True(_dispatcher.Initialized.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task An_unknown_opcode_is_answered_with_ENOSYS()
    {
        await InitAsync();
        byte[] request = Request((FuseOpcode)9999, 77, 1, 0UL);
        await _dispatcher.DispatchAsync(request, request.Length);

        var (header, payload) = _channel.Last();
        Assert.Equal(77UL, header.Unique);
        Assert.Equal(-Errno.ENOSYS.Value, header.Error);
        Assert.Empty(payload);
    }

    [Fact]
    public async Task An_operation_the_file_system_does_not_implement_is_answered_with_ENOSYS()
    {
        await InitAsync();
        byte[] request = Request(FuseOpcode.Lookup, 5, 1, (byte)'x', [0]);
        await _dispatcher.DispatchAsync(request, request.Length);

        Assert.Equal(-Errno.ENOSYS.Value, _channel.Last().Header.Error);
    }

    [Fact]
    public async Task Requests_before_init_are_refused()
    {
        byte[] request = Request(FuseOpcode.GetAttr, 3, 1, new GetAttrIn());
        await _dispatcher.DispatchAsync(request, request.Length);

        Assert.Equal(-Errno.EIO.Value, _channel.Last().Header.Error);
    }

    [Fact]
    public async Task Interrupt_cancels_the_request_which_then_answers_EINTR()
    {
        await InitAsync();
        byte[] getattr = Request(FuseOpcode.GetAttr, 100, 1, new GetAttrIn());
        ValueTask pending = _dispatcher.DispatchAsync(getattr, getattr.Length);
        Assert.False(pending.IsCompleted);
        Assert.Equal(1, _dispatcher.InflightCount);

        byte[] interrupt = Request(FuseOpcode.Interrupt, 101, 0, new InterruptIn { Unique = 100 });
        await _dispatcher.DispatchAsync(interrupt, interrupt.Length);
        await pending;

        var (header, _) = _channel.Last();
        Assert.Equal(100UL, header.Unique);
        Assert.Equal(-Errno.EINTR.Value, header.Error);
        Assert.Equal(0, _dispatcher.InflightCount);
        Assert.Equal(1, _dispatcher.InterruptsDelivered);
    }

    [Fact]
    public async Task Interrupt_of_a_request_not_being_served_asks_the_kernel_to_retry()
    {
        await InitAsync();
        byte[] interrupt = Request(FuseOpcode.Interrupt, 201, 0, new InterruptIn { Unique = 200 });
        await _dispatcher.DispatchAsync(interrupt, interrupt.Length);

        var (header, payload) = _channel.Last();
        Assert.Equal(201UL, header.Unique);
        Assert.Equal(-Errno.EAGAIN.Value, header.Error);
        Assert.Empty(payload);
    }

    [Fact]
    public async Task Forget_and_batch_forget_reach_the_file_system_without_reply()
    {
        await InitAsync();
        int repliesBefore = _channel.Messages.Count;
        byte[] forget = Request(FuseOpcode.Forget, 300, 7, new ForgetIn { NLookup = 3 });
        await _dispatcher.DispatchAsync(forget, forget.Length);
        byte[] items = new byte[32];
        MemoryMarshal.Write(items, new ForgetOne { NodeId = 8, NLookup = 1 });
        MemoryMarshal.Write(items.AsSpan(16), new ForgetOne { NodeId = 9, NLookup = 2 });
        byte[] batch = Request(FuseOpcode.BatchForget, 301, 0, new BatchForgetIn { Count = 2 }, items);
        await _dispatcher.DispatchAsync(batch, batch.Length);

        Assert.Equal([(7UL, 3UL), (8UL, 1UL), (9UL, 2UL)], _fs.Forgotten);
        Assert.Equal(repliesBefore, _channel.Messages.Count);
    }

    [Fact]
    public async Task Readdir_packs_dirents_aligned_to_eight_bytes()
    {
        await InitAsync();
        byte[] request = Request(FuseOpcode.ReadDir, 400, 1, new ReadIn { FileHandle = 1, Offset = 0, Size = 4096 });
        await _dispatcher.DispatchAsync(request, request.Length);

        var (header, payload) = _channel.Last();
        Assert.Equal(0, header.Error);
        // "." → 24+1 → 32; "a" → 32; "longer-name" → 24+11=35 → 40.
        Assert.Equal(32 + 32 + 40, payload.Length);
        DirentWire third = MemoryMarshal.Read<DirentWire>(payload.AsSpan(64));
        Assert.Equal(11UL, third.Ino);
        Assert.Equal(3UL, third.Offset);
        Assert.Equal(11u, third.NameLength);
        Assert.Equal("longer-name"u8.ToArray(), payload.AsSpan(64 + DirentWire.Size, 11).ToArray());
    }
}
