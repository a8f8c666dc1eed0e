"""Settings for the portal, read from the environment (12-factor).

Development defaults apply only when DEBUG is on. With DEBUG off the portal refuses to
start without SECRET_KEY, DATABASE_URL and ALLOWED_HOSTS, so a production deployment
cannot silently run on a development secret or the embedded database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} is required when DEBUG is off. "
            f"Set it (see README, 'Running in production') or set DEBUG=1 for development."
        )
    return value


DEBUG = env_bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = (
        os.environ.get("SECRET_KEY") or "dev-only-insecure-key-change-me-0123456789-abcdefghij"
    )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
else:
    SECRET_KEY = required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or required("ALLOWED_HOSTS").split(",")
    DATABASE_URL = required("DATABASE_URL")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc served from local static files
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "engine",
    # Portal apps in dependency order (docs/architecture.md): each after the apps it uses.
    "portal.core",
    "portal.schemaforms",
    "portal.notify",
    "portal.orgs",
    "portal.work",
    "portal.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After sessions and auth (its 413 page shows the navbar), before any view: CSRF's
    # process_view would read the whole body.
    "portal.shared.middleware.RequestSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.work.context_processors.work",
                "portal.notify.context_processors.notify",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the portal and the worker read while the other writes; the busy timeout
    # makes a writer wait for the lock instead of failing with "database is locked";
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers never deadlock
    # upgrading a read lock.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
    # Tests use a file too (not Django's in-memory default), so they run with the same
    # WAL and locking behaviour as the portal and the worker.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A new account's one-time activation link (portal.accounts.tokens) expires after this.
ACCOUNT_ACTIVATION_HOURS = int(os.environ.get("ACCOUNT_ACTIVATION_HOURS", "72"))
# Working days (Peru's national holidays excluded) an alta/baja verification is due in;
# when it passes, the verifier is reminded and the task is flagged to their supervisor.
ACCOUNTS_VERIFICATION_WORKING_DAYS = int(os.environ.get("ACCOUNTS_VERIFICATION_WORKING_DAYS", "3"))
# A new MINEDU user confirms receiving the account (step E) within these working days.
ACCOUNTS_CONFIRMATION_WORKING_DAYS = int(os.environ.get("ACCOUNTS_CONFIRMATION_WORKING_DAYS", "3"))
# Once either deadline has passed, the reminder repeats every these many working days
# until the task is done.
ACCOUNTS_REMINDER_REPEAT_WORKING_DAYS = int(os.environ.get("ACCOUNTS_REMINDER_REPEAT_WORKING_DAYS", "2"))
# Login throttling (portal/core/throttle.py): AXES_FAILURE_LIMIT failures lock one
# username from one address, AXES_IP_FAILURE_LIMIT failures across usernames lock the
# address, both for AXES_COOLOFF_TIME; a lockout answers 429 (JSON under /api/).
AXES_HANDLER = "portal.core.throttle.LoginThrottleHandler"
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: none, the
# header is ignored). One rule for the client's address: portal/core/clientip.py.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "portal.core.clientip.client_ip"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]  # the handler reads them in this order
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.core.throttle.lockout_response"  # Spanish page or JSON, not a bare 429
# Idle timeout: a session unused for SESSION_COOKIE_AGE seconds (default one hour) ends;
# every request renews it, so an officer at work is not logged out mid-form.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", "3600"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# An API token (POST /api/token/) works for this many hours: a working day, so a script
# asks for one each morning and a leaked key is dead by the evening. Tokens die sooner on
# a password change, a baja or the account's closure, or when their owner revokes them.
API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", "8"))

# --- I18N -----------------------------------------------------------------------------
LANGUAGE_CODE = "es-pe"
LANGUAGES = [("es-pe", "Español (Perú)")]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "portal" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Largest request body accepted, refused from its Content-Length before it is read
# (portal.shared.middleware): one file at the absolute per-file cap (40 MB,
# portal/schemaforms/files.py) and the rest of the form; each document field still has its
# own, smaller limit (10 MB by default).
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(45 * 1024 * 1024)))

# Bounds of the check of uploaded PDFs (portal/schemaforms/pdfscan.py, docs/forms.md): a
# file past any of them is refused as too complex to check.
PDF_SCAN_MAX_DECOMPRESSED_BYTES = int(os.environ.get("PDF_SCAN_MAX_DECOMPRESSED_BYTES", str(64 * 1024 * 1024)))
PDF_SCAN_MAX_OBJECTS = int(os.environ.get("PDF_SCAN_MAX_OBJECTS", "200000"))
PDF_SCAN_MAX_DEPTH = int(os.environ.get("PDF_SCAN_MAX_DEPTH", "50"))
PDF_SCAN_MAX_SECONDS = float(os.environ.get("PDF_SCAN_MAX_SECONDS", "10"))

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that hangs must not hold the worker (and the outbox row lock) forever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
# Absolute address of the portal, for links in e-mails (empty: e-mails carry no link).
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000" if DEBUG else "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "SIAGIE Flujos <no-responder@localhost>")

# --- Security (production) ------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy (django-csp): the browser runs, styles and shows only what the
# portal itself serves. No 'unsafe-inline' or 'unsafe-eval' anywhere: templates carry no
# inline <script>, <style> or style="" (htmx's own indicator <style> is switched off in
# base.html). bpmn-js and Bootstrap's JavaScript set styles through the CSSOM
# (element.style.x = ...), which CSP does not govern, so style-src-attr needs no
# 'unsafe-inline' either; tests/portal/browser/test_csp.py fails on any violation.
# data: images are Bootstrap's and Swagger UI's inline SVG icons (form-select arrow,
# btn-close, checkbox tick), which a data: URL cannot turn into script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.api.auth.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # the same client address as clientip.client_ip
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SIAGIE Flujos API",
    "DESCRIPTION": "Procesos BPMN de altas y bajas, certificados y mesa de ayuda.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Machines may be offline and the portal never loads assets from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default, kept
        "portal.api.schema.document_page_not_found",
        "portal.api.schema.document_links",
    ],
}

# --- Background tasks (Django Tasks API; database backend) ----------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Engine ---------------------------------------------------------------------------
ENGINE: dict[str, Any] = {
    "PROCESSES_DIR": BASE_DIR / "processes",
    "FORMS_DIR": BASE_DIR / "forms",
    "MAX_BPMN_BYTES": int(os.environ.get("ENGINE_MAX_BPMN_BYTES", str(2 * 1024 * 1024))),
    "SWEEP_SECONDS": int(os.environ.get("ENGINE_SWEEP_SECONDS", "60")),
    # Budgets of diagram code (docs/engine.md, "Budgets"): per run of a script or
    # expression, and for the engine part of a whole step.
    "SCRIPT_MAX_OPERATIONS": int(os.environ.get("ENGINE_SCRIPT_MAX_OPERATIONS", "1000000")),
    "SCRIPT_MAX_SECONDS": float(os.environ.get("ENGINE_SCRIPT_MAX_SECONDS", "5")),
    "SCRIPT_MAX_VALUE_BYTES": int(os.environ.get("ENGINE_SCRIPT_MAX_VALUE_BYTES", str(10 * 1024 * 1024))),
    "STEP_MAX_SECONDS": float(os.environ.get("ENGINE_STEP_MAX_SECONDS", "30")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # SpiffWorkflow logs every task state change at INFO: far too chatty for a server.
        "spiff": {"level": "WARNING"},
        "spiff.task": {"level": "WARNING"},
        "spiff.workflow": {"level": "WARNING"},
        # WeasyPrint logs each rendering step ("Step 4 - Creating formatting structure").
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pypdf warns about every repaired cross-reference table of an uploaded PDF.
        "pypdf": {"level": "ERROR"},
    },
}
