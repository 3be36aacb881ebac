"""Configuration: defaults here, then `<instance>/config.py`, then the environment.

Every setting a deployment may need to change has an environment variable of the
same name; `load` applies them last so that containers and CI need no files.
"""
import os
import secrets
from pathlib import Path

# Defaults. Anything here can be overridden in instance/config.py or the environment.
SQLALCHEMY_TRACK_MODIFICATIONS = False
LMS_PLUGINS = None  # None: every plugin registered under the `lms.plugins` entry points
LMS_LANGUAGES = ("en", "ru", "kk")
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
LMS_SELF_REGISTRATION = True
LMS_HTTPS = False
LMS_TRUSTED_PROXIES = 0
LMS_PAGE_SIZE = 25
LMS_LOGIN_LIMIT = "10 per minute"
LMS_COURSES_PATH = str(Path(__file__).resolve().parent.parent / "courses")
LMS_COURSE_FILE_MAX_BYTES = 5 * 1024 * 1024
PASSWORD_RESET_MAX_AGE = 2 * 60 * 60
PASSWORD_MIN_LENGTH = 10
MAIL_BACKEND = "file"  # "file": <instance>/outbox/*.eml; "smtp": the MAIL_SERVER below
MAIL_SERVER = "localhost"
MAIL_PORT = 25
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_USE_TLS = False
MAIL_DEFAULT_SENDER = "Kelisim <no-reply@kelisim.local>"
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# Environment variables read by `load`, with the type each is parsed as.
ENVIRONMENT = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "LMS_PLUGINS": lambda value: [name.strip() for name in value.split(",") if name.strip()],
    "LMS_SELF_REGISTRATION": lambda value: value.lower() in ("1", "true", "yes", "on"),
    "LMS_HTTPS": lambda value: value.lower() in ("1", "true", "yes", "on"),
    "LMS_TRUSTED_PROXIES": int,
    "LMS_COURSES_PATH": str,
    "MAIL_BACKEND": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": lambda value: value.lower() in ("1", "true", "yes", "on"),
    "MAIL_DEFAULT_SENDER": str,
    "RATELIMIT_STORAGE_URI": str,
}


def instance_path(test_config=None):
    """Where runtime state lives: LMS_INSTANCE_PATH, or Flask's default (./instance)."""
    path = (test_config or {}).get("LMS_INSTANCE_PATH") or os.environ.get("LMS_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def load(app, test_config=None):
    """Apply the three layers of configuration, then derive what follows from them."""
    app.config.from_object(__name__)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for name, parse in ENVIRONMENT.items():
            if os.environ.get(name):
                app.config[name] = parse(os.environ[name])
    else:
        app.config.from_mapping(test_config)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'lms.sqlite3'}")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app.config["DATABASE_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if app.config["LMS_HTTPS"]:
        app.config.update(
            SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https"
        )


def database_uri(url):
    """Use psycopg 3 for PostgreSQL whatever spelling the URL comes in."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret_key(folder):
    """A random key made once and kept in the instance folder, never in the source."""
    key_file = folder / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_hex(32))
    return key_file.read_text().strip()
