using CsCheck;
using Ssi.Vproc.Wire;

namespace Ssi.Vproc.Tests;

public class OutputFrameTests
{
    [Fact]
    public void Frames_come_back_whole_and_in_order_whatever_the_bytes() =>
        Gen.Select(Gen.Byte[2, 3], Gen.Byte.Array[0, 70_000]).List[1, 8].Sample(frames =>
        {
            using var stream = new MemoryStream();
            foreach (var (kind, data) in frames)
                OutputFrames.WriteAsync(stream, (OutputKind)kind, data).AsTask().GetAwaiter().GetResult();
            stream.Position = 0;
            using var reader = new OutputFrameReader(stream);
            foreach (var (kind, data) in frames)
            {
                var frame = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                if (frame is not { } f || f.Kind != (OutputKind)kind || !f.Payload.Span.SequenceEqual(data))
                    return false;
            }
            return reader.ReadAsync().AsTask().GetAwaiter().GetResult() is null;
        });

    [Fact]
    public async Task A_stream_cut_inside_a_frame_is_an_error_not_an_end()
    {
        using var stream = new MemoryStream();
        await OutputFrames.WriteAsync(stream, OutputKind.Stdout, new byte[100]);
        stream.SetLength(50);
        stream.Position = 0;
        using var reader = new OutputFrameReader(stream);

        await Assert.ThrowsAsync<IOException>(async () => await reader.ReadAsync());
    }
}
