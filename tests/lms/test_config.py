"""Configuration layering as deployments use it: defaults, then <instance>/config.py, then
the environment; and a secret key that is made once and kept."""
import stat
import textwrap

import pytest

from lms import config as lms_config
from tests.conftest import CSRF_META


@pytest.fixture
def environment(monkeypatch):
    """A clean environment: none of the variables the app reads, as on a fresh server."""
    for name in (*lms_config.ENVIRONMENT, "LMS_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def instance_folder(tmp_path, name="instance", config_py=None):
    folder = tmp_path / name
    folder.mkdir()
    if config_py is not None:
        (folder / "config.py").write_text(textwrap.dedent(config_py))
    return folder


def test_environment_overrides_instance_file_which_overrides_defaults(build_app, environment, tmp_path):
    folder = instance_folder(
        tmp_path,
        config_py="""
            SECRET_KEY = "from-the-file"
            MAIL_SERVER = "mail.from-file.example"
            MAIL_PORT = 2525
            LMS_PAGE_SIZE = 7
            LMS_SELF_REGISTRATION = False
            LMS_HTTPS = True
        """,
    )
    database = tmp_path / "from-env.sqlite3"
    environment.setenv("LMS_INSTANCE_PATH", str(folder))
    environment.setenv("DATABASE_URL", f"sqlite:///{database}")
    environment.setenv("MAIL_SERVER", "mail.from-env.example")
    environment.setenv("LMS_SELF_REGISTRATION", "yes")
    environment.setenv("LMS_HTTPS", "off")
    environment.setenv("MAIL_USE_TLS", "1")
    environment.setenv("LMS_TRUSTED_PROXIES", "2")

    app = build_app.from_environment()

    assert app.instance_path == str(folder.resolve())
    # environment beats the file
    assert app.config["MAIL_SERVER"] == "mail.from-env.example"
    assert app.config["LMS_SELF_REGISTRATION"] is True
    assert app.config["LMS_HTTPS"] is False
    assert not app.config.get("SESSION_COOKIE_SECURE")
    # typed values from the environment
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["LMS_TRUSTED_PROXIES"] == 2
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
    # the file beats the defaults
    assert app.config["SECRET_KEY"] == "from-the-file"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["LMS_PAGE_SIZE"] == 7
    # defaults fill in the rest
    assert app.config["PASSWORD_MIN_LENGTH"] == lms_config.PASSWORD_MIN_LENGTH
    assert app.config["MAIL_BACKEND"] == "file"
    assert not (folder / "secret_key").exists()


def test_instance_file_settings_apply_without_environment(build_app, environment, tmp_path):
    folder = instance_folder(tmp_path, config_py='SECRET_KEY = "file-key"\nLMS_HTTPS = True\nMAIL_PORT = 2525\n')
    environment.setenv("LMS_INSTANCE_PATH", str(folder))

    app = build_app.from_environment()

    assert app.config["MAIL_PORT"] == 2525
    assert app.config["LMS_HTTPS"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_defaults_without_file_or_environment(build_app, environment, tmp_path):
    folder = instance_folder(tmp_path)
    environment.setenv("LMS_INSTANCE_PATH", str(folder))

    app = build_app.from_environment()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{folder.resolve() / 'lms.sqlite3'}"
    assert app.config["MAIL_SERVER"] == "localhost"
    assert app.config["MAIL_PORT"] == 25
    assert app.config["LMS_SELF_REGISTRATION"] is True
    assert app.config["LMS_HTTPS"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_instance_folder_is_created_when_missing(build_app, environment, tmp_path):
    folder = tmp_path / "not-yet" / "instance"
    environment.setenv("LMS_INSTANCE_PATH", str(folder))

    app = build_app.from_environment()

    assert folder.is_dir()
    assert app.instance_path == str(folder.resolve())


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgresql_urls_use_psycopg_3(build_app, environment, tmp_path, scheme):
    environment.setenv("LMS_INSTANCE_PATH", str(instance_folder(tmp_path)))
    environment.setenv("DATABASE_URL", f"{scheme}://kelisim:secret@db.internal:5432/kelisim")

    app = build_app.from_environment()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://kelisim:secret@db.internal:5432/kelisim"


def test_environment_variables_that_are_empty_are_ignored(build_app, environment, tmp_path):
    folder = instance_folder(tmp_path, config_py='MAIL_SERVER = "mail.from-file.example"\n')
    environment.setenv("LMS_INSTANCE_PATH", str(folder))
    environment.setenv("MAIL_SERVER", "")

    app = build_app.from_environment()

    assert app.config["MAIL_SERVER"] == "mail.from-file.example"


def test_test_configuration_ignores_the_environment(build_app, environment):
    """Tests pass their settings explicitly; a developer's shell variables must not leak in."""
    environment.setenv("MAIL_SERVER", "mail.from-env.example")

    app = build_app()

    assert app.config["MAIL_SERVER"] == "localhost"


# ---------------------------------------------------------------- the secret key


def test_secret_key_is_generated_once_and_reused(build_app, environment, tmp_path):
    folder = instance_folder(tmp_path)
    environment.setenv("LMS_INSTANCE_PATH", str(folder))

    first = build_app.from_environment()
    key_file = folder / "secret_key"
    assert key_file.is_file()
    key = key_file.read_text().strip()
    assert len(key) >= 64 and int(key, 16)  # 32 random bytes in hex
    assert first.config["SECRET_KEY"] == key
    assert stat.S_IMODE(key_file.stat().st_mode) & 0o077 == 0, "the key file must be private to its owner"

    second = build_app.from_environment()
    assert second.config["SECRET_KEY"] == key
    assert key_file.read_text().strip() == key


def test_generated_key_differs_between_instances(build_app, environment, tmp_path):
    environment.setenv("LMS_INSTANCE_PATH", str(instance_folder(tmp_path, "one")))
    one = build_app.from_environment()
    environment.setenv("LMS_INSTANCE_PATH", str(instance_folder(tmp_path, "two")))
    two = build_app.from_environment()

    assert one.config["SECRET_KEY"] != two.config["SECRET_KEY"]


def test_sessions_survive_a_restart_with_the_generated_key(build_app, environment, tmp_path):
    """A restart (a second create_app) must not sign everybody out or expire their forms."""
    environment.setenv("LMS_INSTANCE_PATH", str(instance_folder(tmp_path)))
    before = build_app.from_environment().test_client()
    page = before.get("/").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)

    after = build_app.from_environment().test_client()
    after.set_cookie("session", before.get_cookie("session").value)
    response = after.post("/language", data={"language": "ru", "next": "/", "csrf_token": token})

    assert response.status_code == 302
    with after.session_transaction() as session:
        assert session["locale"] == "ru"


def test_secret_key_from_the_environment_wins(build_app, environment, tmp_path):
    folder = instance_folder(tmp_path)
    environment.setenv("LMS_INSTANCE_PATH", str(folder))
    environment.setenv("SECRET_KEY", "from-the-environment")

    app = build_app.from_environment()

    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (folder / "secret_key").exists()

