"""Settings, all from environment variables with safe defaults.

The default is a single-machine deployment: SQLite in ``$DAILYPAPERS_DATA_DIR``
(``./data``). Set ``DATABASE_URL=postgres://…`` to use PostgreSQL instead.
"""

import importlib.util
import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from dailypapers.throttles.rates import parse_rate


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_networks(name: str, default: str) -> list[str]:
    """IP addresses or networks (gunicorn's syntax, ``*`` for any) from a comma-separated list."""
    values = env_list(name, default)
    for value in values:
        if value == "*":
            continue
        try:
            ipaddress.ip_network(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an IP address or network like 10.0.0.0/8"
            ) from None
    return values


def env_rate(name: str, default: str) -> str:
    """A rate like "20/hour" (throttles/rates.py), checked now rather than at the first request."""
    value = os.environ.get(name, default)
    try:
        parse_rate(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}: {value!r} is not a rate like 20/hour (N/minute, N/hour or N/day)"
        ) from None
    return value


DATA_DIR = Path(os.environ.get("DAILYPAPERS_DATA_DIR", "data")).resolve()
# The database, the secret key and the mail spool are the operator's alone.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    try:
        # Created readable by the owner only from the first byte, and by one process
        # only: two workers starting together must not each write a key of their own.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as key:
            key.write(get_random_secret_key())
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)

