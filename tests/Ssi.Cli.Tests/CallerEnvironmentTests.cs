using System.Collections;

namespace Ssi.Cli.Tests;

public class CallerEnvironmentTests
{
    [Fact]
    public void The_environment_read_from_environ_is_the_one_dotnet_reads()
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            expected[(string)e.Key] = (string?)e.Value ?? "";
        var actual = VprocCommands.CallerEnvironment();
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), actual.OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
