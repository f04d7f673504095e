"""Django settings for tourdraw, read from environment variables.

Every key comes from the environment, always: the source holds none. Only
TOURDRAW_ENV=development (which `tourdraw demo` sets, with keys it makes in
var/) turns on DEBUG, console messages and non-Secure cookies.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tourdraw import keys
from tourdraw.env import env_bool, env_drand_chain, env_int, env_list, env_secrets, env_str

SOURCE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = SOURCE_DIR.parent.parent
DATA_DIR = keys.default_data_dir()

# Development is asked for by name; a missing or misspelt TOURDRAW_ENV is a
# deployment, never a debugging session with its tracebacks on the web.
DEVELOPMENT = env_str("TOURDRAW_ENV", "production") == "development"
DEBUG = env_bool("DEBUG", DEVELOPMENT)
if DEBUG and not DEVELOPMENT:
    raise ImproperlyConfigured("DEBUG is refused outside TOURDRAW_ENV=development")

_SECRETS = env_secrets(keys.REQUIRED)
SECRET_KEY = _SECRETS["SECRET_KEY"]
# Fernet keys (url-safe base64, 32 bytes) for personal data at rest; the first
# encrypts, all decrypt, so a new key can be put in front and old rows re-keyed
# (`tourdraw rotate_data_keys`).
TOURDRAW_DATA_KEYS = [key.strip() for key in _SECRETS["TOURDRAW_DATA_KEYS"].split(",")]
# HMAC key for the ID-number hash that makes "one appearance per person" a
# database constraint without storing the number in clear.
TOURDRAW_HASH_KEY = _SECRETS["TOURDRAW_HASH_KEY"]

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
    # Listed so that its system checks run: they refuse a cache whose
    # increments are not atomic, which would let parallel requests past a limit.
    "django_ratelimit",
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
    "tourdraw.worker",
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
    "tourdraw.limits.WebWritesMiddleware",
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
else:
    # Time limits, so that a database that is down, frozen or cut off answers
    # a prompt 503 (api.errors.server_error) instead of holding the request
    # for as long as it lasts: the connection attempt, every statement (and
    # any lock it waits for), and a peer that stops acknowledging what is sent.
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5),
        "options": "-c statement_timeout={}s".format(
            env_int("DATABASE_STATEMENT_TIMEOUT_SECONDS", 30)
        ),
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 1000 * env_int("DATABASE_TCP_USER_TIMEOUT_SECONDS", 15),
    }
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, and a statement run twice on a connection
        # prepared: PostgreSQL then skips parsing and planning the same few queries
        # that every entry and check-in repeats (bench/intake.py: about a third of
        # its CPU). Turn off behind a pooler that cannot keep prepared statements.
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "web:sign_in"

CACHES = {
    "default": {
        # Shared by every process on the machine, so rate limits hold across
        # the web server's workers without another service; its increments
        # are atomic (tourdraw/cache.py).
        "BACKEND": "tourdraw.cache.DatabaseCache",
        "LOCATION": "tourdraw_cache",
    }
}
if env_str("REDIS_URL", ""):
    CACHES["default"] = {
        "BACKEND": "tourdraw.cache.RedisCache",
        "LOCATION": env_str("REDIS_URL", ""),
    }
# django-ratelimit warns about any backend it does not list; ours are Django's
# Redis and database backends with atomic increments (tourdraw/cache.py), which
# the check run in its place (tourdraw.cache.check_rate_limit_cache) accepts.
# Its errors still stand: a cache that cannot count atomically fails the checks.
# Nothing is silenced, so `check --deploy` hides no warning.

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

# Limits count per client address, read through these proxies only (addresses
# or networks, comma-separated): X-Forwarded-For from anyone else is ignored.
TOURDRAW_TRUSTED_PROXIES = env_list("TOURDRAW_TRUSTED_PROXIES", [])
RATELIMIT_IP_META_KEY = "tourdraw.limits.client_ip"
# Writes (any POST, PUT, PATCH, DELETE) per verified user on the pages, and per
# client address for anyone not signed in (pages and API alike).
TOURDRAW_WEB_WRITE_RATE = env_str("TOURDRAW_WEB_WRITE_RATE", "60/m")
TOURDRAW_ANONYMOUS_WRITE_RATE = env_str("TOURDRAW_ANONYMOUS_WRITE_RATE", "30/m")
# Group visit requests per client address (each lands in an operator's queue).
TOURDRAW_GROUP_REQUEST_RATE = env_str("TOURDRAW_GROUP_REQUEST_RATE", "5/h")
# Claims of leftover places per verified visitor (pages and API): the last
# places go first come, first served, not to whoever scripts the most requests.
TOURDRAW_LEFTOVER_CLAIM_RATE = env_str("TOURDRAW_LEFTOVER_CLAIM_RATE", "5/m")
# Sign-in by one-time code.
TOURDRAW_SIGN_IN_CODE_TTL = timedelta(minutes=10)
TOURDRAW_SIGN_IN_MAX_TRIES = 5
# Per phone, the window is the code's life: anyone may ask for codes for any
# number, so a limit hit by a stranger must not shut the owner out for long,
# and the codes already texted to them keep working meanwhile.
TOURDRAW_SIGN_IN_RATE_PER_PHONE = env_str("TOURDRAW_SIGN_IN_RATE_PER_PHONE", "5/10m")
TOURDRAW_SIGN_IN_RATE_PER_IP = env_str("TOURDRAW_SIGN_IN_RATE_PER_IP", "30/h")
# Codes are texted only to mobile numbers of these regions (ISO 3166 codes).
TOURDRAW_SIGN_IN_REGIONS = frozenset(env_list("TOURDRAW_SIGN_IN_REGIONS", ["CN", "HK", "MO", "TW"]))
# Where each kind of message goes: console in development; a webhook to the
# SMS or voice gateway, or Django's mail backend, in production. Messages hold
# sign-in codes and ticket links, so nothing outside development prints them.
_CONSOLE = "tourdraw.notify.channels.ConsoleChannel"
_WEBHOOK = "tourdraw.notify.channels.WebhookChannel"
TOURDRAW_CHANNELS = {
    "sms": env_str("TOURDRAW_SMS_CHANNEL", _CONSOLE if DEVELOPMENT else _WEBHOOK),
    "voice": env_str("TOURDRAW_VOICE_CHANNEL", _CONSOLE if DEVELOPMENT else _WEBHOOK),
    # Through Django's mail backend everywhere: in development it writes files.
    "email": env_str("TOURDRAW_EMAIL_CHANNEL", "tourdraw.notify.channels.EmailChannel"),
}
if not DEVELOPMENT and _CONSOLE in TOURDRAW_CHANNELS.values():
    raise ImproperlyConfigured("The console channel prints messages: refused outside development")
TOURDRAW_WEBHOOK_URL = env_str("TOURDRAW_WEBHOOK_URL", "")
TOURDRAW_WEBHOOK_SECRET = env_str("TOURDRAW_WEBHOOK_SECRET", "")
if _WEBHOOK in TOURDRAW_CHANNELS.values() and not TOURDRAW_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "Set TOURDRAW_WEBHOOK_SECRET (and TOURDRAW_WEBHOOK_URL) for the webhook channel"
    )
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tourdraw <noreply@tourdraw.invalid>")
# Development writes each e-mail as a file in var/mail/, to be read there;
# production sends through the SMTP server it names (EMAIL_HOST and the rest).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends." + ("filebased" if DEVELOPMENT else "smtp") + ".EmailBackend",
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(DATA_DIR / "mail")))
if not DEVELOPMENT and EMAIL_BACKEND.rsplit(".", 2)[-2] in ("console", "filebased"):
    raise ImproperlyConfigured(
        "The console and file mail backends keep messages in clear: refused outside development"
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost" if DEVELOPMENT else "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
# A mail server that does not answer fails the message as a gateway would.
EMAIL_TIMEOUT = env_int("TOURDRAW_RELAY_DEADLINE_SECONDS", 10)
if (
    EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    and "tourdraw.notify.channels.EmailChannel" in TOURDRAW_CHANNELS.values()
    and not EMAIL_HOST
):
    raise ImproperlyConfigured("Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER ...) for e-mail")
# The relay retries a failed delivery after 30 s, 1, 2, 4 ... minutes, at most an
# hour apart, and gives up after this many attempts.
TOURDRAW_OUTBOX_MAX_ATTEMPTS = env_int("TOURDRAW_OUTBOX_MAX_ATTEMPTS", 8)
# The worker's relay sends this many messages at once, in threads apart from the
# scheduled duties; a gateway that has not answered within the deadline has
# failed that message (a hanging gateway delays only its own messages).
TOURDRAW_RELAY_CONCURRENCY = env_int("TOURDRAW_RELAY_CONCURRENCY", 8)
TOURDRAW_RELAY_DEADLINE = timedelta(seconds=env_int("TOURDRAW_RELAY_DEADLINE_SECONDS", 10))
# A failing duty of the worker is tried again 2, 4, 8 ... seconds after its
# failure, at most this far apart; the other duties go on meanwhile.
TOURDRAW_WORKER_MAX_BACKOFF = timedelta(seconds=env_int("TOURDRAW_WORKER_MAX_BACKOFF_SECONDS", 60))
# /health/ answers 503 when a duty has not succeeded for this long, or when a
# due message has waited this long to be sent.
TOURDRAW_HEALTH_STALE = timedelta(seconds=env_int("TOURDRAW_HEALTH_STALE_SECONDS", 300))
TOURDRAW_HEALTH_OUTBOX_AGE = timedelta(seconds=env_int("TOURDRAW_HEALTH_OUTBOX_AGE_SECONDS", 600))

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
        # Django's own console handler would print "Not Found: /tickets/<code>/"
        # unfiltered: its records go to the root's redacting handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # Request lines name ticket links: through the redacting handler too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The task worker logs every empty poll at INFO.
        "django_tasks_db": {"level": "WARNING"},
    },
}

# Offers must be confirmed by this long before the slot starts, so a place
# freed by a lapsed offer still has time to go down the waitlist.
TOURDRAW_OFFER_CUTOFF = timedelta(hours=env_int("TOURDRAW_OFFER_CUTOFF_HOURS", 24))
# An offer is never open for less than this, however close its session: a
# winner always has time to read the SMS and confirm (visits.offers.offer_deadline).
TOURDRAW_MIN_CONFIRM_WINDOW = timedelta(minutes=env_int("TOURDRAW_MIN_CONFIRM_WINDOW_MINUTES", 120))
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
TOURDRAW_TICKET_KEYS = [key.strip() for key in _SECRETS["TOURDRAW_TICKET_KEYS"].split(",")]
# The Ed25519 key that signs the public log and entry receipts, as
# "key-id:base64url(32 raw bytes)"; its public half is at
# /.well-known/tourdraw-log-key.json.
TOURDRAW_LOG_KEY = _SECRETS["TOURDRAW_LOG_KEY"]
# Where the draw's spec (docs/spec) is read from, to serve it at /fairness/spec/:
# a deployment that installs the package without the repository points it at a copy.
TOURDRAW_SPEC_DIR = Path(env_str("TOURDRAW_SPEC_DIR", str(PROJECT_DIR / "docs" / "spec")))
# A visitor may cancel a ticket until this long before the slot; the waitlist
# stops promoting this long before the slot (there must be time to confirm).
TOURDRAW_CANCEL_CUTOFF = timedelta(hours=env_int("TOURDRAW_CANCEL_CUTOFF_HOURS", 2))
TOURDRAW_PROMOTION_CUTOFF = timedelta(hours=env_int("TOURDRAW_PROMOTION_CUTOFF_HOURS", 26))
# Leftover places (a slot's free places once its waitlist can serve no one) are
# claimed until this long before the slot: the party must still reach the gate.
TOURDRAW_LEFTOVER_CUTOFF = timedelta(hours=env_int("TOURDRAW_LEFTOVER_CUTOFF_HOURS", 2))
# Winners are reminded this long before their deadline.
TOURDRAW_REMINDER_BEFORE = timedelta(hours=env_int("TOURDRAW_REMINDER_BEFORE_HOURS", 12))
# After this many failed calls the call centre stops calling; the offer lapses
# at its deadline unless the winner confirms online.
TOURDRAW_MAX_FAILED_CALLS = env_int("TOURDRAW_MAX_FAILED_CALLS", 3)
# Row locks on slots before every capacity check, and on a drawn round before
# its waitlist is read (promotions); off only in the tests that
# prove the races they prevent.
TOURDRAW_CAPACITY_LOCKS = True
# The city's goal for industrial-tourism visits in a year: the platform
# dashboard shows the year's progress towards it.
TOURDRAW_CITY_VISITS_TARGET = env_int("TOURDRAW_CITY_VISITS_TARGET", 20_000_000)
# Names, ID numbers and birth dates are erased this many days after the last
# round a person is in ended (or their group visited); see people/retention.py.
TOURDRAW_RETENTION_DAYS = env_int("TOURDRAW_RETENTION_DAYS", 30)
# The privacy notice in force (web/templates/web/privacy.html); changing it
# asks every visitor to accept it again before they store another ID document.
TOURDRAW_PRIVACY_NOTICE_VERSION = "2026-12-01"
# An API request holds its Idempotency-Key this long (longer than any request
# may run: gunicorn's timeout, the statement timeout); a retry after that takes
# over the key of a request that died. Keys are forgotten (pruned) after the TTL.
TOURDRAW_IDEMPOTENCY_LEASE = timedelta(seconds=env_int("TOURDRAW_IDEMPOTENCY_LEASE_SECONDS", 120))
TOURDRAW_IDEMPOTENCY_TTL = timedelta(hours=env_int("TOURDRAW_IDEMPOTENCY_TTL_HOURS", 24))
# Writes to the API per verified user (token or session).
TOURDRAW_API_WRITE_RATE = env_str("TOURDRAW_API_WRITE_RATE", "600/m")
# Offline check-ins are refused when their scan time lies outside the
# session's arrival window, or after the upload, by more than this (device
# clocks drift; a check-in dated years away or tomorrow is not drift).
TOURDRAW_GATE_CLOCK_TOLERANCE = timedelta(
    minutes=env_int("TOURDRAW_GATE_CLOCK_TOLERANCE_MINUTES", 15)
)
# A visitor's API token (from POST /api/v1/auth/token) lapses after this long;
# they sign in again with a new code.
TOURDRAW_VISITOR_TOKEN_TTL = timedelta(days=env_int("TOURDRAW_VISITOR_TOKEN_DAYS", 30))
# The real-name check asked before a visitor's own ID document counts as
# verified (name + document + phone against a register): a class with
# check(full_name=, document=, phone=). Development checks the checksum only.
TOURDRAW_REAL_NAME_CHECK = env_str(
    "TOURDRAW_REAL_NAME_CHECK", "tourdraw.people.identity.ChecksumOnly"
)

# --- Staff accounts and production hardening (issue 14) ---------------------
INSTALLED_APPS += [
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
]
MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1,
    "tourdraw.edge.EdgeInputMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "tourdraw.backoffice.middleware.StaffSecondFactorMiddleware",
)
# Axes last, as its documentation asks: it turns a lock-out into the lock-out page.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock-out after this many failed staff sign-ins, counted per account and,
# separately, per address: a slow guesser spread over many addresses is stopped
# by the account count, a sprayer of many accounts by the address count.
AXES_FAILURE_LIMIT = env_int("TOURDRAW_STAFF_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env_int("TOURDRAW_STAFF_LOCKOUT_MINUTES", 60))
AXES_USERNAME_CALLABLE = "tourdraw.backoffice.sign_in.axes_username"
AXES_LOCKOUT_TEMPLATE = "backoffice/locked_out.html"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("TOURDRAW_STAFF_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A staff session ends this long after signing in, whatever happens in it;
# visitors keep SESSION_COOKIE_AGE.
TOURDRAW_STAFF_SESSION = timedelta(hours=env_int("TOURDRAW_STAFF_SESSION_HOURS", 9))
OTP_TOTP_ISSUER = env_str("TOURDRAW_OTP_ISSUER", "tourdraw")
LOGIN_REDIRECT_URL = "backoffice:index"
# The admin off its well-known address outside development, where scanners look.
TOURDRAW_ADMIN_PATH = env_str(
    "TOURDRAW_ADMIN_PATH", "admin/" if DEVELOPMENT else "backoffice/admin/"
)
if not TOURDRAW_ADMIN_PATH.endswith("/") or TOURDRAW_ADMIN_PATH.startswith("/"):
    raise ImproperlyConfigured("TOURDRAW_ADMIN_PATH is a path like 'backoffice/admin/'")

# HTTPS: behind a proxy that terminates TLS, name the header it sets, e.g.
# SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https"; only set it when the
# proxy always overwrites that header, or any client could claim HTTPS.
_PROXY_HEADER = env_list("SECURE_PROXY_SSL_HEADER", [])
if _PROXY_HEADER:
    if len(_PROXY_HEADER) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER is 'HTTP_HEADER_NAME,value'")
    SECURE_PROXY_SSL_HEADER = (_PROXY_HEADER[0], _PROXY_HEADER[1])
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEVELOPMENT)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEVELOPMENT else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEVELOPMENT)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEVELOPMENT)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything the pages load comes from this host; no inline script or style
# anywhere (the gate's code is a static file), so none is allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