# The site's public address. Links in emails are built from it, never from a
# request's Host; its host is always allowed, and an https:// address turns on
# what serving over HTTPS needs (below).
BASE_URL = os.environ.get("DAILYPAPERS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(BASE_URL)
if _public.scheme not in {"http", "https"} or not _public.hostname:
    raise ImproperlyConfigured(
        f"DAILYPAPERS_BASE_URL={BASE_URL!r} is not an address like https://papers.example.org"
    )
_public_host = f"[{_public.hostname}]" if ":" in _public.hostname else _public.hostname
ALLOWED_HOSTS = list(
    dict.fromkeys([*env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]"), _public_host])
)
# Forms posted from the public address pass the CSRF origin check even when the
# proxy passes on another Host.
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]
_https = _public.scheme == "https"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _https
# Plain-http requests are redirected to the public address, not to the Host they
# came with: a health check on serve's own port gets a 301 unless it sends
# X-Forwarded-Proto: https from a trusted proxy address.
SECURE_SSL_REDIRECT = _https
SECURE_SSL_HOST = _public.netloc if _https else None
SECURE_HSTS_SECONDS = int(
    os.environ.get("DAILYPAPERS_HSTS_SECONDS", 365 * 24 * 3600 if _https else 0)
)
# As `check --deploy` asks. Both concern the public host and its own subdomains
# (*.papers.example.org), and "preload" is only consent: browsers preload a
# domain its owner submitted to hstspreload.org, which takes no subdomains.
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = True

# Peers whose X-Forwarded-Proto says whether the client used https. gunicorn
# (`dailypapers serve`) applies it: it sets the request's scheme from that header
# for these peers only. SECURE_PROXY_SSL_HEADER stays unset on purpose: gunicorn
# passes the header on from any peer, and Django would believe it from anyone.
TRUSTED_PROXIES = env_networks("DAILYPAPERS_TRUSTED_PROXIES", "127.0.0.1,::1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # Its app serves Swagger UI (/api/docs) from its own static files, not from a CDN.
    "ninja",
    "dailypapers",
    # Background work as tasks in the database (docs/architecture.md, Decisions).
    "django_tasks",
    "django_tasks_db",
    "dailypapers.workers",
    "dailypapers.throttles",
    "dailypapers.papers",
    "dailypapers.ingest",
    "dailypapers.search",
    "dailypapers.community",
    "dailypapers.library",
    "dailypapers.api",
    "dailypapers.web",
    "dailypapers.digests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dailypapers.request_limits.RequestSizeLimit",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dailypapers.web.errors.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dailypapers.api.shared.SharedReadAnswers",
]

ROOT_URLCONF = "dailypapers.urls"
WSGI_APPLICATION = "dailypapers.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dailypapers.web.page_cache.csrf_placeholder",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "dailypapers.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}", conn_max_age=600, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database server that stops answering fails a request within seconds (a 503)
    # rather than holding the worker for the minutes TCP takes to give up.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import writes; IMMEDIATE avoids
    # "database is locked" when two writers start a transaction at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
elif importlib.util.find_spec("psycopg") is None:
    raise ImproperlyConfigured(
        "DATABASE_URL names PostgreSQL, whose driver is an extra: "
        "run `make install` with DATABASE_URL set, or .venv/bin/pip install -e '.[postgres]'"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# KaTeX comes from npm at set-up time (`make install`), never from a CDN at run time.
KATEX_DIR = Path(
    os.environ.get(
        "DAILYPAPERS_KATEX_DIR",
        Path(__file__).resolve().parents[2] / ".npm/node_modules/katex/dist",
    )
)
STATICFILES_DIRS = [("katex", KATEX_DIR)] if KATEX_DIR.is_dir() else []

# Sign-up, password change and reset refuse weak passwords (Django's validators).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
]
CSRF_FAILURE_VIEW = "dailypapers.web.errors.csrf_failure"
# The largest request body taken, files included (request_limits.py): comments,
# forms and API calls are small. As deploy/nginx's client_max_body_size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "papers"
LOGOUT_REDIRECT_URL = "papers"

# Django's own names for the mail settings. Without EMAIL_HOST there is no mail
# server to assume: emails are written as files to EMAIL_FILE_PATH, and `serve` says so.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", DATA_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dailypapers@localhost")

# Sources. The arXiv endpoints are settings so tests can point them at local servers.
ARXIV_OAI_URL = os.environ.get("DAILYPAPERS_ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
ARXIV_API_URL = os.environ.get("DAILYPAPERS_ARXIV_API_URL", "https://export.arxiv.org/api/query")
# arXiv asks harvesters to leave a few seconds between requests.
ARXIV_REQUEST_DELAY = float(os.environ.get("DAILYPAPERS_ARXIV_REQUEST_DELAY", "3"))
# Seconds any request to arXiv or Hugging Face may wait to connect, and then for each
# part of the answer: a source that stops answering fails the request instead of
# holding the process that asked.
SOURCE_TIMEOUT = float(os.environ.get("DAILYPAPERS_SOURCE_TIMEOUT", "30"))
# Papers one client network may ask the site to fetch from arXiv (ingest/on_demand.py).
FETCH_RATE_PER_CLIENT = env_rate("DAILYPAPERS_FETCH_RATE_PER_CLIENT", "20/hour")
# What `serve` offers to harvest when the catalog is empty.
HARVEST_SET = os.environ.get("DAILYPAPERS_HARVEST_SET", "cs")
HARVEST_ON_EMPTY = env_bool("DAILYPAPERS_HARVEST_ON_EMPTY", False)
HARVEST_DAYS = int(os.environ.get("DAILYPAPERS_HARVEST_DAYS", "3"))
# Papers known only from a daily listing are fetched from arXiv this often by `serve`; 0: never.
COMPLETE_PENDING_MINUTES = float(os.environ.get("DAILYPAPERS_COMPLETE_PENDING_MINUTES", "30"))
# "New on arXiv" (/papers/new): archives (cs) or categories (cs.LG), comma-separated; the
# harvested set's by default ("physics:hep-th" is category hep-th); empty for every category.
NEW_CATEGORIES = env_list("DAILYPAPERS_NEW_CATEGORIES", HARVEST_SET.rpartition(":")[2])

# Hugging Face's Daily Papers, mirrored by `sync-hf` (ingest/hf_daily.py); `serve` runs it
# every day at SYNC_HF_TIME (in TIME_ZONE) when SYNC_HF is set.
HF_API_URL = os.environ.get("DAILYPAPERS_HF_API_URL", "https://huggingface.co").rstrip("/")
HF_REQUEST_DELAY = float(os.environ.get("DAILYPAPERS_HF_REQUEST_DELAY", "1"))
SYNC_HF = env_bool("DAILYPAPERS_SYNC_HF", False)
SYNC_HF_TIME = os.environ.get("DAILYPAPERS_SYNC_HF_TIME", "06:00")

# Background work: tasks in the database, run by `dailypapers worker` (and the one `serve`
# starts). Queues: "fetch" (papers visitors wait for), "index" (the search indexer, slow),
# "default" (the rest); each worker runs a thread per queue it serves.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "fetch", "index"],
    }
}
# A worker silent this many seconds is taken for dead: the tasks it was running are run
# again by another (workers/recovery.py).
WORKER_LOST_SECONDS = float(os.environ.get("DAILYPAPERS_WORKER_LOST_SECONDS", "60"))

# Search: the embedded keyword index and the embedding cache live in the data dir.
SEARCH_INDEX_DIR = Path(os.environ.get("DAILYPAPERS_INDEX_DIR", DATA_DIR / "index"))
# The keyword engine (docs/search.md): "tantivy", an index of this node's own in its data
# dir that follows the catalog (on PostgreSQL too), or "postgresql", the database's own full
# text search (PostgreSQL only: no index on the node's disk, lower relevance, slower).
KEYWORD_ENGINE = os.environ.get("DAILYPAPERS_KEYWORD_ENGINE", "tantivy").strip().lower()
if KEYWORD_ENGINE not in ("tantivy", "postgresql"):
    raise ImproperlyConfigured(
        f"DAILYPAPERS_KEYWORD_ENGINE must be tantivy or postgresql, not {KEYWORD_ENGINE!r}"
    )
