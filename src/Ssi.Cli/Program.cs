using Ssi.Cli;

return await CommandLine.RunAsync(args);
