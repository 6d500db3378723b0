"""Shared fixtures: the mock site over loopback, archive databases, running the CLI."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Real pages of the site and of a mirror, with their provenance (tests/data/samples/README.md).
SAMPLES = ROOT / "tests" / "data" / "samples"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("THEPAPER_ARCHIVE_DB", None)
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 600, check: bool = False, **kw) -> subprocess.CompletedProcess:
    """Run ``thepaper-archive ARGS`` in a subprocess (the real Scrapy engine, a fresh reactor)."""
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=kw.pop("cwd", ROOT),
        env=kw.pop("env", cli_env()),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str):
    """A tmpfs of ``size`` (``2m``, ``64k``) mounted at ``mount_point`` for the block, if this
    machine lets the tests mount one (root with CAP_SYS_ADMIN); else the test is skipped."""
    mount_point.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def messages(stderr: str) -> list[str]:
    """The lines a command printed on stderr, without Python's warnings about libraries
    (a ``...Warning: ...`` line and the source line under it)."""
    out, skip = [], False
    for line in stderr.splitlines():
        if skip and line.startswith("  "):
            skip = False
            continue
        skip = "Warning: " in line and ".py:" in line
        if not skip:
            out.append(line)
    return out


def _ensure_pg_database(url: str, suffix: str) -> str:
    """URL of the PostgreSQL database ``<db of url>_<suffix>``, created on first use."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine, resolve_db_url

    base = make_url(resolve_db_url(url))
    dbname = f"{base.database}_{suffix}"
    engine = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": dbname}).scalar():
                conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    finally:
        engine.dispose()
    return base.set(database=dbname).render_as_string(hide_password=False)


def _worker_pg_url(url: str | None, worker: str | None) -> str | None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (``<db>_gw0`` ...),
    so that one worker's wipe never empties another's archive."""
    return _ensure_pg_database(url, worker) if url and worker else url


PG_URL = _worker_pg_url(os.environ.get("THEPAPER_TEST_PG_URL"), os.environ.get("PYTEST_XDIST_WORKER"))
if PG_URL:  # the test modules and the commands the tests run read it from the environment too
    os.environ["THEPAPER_TEST_PG_URL"] = PG_URL
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def wipe_pg(url: str) -> None:
    """Empty the PostgreSQL test database: every table, view, trigger and function."""
    from sqlalchemy import text

    from storage.db import make_engine
    from storage.dictionaries import forget_encoders

    forget_encoders(dictionaries=True)  # dictionary ids start at 1 again in the new archive
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    finally:
        engine.dispose()


def pg_database(name: str) -> str:
    """URL of PostgreSQL test database ``name`` (created on first use, beside the main one),
    so that a module-scoped archive is never wiped by another test's fixture."""
    from sqlalchemy.engine import make_url

    from storage.db import resolve_db_url

    if not name:
        return make_url(resolve_db_url(PG_URL)).render_as_string(hide_password=False)
    return _ensure_pg_database(PG_URL, name)


def fresh_db_url(backend: str, directory: Path, name: str = "") -> str:
    """An empty archive: a SQLite file in ``directory``, or a wiped PostgreSQL database
    (``name`` selects a separate one for module-scoped fixtures)."""
    if backend == "sqlite":
        return f"sqlite:///{directory / 'archive.sqlite3'}"
    url = pg_database(name)
    wipe_pg(url)
    return url


def downgrade(engine, revision: str) -> None:
    """Migrate the archive of ``engine`` down to ``revision`` (Alembic, in one transaction)."""
    from alembic import command

    from storage.db import alembic_config

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """An empty archive database: a SQLite file, or the wiped PostgreSQL test database
    (the PostgreSQL run happens when THEPAPER_TEST_PG_URL is set, as scripts/test.sh does)."""
    return fresh_db_url(request.param, tmp_path)


