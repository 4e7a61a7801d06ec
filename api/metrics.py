"""The engine's counts in Prometheus' text exposition format."""

from __future__ import annotations

from typing import Any


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(counts: dict[str, Any]) -> str:
    lines = [
        "# HELP flowdesk_instances Process instances by definition and status.",
        "# TYPE flowdesk_instances gauge",
    ]
    for row in counts["instances"]:
        lines.append(f'flowdesk_instances{{definition_key="{_label(row["definition_key"])}",'
                     f'status="{_label(row["status"])}"}} {row["count"]}')
    lines += [
        "# HELP flowdesk_open_tasks Open human tasks by definition.",
        "# TYPE flowdesk_open_tasks gauge",
    ]
    for row in counts["open_tasks"]:
        lines.append(f'flowdesk_open_tasks{{definition_key="{_label(row["definition_key"])}"}} {row["count"]}')
    lines += [
        "# HELP flowdesk_overdue_tasks Open human tasks past their due date.",
        "# TYPE flowdesk_overdue_tasks gauge",
        f"flowdesk_overdue_tasks {counts['overdue_tasks']}",
        "# HELP flowdesk_open_incidents Open incidents (failed steps waiting for someone).",
        "# TYPE flowdesk_open_incidents gauge",
        f"flowdesk_open_incidents {counts['open_incidents']}",
        "# HELP flowdesk_jobs Background jobs (timers, service calls, messages) by kind and status.",
        "# TYPE flowdesk_jobs gauge",
    ]
    for row in counts.get("jobs", []):
        lines.append(f'flowdesk_jobs{{kind="{_label(row["kind"])}",status="{_label(row["status"])}"}} {row["count"]}')
    lines += [
        "# HELP flowdesk_job_lag_seconds How long the most overdue due job has been waiting for a worker.",
        "# TYPE flowdesk_job_lag_seconds gauge",
        f"flowdesk_job_lag_seconds {counts.get('job_lag_seconds', 0.0)}",
        "# HELP flowdesk_live_workers Workers that reported a heartbeat in the last 30 seconds.",
        "# TYPE flowdesk_live_workers gauge",
        f"flowdesk_live_workers {counts.get('live_workers', 0)}",
    ]
    return "\n".join(lines) + "\n"


def refusal_text(anonymous_refusals: int) -> str:
    """The anonymous refusals this server process answered (401s; sampled in the audit log)."""
    return ("# HELP flowdesk_anonymous_refusals_total Requests refused for missing or invalid credentials "
            "by this server process.\n# TYPE flowdesk_anonymous_refusals_total counter\n"
            f"flowdesk_anonymous_refusals_total {anonymous_refusals}\n")
