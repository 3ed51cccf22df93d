using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using PerfCI.Core.Domain;

#nullable disable

namespace PerfCI.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:Enum:alert_kind", "improvement,no_data,regression")
                .Annotation("Npgsql:Enum:alert_state", "acknowledged,confirmed,fixed,invalid,new,wont_fix")
                .Annotation("Npgsql:Enum:bisect_decision", "pending,same_as_bad,same_as_good,skipped,unknown")
                .Annotation("Npgsql:Enum:bisect_mode", "first_parent,full_dag")
                .Annotation("Npgsql:Enum:bisect_state", "cancelled,failed,inconclusive,queued,running,succeeded")
                .Annotation("Npgsql:Enum:change_kind", "improvement,regression")
                .Annotation("Npgsql:Enum:job_state", "cancelled,failed,queued,running,succeeded")
                .Annotation("Npgsql:Enum:metric_direction", "higher_is_better,lower_is_better")
                .Annotation("Npgsql:Enum:pull_request_state", "closed,merged,open")
                .Annotation("Npgsql:Enum:run_state", "cancelled,failed,pending,queued,running,succeeded")
                .Annotation("Npgsql:Enum:run_trigger", "bisect,manual,pull_request,push,schedule")
                .Annotation("Npgsql:Enum:runner_state", "busy,idle,offline,revoked");

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    friendly_name = table.Column<string>(type: "text", nullable: true),
                    xml = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "repositories",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    owner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    clone_url = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    default_branch = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    settings = table.Column<string>(type: "jsonb", nullable: false),
                    git_hub_installation_id = table.Column<long>(type: "bigint", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_repositories", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "runners",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    labels = table.Column<string[]>(type: "text[]", nullable: false),
                    hardware = table.Column<string>(type: "jsonb", nullable: false),
                    hardware_class = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    state = table.Column<RunnerState>(type: "runner_state", nullable: false),
                    version = table.Column<string>(type: "text", nullable: false),
                    registered_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    last_seen_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_runners", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "webhook_deliveries",
                columns: table => new
                {
                    delivery_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    @event = table.Column<string>(name: "event", type: "character varying(100)", maxLength: 100, nullable: false),
                    action = table.Column<string>(type: "text", nullable: true),
                    repository_full_name = table.Column<string>(type: "text", nullable: true),
                    received_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    processed_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_webhook_deliveries", x => x.delivery_id);
                });

            migrationBuilder.CreateTable(
                name: "commits",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    repository_id = table.Column<long>(type: "bigint", nullable: false),
                    sha = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    parent_shas = table.Column<string[]>(type: "text[]", nullable: false),
                    author_name = table.Column<string>(type: "text", nullable: false),
                    author_email = table.Column<string>(type: "text", nullable: false),
                    message = table.Column<string>(type: "text", nullable: false),
                    committed_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    first_parent_position = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_commits", x => x.id);
                    table.ForeignKey(
                        name: "fk_commits_repositories_repository_id",
                        column: x => x.repository_id,
                        principalTable: "repositories",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "pull_requests",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    repository_id = table.Column<long>(type: "bigint", nullable: false),
                    number = table.Column<int>(type: "integer", nullable: false),
                    title = table.Column<string>(type: "text", nullable: false),
                    author = table.Column<string>(type: "text", nullable: false),
                    state = table.Column<PullRequestState>(type: "pull_request_state", nullable: false),
                    head_sha = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    head_ref = table.Column<string>(type: "text", nullable: false),
                    head_repository_full_name = table.Column<string>(type: "text", nullable: false),
                    base_ref = table.Column<string>(type: "text", nullable: false),
                    base_sha = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    merge_base_sha = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    requires_approval = table.Column<bool>(type: "boolean", nullable: false),
                    approved_by = table.Column<string>(type: "text", nullable: true),
                    approved_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    sticky_comment_id = table.Column<long>(type: "bigint", nullable: true),
                    check_run_id = table.Column<long>(type: "bigint", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pull_requests", x => x.id);
                    table.ForeignKey(
                        name: "fk_pull_requests_repositories_repository_id",
                        column: x => x.repository_id,
                        principalTable: "repositories",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "suites",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    repository_id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_suites", x => x.id);
                    table.ForeignKey(
                        name: "fk_suites_repositories_repository_id",
                        column: x => x.repository_id,
                        principalTable: "repositories",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "registration_tokens",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    labels = table.Column<string[]>(type: "text[]", nullable: false),
                    created_by = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    used_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    used_by_runner_id = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_registration_tokens", x => x.id);
                    table.ForeignKey(
                        name: "fk_registration_tokens_runners_used_by_runner_id",
                        column: x => x.used_by_runner_id,
                        principalTable: "runners",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "series",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    repository_id = table.Column<long>(type: "bigint", nullable: false),
                    suite_id = table.Column<long>(type: "bigint", nullable: false),
                    scenario = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    metric = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    hardware_class = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    unit = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    direction = table.Column<MetricDirection>(type: "metric_direction", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    last_analyzed_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_series", x => x.id);
                    table.ForeignKey(
                        name: "fk_series_repositories_repository_id",
                        column: x => x.repository_id,
                        principalTable: "repositories",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_series_suites_suite_id",
                        column: x => x.suite_id,
                        principalTable: "suites",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "change_points",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    series_id = table.Column<long>(type: "bigint", nullable: false),
                    commit_id = table.Column<long>(type: "bigint", nullable: false),
                    previous_commit_id = table.Column<long>(type: "bigint", nullable: true),
                    kind = table.Column<ChangeKind>(type: "change_kind", nullable: false),
                    magnitude = table.Column<double>(type: "double precision", nullable: false),
                    magnitude_lower = table.Column<double>(type: "double precision", nullable: false),
                    magnitude_upper = table.Column<double>(type: "double precision", nullable: false),
                    p_value = table.Column<double>(type: "double precision", nullable: false),
                    mean_before = table.Column<double>(type: "double precision", nullable: false),
                    mean_after = table.Column<double>(type: "double precision", nullable: false),
                    noise = table.Column<double>(type: "double precision", nullable: false),
                    accepted = table.Column<bool>(type: "boolean", nullable: false),
                    accepted_by = table.Column<string>(type: "text", nullable: true),
                    accepted_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    detected_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_change_points", x => x.id);
                    table.ForeignKey(
                        name: "fk_change_points_commits_commit_id",
                        column: x => x.commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_change_points_commits_previous_commit_id",
                        column: x => x.previous_commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_change_points_series_series_id",
                        column: x => x.series_id,
                        principalTable: "series",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "alert_groups",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    repository_id = table.Column<long>(type: "bigint", nullable: false),
                    from_commit_id = table.Column<long>(type: "bigint", nullable: true),
                    to_commit_id = table.Column<long>(type: "bigint", nullable: false),
                    state = table.Column<AlertState>(type: "alert_state", nullable: false),
                    culprit_commit_id = table.Column<long>(type: "bigint", nullable: true),
                    bisect_id = table.Column<long>(type: "bigint", nullable: true),
                    git_hub_issue_number = table.Column<int>(type: "integer", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_alert_groups", x => x.id);
                    table.ForeignKey(
                        name: "fk_alert_groups_commits_culprit_commit_id",
                        column: x => x.culprit_commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_alert_groups_commits_from_commit_id",
                        column: x => x.from_commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_alert_groups_commits_to_commit_id",
                        column: x => x.to_commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_alert_groups_repositories_repository_id",
                        column: x => x.repository_id,
                        principalTable: "repositories",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "alerts",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    group_id = table.Column<long>(type: "bigint", nullable: false),
                    series_id = table.Column<long>(type: "bigint", nullable: false),
                    change_point_id = table.Column<long>(type: "bigint", nullable: true),
                    kind = table.Column<AlertKind>(type: "alert_kind", nullable: false),
                    state = table.Column<AlertState>(type: "alert_state", nullable: false),
                    magnitude = table.Column<double>(type: "double precision", nullable: false),
                    magnitude_lower = table.Column<double>(type: "double precision", nullable: false),
                    magnitude_upper = table.Column<double>(type: "double precision", nullable: false),
                    noise = table.Column<double>(type: "double precision", nullable: false),
                    triaged_by = table.Column<string>(type: "text", nullable: true),
                    triaged_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    note = table.Column<string>(type: "text", nullable: true),
                    fixed_by_change_point_id = table.Column<long>(type: "bigint", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_alerts", x => x.id);
                    table.ForeignKey(
                        name: "fk_alerts_alert_groups_group_id",
                        column: x => x.group_id,
                        principalTable: "alert_groups",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_alerts_change_points_change_point_id",
                        column: x => x.change_point_id,
                        principalTable: "change_points",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_alerts_change_points_fixed_by_change_point_id",
                        column: x => x.fixed_by_change_point_id,
                        principalTable: "change_points",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_alerts_series_series_id",
                        column: x => x.series_id,
                        principalTable: "series",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "bisects",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    repository_id = table.Column<long>(type: "bigint", nullable: false),
                    good_commit_id = table.Column<long>(type: "bigint", nullable: false),
                    bad_commit_id = table.Column<long>(type: "bigint", nullable: false),
                    suite = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    scenario = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    metric = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    hardware_class = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    direction = table.Column<MetricDirection>(type: "metric_direction", nullable: false),
                    mode = table.Column<BisectMode>(type: "bisect_mode", nullable: false),
                    trials_per_step = table.Column<int>(type: "integer", nullable: false),
                    max_trials_per_step = table.Column<int>(type: "integer", nullable: false),
                    max_steps = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<BisectState>(type: "bisect_state", nullable: false),
                    alert_id = table.Column<long>(type: "bigint", nullable: true),
                    culprit_commit_id = table.Column<long>(type: "bigint", nullable: true),
                    conclusion = table.Column<string>(type: "text", nullable: true),
                    magnitude = table.Column<double>(type: "double precision", nullable: true),
                    magnitude_lower = table.Column<double>(type: "double precision", nullable: true),
                    magnitude_upper = table.Column<double>(type: "double precision", nullable: true),
                    requested_by = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_bisects", x => x.id);
                    table.ForeignKey(
                        name: "fk_bisects_alerts_alert_id",
                        column: x => x.alert_id,
                        principalTable: "alerts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_bisects_commits_bad_commit_id",
                        column: x => x.bad_commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_bisects_commits_culprit_commit_id",
                        column: x => x.culprit_commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_bisects_commits_good_commit_id",
                        column: x => x.good_commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_bisects_repositories_repository_id",
                        column: x => x.repository_id,
                        principalTable: "repositories",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    repository_id = table.Column<long>(type: "bigint", nullable: false),
                    commit_id = table.Column<long>(type: "bigint", nullable: false),
                    trigger = table.Column<RunTrigger>(type: "run_trigger", nullable: false),
                    state = table.Column<RunState>(type: "run_state", nullable: false),
                    pull_request_id = table.Column<long>(type: "bigint", nullable: true),
                    bisect_id = table.Column<long>(type: "bigint", nullable: true),
                    hardware_class = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    suite_filter = table.Column<string[]>(type: "text[]", nullable: true),
                    requested_by = table.Column<string>(type: "text", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_runs", x => x.id);
                    table.ForeignKey(
                        name: "fk_runs_bisects_bisect_id",
                        column: x => x.bisect_id,
                        principalTable: "bisects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_runs_commits_commit_id",
                        column: x => x.commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_runs_pull_requests_pull_request_id",
                        column: x => x.pull_request_id,
                        principalTable: "pull_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_runs_repositories_repository_id",
                        column: x => x.repository_id,
                        principalTable: "repositories",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "bisect_steps",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    bisect_id = table.Column<long>(type: "bigint", nullable: false),
                    sequence = table.Column<int>(type: "integer", nullable: false),
                    commit_id = table.Column<long>(type: "bigint", nullable: false),
                    run_id = table.Column<long>(type: "bigint", nullable: true),
                    samples = table.Column<double[]>(type: "double precision[]", nullable: false),
                    decision = table.Column<BisectDecision>(type: "bisect_decision", nullable: false),
                    p_value = table.Column<double>(type: "double precision", nullable: true),
                    reason = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    decided_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_bisect_steps", x => x.id);
                    table.ForeignKey(
                        name: "fk_bisect_steps_bisects_bisect_id",
                        column: x => x.bisect_id,
                        principalTable: "bisects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_bisect_steps_commits_commit_id",
                        column: x => x.commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_bisect_steps_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<long>(type: "bigint", nullable: false),
                    suite_id = table.Column<long>(type: "bigint", nullable: false),
                    suite_definition = table.Column<string>(type: "jsonb", nullable: false),
                    required_labels = table.Column<string[]>(type: "text[]", nullable: false),
                    required_hardware_class = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    state = table.Column<JobState>(type: "job_state", nullable: false),
                    runner_id = table.Column<long>(type: "bigint", nullable: true),
                    lease_token = table.Column<Guid>(type: "uuid", nullable: true),
                    lease_expires_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    cancel_requested = table.Column<bool>(type: "boolean", nullable: false),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    max_attempts = table.Column<int>(type: "integer", nullable: false),
                    queued_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true),
                    engine_log_tail = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_jobs", x => x.id);
                    table.ForeignKey(
                        name: "fk_jobs_runners_runner_id",
                        column: x => x.runner_id,
                        principalTable: "runners",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_jobs_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_jobs_suites_suite_id",
                        column: x => x.suite_id,
                        principalTable: "suites",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_log_chunks",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    job_id = table.Column<long>(type: "bigint", nullable: false),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    sequence = table.Column<int>(type: "integer", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_log_chunks", x => x.id);
                    table.ForeignKey(
                        name: "fk_job_log_chunks_jobs_job_id",
                        column: x => x.job_id,
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_results",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    job_id = table.Column<long>(type: "bigint", nullable: true),
                    attempt = table.Column<int>(type: "integer", nullable: true),
                    run_id = table.Column<long>(type: "bigint", nullable: false),
                    runner_id = table.Column<long>(type: "bigint", nullable: true),
                    content_sha256 = table.Column<byte[]>(type: "bytea", nullable: false),
                    document = table.Column<string>(type: "jsonb", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_results", x => x.id);
                    table.ForeignKey(
                        name: "fk_job_results_jobs_job_id",
                        column: x => x.job_id,
                        principalTable: "jobs",
                        principalColumn: "id");
                    table.ForeignKey(
                        name: "fk_job_results_runners_runner_id",
                        column: x => x.runner_id,
                        principalTable: "runners",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_job_results_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "measurements",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    series_id = table.Column<long>(type: "bigint", nullable: false),
                    run_id = table.Column<long>(type: "bigint", nullable: false),
                    job_id = table.Column<long>(type: "bigint", nullable: true),
                    commit_id = table.Column<long>(type: "bigint", nullable: false),
                    samples = table.Column<double[]>(type: "double precision[]", nullable: false),
                    mean = table.Column<double>(type: "double precision", nullable: false),
                    median = table.Column<double>(type: "double precision", nullable: false),
                    std_dev = table.Column<double>(type: "double precision", nullable: false),
                    min = table.Column<double>(type: "double precision", nullable: false),
                    max = table.Column<double>(type: "double precision", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_measurements", x => x.id);
                    table.ForeignKey(
                        name: "fk_measurements_commits_commit_id",
                        column: x => x.commit_id,
                        principalTable: "commits",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_measurements_jobs_job_id",
                        column: x => x.job_id,
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_measurements_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_measurements_series_series_id",
                        column: x => x.series_id,
                        principalTable: "series",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_alert_groups_bisect_id",
                table: "alert_groups",
                column: "bisect_id");

            migrationBuilder.CreateIndex(
                name: "ix_alert_groups_culprit_commit_id",
                table: "alert_groups",
                column: "culprit_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_alert_groups_from_commit_id",
                table: "alert_groups",
                column: "from_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_alert_groups_repository_id_from_commit_id_to_commit_id",
                table: "alert_groups",
                columns: new[] { "repository_id", "from_commit_id", "to_commit_id" });

            migrationBuilder.CreateIndex(
                name: "ix_alert_groups_repository_id_state",
                table: "alert_groups",
                columns: new[] { "repository_id", "state" });

            migrationBuilder.CreateIndex(
                name: "ix_alert_groups_to_commit_id",
                table: "alert_groups",
                column: "to_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_alerts_change_point_id",
                table: "alerts",
                column: "change_point_id");

            migrationBuilder.CreateIndex(
                name: "ix_alerts_fixed_by_change_point_id",
                table: "alerts",
                column: "fixed_by_change_point_id");

            migrationBuilder.CreateIndex(
                name: "ix_alerts_group_id",
                table: "alerts",
                column: "group_id");

            migrationBuilder.CreateIndex(
                name: "ix_alerts_series_id_state",
                table: "alerts",
                columns: new[] { "series_id", "state" });

            migrationBuilder.CreateIndex(
                name: "ix_bisect_steps_bisect_id_sequence",
                table: "bisect_steps",
                columns: new[] { "bisect_id", "sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_bisect_steps_commit_id",
                table: "bisect_steps",
                column: "commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_bisect_steps_run_id",
                table: "bisect_steps",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_bisects_alert_id",
                table: "bisects",
                column: "alert_id");

            migrationBuilder.CreateIndex(
                name: "ix_bisects_bad_commit_id",
                table: "bisects",
                column: "bad_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_bisects_culprit_commit_id",
                table: "bisects",
                column: "culprit_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_bisects_good_commit_id",
                table: "bisects",
                column: "good_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_bisects_repository_id_created_at",
                table: "bisects",
                columns: new[] { "repository_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_bisects_state",
                table: "bisects",
                column: "state");

            migrationBuilder.CreateIndex(
                name: "ix_change_points_commit_id",
                table: "change_points",
                column: "commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_change_points_previous_commit_id",
                table: "change_points",
                column: "previous_commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_change_points_series_id_commit_id",
                table: "change_points",
                columns: new[] { "series_id", "commit_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_commits_repository_id_first_parent_position",
                table: "commits",
                columns: new[] { "repository_id", "first_parent_position" },
                unique: true,
                filter: "first_parent_position IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_commits_repository_id_sha",
                table: "commits",
                columns: new[] { "repository_id", "sha" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_job_log_chunks_job_id_attempt_sequence",
                table: "job_log_chunks",
                columns: new[] { "job_id", "attempt", "sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_job_results_content_sha256",
                table: "job_results",
                column: "content_sha256",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_job_results_job_id_attempt",
                table: "job_results",
                columns: new[] { "job_id", "attempt" },
                unique: true,
                filter: "job_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_job_results_run_id",
                table: "job_results",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_job_results_runner_id",
                table: "job_results",
                column: "runner_id");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_claim",
                table: "jobs",
                columns: new[] { "queued_at", "id" },
                filter: "state = 'queued'");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_lease_expiry",
                table: "jobs",
                column: "lease_expires_at",
                filter: "state = 'running'");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_run_id",
                table: "jobs",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_runner_id",
                table: "jobs",
                column: "runner_id");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_suite_id",
                table: "jobs",
                column: "suite_id");

            migrationBuilder.CreateIndex(
                name: "ix_measurements_commit_id",
                table: "measurements",
                column: "commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_measurements_job_id",
                table: "measurements",
                column: "job_id");

            migrationBuilder.CreateIndex(
                name: "ix_measurements_run_id",
                table: "measurements",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_measurements_series_id_commit_id",
                table: "measurements",
                columns: new[] { "series_id", "commit_id" });

            migrationBuilder.CreateIndex(
                name: "ix_measurements_series_id_run_id",
                table: "measurements",
                columns: new[] { "series_id", "run_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_pull_requests_repository_id_head_sha",
                table: "pull_requests",
                columns: new[] { "repository_id", "head_sha" });

            migrationBuilder.CreateIndex(
                name: "ix_pull_requests_repository_id_number",
                table: "pull_requests",
                columns: new[] { "repository_id", "number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_registration_tokens_token_hash",
                table: "registration_tokens",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_registration_tokens_used_by_runner_id",
                table: "registration_tokens",
                column: "used_by_runner_id");

            migrationBuilder.CreateIndex(
                name: "ix_repositories_owner_name",
                table: "repositories",
                columns: new[] { "owner", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_runners_name",
                table: "runners",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_runners_token_hash",
                table: "runners",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_runs_bisect_id",
                table: "runs",
                column: "bisect_id");

            migrationBuilder.CreateIndex(
                name: "ix_runs_commit_id",
                table: "runs",
                column: "commit_id");

            migrationBuilder.CreateIndex(
                name: "ix_runs_pull_request_id",
                table: "runs",
                column: "pull_request_id");

            migrationBuilder.CreateIndex(
                name: "ix_runs_repository_id_created_at",
                table: "runs",
                columns: new[] { "repository_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_series_repository_id_suite_id_scenario_metric_hardware_class",
                table: "series",
                columns: new[] { "repository_id", "suite_id", "scenario", "metric", "hardware_class" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_series_suite_id",
                table: "series",
                column: "suite_id");

            migrationBuilder.CreateIndex(
                name: "ix_suites_repository_id_name",
                table: "suites",
                columns: new[] { "repository_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_received_at",
                table: "webhook_deliveries",
                column: "received_at");

            migrationBuilder.AddForeignKey(
                name: "fk_alert_groups_bisects_bisect_id",
                table: "alert_groups",
                column: "bisect_id",
                principalTable: "bisects",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_alert_groups_bisects_bisect_id",
                table: "alert_groups");

            migrationBuilder.DropTable(
                name: "bisect_steps");

            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "job_log_chunks");

            migrationBuilder.DropTable(
                name: "job_results");

            migrationBuilder.DropTable(
                name: "measurements");

            migrationBuilder.DropTable(
                name: "registration_tokens");

            migrationBuilder.DropTable(
                name: "webhook_deliveries");

            migrationBuilder.DropTable(
                name: "jobs");

            migrationBuilder.DropTable(
                name: "runners");

            migrationBuilder.DropTable(
                name: "runs");

            migrationBuilder.DropTable(
                name: "pull_requests");

            migrationBuilder.DropTable(
                name: "bisects");

            migrationBuilder.DropTable(
                name: "alerts");

            migrationBuilder.DropTable(
                name: "alert_groups");

            migrationBuilder.DropTable(
                name: "change_points");

            migrationBuilder.DropTable(
                name: "commits");

            migrationBuilder.DropTable(
                name: "series");

            migrationBuilder.DropTable(
                name: "suites");

            migrationBuilder.DropTable(
                name: "repositories");
        }
    }
}
