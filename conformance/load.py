"""`mimcheck load`: run a Locust load profile against a target and judge it against thresholds.

The work is split by what it does, none of it importing Locust at module level:

* ``load_stats``: durations, thresholds, the JSON figures of a run and its printed summary (pure);
* ``load_locust``: what every locustfile calls at import time (``LoadSettings``, ``attach_reporting``);
* ``load_run``: Locust in child processes (alone or a master and N workers), preflight, the sweep of
  leftovers, and ``measure`` (one run from target to statistics file), shared with ``capacity``;
* ``load_cli``: the options, the built-in profiles (conformance/loadprofiles/) and ``cmd_load``;
* ``load_svg``: the charts of a run and of a capacity search.

This module keeps the names other code and older locustfiles import from ``conformance.load``.
"""

from __future__ import annotations

from conformance.load_cli import (
    LOAD_PROFILES_PACKAGE,
    add_load_parser,
    available_profiles,
    cmd_load,
    load_profiles_dir,
    resolve_load_profile,
)
from conformance.load_locust import (
    ENV_AUTH,
    ENV_HEADERS,
    ENV_MAX_FAILURE_RATIO,
    ENV_MAX_P95_MS,
    ENV_PROGRESS_SECONDS,
    ENV_RUN_ID,
    ENV_STATS,
    PROGRESS_PREFIX,
    LoadSettings,
    attach_reporting,
    run_entity_prefix,
)
from conformance.load_run import STATS_FILE, LocustJob
from conformance.load_stats import (
    EXIT_OK,
    EXIT_THRESHOLD,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    MAX_DURATION_SECONDS,
    Breach,
    Thresholds,
    build_report,
    entry_as_json,
    errors_as_json,
    evaluate_thresholds,
    exit_code_for,
    parse_duration,
    print_summary,
    progress_line,
    stats_as_json,
)
from conformance.load_sweep import sweep_run_entities
from conformance.load_target import preflight

__all__ = [
    "ENV_AUTH",
    "ENV_HEADERS",
    "ENV_MAX_FAILURE_RATIO",
    "ENV_MAX_P95_MS",
    "ENV_PROGRESS_SECONDS",
    "ENV_RUN_ID",
    "ENV_STATS",
    "EXIT_OK",
    "EXIT_THRESHOLD",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "LOAD_PROFILES_PACKAGE",
    "MAX_DURATION_SECONDS",
    "PROGRESS_PREFIX",
    "STATS_FILE",
    "Breach",
    "LoadSettings",
    "LocustJob",
    "Thresholds",
    "add_load_parser",
    "attach_reporting",
    "available_profiles",
    "build_report",
    "cmd_load",
    "entry_as_json",
    "errors_as_json",
    "evaluate_thresholds",
    "exit_code_for",
    "load_profiles_dir",
    "parse_duration",
    "preflight",
    "print_summary",
    "progress_line",
    "resolve_load_profile",
    "run_entity_prefix",
    "stats_as_json",
    "sweep_run_entities",
]
