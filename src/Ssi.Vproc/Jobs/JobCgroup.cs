using System.Globalization;
using Ssi.Posix;

namespace Ssi.Vproc.Jobs;

/// <summary>
/// The cgroup (v2) of one cluster job: every process the job forks stays in it, so the tree
/// is listed, accounted, frozen and killed as a unit (cgroup.procs, cpu.stat, cgroup.freeze,
/// cgroup.kill are core cgroup v2 files, present even without controllers).
/// </summary>
internal sealed class JobCgroup
{
    private JobCgroup(string path) => Path = path;

    /// <summary>The cgroup directory.</summary>
    public string Path { get; }

    /// <summary>Creates (or reuses) the cgroup at <paramref name="path"/>.</summary>
    public static JobCgroup Create(string path)
    {
        Directory.CreateDirectory(path);
        return new JobCgroup(path);
    }

    /// <summary>The cgroup at <paramref name="path"/>, made later with <see cref="Make"/>.</summary>
    public static JobCgroup At(string path) => new(path);

    /// <summary>Creates the directory (a cgroup mkdir takes about a millisecond).</summary>
    public void Make() => Directory.CreateDirectory(Path);

    /// <summary>Moves process <paramref name="pid"/> (and what it forks from now on) into the cgroup.</summary>
    public void Add(int pid) => System.IO.File.WriteAllText(FileOf("cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>Every process in the cgroup now.</summary>
    public IReadOnlyList<int> Pids()
    {
        try
        {
            var list = new List<int>();
            foreach (var line in System.IO.File.ReadLines(FileOf("cgroup.procs")))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    list.Add(pid);
            }
            return list;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Freezes (true) or thaws (false) every process of the job.</summary>
    public void Freeze(bool frozen) => TryWrite("cgroup.freeze", frozen ? "1" : "0");

    /// <summary>True while the job is frozen.</summary>
    public bool IsFrozen => ReadKey("cgroup.events", "frozen") == 1;

    /// <summary>SIGKILLs every process of the job at once, including ones being forked.</summary>
    public void Kill() => TryWrite("cgroup.kill", "1");

    /// <summary>CPU time used by the whole job, alive and dead members alike.</summary>
    public TimeSpan CpuTime => TimeSpan.FromMicroseconds(ReadKey("cpu.stat", "usage_usec") ?? 0);

    /// <summary>Removes the cgroup once it is empty; kills what is left first. False if it could not be removed.</summary>
    public Task<bool> RemoveAsync() => Cgroup2.RemoveAsync(Path, TimeSpan.FromSeconds(1));

    private string FileOf(string name) => System.IO.Path.Combine(Path, name);

    private void TryWrite(string name, string value)
    {
        try
        {
            System.IO.File.WriteAllText(FileOf(name), value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private long? ReadKey(string name, string key)
    {
        try
        {
            foreach (var line in System.IO.File.ReadLines(FileOf(name)))
            {
                if (line.StartsWith(key, StringComparison.Ordinal) && line.Length > key.Length && line[key.Length] == ' '
                    && long.TryParse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    return value;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