# --------------------------------------------------------------------------- markers
#: Modules whose tests are marked (pyproject.toml registers the markers; scripts/test.sh --quick
#: runs what is none of them, in under 2 minutes on two idle cores). Tests of files that are split
#: or may be are marked by name (SLOW_TESTS), so that the mark follows a test that moves.
LARGE_MODULES = {"test_soak", "test_bench_smoke"}
SLOW_MODULES = {
    "test_e2e_breaker",
    "test_e2e_crawl",
    "test_e2e_drift",
    "test_e2e_full_disk",
    "test_e2e_readers",
    "test_e2e_scheduled",
    "test_distributed",
    "test_browse",
    "test_warc",
    "test_analysis_docs",
    "test_lookup",
    "test_eval_gate",
}
#: The fast tests of SLOW_MODULES, kept in the quick subset so that it runs every test module.
QUICK_TESTS = {
    "test_bad_base_url_is_a_usage_error",
    "test_real_sqlite_errors_are_classified",
    "test_import_nothing_is_a_usage_error",
    "test_crawl_redis_usage_rejects_unknown_role",
    "test_shipped_metadata_is_current",
    "test_replay_urls_name_their_original_and_capture_time",
    "test_every_snippet_is_of_a_kind_that_runs",
    "test_declared_charset",
    "test_scores_see_a_leak_and_a_loss",
}
CHROMIUM_TESTS = {
    "test_report_renders_in_chromium_with_charts",
    "test_report_fits_the_window_and_draws_every_chart_in_chromium",
}
#: Tests of other modules that run processes end to end (the slowest of the quick subset, measured
#: with --durations).
SLOW_TESTS = {
    # crawls, WARC round trips and whole-devset passes of the branches merged in 0.3.0 (idle
    # --quick durations, 2-7 s of setup or call each)
    "test_a_list_failure_is_resolved_by_a_later_run_that_walks_the_list",
    "test_no_keywords_crawl_stores_articles_without_keywords",
    "test_keywords_only_computes_the_crawls_keywords",
    "test_keywords_only_refuses_fetched_since",  # its module's crawls: 7 s of setup
    "test_a_signal_during_the_fetch_is_one_line_and_its_exit_code",  # Scrapy's shutdown: 12 s each
    "test_jobs_zero_is_one_line",  # test_warc_jobs: an archive crawled and exported (5 s of setup)
    "test_pooled_batches_store_in_order_as_read",
    "test_import_of_a_file_that_is_not_a_warc_creates_nothing",  # a crawl (4 s) and an import
    "test_a_byte_lost_from_the_json_copy_is_restored_from_the_rendered_body",  # a crawl (4 s)
    "test_no_real_article_of_the_devset_is_refused_and_every_negative_is",
    "test_pooled_import_is_the_import_in_one_process",
    "test_the_mock_archive_holds_both_kinds_of_list_only_articles",
    "test_both_faults_were_served",
    "test_the_archive_under_another_name_or_its_companions_is_refused",
    "test_ctrl_c_stops_the_workers",
    "test_crawl_stores_the_same_archive_with_thread_or_worker_process",
    "test_compact_killed_with_sigkill_loses_nothing",
    "test_lock_race_between_processes",
    "test_concurrent_first_opens_migrate_once",
    # test_cli_newcomer: the command line as a user types it (a process each; most crawl the mock)
    "test_a_clone_of_the_repository_alone_collects_and_passes",
    "test_parquet_export_works_and_a_failed_export_leaves_no_file",
    "test_export_to_a_pipe_or_a_device_writes_into_it_and_leaves_it_in_place",
    "test_postgresql_url_is_accepted",
    "test_reading_commands_never_create_an_archive",
    "test_user_errors_are_one_line_with_their_exit_code",
    "test_wrong_postgresql_password_is_one_line",
    "test_search_query_that_is_not_utf8",
    "test_export_since_the_first_day_of_the_calendar_exports_everything",
    "test_an_unexpected_error_is_one_line_naming_the_traceback_file",
    "test_a_quiet_cron_run_while_the_site_is_down_logs_at_most_five_lines",
    "test_default_output_is_progress_warnings_and_the_summary",
    "test_verbose_shows_scrapys_detail",
    "test_signals_stop_a_crawl_with_130_or_143",
    "test_a_server_stopped_by_sigterm_exits_0_quietly",
    "test_import_of_a_file_that_fails_is_recorded_and_exits_0",
    "test_progress_shows_a_total_once_the_lists_are_walked",
    "test_version",
    "test_since_stores_only_articles_at_or_after_the_date",
    "test_a_run_cut_short_by_max_runtime_says_so",
    "test_settings_from_environment_and_config_file_with_one_precedence",
    "test_a_bad_value_in_the_environment_is_one_line",
    "test_scrapy_crawl_feed_export_writes_clean_records",
    "test_stats_and_report_windows_end_at_the_newest_article",
    "test_a_crawl_stores_keywords_that_trends_and_keywords_read",
    "test_parquet_without_pyarrow_is_one_line_and_leaves_no_file",
    "test_a_bug_during_a_crawl_is_one_line_per_error_naming_the_runs_traceback_file",
    # test_address_guard: imports and crawls through the guard, and 300 examples of Scrapy's requests
    "test_scrapy_requests_connect_to_the_host_the_guard_checks",
    "test_import_refuses_every_spelling_of_loopback_in_one_line",
    "test_a_name_that_resolves_to_loopback_is_refused_where_it_connects",
    "test_unicode_hosts_are_fetched_not_dropped",
    "test_a_refused_redirect_is_recorded_and_archived",
    # test_e2e_outage: crawls through an outage
    "test_an_outage_mid_run_stops_the_run_and_the_next_run_resumes",
    "test_a_site_that_hangs_from_the_start_stops_the_run_and_the_next_run_resumes",
    # a command as typed, several times over (a process each): the most CPU of the quick subset
    "test_trends_and_keywords_usage_errors_are_one_line",
    "test_report_usage_errors_are_one_line",
    "test_xlsx_to_stdout_and_excel_flag_misuse",
    "test_export_csv_from_the_command_line",
    "test_json_lines_keep_the_text_as_it_is",
    "test_cli_parquet_to_stdout",
    "test_compact_bad_level_is_a_usage_error",
    # many examples, whole archives or every file of the tree (each several CPU seconds)
    "test_rjieba_words_weigh_as_jieba_analyse_does",
    "test_reprocess_fills_the_keywords_of_old_rows",
    "test_mutated_real_pages_only_raise_cleaning_errors",
    "test_arbitrary_bytes_only_raise_cleaning_errors",
    "test_known_hashes",
    "test_no_thepaper_default_is_written_outside_the_settings_module",
    "test_settings_are_read_without_call_site_defaults",
    "test_jobs_2_leaves_the_same_archive_as_jobs_1",
    "test_bulk_compare_matches_one_record_at_a_time",
    "test_sql_fold_is_the_python_fold",
    "test_any_query_of_trap_words",
    "test_db_compact_gives_an_older_archive_16k_pages_with_nothing_to_re_encode",
    "test_every_mock_page_matches_the_generated_article",
    "test_the_essentials_of_a_list_item_clean_as_the_whole_item",
    "test_forms_only_ever_add_hits",
    "test_downgrade_below_0008_puts_paragraphs_and_html_back",
    "test_work_per_text_is_bounded",
    "test_best_reading_is_the_best_path",
    "test_mirror_text_dump_structure",
    "test_a_long_torn_article_is_repaired_whole",
    "test_a_damaged_archive_is_one_line_naming_the_recovery_and_is_left_as_it_was",
    "test_a_cache_directory_that_cannot_be_written_is_no_error",
    "test_whole_page_of_utf8_read_as_single_byte",
    # commands run as typed on an archive (a process each, measured at 4-12 CPU seconds a test)
    "test_trends_and_the_report_look_traditional_terms_up_as_search_does",
    "test_an_archive_on_a_read_only_file_system_is_read_and_not_written",
    "test_a_reader_leaves_the_archive_file_unchanged",
    "test_the_limit_is_the_crawls_setting_and_an_import_stores_nothing_of_a_batch_with_a_big_file",
    "test_db_upgrade_says_from_which_revision_to_which",
    "test_a_file_import_failure_is_resolved_by_a_later_import",
    "test_reprocess_writes_a_run_row",
    "test_export_infers_the_format_from_the_extension",
    "test_an_interrupted_reprocess_is_recorded_aborted",
    "test_a_lock_row_written_by_hand_is_taken_over_when_stale",
    "test_the_recorder_opens_the_run_when_the_spider_opens_and_finishes_it_when_it_closes",
    "test_scrapy_crawl_takes_the_endpoints_from_the_environment_or_the_config_file",
    "test_an_archive_of_an_unknown_revision_is_refused_unchanged",
    "test_the_drift_alarm_names_the_reprocess_that_re_cleans_the_drifted_pages",
    "test_show_and_export_the_log",
    "test_arbitrary_text_only_raises_cleaning_errors",
    "test_a_reader_on_an_empty_file_leaves_it_empty",
    # measured after the rebase on main (tests of the branches merged meanwhile)
    "test_another_programs_sqlite_file_is_refused_unchanged",
    "test_treepairs_runs_and_reports_every_tree",
    "test_search_says_how_many_hits_there_are_beyond_those_shown",
    "test_each_failure_is_one_line_with_its_exit_code",
    "test_query_runs_one_read_only_statement_in_three_forms",
    "test_keywords_leave_out_column_prefixes_and_numeral_fragments",
    "test_what_a_warc_without_list_pages_or_metadata_gives_back",
    "test_the_undamaged_archive_passes_the_check",
    "test_gone_articles_are_stored_with_the_title_of_their_list_item",
    "test_the_counts_see_a_refusal_and_an_accepted_negative",
    "test_clean_reads_stdin_and_directories_in_text_markdown_and_json",
    "test_crawl_with_O_exports_the_runs_new_and_updated_articles",
    "test_a_url_in_text_and_markdown_with_explain",
    "test_round_trip_gives_back_every_article_and_every_list_page",
    "test_export_onto_the_archive_is_refused_in_every_format",
    "test_filters_select_by_time_column_and_tag",
    "test_export_to_dev_full_is_one_line_exit_6",
    "test_cli_search_bad_filters_are_one_line",
    "test_export_to_a_full_file_system_keeps_the_old_file",
    "test_robots_txt_obeyed_unless_the_settings_say_otherwise",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        params = getattr(getattr(item, "callspec", None), "params", {})
        needs_pg = any("THEPAPER_TEST_PG_URL" in str(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif"))
        if "postgresql" in params.values() or needs_pg:
            item.add_marker(pytest.mark.pg)
        if module in LARGE_MODULES:
            item.add_marker(pytest.mark.large)
        if (module in SLOW_MODULES and item.originalname not in QUICK_TESTS) or item.originalname in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        if item.originalname in CHROMIUM_TESTS:
            item.add_marker(pytest.mark.chromium)


def _crawled_archive(tmp_path_factory, name: str, seed: int, filename: str, *flags: str):
    """40 mock articles of ``seed`` crawled by the command into a new SQLite file: the data set,
    the file and the crawl's process."""
    from mocksite.dataset import generate_dataset
    from mocksite.server import MockSite

    ds = generate_dataset(40, seed=seed)
    db = tmp_path_factory.mktemp(name) / filename
    with MockSite(ds) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", str(db), *flags)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return ds, db, proc


@pytest.fixture(scope="session")
def newcomer_archive(tmp_path_factory):
    """A small crawled archive (SQLite) and its data set, crawled once per test process: the
    tests read it and never write to it."""
    return _crawled_archive(tmp_path_factory, "newcomer", 14, "a.sqlite3")


@pytest.fixture(scope="session")
def firstweek_archive(tmp_path_factory):
    """The first-week tests' archive (issue 27): 40 articles crawled once per test process; the
    tests read it and never write to it."""
    ds, db, _ = _crawled_archive(tmp_path_factory, "firstweek", 27, "a.db", "-q")
    return ds, db
