"""Configuration classes read from the environment; production refuses weak or missing secrets."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("FAIRTRAIN_INSTANCE", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a typo in the environment should stop start-up, loudly
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def local_secret_key(instance_dir: Path = INSTANCE_DIR) -> str:
    """Read the secret key generated once into the instance folder, creating it on first use.

    Keeps development sessions valid across restarts without a literal key in the code.
    """
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way (postgresql:// or postgres://)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment; each value may come from the environment."""

    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'fairtrain.sqlite3'}"
    ))
    # JSON columns keep non-ASCII text as is (Japanese task text stays readable and searchable).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True,
                                       "json_serializer": lambda value: json.dumps(value, ensure_ascii=False)}
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024 * 1024)
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")

    # E-mail: sent by the scheduler from the outbox; logged to the console when no SMTP host is set.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_USE_TLS = _env_bool("SMTP_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "FairTrain <no-reply@fairtrain.local>")
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 8)

    # Money and pay rules (integer cents).
    MIN_HOURLY_RATE_CENTS = _env_int("MIN_HOURLY_RATE_CENTS", 1500)
    ONBOARDING_RATE_CENTS_PER_HOUR = _env_int("ONBOARDING_RATE_CENTS_PER_HOUR", 1800)
    PLATFORM_FEE_BASIS_POINTS = _env_int("PLATFORM_FEE_BASIS_POINTS", 1000)
    PAYOUT_MINIMUM_CENTS = _env_int("PAYOUT_MINIMUM_CENTS", 1000)
    CURRENCY = os.environ.get("CURRENCY", "usd")

    # Stripe: with no secret key the simulated gateway is used and the UI shows a demo banner.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    STRIPE_CONNECT_API_BASE = os.environ.get("STRIPE_CONNECT_API_BASE", "")
    # Connect events (account.updated) signed by a second endpoint's secret, when Stripe is set up that way.
    STRIPE_CONNECT_WEBHOOK_SECRET = os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET", "")
    # Stripe's rules: Stripe.js is always loaded from js.stripe.com, never vendored (real mode only).
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    # Simulated mode: records shared by the web, scheduler and seed processes through this file.
    STRIPE_SIMULATED_STATE_FILE = os.environ.get("STRIPE_SIMULATED_STATE_FILE",
                                                 str(INSTANCE_DIR / "simulated-stripe.json"))

    # Due process and review windows.
    REVIEW_OVERDUE_DAYS = _env_int("REVIEW_OVERDUE_DAYS", 3)
    QUALIFICATION_EXPIRY_WARNING_DAYS = _env_int("QUALIFICATION_EXPIRY_WARNING_DAYS", 14)
    ASSESSMENT_AUTO_SUBMIT_AFTER_MINUTES = _env_int("ASSESSMENT_AUTO_SUBMIT_AFTER_MINUTES", 15)
    ASSESSMENT_UPLOAD_MAX_BYTES = _env_int("ASSESSMENT_UPLOAD_MAX_BYTES", 2 * 1024 * 1024)
    APPEAL_WINDOW_DAYS = _env_int("APPEAL_WINDOW_DAYS", 14)
    APPEAL_DECISION_DAYS = _env_int("APPEAL_DECISION_DAYS", 7)
    IDLE_GAP_SECONDS = _env_int("IDLE_GAP_SECONDS", 300)
    APPEAL_ESCALATE_HOURS = _env_int("APPEAL_ESCALATE_HOURS", 48)  # warn every admin this long before a deadline
    APPEAL_MAX_ATTACHMENTS = _env_int("APPEAL_MAX_ATTACHMENTS", 5)
    APPEAL_ATTACHMENT_MAX_BYTES = _env_int("APPEAL_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
    COUNTRY_WITHDRAWAL_MIN_NOTICE_DAYS = _env_int("COUNTRY_WITHDRAWAL_MIN_NOTICE_DAYS", 30)
    HARMFUL_CONTENT_DAILY_LIMIT_MINUTES = _env_int("HARMFUL_CONTENT_DAILY_LIMIT_MINUTES", 120)

    # Quality: gold mix rate decays from START to FLOOR, halfway after HALF_LIFE tasks (quality/gold_rate.py).
    QUALITY_GOLD_RATE_START = float(os.environ.get("QUALITY_GOLD_RATE_START", "0.10"))
    QUALITY_GOLD_RATE_FLOOR = float(os.environ.get("QUALITY_GOLD_RATE_FLOOR", "0.02"))
    QUALITY_GOLD_HALF_LIFE = float(os.environ.get("QUALITY_GOLD_HALF_LIFE", "200"))
    # Peer review hold time; jobs up to this many answers get agreement computed while the requester waits
    # (bigger ones by the scheduled snapshot); how many jobs one scheduled run re-snapshots.
    QUALITY_REVIEW_RESERVATION_MINUTES = _env_int("QUALITY_REVIEW_RESERVATION_MINUTES", 20)
    QUALITY_ON_DEMAND_MAX_ANSWERS = _env_int("QUALITY_ON_DEMAND_MAX_ANSWERS", 5000)
    QUALITY_SNAPSHOT_JOBS_PER_RUN = _env_int("QUALITY_SNAPSHOT_JOBS_PER_RUN", 20)

    # Code-review sandbox (assignment/sandbox.py): the limits of one "Run tests" press.
    SANDBOX_CPU_SECONDS = _env_int("SANDBOX_CPU_SECONDS", 10)
    SANDBOX_MEMORY_MB = _env_int("SANDBOX_MEMORY_MB", 512)
    SANDBOX_WALL_SECONDS = _env_int("SANDBOX_WALL_SECONDS", 20)
    SANDBOX_OUTPUT_BYTES = _env_int("SANDBOX_OUTPUT_BYTES", 64 * 1024)
    # Work pages: "Run tests" presses per trainer (each runs the sandbox) and Markdown previews of writing.
    CODE_RUN_RATE_LIMIT = os.environ.get("CODE_RUN_RATE_LIMIT", "6 per minute;60 per hour")
    PREVIEW_RATE_LIMIT = os.environ.get("PREVIEW_RATE_LIMIT", "60 per minute")

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))

    # Jobs: task import limits, and where imports run (thread: beside the web process; scheduler: picked up
    # by `flask scheduler run`; inline: in the request, for tests).
    JOBS_MAX_TASKS_PER_JOB = _env_int("JOBS_MAX_TASKS_PER_JOB", 1_000_000)
    JOBS_IMPORT_MAX_BYTES = _env_int("JOBS_IMPORT_MAX_BYTES", 1024 * 1024 * 1024)
    JOBS_IMPORT_MAX_ROW_BYTES = _env_int("JOBS_IMPORT_MAX_ROW_BYTES", 256 * 1024)
    JOBS_IMPORT_BATCH_ROWS = _env_int("JOBS_IMPORT_BATCH_ROWS", 2000)
    JOBS_IMAGE_MAX_BYTES = _env_int("JOBS_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
    JOBS_IMAGE_MAX_PIXELS = _env_int("JOBS_IMAGE_MAX_PIXELS", 40_000_000)
    JOBS_IMPORT_RUNNER = os.environ.get("JOBS_IMPORT_RUNNER", "thread")
    SCHEDULER_ENABLED = True

    # Work engine: most tasks one claim may reserve, largest answer or draft (bytes of JSON), when the work
    # page warns that a reservation is running out, and the pay room's time provider ("module:function",
    # empty: no time measured yet, so weekly limits never bind).
    ASSIGNMENT_MAX_CLAIM = _env_int("ASSIGNMENT_MAX_CLAIM", 20)
    ASSIGNMENT_MAX_ANSWER_BYTES = _env_int("ASSIGNMENT_MAX_ANSWER_BYTES", 200_000)
    ASSIGNMENT_EXPIRY_WARNING_SECONDS = _env_int("ASSIGNMENT_EXPIRY_WARNING_SECONDS", 300)
    WORK_TIME_PROVIDER = os.environ.get("WORK_TIME_PROVIDER", "marketplace.pay.clock:work_time")

    # Pay room (README "Hourly pay"): the work page beats every HEARTBEAT_INTERVAL_SECONDS while the trainer
    # is active (input within HEARTBEAT_ACTIVE_SECONDS); a session's row is written when its last activity
    # would move by more than HEARTBEAT_WRITE_INTERVAL_SECONDS (or on a final beat). BUDGET_CHECK_SECONDS:
    # the time a session may run on the escrow it reserved before the next budget check. Timesheets are
    # approved automatically TIMESHEET_REVIEW_DAYS after their week ends; a disputed session goes to an admin
    # when the trainer has not answered in DISPUTE_ANSWER_DAYS. Payroll: weekday (0 = Monday) and UTC hour.
    HEARTBEAT_INTERVAL_SECONDS = _env_int("HEARTBEAT_INTERVAL_SECONDS", 30)
    HEARTBEAT_ACTIVE_SECONDS = _env_int("HEARTBEAT_ACTIVE_SECONDS", 120)
    HEARTBEAT_WRITE_INTERVAL_SECONDS = _env_int("HEARTBEAT_WRITE_INTERVAL_SECONDS", 150)
    BUDGET_CHECK_SECONDS = _env_int("BUDGET_CHECK_SECONDS", 600)
    TIMESHEET_REVIEW_DAYS = _env_int("TIMESHEET_REVIEW_DAYS", 3)
    DISPUTE_ANSWER_DAYS = _env_int("DISPUTE_ANSWER_DAYS", 5)
    PAYROLL_WEEKDAY = _env_int("PAYROLL_WEEKDAY", 0)
    PAYROLL_HOUR_UTC = _env_int("PAYROLL_HOUR_UTC", 9)
    BONUS_MAX_CENTS = _env_int("BONUS_MAX_CENTS", 100_000)
    # quality room: fn(job_id, worker_id, position) -> bool, the per-slot gold decision ("" turns the mix off)
    GOLD_MIX_PROVIDER = os.environ.get("GOLD_MIX_PROVIDER", "marketplace.quality.placement:gold_slot")

    @classmethod
    def load_secret_key(cls) -> str:
        return os.environ.get("SECRET_KEY") or local_secret_key()


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the debugger stays off even in development: make run is reachable by anyone on 127.0.0.1


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    # The test fixtures always pass a database URL of their own (a fresh database per run).
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False  # CSRF tests switch it back on explicitly
    LOGIN_RATE_LIMIT = "5 per minute"
    RATELIMIT_ENABLED = True
    SMTP_HOST = ""
    STRIPE_SECRET_KEY = ""
    STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    JOBS_IMPORT_RUNNER = "inline"
    STRIPE_SIMULATED_STATE_FILE = ""  # in memory, per test run


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def load_secret_key(cls) -> str:
        return os.environ.get("SECRET_KEY", "")

    @classmethod
    def check(cls, settings: dict) -> None:
        """Refuse to start production with a weak secret or without the Stripe secrets."""
        problems = []
        key = settings.get("SECRET_KEY") or ""
        if len(key) < 32 or len(set(key)) < 10:
            problems.append("SECRET_KEY must be set to a random string of at least 32 characters")
        if not settings.get("STRIPE_SECRET_KEY"):
            problems.append("STRIPE_SECRET_KEY must be set")
        if not settings.get("STRIPE_WEBHOOK_SECRET"):
            problems.append("STRIPE_WEBHOOK_SECRET must be set")
        if settings.get("SQLALCHEMY_DATABASE_URI", "").startswith("sqlite://") and not _env_bool(
            "ALLOW_SQLITE_IN_PRODUCTION", False
        ):
            problems.append("DATABASE_URL must point at PostgreSQL (or set ALLOW_SQLITE_IN_PRODUCTION=1)")
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("FAIRTRAIN_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"FAIRTRAIN_ENV must be one of {sorted(CONFIGS)}, got {name!r}")
    return CONFIGS[name]
