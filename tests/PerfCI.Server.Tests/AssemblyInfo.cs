// Hangfire keeps process-wide state (its global configuration: job activator, filters), so two
// server hosts alive at once in one test process would perform each other's jobs. Test classes of
// this assembly therefore run one after another; each still has its own database.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
