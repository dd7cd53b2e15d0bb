namespace Ssi.Vproc.Jobs;

/// <summary>
/// The environment a cluster process gets: the caller's, minus what would let a user steer
/// the root-run shim (the loader and libc variables glibc drops for setuid programs) and
/// minus the caller's own SSI_* settings, plus where the process is in the cluster.
/// </summary>
internal static class JobEnvironment
{
    private static readonly string[] s_unsafe =
    [
        "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH",
        "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR",
    ];

    /// <summary>KEY=VALUE lines for the process.</summary>
    public static List<string> Build(IReadOnlyDictionary<string, string> callerEnvironment, bool callerIsRoot,
        ClusterPid cpid, int group, int node, string socket)
    {
        var env = new List<string>();
        foreach (var (key, value) in callerEnvironment)
        {
            if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.StartsWith("SSI_", StringComparison.Ordinal))
                continue;
            if (!callerIsRoot && (key.StartsWith("LD_", StringComparison.Ordinal) || key.StartsWith("MALLOC_", StringComparison.Ordinal) || s_unsafe.Contains(key)))
                continue;
            env.Add($"{key}={value}");
        }
        if (!callerEnvironment.ContainsKey("PATH"))
            env.Add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.Add($"SSI_CPID={cpid}");
        env.Add($"SSI_PGID={group}");
        env.Add($"SSI_NODE={node}");
        env.Add($"SSI_SOCKET={socket}");
        return env;
    }

    /// <summary>Resolves a command the way execvp would, with <paramref name="env"/>'s PATH; null when not found.</summary>
    public static string? Resolve(string command, IReadOnlyList<string> env)
    {
        if (command.Contains('/', StringComparison.Ordinal))
            return File.Exists(command) ? command : null;
        var path = env.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