if KEYWORD_ENGINE == "postgresql" and DATABASES["default"]["ENGINE"] != (
    "django.db.backends.postgresql"
):
    raise ImproperlyConfigured(
        "DAILYPAPERS_KEYWORD_ENGINE=postgresql needs a PostgreSQL DATABASE_URL; "
        "on SQLite the keyword engine is tantivy"
    )
# Seconds between two rounds of `serve`'s keyword follower, which brings this node's
# Tantivy index level with changes other processes and nodes made to the catalog.
KEYWORD_FOLLOW_SECONDS = float(os.environ.get("DAILYPAPERS_KEYWORD_FOLLOW_SECONDS", "2"))
# The embedding model: a class following search.embeddings.Embedder (docs/search.md).
EMBEDDER = os.environ.get("DAILYPAPERS_EMBEDDER", "dailypapers.search.minilm.MiniLMEmbedder")
# The default model, exported to ONNX from its package on first use.
MODEL_DIR = Path(os.environ.get("DAILYPAPERS_MODEL_DIR", DATA_DIR / "models"))
# Tokens of title + abstract the model reads, and int8 weights (docs/search.md).
EMBEDDING_MAX_TOKENS = int(os.environ.get("DAILYPAPERS_EMBEDDING_MAX_TOKENS", "256"))
EMBEDDING_INT8 = env_bool("DAILYPAPERS_EMBEDDING_INT8", True)
# Threads one embedding call may use: all cores for `index`; `serve` sets 1 per request.
EMBEDDING_THREADS = int(os.environ.get("DAILYPAPERS_EMBEDDING_THREADS", os.cpu_count() or 1))
# Vectors computed before, keyed by model and text; empty to disable.
EMBEDDING_CACHE = (
    Path(os.environ["DAILYPAPERS_EMBEDDING_CACHE"])
    if os.environ.get("DAILYPAPERS_EMBEDDING_CACHE")
    else None
)

# Submitting a paper to the daily list.
SUBMISSION_MAX_AGE_DAYS = int(os.environ.get("DAILYPAPERS_SUBMISSION_MAX_AGE_DAYS", "14"))
SUBMISSIONS_PER_USER_PER_DAY = int(os.environ.get("DAILYPAPERS_SUBMISSIONS_PER_DAY", "5"))

# Abuse limits (throttles/limits.py): token buckets of "N/minute", "N/hour" or "N/day",
# per account and per client network (an IPv4 address or an IPv6 /64; behind the
# proxies of TRUSTED_PROXIES, the address they forward). High enough that people
# never meet them: a burst of N, then N per period.
# Failed logins, per username typed and per client.
RATE_LOGIN_PER_ACCOUNT = env_rate("DAILYPAPERS_RATE_LOGIN_PER_ACCOUNT", "10/hour")
RATE_LOGIN_PER_CLIENT = env_rate("DAILYPAPERS_RATE_LOGIN_PER_CLIENT", "50/hour")
# Password-reset emails, per address asked for and per client.
RATE_PASSWORD_RESET_PER_ACCOUNT = env_rate("DAILYPAPERS_RATE_PASSWORD_RESET_PER_ACCOUNT", "5/hour")
RATE_PASSWORD_RESET_PER_CLIENT = env_rate("DAILYPAPERS_RATE_PASSWORD_RESET_PER_CLIENT", "20/hour")
# Verification emails per account (sign-up's, re-sends, changes of address);
# accounts created per client.
RATE_SIGNUP_PER_ACCOUNT = env_rate("DAILYPAPERS_RATE_SIGNUP_PER_ACCOUNT", "5/hour")
RATE_SIGNUP_PER_CLIENT = env_rate("DAILYPAPERS_RATE_SIGNUP_PER_CLIENT", "20/hour")
RATE_COMMENT_PER_ACCOUNT = env_rate("DAILYPAPERS_RATE_COMMENT_PER_ACCOUNT", "20/hour")
RATE_COMMENT_PER_CLIENT = env_rate("DAILYPAPERS_RATE_COMMENT_PER_CLIENT", "100/hour")
# Upvotes and withdrawals, on the site and through the API: a reader clicking
# through a page of 30 cards is far below these.
RATE_VOTE_PER_ACCOUNT = env_rate("DAILYPAPERS_RATE_VOTE_PER_ACCOUNT", "120/minute")
RATE_VOTE_PER_CLIENT = env_rate("DAILYPAPERS_RATE_VOTE_PER_CLIENT", "600/minute")
# Submission attempts (the daily limit above counts the accepted ones).
RATE_SUBMIT_PER_ACCOUNT = env_rate("DAILYPAPERS_RATE_SUBMIT_PER_ACCOUNT", "20/hour")
RATE_SUBMIT_PER_CLIENT = env_rate("DAILYPAPERS_RATE_SUBMIT_PER_CLIENT", "60/hour")

