using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("PerfCI.Core.Tests")]
