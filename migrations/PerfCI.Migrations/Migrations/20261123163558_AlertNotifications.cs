using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PerfCI.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class AlertNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "culprit_pull_request_number",
                table: "alert_groups",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "culprit_pull_request_number",
                table: "alert_groups");
        }
    }
}
