"""The one settings module: every deployment choice comes from an environment variable.

| variable                        | default                                   |
| ------------------------------- | ----------------------------------------- |
| CIVICGRID_DATA_DIR              | ./var (created on start)                  |
| CIVICGRID_DATABASE_URL          | sqlite:///<data dir>/civicgrid.sqlite3    |
| CIVICGRID_SECRET_KEY            | generated once into <data dir>/secret_key |
| CIVICGRID_DEBUG                 | false                                     |
| CIVICGRID_ALLOWED_HOSTS         | 127.0.0.1,localhost                       |
| CIVICGRID_TIME_ZONE             | Asia/Shanghai                             |
| CIVICGRID_LANGUAGE              | zh-hans                                   |
| CIVICGRID_MAP_TILE_URL          | empty: maps draw grids on a plain canvas  |
| CIVICGRID_LOCATE_TOLERANCE_M    | 50 (metres to the nearest grid)           |
| CIVICGRID_LOGIN_FAILURE_LIMIT   | 5 failed logins, then locked out          |
| CIVICGRID_LOGIN_LOCKOUT_MINUTES | 15                                        |
| CIVICGRID_HTTPS                 | false: see "Running in production"        |
| CIVICGRID_SESSION_HOURS         | 9 (a working day), or the browser closes  |
| CIVICGRID_CACHE_URL             | empty: this process's memory              |
| CIVICGRID_NOTIFY_ADAPTERS       | log (also email, webhook)                 |
| CIVICGRID_PUBLIC_URL            | empty: links in messages are paths        |

The README's "Configuration" and "Running in production" list them all.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

PACKAGE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"CIVICGRID_{name}", default)


def _env_bool(name: str, default: bool = False) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(_env("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := _env("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in _env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# --- behind an HTTPS reverse proxy ----------------------------------------------------
# CIVICGRID_HTTPS=1: browsers reach civicgrid only over HTTPS, through a reverse proxy
# (nginx, a load balancer) that ends TLS and tells civicgrid so with X-Forwarded-Proto.
HTTPS = _env_bool("HTTPS")
# The proxy's address: `civicgrid serve` (waitress) takes X-Forwarded-Proto and
# X-Forwarded-For from it alone (and drops them from anyone else), so the client's
# own address is the one rate limits and login lockouts count, not the proxy's.
TRUSTED_PROXY = _env("TRUSTED_PROXY", "127.0.0.1" if HTTPS else "")
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Only safe because the proxy sets this header itself and waitress drops it from
    # anyone but TRUSTED_PROXY (another WSGI server: make sure it does the same).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(_env("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("HSTS_PRELOAD")
    # Without origins given, each allowed host's https origin: the proxy may pass its
    # own Host upstream, and a form posted from https://<host> must still pass CSRF.
    CSRF_TRUSTED_ORIGINS = CSRF_TRUSTED_ORIGINS or [
        f"https://{'*' + h if h.startswith('.') else h}" for h in ALLOWED_HOSTS if h != "*"
    ]
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a request to be built into browsers, for public domains only (an
    # intranet host cannot be on the list): CIVICGRID_HSTS_PRELOAD=1 asks for it.
    *(["security.W021"] if HTTPS and not SECURE_HSTS_PRELOAD else []),
    # CIVICGRID_SSL_REDIRECT=0: the proxy itself redirects http:// to https://.
    *(["security.W008"] if HTTPS and not SECURE_SSL_REDIRECT else []),
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from its own static files, not a CDN
    "civicgrid.web.thirdparty.AxesConfig",  # axes, named in Chinese
    "csp",
    "django_tasks",
    "civicgrid.web.thirdparty.TasksDatabaseConfig",  # django_tasks_db, named in Chinese
    "civicgrid.org",
    "civicgrid.geo",
    "civicgrid.web",
    "civicgrid.cases",
    "civicgrid.dispatch",
    "civicgrid.intake",
    "civicgrid.open311",
    "civicgrid.triage",
    "civicgrid.evaluation",
    "civicgrid.councils",
    "civicgrid.enterprise",
    "civicgrid.people",
    "civicgrid.projects",
    "civicgrid.notify",
    "civicgrid.demo",
    "civicgrid.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # before anything reads the request's data (the session its cookie, CSRF and axes the
    # form): text no database can store is refused here, in the user's language
    "civicgrid.web.middleware.InputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # last: its process_exception sees a view's exception first
    "civicgrid.web.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "civicgrid.urls"
WSGI_APPLICATION = "civicgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicgrid.web.context.console",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        _env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'civicgrid.sqlite3'}"),
        # Each server thread keeps its connection: a new PostgreSQL connection per
        # request cost more than the request itself.
        conn_max_age=int(_env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's own server-side binding (psycopg 3): values travel apart from the
    # statement, in binary where psycopg can, instead of being quoted into its text
    # one by one in Python (a third of the cost of a sweep's batch or a new case).
    # Statements are not prepared (no prepare_threshold), so poolers see nothing new.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = _env("SSB", "1") == "1"
    # No JIT compilation: the figures' aggregates (a month of a district's cases) cost
    # more than PostgreSQL's JIT threshold, and compiling them took longer (about 1 s)
    # than running them; no query of ours runs long enough to gain from it.
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache: rate limits ------------------------------------------------------------------
# Intake's rate limits are counted here. The default is this process's memory, so each
# server process counts on its own: with several, set CIVICGRID_CACHE_URL to a Redis
# (redis://host:6379/0, rediss://… for TLS, unix:///run/redis.sock) they all share.
CACHE_URL = _env("CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": _env("CACHE_KEY_PREFIX", "civicgrid"),
            # A Redis that does not answer must not hold a request for long.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- accounts -------------------------------------------------------------------

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes: limit login attempts per user name and address.
AXES_FAILURE_LIMIT = int(_env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(_env("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Lockouts are rows in the database (django-axes' database handler, its default), so
# every server process sees the same lockout whatever the cache.

# Sessions: shared office computers. A login lasts a working day at most and ends when
# the browser closes; "log out everywhere" on the account page ends all of a person's.
SESSION_COOKIE_AGE = round(float(_env("SESSION_HOURS", "9")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- language and time ----------------------------------------------------------------

LANGUAGE_CODE = _env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = _env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Content-Security-Policy (django-csp): scripts, styles, fonts only from this site ------
# No inline script, no inline event handler, no inline style anywhere: pages pass data
# to their scripts in data- attributes; a test reads every main page for them.
_tile_origin = ""
if "://" in _env("MAP_TILE_URL"):
    _scheme, _sep, _rest = _env("MAP_TILE_URL").partition("://")
    _tile_origin = f"{_scheme}://{_rest.split('/', 1)[0].replace('{s}', '*')}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the small icons Swagger UI's stylesheet carries inline (/api/docs)
        "img-src": [SELF, "data:", *([_tile_origin] if _tile_origin else [])],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- static files: all installed with the package, served by WhiteNoise ------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve straight from the installed package; no collectstatic step
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"  # case photos: served only through a view that checks who asks

# Intake: public endpoints' limits ("count/seconds"; 0/… switches one off).
INTAKE_RATE_PER_IP = _env("INTAKE_RATE_PER_IP", "30/600")
INTAKE_RATE_PER_PHONE = _env("INTAKE_RATE_PER_PHONE", "10/3600")
INTAKE_MAX_TEXT = int(_env("INTAKE_MAX_TEXT", "5000"))
# The resident's tracking page (/r/track/): wrong last-four digits allowed per tracking
# code and per address ("count/seconds", from the first failure); past the code's
# limit the code is locked for everyone for TRACK_LOCKOUT_MINUTES.
TRACK_WRONG_PER_CODE = _env("TRACK_WRONG_PER_CODE", "5/3600")
TRACK_WRONG_PER_IP = _env("TRACK_WRONG_PER_IP", "20/3600")
TRACK_LOCKOUT_MINUTES = int(_env("TRACK_LOCKOUT_MINUTES", "30"))
# The district's public service line, named to residents who are locked out.
HOTLINE = _env("HOTLINE", "12345")

# Triage: at or above this confidence the machine's category is applied at intake
# (the case still waits for its dispatcher); below it, a person decides.
TRIAGE_AUTO_CONFIDENCE = float(_env("TRIAGE_AUTO_CONFIDENCE", "0.9"))
# A hot issue this hot is proposed for escalation (提级) on the board.
HOT_ESCALATE_HEAT = float(_env("HOT_ESCALATE_HEAT", "10"))
# How old a hot-issue board may get before the worker computes it again.
HOT_BOARD_INTERVAL_S = float(_env("HOT_BOARD_INTERVAL_S", "600"))

# 申诉: a unit may appeal a case of month M until the end of this day of month M+1
# (calendar days, the district's time zone); then the month's figures are closed.
APPEAL_DAYS_AFTER_MONTH = int(_env("APPEAL_DAYS_AFTER_MONTH", "5"))
# The enterprise window's category (营商环境 › 办不成事): its department is the
# business-environment office that takes the complaints, its deadline policies the
# window's shorter deadlines (``civicgrid.enterprise.window``).
ENTERPRISE_WINDOW_CATEGORY = _env("ENTERPRISE_WINDOW_CATEGORY", "YS01")

PHOTO_MAX_BYTES = int(_env("PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
PHOTO_MAX_PIXELS = int(_env("PHOTO_MAX_PIXELS", "40000000"))

# --- background work: a database-backed queue (django-tasks), run by `civicgrid worker` ---

# "triage": new cases' machine readings, so a worker can be kept for them alone (dev.py
# start does, beside the one busy with the demo's history for its first minutes);
# "notify": the outbox's rounds, so that a burst of messages (a sweep escalating many
# cases at once) is sent by workers of its own and never holds up the deadline sweep.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "triage", "notify"],
    }
}
SWEEP_INTERVAL_S = float(_env("SWEEP_INTERVAL_S", "30"))
SWEEP_PARALLEL = int(_env("SWEEP_PARALLEL", "2"))  # sweeps that may wait at once
SWEEP_BATCH = int(_env("SWEEP_BATCH", "500"))  # cases per sweeper transaction
# A case's reading still running this long after a worker claimed it: its worker died.
TASK_ABANDONED_AFTER_S = float(_env("TASK_ABANDONED_AFTER_S", "600"))
REMIND_BEFORE_MINUTES = int(_env("REMIND_BEFORE_MINUTES", "60"))

# --- notifications: the outbox (civicgrid.notify) -------------------------------------------
# Which adapters carry messages: log (each message written to the log; the outbox row is
# the record), email (Django's mail, settings below; staff with an address), webhook (a
# signed POST to the district's SMS or WeChat gateway; residents and staff with a phone).
NOTIFY_ADAPTERS = [a.strip() for a in _env("NOTIFY_ADAPTERS", "log").split(",") if a.strip()]
NOTIFY_WEBHOOK_URL = _env("NOTIFY_WEBHOOK_URL")
NOTIFY_WEBHOOK_SECRET = _env("NOTIFY_WEBHOOK_SECRET")
NOTIFY_WEBHOOK_TIMEOUT_S = float(_env("NOTIFY_WEBHOOK_TIMEOUT_S", "5"))
# A message that fails is tried again after 30 s, 60 s, 120 s … (at most an hour apart),
# and given up (state failed, shown in the outbox) after this many attempts.
NOTIFY_MAX_ATTEMPTS = int(_env("NOTIFY_MAX_ATTEMPTS", "6"))
NOTIFY_RETRY_BASE_S = float(_env("NOTIFY_RETRY_BASE_S", "30"))
NOTIFY_RETRY_MAX_S = float(_env("NOTIFY_RETRY_MAX_S", "3600"))
# How often the worker looks for new events and due messages.
NOTIFY_INTERVAL_S = float(_env("NOTIFY_INTERVAL_S", "10"))
# Events older than this when read give no message (a year of imported or generated
# history, an outbox switched on late): news that old helps nobody.
NOTIFY_MAX_AGE_HOURS = float(_env("NOTIFY_MAX_AGE_HOURS", "24"))
NOTIFY_BATCH = int(_env("NOTIFY_BATCH", "500"))  # events per derivation transaction
NOTIFY_SEND_BATCH = int(_env("NOTIFY_SEND_BATCH", "100"))  # messages a worker takes at once
# A message taken by a worker this long ago and not finished: the worker died; tried again.
NOTIFY_SENDING_TIMEOUT_S = float(_env("NOTIFY_SENDING_TIMEOUT_S", "300"))
# The resident site's public address, for links in messages (the tracking page):
# https://12345.district.gov.cn; empty: links are paths only.
PUBLIC_URL = _env("PUBLIC_URL").rstrip("/")

EMAIL_HOST = _env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(_env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = _env("EMAIL_USER")
EMAIL_HOST_PASSWORD = _env("EMAIL_PASSWORD")
EMAIL_USE_TLS = _env_bool("EMAIL_TLS")
EMAIL_USE_SSL = _env_bool("EMAIL_SSL")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = _env("EMAIL_FROM", "civicgrid@localhost")

# --- civicgrid ------------------------------------------------------------------------------

MAP_TILE_URL = _env("MAP_TILE_URL")
LOCATE_TOLERANCE_M = float(_env("LOCATE_TOLERANCE_M", "50"))
# Working periods of a working day; deadlines count only these (on the official calendar).
WORKING_HOURS = _env("WORKING_HOURS", "08:30-12:00,13:30-17:30")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "WARNING")},
}
