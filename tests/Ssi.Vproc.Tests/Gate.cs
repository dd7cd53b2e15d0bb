namespace Ssi.Vproc.Tests;

/// <summary>
/// A point in a test program's shell script that the test waits for and then lets it pass:
/// sampling a job "after 500 ms" fails on a loaded machine, sampling it at a known point does not.
/// </summary>
internal sealed class Gate : IDisposable
{
    private readonly string _reached = Path.Combine(Path.GetTempPath(), $"ssi-gate-{Guid.NewGuid():N}.reached");
    private readonly string _open = Path.Combine(Path.GetTempPath(), $"ssi-gate-{Guid.NewGuid():N}.open");

    /// <summary>Shell that marks the point as reached.</summary>
    public string Reach => $"touch {_reached}";

    /// <summary>Shell that marks the point and waits, at most about 30 s, until the test opens the gate.</summary>
    public string Script => $"{Reach}; i=0; while [ ! -e {_open} ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i+1)); done";

    public async Task ReachedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(_reached))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the test program never reached its gate");
            await Task.Delay(20);
        }
    }

    public void Open() => File.WriteAllBytes(_open, []);

    public void Dispose()
    {
        File.Delete(_reached);
        File.Delete(_open);
    }
}
