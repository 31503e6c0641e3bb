"""Settings for the video platform, read from environment variables.

Every value has a working local default except in production mode
(``DJANGO_ENV=production``), where the values listed in ``PRODUCTION_REQUIRED``
must be set or the process refuses to start.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "local")
PRODUCTION = DJANGO_ENV == "production"

PRODUCTION_REQUIRED = [
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "AWS_REGION",
    "DYNAMODB_TABLE_PREFIX",
    "S3_RAW_BUCKET",
    "S3_MEDIA_BUCKET",
    "EVENTS_WEBHOOK_SECRET",
]
if PRODUCTION:
    missing = [name for name in PRODUCTION_REQUIRED if not env(name)]
    if missing:
        raise ImproperlyConfigured(
            "Production mode needs these environment variables: " + ", ".join(missing)
        )

SECRET_KEY = env("DJANGO_SECRET_KEY", "local-development-key-not-for-production-use-0123456789")
# Off unless asked for (DJANGO_DEBUG=1), locally too: `make run` shows the pages people
# see, our 404 and 500 included, not Django's debug pages.
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

# Secrets marked with @sensitive_variables stay hidden on error pages, DEBUG or not.
DEFAULT_EXCEPTION_REPORTER_FILTER = "videoplatform.debug.AlwaysSafeExceptionReporterFilter"

INSTALLED_APPS = [
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "videoplatform",
    "channels_app",
    "videos_app",
    "social_app",
    "live_app",
]

MIDDLEWARE = [
    # First: the load balancer's health check is plain HTTP with the task's address as Host.
    "videoplatform.middleware.LivenessMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "videoplatform.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "videoplatform.middleware.DependencyUnavailableMiddleware",
    "videoplatform.middleware.ApplicationErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switch's cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "channels_app.middleware.CurrentUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "videoplatform.urls"
WSGI_APPLICATION = "videoplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
                "channels_app.context_processors.current_user",
            ],
        },
    },
]

# Domain data lives in DynamoDB through PynamoDB; the ORM is not used.
DATABASES: dict = {}

SESSION_ENGINE = "videoplatform.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
# Seconds a process answers a session / the signed-in user from memory (0: always read
# DynamoDB). A log-out, ban or role change made by another process applies within this.
SESSION_CACHE_S = env_int("SESSION_CACHE_S", 2)
USER_CACHE_S = env_int("USER_CACHE_S", 5)
# Seconds a process shows viewers a video (and its channel's newest videos) from memory;
# an edit, removal or ban made by another process reaches its watch pages within this.
VIDEO_CACHE_S = env_int("VIDEO_CACHE_S", 3)
# Seconds a process answers a user's unread count from memory (the bell polls every
# 20 s per tab; several tabs of one person share one read). Marking read in this
# process shows at once; a new notification shows within this plus the poll interval.
BELL_CACHE_S = env_int("BELL_CACHE_S", 5)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# whitenoise serves from the finders locally; collectstatic fills STATIC_ROOT in production.
# The STATIC_ROOT variable moves it (the production smoke test collects into a temporary one).
STATIC_ROOT = env("STATIC_ROOT") or (BASE_DIR / "staticfiles" if PRODUCTION else None)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Locally each request looks the file up again and browsers revalidate it, DEBUG or not,
# so an edited or added file under static/ is served on the next reload.
WHITENOISE_AUTOREFRESH = not PRODUCTION
if not PRODUCTION:
    WHITENOISE_MAX_AGE = 0
# whitenoise's own table has no .webmanifest (it would be application/octet-stream).
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}

# --- AWS and the local equivalents -------------------------------------------------
AWS_REGION = env("AWS_REGION", "us-east-1")
# Local servers accept any credentials; production uses the instance role when unset.
AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", "" if PRODUCTION else "localdev")
AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", "" if PRODUCTION else "localdevsecret")

DYNAMODB_ENDPOINT_URL = env("DYNAMODB_ENDPOINT_URL", "" if PRODUCTION else "http://127.0.0.1:8001")
DYNAMODB_TABLE_PREFIX = env("DYNAMODB_TABLE_PREFIX", "vp_")

S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", "" if PRODUCTION else "http://127.0.0.1:8333")
# The browser may reach S3 under another address than the server does.
S3_PUBLIC_ENDPOINT_URL = env("S3_PUBLIC_ENDPOINT_URL", S3_ENDPOINT_URL)
S3_RAW_BUCKET = env("S3_RAW_BUCKET", "vp-raw")
S3_MEDIA_BUCKET = env("S3_MEDIA_BUCKET", "vp-media")
S3_CORS_ALLOWED_ORIGINS = env_list("S3_CORS_ALLOWED_ORIGINS", SITE_URL)

# Connection timeouts are short so that a dependency being down yields a 503 quickly.
AWS_CONNECT_TIMEOUT_S = float(env("AWS_CONNECT_TIMEOUT_S", "2"))
AWS_READ_TIMEOUT_S = float(env("AWS_READ_TIMEOUT_S", "10"))
AWS_MAX_ATTEMPTS = env_int("AWS_MAX_ATTEMPTS", 2)

CLOUDFRONT_DOMAIN = env("CLOUDFRONT_DOMAIN")
CLOUDFRONT_KEY_ID = env("CLOUDFRONT_KEY_ID")
CLOUDFRONT_PRIVATE_KEY = env("CLOUDFRONT_PRIVATE_KEY")
# Production playback (videos_app/playback_cookies.py): the watch page sets CloudFront
# signed cookies for the video's folder and the player reads playlists and segments
# straight from the CDN. The CDN must be a subdomain of PLAYBACK_COOKIE_DOMAIN, e.g.
# ".example.com" for media.example.com (no cookies can be set for *.cloudfront.net).
PLAYBACK_SIGNED_COOKIES = env_bool("PLAYBACK_SIGNED_COOKIES")
PLAYBACK_COOKIE_DOMAIN = env("PLAYBACK_COOKIE_DOMAIN")
if PLAYBACK_SIGNED_COOKIES:
    missing = [
        name
        for name in (
            "CLOUDFRONT_DOMAIN",
            "CLOUDFRONT_KEY_ID",
            "CLOUDFRONT_PRIVATE_KEY",
            "PLAYBACK_COOKIE_DOMAIN",
        )
        if not env(name)
    ]
    if missing:
        raise ImproperlyConfigured("PLAYBACK_SIGNED_COOKIES needs: " + ", ".join(missing))

AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 2 * 1024 * 1024)
BANNER_MAX_BYTES = env_int("BANNER_MAX_BYTES", 6 * 1024 * 1024)
UPLOAD_URL_EXPIRY_S = env_int("UPLOAD_URL_EXPIRY_S", 900)
MEDIA_URL_EXPIRY_S = env_int("MEDIA_URL_EXPIRY_S", 3600)

# --- Backends ----------------------------------------------------------------------
AUTH_BACKEND = env("AUTH_BACKEND", "local")  # "local" | "cognito"
COGNITO_REGION = env("COGNITO_REGION", AWS_REGION)
COGNITO_USER_POOL_ID = env("COGNITO_USER_POOL_ID")
COGNITO_CLIENT_ID = env("COGNITO_CLIENT_ID")
COGNITO_CLIENT_SECRET = env("COGNITO_CLIENT_SECRET")
COGNITO_DOMAIN = env("COGNITO_DOMAIN")
COGNITO_ISSUER = env("COGNITO_ISSUER")
COGNITO_JWKS_URL = env("COGNITO_JWKS_URL")
if PRODUCTION and AUTH_BACKEND == "cognito":
    missing = [
        name
        for name in ("COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "COGNITO_DOMAIN")
        if not env(name)
    ]
    if missing:
        raise ImproperlyConfigured("Cognito sign-in needs: " + ", ".join(missing))

# --- Email ---------------------------------------------------------------------------
# Locally each message is printed in the web server's log (`make run`: .data/logs/web.log),
# links included; in production it goes out through Amazon SES's SMTP interface.
SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    SMTP_EMAIL_BACKEND if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "" if PRODUCTION else "Tube <no-reply@localhost>")
EMAIL_HOST = env("EMAIL_HOST", f"email-smtp.{AWS_REGION}.amazonaws.com")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# SES SMTP credentials (derived from an IAM user's key), not the AWS key pair itself.
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Each address gets at most this many sign-up emails an hour, however many networks ask:
# the sign-up form must not become a way to flood someone's inbox.
SIGNUP_EMAILS_PER_ADDRESS_PER_HOUR = env_int("SIGNUP_EMAILS_PER_ADDRESS_PER_HOUR", 3)
if PRODUCTION and EMAIL_BACKEND == SMTP_EMAIL_BACKEND:
    # SITE_URL too: emailed links are built from it, never from the request's Host.
    missing = [
        name
        for name in ("SITE_URL", "DEFAULT_FROM_EMAIL", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD")
        if not env(name)
    ]
    if missing:
        raise ImproperlyConfigured("Sending email (sign-up links) needs: " + ", ".join(missing))

# --- Abuse limits ------------------------------------------------------------------
# Log-in throttling (channels_app/login_throttle.py) slows attempts down and never locks
# out. Per account and source (a browser holding a device cookie from an earlier log-in
# to that account, or "untrusted" for everyone else) the first LOGIN_FAILURES_PER_ACCOUNT
# attempts are free; after that one attempt at a time is checked, each waiting twice as
# long as the one before (LOGIN_BASE_DELAY_S, 2x, 4x ... at most LOGIN_MAX_DELAY_S) and
# the rest are answered 429 unchecked. Per client address (untrusted sources only) the
# same with LOGIN_FAILURES_PER_IP. A success clears its account key; all of it is
# forgotten after LOGIN_FAILURE_WINDOW_S without an attempt.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20)
LOGIN_FAILURE_WINDOW_S = env_int("LOGIN_FAILURE_WINDOW_S", 15 * 60)
LOGIN_BASE_DELAY_S = env_int("LOGIN_BASE_DELAY_S", 1)
LOGIN_MAX_DELAY_S = env_int("LOGIN_MAX_DELAY_S", 300)
LOGIN_DEVICE_COOKIE_AGE_S = env_int("LOGIN_DEVICE_COOKIE_AGE_S", 365 * 24 * 3600)
# The client address behind TRUSTED_PROXY_HOPS proxies, each of which appends the address
# it saw to X-Forwarded-For (videoplatform/http.py client_ip). Production runs behind
# CloudFront then an ALB: 2. Locally nothing is in front: 0, REMOTE_ADDR. Set it to the
# real number of hops: too many lets a client choose its own address by sending the header;
# too few makes one proxy's address everyone's (per-IP limits become site-wide).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 2 if PRODUCTION else 0)

# --- Production hardening ----------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # "__Host-": browsers keep these only if Secure, Path=/ and without Domain, so no
    # subdomain (the media origin included) can set or overwrite them. Scripts read the
    # CSRF token from the page (hx-headers), not from the cookie.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
    SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# --- Caches --------------------------------------------------------------------------
# In each process's memory: nothing cached here has to be shared to be right. Signed HLS
# playlists (videos_app/playback.py) get their own, bounded by count: each is kept
# gzipped, about 80 KB for a two-hour rendition (750 KB plain).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "playlists": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "playlists",
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"hide_secrets": {"()": "videoplatform.log_filters.HideSecretsInPaths"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["hide_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines can carry presigned query strings; keep botocore quiet.
        "botocore": {"level": "WARNING"},
        "pynamodb": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "videoplatform.views.csrf_failure"

# --- Videos ------------------------------------------------------------------------
TRANSCODER_BACKEND = env("TRANSCODER_BACKEND", "ffmpeg")  # "ffmpeg" | "mediaconvert"
VIDEO_MAX_BYTES = env_int("VIDEO_MAX_BYTES", 2 * 1024**3)
# Files from this size up go as a multipart upload the browser can retry part by part
# and resume after a reload; smaller ones as one presigned POST.
UPLOAD_MULTIPART_MIN_BYTES = env_int("UPLOAD_MULTIPART_MIN_BYTES", 64 * 1024**2)
UPLOAD_PART_BYTES = env_int("UPLOAD_PART_BYTES", 16 * 1024**2)
# An upload still unfinished this long after it began is settled by reconcile_transcodes
# (a week, as long as storage keeps the parts of an unfinished multipart upload).
UPLOAD_ABANDONED_AFTER_S = env_int("UPLOAD_ABANDONED_AFTER_S", 7 * 24 * 3600)
TRANSCODE_LEASE_S = env_int("TRANSCODE_LEASE_S", 60)
TRANSCODE_MAX_ATTEMPTS = env_int("TRANSCODE_MAX_ATTEMPTS", 3)
TRANSCODE_WORK_DIR = env("TRANSCODE_WORK_DIR", "")
# Raw frames the ffmpeg backend may hold between its two processes (see
# videos_app/transcoding/ffmpeg_encoder.py); smaller saves memory, larger lets the
# lowest rung come out sooner.
TRANSCODE_FRAME_BUFFER_MB = env_int("TRANSCODE_FRAME_BUFFER_MB", 512)
MEDIACONVERT_ROLE_ARN = env("MEDIACONVERT_ROLE_ARN")
MEDIACONVERT_QUEUE = env("MEDIACONVERT_QUEUE")
MEDIACONVERT_APP_TAG = env("MEDIACONVERT_APP_TAG", "videoapp")
if PRODUCTION and TRANSCODER_BACKEND == "mediaconvert" and not MEDIACONVERT_ROLE_ARN:
    raise ImproperlyConfigured("TRANSCODER_BACKEND=mediaconvert needs MEDIACONVERT_ROLE_ARN")

# --- Search ---------------------------------------------------------------------------
SEARCH_BACKEND = env("SEARCH_BACKEND", "tantivy")  # "tantivy" | "opensearch"
# tantivy: the index folder (tests get a temporary one from videoplatform.testing.servers).
SEARCH_PATH = env("SEARCH_PATH", str(BASE_DIR / ".data" / "search"))
# OpenSearch: the domain's endpoint (https://...), the alias readers use, and the service
# name requests are signed for ("es" for a domain, "aoss" for a Serverless collection).
OPENSEARCH_ENDPOINT = env("OPENSEARCH_ENDPOINT")
OPENSEARCH_INDEX = env("OPENSEARCH_INDEX", "videoplatform")
OPENSEARCH_SERVICE = env("OPENSEARCH_SERVICE", "es")
if SEARCH_BACKEND not in ("tantivy", "opensearch"):
    raise ImproperlyConfigured(f"Unknown SEARCH_BACKEND {SEARCH_BACKEND!r}")
if PRODUCTION and SEARCH_BACKEND == "opensearch" and not OPENSEARCH_ENDPOINT:
    raise ImproperlyConfigured("SEARCH_BACKEND=opensearch needs OPENSEARCH_ENDPOINT")
# A document's view and like counts reach the index at most this often (not per view).
SEARCH_COUNTS_REFRESH_S = env_int("SEARCH_COUNTS_REFRESH_S", 600)

# --- AWS event intake (EventBridge -> /hooks/aws/events/) ----------------------------
EVENTS_WEBHOOK_SECRET = env("EVENTS_WEBHOOK_SECRET", "" if PRODUCTION else "local-events-secret")
EVENTS_WEBHOOK_HEADER = "HTTP_X_EVENTS_SECRET"
AWS_ACCOUNT_ID = env("AWS_ACCOUNT_ID")
COMMENTS_PER_MINUTE = env_int("COMMENTS_PER_MINUTE", 10)

if DJANGO_ENV == "test":
    # Test sessions create hundreds of accounts; the production hasher costs ~0.5 s each.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Live ----------------------------------------------------------------------------
LIVE_BACKEND = env("LIVE_BACKEND", "local")  # "local" | "ivs"
# reconcile_live asks the live service about a session live longer than this (its Stream
# End may have been lost), and waits this long for a lost Recording End's recording.
LIVE_QUIET_AFTER_S = env_int("LIVE_QUIET_AFTER_S", 120)
LIVE_REPLAY_WAIT_S = env_int("LIVE_REPLAY_WAIT_S", 24 * 3600)
LIVE_RTMP_HOST = env("LIVE_RTMP_HOST", "127.0.0.1")
LIVE_RTMP_PORT = env_int("LIVE_RTMP_PORT", 1935)
LIVE_CALLBACK_PORT = env_int("LIVE_CALLBACK_PORT", 8935)
IVS_LATENCY_MODE = env("IVS_LATENCY_MODE", "LOW")
IVS_CHANNEL_TYPE = env("IVS_CHANNEL_TYPE", "STANDARD")
# The values IVS CreateChannel accepts (botocore's ivs model: ChannelLatencyMode,
# ChannelType). Checked whatever the backend: the defaults are valid, so a wrong value was
# set on purpose and should stop the process before a streamer's "Go live" does.
IVS_LATENCY_MODES = ("NORMAL", "LOW")
IVS_CHANNEL_TYPES = ("BASIC", "STANDARD", "ADVANCED_SD", "ADVANCED_HD")
for name, value, allowed in (
    ("IVS_LATENCY_MODE", IVS_LATENCY_MODE, IVS_LATENCY_MODES),
    ("IVS_CHANNEL_TYPE", IVS_CHANNEL_TYPE, IVS_CHANNEL_TYPES),
):
    if value not in allowed:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(allowed)}")
IVS_RECORDING_CONFIGURATION_ARN = env("IVS_RECORDING_CONFIGURATION_ARN")
IVS_PLAYBACK_PRIVATE_KEY = env("IVS_PLAYBACK_PRIVATE_KEY")

# --- Moderation ----------------------------------------------------------------------
REPORTS_REVIEW_THRESHOLD = env_int("REPORTS_REVIEW_THRESHOLD", 3)
REPORTS_PER_HOUR = env_int("REPORTS_PER_HOUR", 20)
SIGNUPS_PER_IP_PER_HOUR = env_int("SIGNUPS_PER_IP_PER_HOUR", 10)
LIKES_PER_MINUTE = env_int("LIKES_PER_MINUTE", 60)
UPLOADS_PER_HOUR = env_int("UPLOADS_PER_HOUR", 30)
IMAGE_UPLOADS_PER_HOUR = env_int("IMAGE_UPLOADS_PER_HOUR", 30)
