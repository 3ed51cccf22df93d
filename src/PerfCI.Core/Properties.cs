using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("PerfCI.Core.Tests")]
[assembly: InternalsVisibleTo("PerfCI.Benchmarks")]
