using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PerfCI.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class BisectDriver : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "scenario_filter",
                table: "runs",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "trials",
                table: "runs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "first_bad_commit_id",
                table: "bisects",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "last_good_commit_id",
                table: "bisects",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "max_runner_hours",
                table: "bisects",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<string>(
                name: "outcome",
                table: "bisects",
                type: "character varying(40)",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "parallelism",
                table: "bisects",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "started_at",
                table: "bisects",
                type: "timestamptz",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "range_index",
                table: "bisect_steps",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "ix_bisects_first_bad_commit_id",
                table: "bisects",
                column: "first_bad_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_bisects_last_good_commit_id",
                table: "bisects",
                column: "last_good_commit_id");

            migrationBuilder.AddForeignKey(
                name: "fk_bisects_commits_first_bad_commit_id",
                table: "bisects",
                column: "first_bad_commit_id",
                principalTable: "commits",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);

            migrationBuilder.AddForeignKey(
                name: "fk_bisects_commits_last_good_commit_id",
                table: "bisects",
                column: "last_good_commit_id",
                principalTable: "commits",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_bisects_commits_first_bad_commit_id",
                table: "bisects");

            migrationBuilder.DropForeignKey(
                name: "fk_bisects_commits_last_good_commit_id",
                table: "bisects");

            migrationBuilder.DropIndex(
                name: "ix_bisects_first_bad_commit_id",
                table: "bisects");

            migrationBuilder.DropIndex(
                name: "ix_bisects_last_good_commit_id",
                table: "bisects");

            migrationBuilder.DropColumn(
                name: "scenario_filter",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "trials",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "first_bad_commit_id",
                table: "bisects");

            migrationBuilder.DropColumn(
                name: "last_good_commit_id",
                table: "bisects");

            migrationBuilder.DropColumn(
                name: "max_runner_hours",
                table: "bisects");

            migrationBuilder.DropColumn(
                name: "outcome",
                table: "bisects");

            migrationBuilder.DropColumn(
                name: "parallelism",
                table: "bisects");

            migrationBuilder.DropColumn(
                name: "started_at",
                table: "bisects");

            migrationBuilder.DropColumn(
                name: "range_index",
                table: "bisect_steps");
        }
    }
}
