using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PerfCI.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class GitHubIntegration : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Deliveries stored before payloads were kept get an empty object: '' is not valid jsonb.
            migrationBuilder.AddColumn<string>(
                name: "payload",
                table: "webhook_deliveries",
                type: "jsonb",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "accepted_at",
                table: "pull_requests",
                type: "timestamptz",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "accepted_by",
                table: "pull_requests",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "accepted_head_sha",
                table: "pull_requests",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "accepted_note",
                table: "pull_requests",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "payload",
                table: "webhook_deliveries");

            migrationBuilder.DropColumn(
                name: "accepted_at",
                table: "pull_requests");

            migrationBuilder.DropColumn(
                name: "accepted_by",
                table: "pull_requests");

            migrationBuilder.DropColumn(
                name: "accepted_head_sha",
                table: "pull_requests");

            migrationBuilder.DropColumn(
                name: "accepted_note",
                table: "pull_requests");
        }
    }
}
