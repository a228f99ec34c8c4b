"""Settings come from the environment; with nothing set, Sunshine runs on an SQLite file in ./var."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SUNSHINE_DATA_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("SUNSHINE_DEBUG", False)
# A fixed development key is acceptable only because production deployments must set their own;
# `sunshine serve` refuses to start on a non-loopback host without one.
SECRET_KEY = os.environ.get("SUNSHINE_SECRET_KEY", "sunshine-insecure-development-key-change-me-0123456789")
ALLOWED_HOSTS = [h for h in os.environ.get("SUNSHINE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("SUNSHINE_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.humanize",
    "django_htmx",
    "simple_history",
    "axes",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "sunshine.core",
    "sunshine.registry",
    "sunshine.policy",
    "sunshine.assessment",
    "sunshine.comparison",
    "sunshine.monitoring",
    "sunshine.workflow",
    "sunshine.funds",
    "sunshine.library",
    "sunshine.disclosure",
    "sunshine.grievance",
    "sunshine.assistance",
    "sunshine.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (settings below) and Permissions-Policy on every response, error pages included.
    "csp.middleware.CSPMiddleware",
    "sunshine.core.http.PermissionsPolicyMiddleware",
    # A database too busy for a write (SQLite's lock held by an import) → 503 with a Chinese retry message.
    "sunshine.core.busy.DatabaseBusyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL characters and out-of-range numbers → 400, before any view or query sees them.
    "sunshine.core.input_guard.InputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle timeout and absolute limit of login sessions: an expired session is ended on the server.
    "sunshine.core.sessions.SessionTimeoutMiddleware",
    "sunshine.core.users.middleware.PasswordChangeRequiredMiddleware",  # one-time password: change it first
    # Responses with personal data are never kept by a browser or proxy cache.
    "sunshine.core.http.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it turns lock-outs into responses.
    "axes.middleware.AxesMiddleware",
]

# Widgets render from our templates (sunshine/templates/django/forms/widgets/): date and file inputs and empty
# select options read in Chinese whatever the browser's language.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "sunshine.config.urls"
WSGI_APPLICATION = "sunshine.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sunshine.core.context_processors.current_user",
            ],
            "builtins": ["sunshine.core.templatetags.sunshine_tags"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'sunshine.sqlite3'}"),
        conn_max_age=int(os.environ.get("SUNSHINE_CONN_MAX_AGE", "60")),
    )
}
# Web requests (`sunshine serve`, or any server loading sunshine.config.wsgi: SUNSHINE_PROCESS=web) get short
# database limits; everything else — imports, runs, the db_worker, scripts, tests — may hold a statement or a
# transaction far longer.
_WEB = os.environ.get("SUNSHINE_PROCESS") == "web"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Seconds a write waits for SQLite's single write lock before "database is locked"; the site then
        # answers 503 with a Chinese retry message (sunshine.core.busy). Below gunicorn's 120 s worker timeout.
        "timeout": float(os.environ.get("SUNSHINE_SQLITE_BUSY_TIMEOUT", "20")),
        # Take the write lock at BEGIN: a transaction that reads then writes cannot fail half-way on a lock.
        "transaction_mode": "IMMEDIATE",
        # WAL: readers never wait for the writer (and the writer never waits for readers).
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # A query whose client went away (killed worker, closed browser) must not run on for long: bound every
    # statement and every idle transaction, and have the server check that the client is still there.
    # Values are PostgreSQL durations ("60s", "5min"); "0" switches a limit off; an empty value leaves it out.
    # The client check applies to batch processes too: a killed import's query ends within seconds.
    _pg_limits = {
        "statement_timeout": os.environ.get("SUNSHINE_DB_STATEMENT_TIMEOUT", "60s") if _WEB
        else os.environ.get("SUNSHINE_BATCH_STATEMENT_TIMEOUT", "30min"),
        "idle_in_transaction_session_timeout": os.environ.get("SUNSHINE_DB_IDLE_TIMEOUT", "60s") if _WEB
        else os.environ.get("SUNSHINE_BATCH_IDLE_TIMEOUT", "30min"),
        "client_connection_check_interval": os.environ.get("SUNSHINE_DB_CLIENT_CHECK", "10s"),  # PostgreSQL ≥ 14
    }
    _pg_options = " ".join(f"-c {name}={value}" for name, value in _pg_limits.items() if value.strip())
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = f'{_db_options.get("options", "")} {_pg_options}'.strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Three of four character classes, and not the user name (等保 2.0 level 3 password complexity).
    {"NAME": "sunshine.core.users.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "sunshine.core.users.passwords.NotUsernameValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login rate limit: five failures for one user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("SUNSHINE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
# 我的待办 on the home page: each app's provider (sunshine.core.todo).
SUNSHINE_TODO_PROVIDERS = [
    "sunshine.workflow.todo.items",
    "sunshine.monitoring.todo.items",
    "sunshine.comparison.todo.items",
    "sunshine.funds.todo_projects.items",
    "sunshine.grievance.todo.items",
]
# Lockouts (and the public site's rate limits) count the client's address: behind N reverse proxies it is taken
# from X-Forwarded-For; with 0 (the default) that header is ignored, since a client can forge it.
SUNSHINE_TRUSTED_PROXY_COUNT = int(os.environ.get("SUNSHINE_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "sunshine.core.http.client_ip"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (tests, first start) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
# Login sessions (sunshine.core.sessions): ended after SUNSHINE_SESSION_IDLE_MINUTES without a request and
# SUNSHINE_SESSION_MAX_HOURS after the login whatever the activity (等保 2.0: 登录连接超时自动退出).
SUNSHINE_SESSION_IDLE_MINUTES = float(os.environ.get("SUNSHINE_SESSION_IDLE_MINUTES", "30"))
SUNSHINE_SESSION_MAX_HOURS = float(os.environ.get("SUNSHINE_SESSION_MAX_HOURS", "8"))
# The cookie and the stored session row never outlive the absolute limit either.
SESSION_COOKIE_AGE = max(60, int(SUNSHINE_SESSION_MAX_HOURS * 3600))
# API tokens (sunshine token, /account/tokens/): validity of a new token unless another is asked for (≤ 365).
SUNSHINE_TOKEN_DAYS = min(365, max(1, int(os.environ.get("SUNSHINE_TOKEN_DAYS", "90"))))
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # other sites never see our URLs (household and case numbers)

# Content-Security-Policy: scripts, styles, fonts and frames only from this site; no inline script, event handler
# or style attribute (they live in static/sunshine/*.js and sunshine.css), so injected markup cannot run or restyle
# a page. img-src allows data: for the small icons Swagger UI and the admin embed. The admin and /api/docs run
# under this same policy (checked by tests/browser/test_csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# HTTPS deployment (docs/operations.md, "HTTPS 部署"). TLS ends at the reverse proxy (nginx); SUNSHINE_HTTPS=1 says
# the site is reached only over HTTPS: cookies are then never sent over plain HTTP and browsers are told (HSTS)
# to refuse plain HTTP for SUNSHINE_HSTS_SECONDS. Off by default: `sunshine serve` on a laptop speaks plain HTTP.
SUNSHINE_HTTPS = _env_bool("SUNSHINE_HTTPS", False)
if SUNSHINE_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SUNSHINE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SUNSHINE_HSTS_INCLUDE_SUBDOMAINS", False)
    # Usually nginx redirects http:// itself; this makes Django do it as well.
    SECURE_SSL_REDIRECT = _env_bool("SUNSHINE_SSL_REDIRECT", False)
    # Django sees the proxy's plain-HTTP request: the proxy's header says the client used HTTPS. Trusted only
    # behind a configured proxy (which overwrites the header) — otherwise any client could claim HTTPS.
    # SUNSHINE_PROXY_SSL_HEADER is "Header-Name: value" (default X-Forwarded-Proto: https).
    _proxy_ssl = os.environ.get("SUNSHINE_PROXY_SSL_HEADER", "").strip()
    if _proxy_ssl or SUNSHINE_TRUSTED_PROXY_COUNT > 0:
        _ssl_name, _, _ssl_value = (_proxy_ssl or "X-Forwarded-Proto: https").partition(":")
        SECURE_PROXY_SSL_HEADER = (
            "HTTP_" + _ssl_name.strip().upper().replace("-", "_"), _ssl_value.strip() or "https",
        )

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Background jobs (imports): django-tasks with the database backend; `sunshine serve` starts a db_worker.
# Tests use django_tasks.backends.immediate.ImmediateBackend (runs the task inside enqueue()).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Uploads smaller than this (all files together) are imported within the request instead of queued.
SUNSHINE_IMPORT_SYNC_BYTES = int(os.environ.get("SUNSHINE_IMPORT_SYNC_BYTES", str(2 * 1024 * 1024)))
# After an import, an assessment, a comparison… queue a refresh of the indicators fed by it (sunshine.dashboard).
SUNSHINE_INDICATOR_AUTO_REFRESH = _env_bool("SUNSHINE_INDICATOR_AUTO_REFRESH", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_ids": {"()": "sunshine.core.logging.MaskIdNumbersFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_ids"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("SUNSHINE_LOG_LEVEL", "WARNING")},
}

# Demo and test settings: the page size of lists and the API.
SUNSHINE_PAGE_SIZE = 50
SUNSHINE_DEFAULT_YEAR = int(os.environ.get("SUNSHINE_DEFAULT_YEAR", "2020"))

# Uploaded attachments (scanned verification pages). Never served directly: views check scope first.
MEDIA_ROOT = DATA_DIR / "media"

# Cross-department comparison.
# The HMAC-SHA256 key agreed with departments that send id_hash instead of ID numbers. The default is for the
# demo and tests only; production sets its own (hex or text) and gives it to the departments out of band.
SUNSHINE_ID_HASH_KEY = os.environ.get("SUNSHINE_ID_HASH_KEY", "sunshine-demo-id-hash-key-not-for-production")
# ID numbers and phones are encrypted at rest (sunshine.core.crypto): the key is SUNSHINE_DATA_KEY (base64 of 32
# bytes, read from the environment only) or this key file, default DATA_DIR/keys/data.key (never backed up).
SUNSHINE_DATA_KEY_FILE = os.environ.get("SUNSHINE_DATA_KEY_FILE", "")
# Where `--engine spark` runs: local mode by default, a cluster through its master URL (spark://host:7077).
SUNSHINE_SPARK_MASTER = os.environ.get("SUNSHINE_SPARK_MASTER", "local[*]")
# Probabilistic matches below this probability are not used.
SUNSHINE_MATCH_PROBABILITY = float(os.environ.get("SUNSHINE_MATCH_PROBABILITY", "0.95"))

# The public notice (村级公示): who issues it and where to call (default: the county's 扶贫开发领导小组办公室 and
# the 12317 poverty-alleviation line), and how many objections one address (per hour) and one case (per day)
# may receive before the site answers 429.
SUNSHINE_NOTICE_OFFICE = os.environ.get("SUNSHINE_NOTICE_OFFICE", "")
SUNSHINE_NOTICE_PHONE = os.environ.get("SUNSHINE_NOTICE_PHONE", "12317")
SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR = int(os.environ.get("SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR", "5"))
SUNSHINE_OBJECTIONS_PER_CASE_DAY = int(os.environ.get("SUNSHINE_OBJECTIONS_PER_CASE_DAY", "20"))
# Searches of the public policy library per address and minute (a form like any other: rate-limited).
SUNSHINE_PUBLIC_SEARCHES_PER_MINUTE = int(os.environ.get("SUNSHINE_PUBLIC_SEARCHES_PER_MINUTE", "120"))
# Benefits statements (明白册): the site address printed with the query code and in its QR code, and how many
# wrong self-query attempts one code and one address may make per hour before even the right answer is refused.
SUNSHINE_PUBLIC_URL = os.environ.get("SUNSHINE_PUBLIC_URL", "http://127.0.0.1:8000")
SUNSHINE_SELF_QUERY_TRIES_PER_HOUR = int(os.environ.get("SUNSHINE_SELF_QUERY_TRIES_PER_HOUR", "5"))

# Public pages (sunshine.disclosure.portal.cache): anonymous reads are served from a per-process memory cache for
# SUNSHINE_PUBLIC_CACHE_SECONDS (0 switches it off) and sent with Cache-Control: public, max-age=that. Everything
# on them is public; a page with a form token or a message is never stored.
SUNSHINE_PUBLIC_CACHE_SECONDS = max(0, int(os.environ.get("SUNSHINE_PUBLIC_CACHE_SECONDS", "60")))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sunshine-default"},
    "public": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sunshine-public",
               "OPTIONS": {"MAX_ENTRIES": 5000}},
}
