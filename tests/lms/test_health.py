"""The health check that load balancers and container orchestrators poll."""
import pytest


def test_healthz_reports_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_needs_no_sign_in_and_no_session(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql://postgres:hunter2@127.0.0.1:1/nothing",
        "sqlite:////nonexistent-folder-for-kelisim-tests/deeper/lms.sqlite3",
    ],
    ids=["postgresql-refused", "sqlite-missing-folder"],
)
def test_healthz_reports_an_unreachable_database(build_app, database_url):
    app = build_app(database_url)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["db"] != "ok"
    assert body["status"] != "ok"
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "nonexistent-folder" not in text  # no connection details leak


def test_healthz_recovers_once_the_database_answers(build_app, tmp_path):
    app = build_app("sqlite:///" + str(tmp_path / "later" / "lms.sqlite3"))
    client = app.test_client()
    assert client.get("/healthz").status_code == 503

    (tmp_path / "later").mkdir()

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok"}
