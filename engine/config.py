"""All configuration in one place: read from the environment once, passed down.

Nothing else in Flowdesk reads ``os.environ``; code that needs a setting takes a
``Settings`` (or the value) as a parameter, so tests build their own without patching.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import BadRequest


def shipped_seed() -> tuple[Path, ...]:
    """The demo's reference data (items, suppliers, customers, employees) shipped with
    the distribution."""
    from flowdesk import seed

    return (Path(next(iter(seed.__path__))),)


def shipped_definitions() -> tuple[Path, ...]:
    """The processes/ and forms/ folders that ship with the distribution.

    They are found through the installed package, so a built wheel finds them as well as
    an editable checkout does.
    """
    from flowdesk import forms, processes

    return tuple(Path(next(iter(pkg.__path__))) for pkg in (processes, forms))


@dataclass(frozen=True)
class OidcSettings:
    """Sign-in with an OpenID Connect provider (off while ``issuer`` is empty).

    ``group_mapping`` maps the provider's group names (from ``groups_claim``) to Flowdesk
    groups; with no mapping, the provider's group names are taken as they are."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    groups_claim: str = "groups"
    username_claim: str = "preferred_username"
    scopes: str = "openid profile email"
    group_mapping: tuple[tuple[str, str], ...] = ()
    # Where the provider sends the browser back; default: this server's /login/sso/callback.
    redirect_url: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings:
        mapping = []
        for pair in env.get("FLOWDESK_OIDC_GROUP_MAPPING", "").split(","):
            if not pair.strip():
                continue
            outside, sep, inside = pair.partition("=")
            if not sep or not outside.strip() or not inside.strip():
                raise BadRequest("FLOWDESK_OIDC_GROUP_MAPPING is 'provider group=flowdesk group,...', "
                                 f"got {pair.strip()!r}")
            mapping.append((outside.strip(), inside.strip()))
        settings = cls(
            issuer=env.get("FLOWDESK_OIDC_ISSUER", "").rstrip("/"),
            client_id=env.get("FLOWDESK_OIDC_CLIENT_ID", ""),
            client_secret=env.get("FLOWDESK_OIDC_CLIENT_SECRET", ""),
            groups_claim=env.get("FLOWDESK_OIDC_GROUPS_CLAIM", "") or cls.groups_claim,
            username_claim=env.get("FLOWDESK_OIDC_USERNAME_CLAIM", "") or cls.username_claim,
            scopes=env.get("FLOWDESK_OIDC_SCOPES", "") or cls.scopes,
            group_mapping=tuple(mapping),
            redirect_url=env.get("FLOWDESK_OIDC_REDIRECT_URL", ""),
        )
        if settings.issuer and not settings.client_id:
            raise BadRequest("FLOWDESK_OIDC_ISSUER needs FLOWDESK_OIDC_CLIENT_ID (and usually a client secret)")
        return settings


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'flowdesk.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    definitions: tuple[Path, ...] = field(default_factory=shipped_definitions)
    # Signing secret for bearer tokens; when empty it comes from secret_key_file.
    secret_key: str = ""
    token_ttl_seconds: int = 3600
    # Python's cyclic garbage collector thresholds in server and worker processes, or None
    # for CPython's (700, 10, 10): see engine/tuning.py.
    gc_thresholds: tuple[int, int, int] | None = (20_000, 50, 50)
    # How long a server process trusts the user and groups it read for a bearer token.
    # Changes made through the same process apply at once; changes made elsewhere (another
    # server process, the CLI) within this many seconds. 0 reads them on every request.
    auth_cache_seconds: float = 5.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 25 * 1024 * 1024
    host: str = "127.0.0.1"
    port: int = 8000
    # Web worker processes of ``flowdesk serve``; None: one per core on PostgreSQL, one on
    # SQLite (see serve_processes). FLOWDESK_WORKERS or ``serve --workers`` set it.
    web_workers: int | None = None
    broker_url: str = ""
    celery_queue: str = "flowdesk"
    # Where the email connector writes messages when no SMTP host is configured.
    outbox_dir: Path = field(default_factory=lambda: Path.cwd() / "outbox")
    # How long a message thrown by a process waits for a receiver before an incident.
    message_ttl_seconds: int = 7 * 24 * 3600
    # A worker that has not finished a job in this time is presumed dead; another takes over.
    job_lock_seconds: int = 300
    # Reliability: a worker whose heartbeat is older than this has its jobs taken by the
    # others at once (lock_seconds is only the backstop); the workflow cache's size in MiB;
    # how long `flowdesk worker` waits for an unreachable database before it exits non-zero.
    worker_stale_seconds: int = 10
    # The workflow cache of a whole ``serve``: each of N web workers keeps cache_mb / N.
    cache_mb: int = 64
    worker_database_patience_seconds: int = 120
    # Threads of the embedded worker (`serve`, `worker` without a broker), each taking
    # batches of due jobs: 0 = one per core on PostgreSQL (a step waits on the database
    # as much as it computes) and one on SQLite (one writer at a time anyway).
    worker_threads: int = 0
    # Extra connectors as "module:attribute" (comma-separated), beside entry points.
    connector_modules: tuple[str, ...] = ()
    # Reference data loaded by ``serve --demo`` (YAML files: {record type: [entries]}).
    seed: tuple[Path, ...] = field(default_factory=shipped_seed)
    # deadline(...) durations are multiplied by this: 1 in production; the demo makes a
    # day pass in a minute so long waits (payment terms, probation) can be walked through.
    time_scale: float = 1.0
    # YAML file describing working hours and holidays for deadline(...); wall clock if unset.
    business_calendar: Path | None = None
    # YAML file of groups' display names ({group: {name, name_i18n}}); None: the shipped one
    # (engine/groups.yaml, the shipped processes' and demo users' groups).
    group_names: Path | None = None
    log_sql: bool = False
    # "instance": one hash chain per instance, anchored into the global chain every
    # audit_anchor_seconds (writers of different instances never wait for each other);
    # "global": one chain for everything (every writer serializes on its head).
    audit_chain: str = "instance"
    audit_anchor_seconds: float = 1.0
    # Completed instances older than this lose their history payloads when an admin runs
    # retention (``flowdesk audit retain``); 0 keeps everything.
    history_retention_days: int = 0
    # -- security (README "Security") --
    # Failed logins within 15 minutes that lock a username, and a client address, for 15
    # minutes (counted before the password is checked; 0 turns the address limit off).
    login_max_failures: int = 5
    login_address_max_failures: int = 100
    # Where the token signing key is kept when FLOWDESK_SECRET_KEY is not set (None: beside
    # a SQLite database file, ./flowdesk.key otherwise); generated there on first start.
    secret_key_file: Path | None = None
    # Internal destinations connectors may reach anyway (host names, addresses, CIDR networks).
    outbound_allow: tuple[str, ...] = ()
    # The SMTP server of the email connector and of notifications (models cannot name one;
    # unset: .eml files in outbox_dir), the sender, and the web app's address for links in mails.
    smtp_host: str = ""
    smtp_port: int = 25
    mail_sender: str = "flowdesk@localhost"
    public_url: str = ""
    # Single sign-on with an OpenID Connect provider (FLOWDESK_OIDC_*), beside passwords.
    oidc: OidcSettings = field(default_factory=OidcSettings)
    # "text" (default) or "json": one JSON object per log line, with the request id.
    log_format: str = "text"
    # Readiness (GET /api/v1/health/ready) requires this many live workers; 0 only reports them.
    health_min_workers: int = 0
    # Mark the web app's cookies Secure: True always (behind a TLS-terminating proxy), False
    # never, None when the request came over HTTPS.
    secure_cookies: bool | None = None
    # -- people (docs/collaboration.md) --
    # The IANA zone of users who chose none: pages show times in it, and "today" in forms
    # is its date. The engine keeps UTC internally whatever this says.
    time_zone: str = "UTC"
    # A web session ends after this many minutes without a request; working renews it.
    session_idle_minutes: int = 60

    def embedded_worker_threads(self) -> int:
        """The embedded worker's threads: ``worker_threads``, or when 0 one per core on
        PostgreSQL (where steps on separate rows commit side by side) and one on SQLite
        (which lets one writer in at a time: more threads would only queue for it)."""
        if self.worker_threads > 0:
            return self.worker_threads
        return 1 if self.database_url.startswith("sqlite") else available_cores()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        settings = cls()
        changes: dict = {}
        if url := env.get("FLOWDESK_DATABASE_URL"):
            changes["database_url"] = url
        if defs := env.get("FLOWDESK_DEFINITIONS"):
            changes["definitions"] = tuple(Path(p) for p in defs.split(os.pathsep) if p)
        if secret := env.get("FLOWDESK_SECRET_KEY"):
            changes["secret_key"] = secret
        if key_file := env.get("FLOWDESK_SECRET_KEY_FILE"):
            changes["secret_key_file"] = Path(key_file)
        if allow := env.get("FLOWDESK_OUTBOUND_ALLOW"):
            changes["outbound_allow"] = tuple(a.strip() for a in allow.split(",") if a.strip())
        if (secure := env.get("FLOWDESK_SECURE_COOKIES")) is not None and secure.strip():
            flag = secure.strip().lower()
            if flag not in {"1", "true", "yes", "0", "false", "no"}:
                raise BadRequest(f"FLOWDESK_SECURE_COOKIES must be true or false, got {secure!r}")
            changes["secure_cookies"] = flag in {"1", "true", "yes"}
        if smtp_host := env.get("FLOWDESK_SMTP_HOST"):
            changes["smtp_host"] = smtp_host
        if broker := env.get("FLOWDESK_BROKER_URL"):
            changes["broker_url"] = broker
        if queue := env.get("FLOWDESK_CELERY_QUEUE"):
            changes["celery_queue"] = queue
        if outbox := env.get("FLOWDESK_OUTBOX"):
            changes["outbox_dir"] = Path(outbox)
        if seed := env.get("FLOWDESK_SEED"):
            changes["seed"] = tuple(Path(p) for p in seed.split(os.pathsep) if p)
        if scale := env.get("FLOWDESK_TIME_SCALE"):
            try:
                changes["time_scale"] = float(scale)
            except ValueError:
                raise BadRequest(f"FLOWDESK_TIME_SCALE must be a number, got {scale!r}") from None
        if calendar := env.get("FLOWDESK_BUSINESS_CALENDAR"):
            changes["business_calendar"] = Path(calendar)
        if group_names := env.get("FLOWDESK_GROUP_NAMES"):
            changes["group_names"] = Path(group_names)
        if modules := env.get("FLOWDESK_CONNECTORS"):
            changes["connector_modules"] = tuple(m.strip() for m in modules.split(",") if m.strip())
        for name, var in (
            ("token_ttl_seconds", "FLOWDESK_TOKEN_TTL"),
            ("max_body_bytes", "FLOWDESK_MAX_BODY_BYTES"),
            ("max_upload_bytes", "FLOWDESK_MAX_UPLOAD_BYTES"),
            ("port", "FLOWDESK_PORT"),
            ("web_workers", "FLOWDESK_WORKERS"),
            ("message_ttl_seconds", "FLOWDESK_MESSAGE_TTL"),
            ("job_lock_seconds", "FLOWDESK_JOB_LOCK_SECONDS"),
            ("history_retention_days", "FLOWDESK_HISTORY_RETENTION_DAYS"),
            ("worker_stale_seconds", "FLOWDESK_WORKER_STALE_SECONDS"),
            ("cache_mb", "FLOWDESK_CACHE_MB"),
            ("worker_database_patience_seconds", "FLOWDESK_WORKER_DATABASE_PATIENCE"),
            ("worker_threads", "FLOWDESK_WORKER_THREADS"),
            ("login_max_failures", "FLOWDESK_LOGIN_MAX_FAILURES"),
            ("login_address_max_failures", "FLOWDESK_LOGIN_ADDRESS_MAX_FAILURES"),
            ("smtp_port", "FLOWDESK_SMTP_PORT"),
            ("health_min_workers", "FLOWDESK_HEALTH_MIN_WORKERS"),
            ("session_idle_minutes", "FLOWDESK_SESSION_IDLE_MINUTES"),
        ):
            if (raw := env.get(var)) is not None:
                try:
                    changes[name] = int(raw)
                except ValueError:
                    raise BadRequest(f"{var} must be an integer, got {raw!r}") from None
        if mode := env.get("FLOWDESK_AUDIT_CHAIN"):
            if mode not in ("instance", "global"):
                raise BadRequest(f"FLOWDESK_AUDIT_CHAIN must be 'instance' or 'global', got {mode!r}")
            changes["audit_chain"] = mode
        if anchor := env.get("FLOWDESK_AUDIT_ANCHOR_SECONDS"):
            try:
                changes["audit_anchor_seconds"] = float(anchor)
            except ValueError:
                raise BadRequest(f"FLOWDESK_AUDIT_ANCHOR_SECONDS must be a number, got {anchor!r}") from None
        if (gc_raw := env.get("FLOWDESK_GC_THRESHOLDS")) is not None:
            changes["gc_thresholds"] = _gc_thresholds(gc_raw)
        if (cache := env.get("FLOWDESK_AUTH_CACHE_SECONDS")) is not None:
            try:
                changes["auth_cache_seconds"] = float(cache)
            except ValueError:
                raise BadRequest(f"FLOWDESK_AUTH_CACHE_SECONDS must be a number, got {cache!r}") from None
            if not changes["auth_cache_seconds"] >= 0:
                raise BadRequest(f"FLOWDESK_AUTH_CACHE_SECONDS must be 0 or more, got {cache!r}")
        for name, var in (("mail_sender", "FLOWDESK_MAIL_SENDER"), ("public_url", "FLOWDESK_PUBLIC_URL")):
            if raw_text := env.get(var):
                changes[name] = raw_text
        if host := env.get("FLOWDESK_HOST"):
            changes["host"] = host
        changes["log_sql"] = env.get("FLOWDESK_LOG_SQL", "") in {"1", "true", "yes"}
        changes["oidc"] = OidcSettings.from_env(env)
        if zone := env.get("FLOWDESK_TIME_ZONE", "").strip():
            if not _is_time_zone(zone):
                raise BadRequest(f"FLOWDESK_TIME_ZONE must be an IANA time zone such as Asia/Shanghai, got {zone!r}")
            changes["time_zone"] = zone
        if changes.get("session_idle_minutes", 1) < 1:
            raise BadRequest("FLOWDESK_SESSION_IDLE_MINUTES must be 1 or more, "
                             f"got {env.get('FLOWDESK_SESSION_IDLE_MINUTES')!r}")
        if changes.get("web_workers", 1) < 1:
            raise BadRequest(f"FLOWDESK_WORKERS must be 1 or more, got {env.get('FLOWDESK_WORKERS')!r}")
        if log_format := env.get("FLOWDESK_LOG_FORMAT"):
            if log_format not in ("text", "json"):
                raise BadRequest(f"FLOWDESK_LOG_FORMAT must be 'text' or 'json', got {log_format!r}")
            changes["log_format"] = log_format
        return replace(settings, **changes)

    def serve_processes(self) -> int:
        """How many web worker processes ``flowdesk serve`` runs.

        One per core the process may run on (its CPU affinity, which containers and
        ``taskset`` narrow, unlike ``os.cpu_count()``) on PostgreSQL: one Python process
        cannot use more than one core, and round 3 measured 186 completions/s with two
        processes against 109/s with one on two cores. SQLite stays single-process: it
        serializes writers on one file lock, so more processes only wait for each other.
        An explicit ``web_workers`` wins either way.
        """
        if self.web_workers is not None:
            return self.web_workers
        return 1 if self.database_url.startswith("sqlite") else available_cores()

    def for_web_worker(self, processes: int) -> Settings:
        """The settings of one of ``processes`` web workers: the cache budget is the whole
        server's, so each worker keeps its share (at least 1 MiB while the cache is on)."""
        if processes <= 1 or self.cache_mb <= 0:
            return self
        return replace(self, cache_mb=max(1, self.cache_mb // processes))


def available_cores() -> int:
    """The cores this process may run on (affinity), or the machine's count where the
    platform cannot say."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _gc_thresholds(raw: str) -> tuple[int, int, int] | None:
    """``"20000,50,50"``, or ``"python"`` for CPython's own thresholds."""
    if raw.strip().lower() == "python":
        return None
    try:
        parts = tuple(int(p) for p in raw.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or parts[0] < 1 or min(parts) < 0:
        raise BadRequest("FLOWDESK_GC_THRESHOLDS must be three integers 'young,middle,old' (young >= 1), "
                         f"or 'python'; got {raw!r}")
    return parts  # type: ignore[return-value]
