using Ssi.Posix;
using Ssi.Vproc.Jobs;

namespace Ssi.Vproc.Tests;

public class JobEnvironmentTests
{
    private static readonly Dictionary<string, string> Caller = new()
    {
        ["HOME"] = "/home/ann", ["PATH"] = "/usr/bin:/bin", ["LD_PRELOAD"] = "/tmp/evil.so", ["GCONV_PATH"] = "/tmp",
        ["SSI_SOCKET"] = "/elsewhere", ["LANG"] = "C.UTF-8",
    };

    [Fact]
    public void A_user_cannot_steer_the_root_run_shim_through_the_loader()
    {
        var env = JobEnvironment.Build(Caller, callerIsRoot: false, ClusterPid.Of(2, 5), 2000005, 3, "/run/ssi/ssid.sock");

        Assert.DoesNotContain(env, e => e.StartsWith("LD_PRELOAD=", StringComparison.Ordinal) || e.StartsWith("GCONV_PATH=", StringComparison.Ordinal));
        Assert.Contains("HOME=/home/ann", env);
        Assert.Contains("LANG=C.UTF-8", env);
    }

    [Fact]
    public void The_process_learns_where_it_is_in_the_cluster()
    {
        var env = JobEnvironment.Build(Caller, callerIsRoot: true, ClusterPid.Of(2, 5), 1000001, 3, "/run/ssi/ssid.sock");

        Assert.Contains("SSI_CPID=2000005", env);
        Assert.Contains("SSI_PGID=1000001", env);
        Assert.Contains("SSI_NODE=3", env);
        Assert.Contains("SSI_SOCKET=/run/ssi/ssid.sock", env);
        Assert.DoesNotContain("SSI_SOCKET=/elsewhere", env);
        Assert.Contains("LD_PRELOAD=/tmp/evil.so", env);
    }

    [Fact]
    public void Commands_resolve_like_execvp()
    {
        Assert.Equal("/bin/sh", JobEnvironment.Resolve("sh", ["PATH=/nonexistent:/bin"]));
        Assert.Null(JobEnvironment.Resolve("no-such-command-here", ["PATH=/usr/bin:/bin"]));
        Assert.Equal("/bin/sh", JobEnvironment.Resolve("/bin/sh", []));
    }

    [Fact]
    public void The_shim_switches_identity_only_when_the_caller_is_not_root()
    {
        var shim = new InitShim("/x/ssi-init");

        var asRoot = shim.Wrap(["id"], "/cg/job-1", 0, 0, [], daemonUid: 0);
        var asUser = shim.Wrap(["id"], "/cg/job-1", 1000, 100, [100, 27], daemonUid: 0);
        var noGroups = shim.Wrap(["id"], null, 1000, 100, [], daemonUid: 0);

        Assert.Equal(["/x/ssi-init", "--cgroup=/cg/job-1", "--", "id"], asRoot);
        Assert.Equal(["/x/ssi-init", "--cgroup=/cg/job-1", "--as=1000:100:100,27", "--", "id"], asUser);
        Assert.Equal(["/x/ssi-init", "--as=1000:100:", "--", "id"], noGroups);
    }

    [Fact]
    public void The_cgroup2_mount_is_found_in_mountinfo()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file,
            [
                "25 30 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
                "35 25 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
            ]);
            Assert.Equal("/sys/fs/cgroup/unified", Cgroup2.FindMount(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
