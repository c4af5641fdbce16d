"""Settings for financeplanner: one module, driven by the environment (django-environ).

Safe defaults make a first run work with nothing configured (SQLite, tasks inline); production
sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "testserver"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    CELERY_BROKER_URL=(str, ""),
    SECURE_SSL_REDIRECT=(bool, False),
    SECURE_HSTS_SECONDS=(int, 0),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env("DEBUG")
# A development key only works with DEBUG on; production must set SECRET_KEY in the environment.
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "auditlog",
    "axes",
    "financeplanner",
    "channels_app",
    "contingency",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last: turns a login that django-axes refused into the lockout page (financeplanner.middleware).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "financeplanner.urls"
WSGI_APPLICATION = "financeplanner.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "financeplanner.views.base.company_context",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: each web or worker process keeps its connection between requests for DB_CONN_MAX_AGE
# seconds, instead of paying PostgreSQL a new backend (a fork and authentication, ~10 ms under load) per request;
# checked before reuse, so a restarted database costs no failed request. DB_CONN_MAX_AGE=0 closes it after each.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache counts login attempts and API throttles for every process: Redis in production (CACHE_URL, or
# REDIS_URL); local memory, counted per process, only for the single-process demo (`check --deploy` warns about it).
CACHES = {"default": env.cache("CACHE_URL", default=env("REDIS_URL", default="locmemcache://"))}
# The per-company cache of heavy reads (financeplanner.caching) needs a cache every process shares: on with Redis,
# off with local memory; COMPANY_CACHE=true / false forces it.
COMPANY_CACHE = env.bool("COMPANY_CACHE", default=None)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format on every page of a language (ISO dates in Chinese), amounts grouped by thousands in both.
FORMAT_MODULE_PATH = ["financeplanner.formats"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "financeplanner.staticfiles.AppDirectoriesFinder",  # the apps' files, less what loads from the internet
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "financeplanner.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "financeplanner.filters.CompanyFilterBackend",  # django-filter's, choices of rows limited to the company
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON bodies for the JSON API: upload views add MultiPartParser themselves. (The browsable API's raw-data form
    # posts JSON; its HTML form is not offered.)
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_SCHEMA_CLASS": "financeplanner.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "financeplanner.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "financeplanner.throttling.AnonRateThrottle",
        "financeplanner.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="60/minute"),
        "user": env("THROTTLE_USER", default="100000/hour"),
        "login": env("THROTTLE_LOGIN", default="20/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "financeplanner API",
    "DESCRIPTION": "Funding channels, credit standing, backup liquidity, contingency plans and liquidity drills.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI's assets are served by the application itself: no CDN on a closed network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Enum member names a generated client can use (values differing only by case get distinct names).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "financeplanner.api.schema.enum_varnames",
    ],
}

# Celery: Redis in production and in the test suite; without a broker tasks run inline (first run).
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# A message whose worker died unacknowledged goes back to the queue after the visibility timeout. It stays above
# the longest countdown (webhook retries wait up to an hour), or Redis would hand those out twice; a killed drill
# is not left to it: the drill sweeper below resumes it within DRILL_STALL_SECONDS + DRILL_SWEEP_SECONDS.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_SECONDS", default=3.0),
}
# Drill starts ask the broker first and answer 503 when it does not answer within this time.
CELERY_BROKER_CHECK_SECONDS = env.float("CELERY_BROKER_CHECK_SECONDS", default=2.0)
# Queues by size (contingency.dispatch): workers without -Q consume all three; the Procfile gives each its own.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {"celery": {}, "drills-small": {}, "drills-large": {}}
CELERY_TASK_ROUTES = {
    "contingency.tasks.run_block_task": {"queue": "drills-large"},
    "contingency.tasks.scheduled_drill_task": {"queue": "drills-small"},
}
DRILL_BLOCK_WINDOW = env.int("DRILL_BLOCK_WINDOW", default=4)  # blocks of one big run in the queue at once
DRILL_LARGE_RUNS_PER_COMPANY = env.int("DRILL_LARGE_RUNS_PER_COMPANY", default=1)
DRILL_SWEEP_SECONDS = env.float("DRILL_SWEEP_SECONDS", default=30.0)
DRILL_REQUEUE_SECONDS = env.int("DRILL_REQUEUE_SECONDS", default=60)  # a queued run untouched this long: again
DRILL_STALL_SECONDS = env.int("DRILL_STALL_SECONDS", default=60)  # a running run with no block this long: resumed
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
DRILL_BLOCK_SIZE = env.int("DRILL_BLOCK_SIZE", default=2048)
# A deterministic drill of at most this many channel-days (channels x horizon) is simulated within the request that
# starts it (contingency.dispatch.runs_in_request): its answer already carries the results. 0: always a worker.
DRILL_INLINE_MAX_CHANNEL_DAYS = env.int("DRILL_INLINE_MAX_CHANNEL_DAYS", default=20_000)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="financeplanner@localhost")

# Security headers; production turns on HTTPS-only behaviour through the environment.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = env("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# -- Exports, API keys, early warnings and hardening ---------------------------------------------------------------
# The one limit of an uploaded spreadsheet, on the import page and the API alike: 10 MB, so one CSV of 100,000
# cash-flow lines (the import's row limit; ~6.1 MB in the template's columns) fits.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Exports are throttled per user or API key on top of the user rate; every login door per client address.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["exports"] = env("THROTTLE_EXPORTS", default="120/minute")
MIDDLEWARE += ["financeplanner.middleware.LoginThrottleMiddleware"]
LOGIN_THROTTLE_PATHS = env.list(
    "LOGIN_THROTTLE_PATHS", default=["/accounts/login/", "/en/accounts/login/", "/admin/login/", "/api/v1/auth/token/"]
)

# Early warnings: evaluated by beat every WARNINGS_EVALUATION_SECONDS and after each relevant change (debounced).
WARNINGS_EVALUATION_SECONDS = env.int("WARNINGS_EVALUATION_SECONDS", default=900)
WARNINGS_DEBOUNCE_SECONDS = env.int("WARNINGS_DEBOUNCE_SECONDS", default=2)
CELERY_BEAT_SCHEDULE = {
    "evaluate-early-warnings": {
        "task": "contingency.tasks_warnings.evaluate_all_companies_task",
        "schedule": float(WARNINGS_EVALUATION_SECONDS),
    },
    "sweep-drills": {
        "task": "contingency.tasks.sweep_drills_task",
        "schedule": DRILL_SWEEP_SECONDS,
        "options": {"expires": DRILL_SWEEP_SECONDS},
    },
    "sweep-import-jobs": {
        "task": "financeplanner.tasks.sweep_import_jobs_task",
        "schedule": DRILL_SWEEP_SECONDS,
        "options": {"expires": DRILL_SWEEP_SECONDS},
    },
}
ALERT_EMAIL_ROLES = env.list("ALERT_EMAIL_ROLES", default=["admin", "treasurer"])
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOK_MAX_RETRIES = env.int("WEBHOOK_MAX_RETRIES", default=8)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
# Internal hosts webhooks may reach although they are not public (names, addresses or CIDR networks); none by default.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
# One name per choice set in the OpenAPI schema (drf-spectacular warns, and `check --deploy` fails, otherwise).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "ChannelStatusEnum": "channels_app.choices.ChannelStatus",
    "CurrencyEnum": "financeplanner.currencies.CURRENCY_CHOICES",
    "LenderActionEnum": "channels_app.choices.LenderAction",
    "StepActionEnum": "contingency.choices.StepAction",
    "PlanStatusEnum": "contingency.choices.PlanStatus",
    "DrillStatusEnum": "contingency.choices.DrillStatus",
    "TriggerKindEnum": "channels_app.choices.TriggerKind",
    "InvitationStatusEnum": "financeplanner.models.Invitation.Status",
    "DeliveryStatusEnum": "contingency.models.Delivery.Status",
}
# Alert e-mail in production: SMTP from the environment only, e.g. EMAIL_URL=smtp+tls://user:password@host:587
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))

# Content-Security-Policy on every response (django-csp): scripts and styles only from our own static files — no
# inline script, no inline event handler, no inline style (charts carry presentation attributes, htmx is told not
# to inject its indicator styles by the `htmx-config` meta tag in base.html).
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
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
    }
}

# -- Brute force, tokens and sessions (README "Security") -----------------------------------------------------------
# The client's address: REMOTE_ADDR, or — only when REMOTE_ADDR is one of these proxies (addresses or CIDR networks,
# e.g. TRUSTED_PROXIES=10.0.0.5,10.0.1.0/24) — the first X-Forwarded-For hop from the right that is not one of them.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
REST_FRAMEWORK["NUM_PROXIES"] = 0  # DRF's own throttles never read X-Forwarded-For; ours use TRUSTED_PROXIES
# django-axes: AXES_FAILURE_LIMIT failed logins of one username from one address lock that pair out for
# AXES_COOLOFF_MINUTES — on the HTML login, the admin login and the token endpoint (all go through authenticate()).
# Per address over all usernames, every attempt is also rate-limited (THROTTLE_LOGIN, financeplanner.throttling).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "default"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the cool-off the message announces is the one that applies
AXES_CLIENT_IP_CALLABLE = "financeplanner.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "financeplanner.middleware.lockout_response"
AXES_VERBOSE = False
if CACHES["default"]["BACKEND"].endswith("LocMemCache") and DEBUG:
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]  # the demo runs one process; production must name a shared cache
# API tokens expire API_TOKEN_TTL_DAYS after they were issued (POST auth/token/ then issues a fresh one) and can be
# rotated at any time (POST auth/token/rotate/). Sessions of the pages last SESSION_COOKIE_AGE seconds.
API_TOKEN_TTL_DAYS = env.float("API_TOKEN_TTL_DAYS", default=30)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