# Anonymous readers get pages rendered at most this long ago (shared_answers.py);
# signed-in readers always get fresh pages.
PAGE_CACHE_SECONDS = int(os.environ.get("DAILYPAPERS_PAGE_CACHE_SECONDS", "30"))
# One Redis that every web node and worker shares (shared_cache.py), for a
# deployment of several nodes: a page one node rendered is served by all. Without
# it each process keeps its own cache in memory, which one machine needs no more than.
CACHE_URL = os.environ.get("DAILYPAPERS_CACHE_URL", "").strip()
if CACHE_URL:
    if urlsplit(CACHE_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"DAILYPAPERS_CACHE_URL={CACHE_URL!r} is not a Redis address like "
            "redis://127.0.0.1:6379/0 (rediss:// with TLS, unix:///path/to/redis.sock)"
        )
    if importlib.util.find_spec("redis") is None:
        raise ImproperlyConfigured(
            "DAILYPAPERS_CACHE_URL names a Redis, whose client is an extra: run `make install`"
            " with DAILYPAPERS_CACHE_URL set, or .venv/bin/pip install -e '.[shared-cache]'"
        )
    CACHES = {
        "default": {
            "BACKEND": "dailypapers.shared_cache.SharedRedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Entries live PAGE_CACHE_SECONDS; the bound is for memory: a search
            # answer is ~190 kB, so a stream of distinct searches fills a worker's
            # cache to ~200 MB at most (5,000 would allow a gigabyte per worker).
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }

# Trending (papers/trending.py): upvotes decayed by age over a window of days.
TRENDING_WINDOW_DAYS = int(os.environ.get("DAILYPAPERS_TRENDING_WINDOW_DAYS", "7"))
TRENDING_GRAVITY = float(os.environ.get("DAILYPAPERS_TRENDING_GRAVITY", "1.5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # A reader's malformed BibTeX is reported to them, with its line (library/importing.py),
    # not logged as the site's trouble.
    "loggers": {"bibtexparser": {"level": "CRITICAL"}},
}

# Email digests (docs/digests.md).
# "HH:MM" in TIME_ZONE: `serve` then runs `digest send` every day at that time.
DIGEST_TIME = os.environ.get("DAILYPAPERS_DIGEST_TIME", "")
# The weekly digest is due from this day on, once per ISO week.
DIGEST_WEEKLY_DAY = os.environ.get("DAILYPAPERS_DIGEST_WEEKLY_DAY", "monday")
DIGEST_CONFIRM_MAX_AGE_DAYS = int(os.environ.get("DAILYPAPERS_DIGEST_CONFIRM_DAYS", "7"))
DIGEST_MANAGE_MAX_AGE_DAYS = int(os.environ.get("DAILYPAPERS_DIGEST_MANAGE_DAYS", "90"))
# Subscribe requests (each mails a confirmation link): per address and per client network.
DIGEST_RATE_PER_ADDRESS = env_rate("DAILYPAPERS_DIGEST_RATE_PER_ADDRESS", "3/day")
DIGEST_RATE_PER_CLIENT = env_rate("DAILYPAPERS_DIGEST_RATE_PER_CLIENT", "20/hour")
# Temporary SMTP failures: retries per message, first delay in seconds (doubling).
DIGEST_SEND_RETRIES = int(os.environ.get("DAILYPAPERS_DIGEST_RETRIES", "3"))
DIGEST_RETRY_DELAY = float(os.environ.get("DAILYPAPERS_DIGEST_RETRY_DELAY", "2"))
# Permanent failures (5xx) in a row before a subscription is suspended.
DIGEST_MAX_BOUNCES = int(os.environ.get("DAILYPAPERS_DIGEST_MAX_BOUNCES", "3"))
# Processes `digest send` splits the subscribers over, each with its own SMTP connection.
DIGEST_SEND_WORKERS = int(os.environ.get("DAILYPAPERS_DIGEST_WORKERS", "1"))
# On SQLite, `digest send` claims each digest by locking a byte of this file:
# beside the database, so that every process writing to it sees the claims,
# whatever its data dir (PostgreSQL locks the digest's row instead).
DIGEST_LOCK_FILE = Path(f"{DATABASES['default']['NAME']}-digests.lock")
# Django waits forever on a silent SMTP server without it.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "30"))
