"""Django settings for tourdraw, read from environment variables.

TOURDRAW_ENV=development (the default) allows built-in development secrets and
an SQLite file under var/; any other value demands real secrets.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from tourdraw.env import env_bool, env_drand_chain, env_int, env_list, env_secret, env_str

SOURCE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = SOURCE_DIR.parent.parent
DATA_DIR = Path(env_str("TOURDRAW_DATA_DIR", str(PROJECT_DIR / "var")))

DEVELOPMENT = env_str("TOURDRAW_ENV", "development") == "development"
DEBUG = env_bool("DEBUG", DEVELOPMENT)

SECRET_KEY = env_secret(
    "SECRET_KEY",
    development_default="dev-only-secret-key-not-for-production-use-0000000000",
    development=DEVELOPMENT,
)
# Fernet keys (url-safe base64, 32 bytes) for personal data at rest; the first
# encrypts, all decrypt, so a new key can be put in front and old rows re-keyed.
TOURDRAW_DATA_KEYS = env_secret(
    "TOURDRAW_DATA_KEYS",
    development_default="ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kLTA=",
    development=DEVELOPMENT,
).split(",")
# HMAC key for the ID-number hash that makes "one appearance per person" a
# database constraint without storing the number in clear.
TOURDRAW_HASH_KEY = env_secret(
    "TOURDRAW_HASH_KEY",
    development_default="dev-only-hash-key-not-for-production",
    development=DEVELOPMENT,
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "phonenumber_field",
    "django_tasks",
    "django_tasks_db",
    "tourdraw.audit",
    "tourdraw.people",
    "tourdraw.catalog",
    "tourdraw.lottery",
    "tourdraw.transparency",
    "tourdraw.visits",
    "tourdraw.groups",
    "tourdraw.reports",
    "tourdraw.api",
    "ninja",
    "tourdraw.notify",
    "tourdraw.web",
    "tourdraw.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tourdraw.api.middleware.ApiWritesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = env_str("TOURDRAW_URLCONF", "tourdraw.urls")
WSGI_APPLICATION = "tourdraw.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'tourdraw.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write
    # lock at BEGIN so two transactions never both read, then both write.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # Parameters bound by the server, and a statement run twice on a connection
    # prepared: PostgreSQL then skips parsing and planning the same few queries
    # that every entry and check-in repeats (bench/intake.py: about a third of
    # its CPU). Turn off behind a pooler that cannot keep prepared statements.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "web:sign_in"

CACHES = {
    "default": {
        # Shared by every process on the machine, so rate limits hold across
        # the web server's workers without another service.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "tourdraw_cache",
    }
}
if env_str("REDIS_URL", ""):
    CACHES["default"] = {
        "BACKEND": "tourdraw.cache.RedisCache",
        "LOCATION": env_str("REDIS_URL", ""),
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SOURCE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
# In development WhiteNoise serves straight from the apps' static folders; a
# deployment runs collectstatic into STATIC_ROOT.
STATIC_ROOT = None if DEVELOPMENT else Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
WHITENOISE_USE_FINDERS = DEVELOPMENT

SESSION_COOKIE_SECURE = not DEVELOPMENT
CSRF_COOKIE_SECURE = not DEVELOPMENT
SESSION_COOKIE_AGE = int(timedelta(days=30).total_seconds())

PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DEFAULT_FORMAT = "E164"

RATELIMIT_VIEW = "tourdraw.web.views.rate_limited"
# Sign-in by one-time code.
TOURDRAW_SIGN_IN_CODE_TTL = timedelta(minutes=10)
TOURDRAW_SIGN_IN_MAX_TRIES = 5
TOURDRAW_SIGN_IN_RATE_PER_PHONE = env_str("TOURDRAW_SIGN_IN_RATE_PER_PHONE", "5/h")
TOURDRAW_SIGN_IN_RATE_PER_IP = env_str("TOURDRAW_SIGN_IN_RATE_PER_IP", "30/h")
# Where each kind of message goes: console in development; a webhook to the
# SMS or voice gateway, or Django's mail backend, in production.
TOURDRAW_CHANNELS = {
    "sms": env_str("TOURDRAW_SMS_CHANNEL", "tourdraw.notify.channels.ConsoleChannel"),
    "voice": env_str("TOURDRAW_VOICE_CHANNEL", "tourdraw.notify.channels.ConsoleChannel"),
    "email": env_str("TOURDRAW_EMAIL_CHANNEL", "tourdraw.notify.channels.ConsoleChannel"),
}
TOURDRAW_WEBHOOK_URL = env_str("TOURDRAW_WEBHOOK_URL", "")
TOURDRAW_WEBHOOK_SECRET = env_secret(
    "TOURDRAW_WEBHOOK_SECRET",
    development_default="dev-only-webhook-secret",
    development=DEVELOPMENT,
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tourdraw <noreply@tourdraw.invalid>")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The relay retries a failed delivery after 30 s, 1, 2, 4 ... minutes, at most an
# hour apart, and gives up after this many attempts.
TOURDRAW_OUTBOX_MAX_ATTEMPTS = env_int("TOURDRAW_OUTBOX_MAX_ATTEMPTS", 8)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_ids": {"()": "tourdraw.people.logging.RedactIdNumbers"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_ids"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The task worker logs every empty poll at INFO.
        "django_tasks_db": {"level": "WARNING"},
    },
}

# Offers must be confirmed by this long before the slot starts, so a place
# freed by a lapsed offer still has time to go down the waitlist.
TOURDRAW_OFFER_CUTOFF = timedelta(hours=env_int("TOURDRAW_OFFER_CUTOFF_HOURS", 24))
# The drand chain every round's beacon is fixed on when it opens (spec section 1):
# "quicknet", or a chain's JSON for a local chain (tests, the demo).
TOURDRAW_DRAND_CHAIN = env_drand_chain("TOURDRAW_DRAND_CHAIN")
# drand HTTP relays the worker asks for the beacon round, in turn, at
# <relay>/<chain hash>/public/<round>; whatever answers is checked against the
# chain's public key before use, so a relay cannot choose the value.
TOURDRAW_DRAND_RELAYS = env_list(
    "TOURDRAW_DRAND_RELAYS",
    [
        "https://api.drand.sh",
        "https://api2.drand.sh",
        "https://api3.drand.sh",
        "https://drand.cloudflare.com",
    ],
)
# Seconds to wait for one relay before asking the next.
TOURDRAW_DRAND_TIMEOUT = env_int("TOURDRAW_DRAND_TIMEOUT", 10)

# Ed25519 keys that sign ticket QR codes, as "key-id:base64url(32 raw bytes)",
# comma-separated; the first signs, all verify (rotation: put the new key first).
TOURDRAW_TICKET_KEYS = env_secret(
    "TOURDRAW_TICKET_KEYS",
    development_default="dev1:ZGV2LW9ubHktdGlja2V0LWtleS1ub3QtZm9yLXByb2Q",
    development=DEVELOPMENT,
).split(",")
# The Ed25519 key that signs the public log and entry receipts, as
# "key-id:base64url(32 raw bytes)"; its public half is at
# /.well-known/tourdraw-log-key.json.
TOURDRAW_LOG_KEY = env_secret(
    "TOURDRAW_LOG_KEY",
    development_default="devlog1:ZGV2LW9ubHktbG9nLWtleS1ub3QtZm9yLXByb2QtMDA",
    development=DEVELOPMENT,
)
# Where the draw's spec (docs/spec) is read from, to serve it at /fairness/spec/:
# a deployment that installs the package without the repository points it at a copy.
TOURDRAW_SPEC_DIR = Path(env_str("TOURDRAW_SPEC_DIR", str(PROJECT_DIR / "docs" / "spec")))
# A visitor may cancel a ticket until this long before the slot; the waitlist
# stops promoting this long before the slot (there must be time to confirm).
TOURDRAW_CANCEL_CUTOFF = timedelta(hours=env_int("TOURDRAW_CANCEL_CUTOFF_HOURS", 2))
TOURDRAW_PROMOTION_CUTOFF = timedelta(hours=env_int("TOURDRAW_PROMOTION_CUTOFF_HOURS", 26))
# Winners are reminded this long before their deadline.
TOURDRAW_REMINDER_BEFORE = timedelta(hours=env_int("TOURDRAW_REMINDER_BEFORE_HOURS", 12))
# After this many failed calls the call centre stops calling; the offer lapses
# at its deadline unless the winner confirms online.
TOURDRAW_MAX_FAILED_CALLS = env_int("TOURDRAW_MAX_FAILED_CALLS", 3)
# Row locks on slots before every capacity check; off only in the test that
# proves the race they prevent.
TOURDRAW_CAPACITY_LOCKS = True
# The city's goal for industrial-tourism visits in a year, for the platform dashboard.
TOURDRAW_ANNUAL_VISITS_TARGET = env_int("TOURDRAW_ANNUAL_VISITS_TARGET", 20_000_000)
# POSTs to the API per sender (token, session or IP).
TOURDRAW_API_WRITE_RATE = env_str("TOURDRAW_API_WRITE_RATE", "600/m")
