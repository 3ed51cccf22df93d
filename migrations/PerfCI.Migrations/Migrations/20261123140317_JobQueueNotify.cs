using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PerfCI.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class JobQueueNotify : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Any writer that queues a job (run expansion, lease expiry, a re-run) wakes the runners'
            // waiting claims on every server instance: they LISTEN on perfci_jobs.
            migrationBuilder.Sql("""
                CREATE FUNCTION perfci_notify_job_queued() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('perfci_jobs', NEW.id::text);
                    RETURN NEW;
                END
                $$;
                CREATE TRIGGER jobs_notify_queued
                    AFTER INSERT OR UPDATE OF state ON jobs
                    FOR EACH ROW WHEN (NEW.state = 'queued')
                    EXECUTE FUNCTION perfci_notify_job_queued();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER jobs_notify_queued ON jobs;
                DROP FUNCTION perfci_notify_job_queued();
                """);
        }
    }
}
