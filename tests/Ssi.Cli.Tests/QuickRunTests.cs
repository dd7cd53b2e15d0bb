namespace Ssi.Cli.Tests;

public class QuickRunTests
{
    [Theory]
    [InlineData("run -- true", null, false, false, false, "true")]
    [InlineData("run -n 2 -- seq 1 10", 2, false, false, false, "seq 1 10")]
    [InlineData("run --any -t -- bash -i", null, true, true, false, "bash -i")]
    [InlineData("run -d -n 3 -- sleep 60", 3, false, false, true, "sleep 60")]
    [InlineData("run --detach -- ls -- -x", null, false, false, true, "ls -- -x")]
    public void Usual_spellings_are_parsed_here(string line, int? node, bool any, bool tty, bool detach, string command)
    {
        var options = QuickRun.Parse(line.Split(' '));
        Assert.NotNull(options);
        Assert.Equal(node, options.Node);
        Assert.Equal(any, options.Any);
        Assert.Equal(tty, options.Tty);
        Assert.Equal(detach, options.Detach);
        Assert.Equal(command, string.Join(' ', options.Argv));
    }

    [Theory]
    [InlineData("run true")]
    [InlineData("run --help")]
    [InlineData("run -n two -- true")]
    [InlineData("run -n 2 -n 3 -- true")]
    [InlineData("run --node 2 -- true")]
    [InlineData("run --box b -- true")]
    [InlineData("run -n 2 --")]
    [InlineData("ps -- x")]
    public void Anything_else_goes_to_the_full_parser(string line) => Assert.Null(QuickRun.Parse(line.Split(' ')));
}
