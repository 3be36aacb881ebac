"""JSON API v1: tokens and sessions, every endpoint's answers and errors, access, statement counts."""
import json
import re

import pytest
from sqlalchemy import select

from lms.api import services as tokens
from lms.api.models import ApiToken
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.courses import packages
from lms.courses.models import Activity, Course, Module
from lms.enrollments.models import INSTRUCTOR, TRAINEE, Enrollment
from lms.enrollments.services import enroll, group_named, withdraw
from lms.extensions import db
from lms.progress.models import COMPLETED, PASSED
from lms.progress.services import record
from tests.conftest import FIXTURES, counting_statements, csrf_token

TOKEN = re.compile(r"^klsm_\S+$", re.MULTILINE)


# --- helpers ------------------------------------------------------------------------


@pytest.fixture
def sample(app):
    """The sample course package (open, published): intro -> listening (mark) -> checklist; further-reading optional."""
    with app.app_context():
        packages.import_package(FIXTURES / "courses" / "sample-course", app.extensions["lms_plugins"])
        db.session.commit()
    return "sample-course"


def make_course(app, slug, activities=2, published=True, policy="open", key=None, type_key="lesson"):
    """A course with `activities` lessons a0, a1, ... in one module, each after the one before."""
    with app.app_context():
        course = Course(
            slug=slug, title={"en": slug.title(), "ru": f"{slug} (ru)"}, languages=["en", "ru"], published=published,
            enrollment_policy=policy, enrollment_key=key, hours=2,
        )
        module = Module(course=course, slug="m", title={"en": "Module"})
        for index in range(activities):
            db.session.add(Activity(
                course=course, module=module, slug=f"a{index}", type_key=type_key, title={"en": f"A{index}"},
                content={"en": "Text"}, settings={"completion": "mark"}, position=index,
                prerequisites=[f"a{index - 1}"] if index else [],
            ))
        db.session.add(course)
        db.session.commit()
    return slug


def enroll_user(app, user, slug, role=TRAINEE, group=None):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        enroll(db.session.get(User, user.id), course, role=role, group=group_named(course, group, create=True))
        db.session.commit()


def complete(app, user, slug, activity_slug, status=COMPLETED, score=None):
    with app.app_context():
        enrollment = db.session.scalar(
            select(Enrollment).join(Course).where(Enrollment.user_id == user.id, Course.slug == slug)
        )
        activity = db.session.scalar(select(Activity).where(Activity.course_id == enrollment.course_id, Activity.slug == activity_slug))
        record(enrollment, activity, status, score=score)
        db.session.commit()


def make_token(app, user, name="test"):
    with app.app_context():
        _api_token, token = tokens.create_token(db.session.get(User, user.id), name)
        db.session.commit()
    return token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(app, client, create_user):
    """api(role="trainee") -> (user, headers): a fresh user with a token, and the headers that send it."""

    def api(role="trainee", **kwargs):
        user = create_user(role=role, **kwargs)
        return user, bearer(make_token(app, user))

    return api


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# --- tokens ---------------------------------------------------------------------------


def test_a_token_made_with_the_cli_is_shown_once_stored_hashed_and_works(app, runner, client, create_user):
    user = create_user(email="dana@example.kz")
    result = runner.invoke(args=["lms", "tokens", "create", "Dana@Example.kz", "--name", "laptop"])
    assert result.exit_code == 0, result.output
    token = TOKEN.search(result.output).group(0)
    with app.app_context():
        stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
        assert stored.name == "laptop" and not stored.revoked and stored.last_used_at is None
        assert stored.token_hash == tokens.hash_token(token) != token
        assert "api_token.created" in db.session.scalars(select(AuditEntry.action)).all()

    response = client.get("/api/v1/me/progress", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"courses": []}
    assert "Set-Cookie" not in response.headers  # a token request starts no session
    with app.app_context():
        assert db.session.get(ApiToken, stored.id).last_used_at is not None

    listing = runner.invoke(args=["lms", "tokens", "list", "dana@example.kz"])
    assert listing.exit_code == 0, listing.output
    assert f"{stored.id}\tlaptop\tactive" in listing.output
    assert token not in listing.output and stored.token_hash not in listing.output


def test_cli_refuses_unknown_and_deactivated_accounts_and_unknown_tokens(runner, create_user):
    create_user(email="gone@example.kz", active=False)
    assert runner.invoke(args=["lms", "tokens", "create", "nobody@example.kz"]).exit_code != 0
    result = runner.invoke(args=["lms", "tokens", "create", "gone@example.kz"])
    assert result.exit_code != 0 and "No active account" in result.output
    assert runner.invoke(args=["lms", "tokens", "list", "nobody@example.kz"]).exit_code != 0
    assert runner.invoke(args=["lms", "tokens", "revoke", "999999"]).exit_code != 0


def test_a_revoked_token_gets_401(app, runner, client, create_user):
    user = create_user()
    token = make_token(app, user)
    assert client.get("/api/v1/courses", headers=bearer(token)).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    result = runner.invoke(args=["lms", "tokens", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    response = client.get("/api/v1/courses", headers=bearer(token))
    assert_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert runner.invoke(args=["lms", "tokens", "revoke", str(token_id)]).exit_code != 0  # already revoked
    listing = runner.invoke(args=["lms", "tokens", "list", user.email])
    assert f"{token_id}\ttest\trevoked" in listing.output


@pytest.mark.parametrize("header", ["Bearer klsm_not-a-token", "Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "klsm_x"])
def test_bad_authorization_headers_get_401(client, header):
    assert_error(client.get("/api/v1/courses", headers={"Authorization": header}), 401, "invalid_token")


def test_a_deactivated_account_is_refused(app, client, api):
    user, headers = api()
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert_error(client.get("/api/v1/courses", headers=headers), 401, "account_deactivated")


def test_without_a_session_or_token_every_endpoint_but_the_document_is_401(client, sample):
    for method, url in [
        ("GET", "/api/v1/courses"), ("GET", f"/api/v1/courses/{sample}"), ("POST", f"/api/v1/courses/{sample}/enroll"),
        ("GET", "/api/v1/me/progress"), ("POST", f"/api/v1/courses/{sample}/activities/intro/complete"),
        ("GET", f"/api/v1/courses/{sample}/progress"),
    ]:
        assert_error(client.open(url, method=method), 401, "unauthorized")
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_token_failures_are_rate_limited_per_address(client, api):
    _user, headers = api()
    for _attempt in range(10):
        assert_error(client.get("/api/v1/courses", headers=bearer("klsm_wrong")), 401, "invalid_token")
    assert_error(client.get("/api/v1/courses", headers=bearer("klsm_wrong")), 429, "too_many_requests")
    assert_error(client.get("/api/v1/courses", headers=headers), 429, "too_many_requests")
    # Requests without a token are not what the limit is about.
    assert_error(client.get("/api/v1/courses"), 401, "unauthorized")


def test_good_tokens_do_not_use_up_the_limit(client, api):
    _user, headers = api()
    for _attempt in range(15):
        assert client.get("/api/v1/courses", headers=headers).status_code == 200


# --- session authentication and CSRF ------------------------------------------------------


def test_a_session_reads_freely_but_posts_need_the_csrf_header(client, login_as, sample):
    login_as("trainee")
    assert client.get("/api/v1/me/progress").status_code == 200
    assert_error(client.post(f"/api/v1/courses/{sample}/enroll", json={}), 400, "csrf_failed")
    assert_error(client.post(f"/api/v1/courses/{sample}/enroll", json={}, headers={"X-CSRFToken": "forged"}), 400, "csrf_failed")
    response = client.post(f"/api/v1/courses/{sample}/enroll", json={}, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 201, response.get_data(as_text=True)
    response = client.post(f"/api/v1/courses/{sample}/activities/intro/complete", headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_token_posts_need_no_csrf_token(client, api, sample):
    _user, headers = api()
    assert client.post(f"/api/v1/courses/{sample}/enroll", headers=headers).status_code == 201


# --- courses ------------------------------------------------------------------------------


def test_courses_lists_the_published_courses_in_the_callers_language(app, client, api, sample):
    make_course(app, "draft-course", published=False)
    _user, headers = api()
    body = client.get("/api/v1/courses", headers={**headers, "Accept-Language": "ru"}).get_json()
    assert [course["slug"] for course in body["courses"]] == [sample]
    assert body["courses"][0] == {
        "slug": sample,
        "title": "Пробный курс",
        "titles": {"en": "Sample course", "ru": "Пробный курс", "kk": "Сынақ курсы"},
        "category": "foundations",
        "hours": 3,
        "languages": ["en", "ru"],
        "enrollment_policy": "open",
    }
    assert client.get("/api/v1/courses?q=nothing-like-it", headers=headers).get_json() == {"courses": []}
    assert len(client.get("/api/v1/courses?language=ru&category=foundations", headers=headers).get_json()["courses"]) == 1


def test_a_course_comes_with_its_modules_and_activities(client, api, sample):
    _user, headers = api()
    response = client.get(f"/api/v1/courses/{sample}", headers=headers)
    assert response.status_code == 200
    course = response.get_json()["course"]
    assert course["slug"] == sample and course["title"] == "Sample course" and course["enrollment"] is None
    assert [module["slug"] for module in course["modules"]] == ["basics", "practice"]
    listening = course["modules"][0]["activities"][1]
    assert listening == {
        "slug": "listening", "type": "lesson", "title": "Active listening", "required": True, "weight": 2,
        "prerequisites": ["intro"],
    }
    assert course["modules"][1]["activities"][1]["required"] is False


def test_drafts_and_unknown_courses_are_404_but_staff_see_their_drafts(app, client, api):
    make_course(app, "draft-course", published=False)
    _trainee, headers = api()
    assert_error(client.get("/api/v1/courses/draft-course", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/courses/no-such-course", headers=headers), 404, "not_found")
    instructor, staff_headers = api("instructor")
    enroll_user(app, instructor, "draft-course", role=INSTRUCTOR)
    course = client.get("/api/v1/courses/draft-course", headers=staff_headers).get_json()["course"]
    assert course["enrollment"]["role"] == "instructor"


# --- enrolling ------------------------------------------------------------------------------


def test_enrolling_in_an_open_course_then_again(app, client, api, sample):
    user, headers = api()
    response = client.post(f"/api/v1/courses/{sample}/enroll", headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    enrollment = response.get_json()["enrollment"]
    assert (enrollment["course"], enrollment["role"], enrollment["status"], enrollment["group"]) == (sample, "trainee", "active", None)
    assert_error(client.post(f"/api/v1/courses/{sample}/enroll", headers=headers), 409, "already_enrolled")
    with app.app_context():
        assert "enrollment.created" in db.session.scalars(select(AuditEntry.action)).all()
        withdraw(db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id)))
        db.session.commit()
    assert client.post(f"/api/v1/courses/{sample}/enroll", headers=headers).status_code == 201


def test_instructors_are_not_turned_into_trainees(app, client, api, sample):
    instructor, headers = api("instructor")
    enroll_user(app, instructor, sample, role=INSTRUCTOR)
    assert_error(client.post(f"/api/v1/courses/{sample}/enroll", headers=headers), 409, "already_enrolled")
    with app.app_context():
        assert db.session.scalar(select(Enrollment.role).where(Enrollment.user_id == instructor.id)) == INSTRUCTOR


def test_a_key_course_needs_its_key(app, client, api):
    make_course(app, "keyed", policy="key", key="peace-2026")
    _user, headers = api()
    url = "/api/v1/courses/keyed/enroll"
    assert_error(client.post(url, headers=headers), 403, "enrollment_refused")
    error = assert_error(client.post(url, json={"key": "wrong"}, headers=headers), 403, "enrollment_refused")
    assert "key" in error["message"]
    assert client.post(url, json={"key": " peace-2026 "}, headers=headers).status_code == 201


def test_a_staff_only_course_refuses_self_enrollment(app, client, api):
    make_course(app, "staff-only", policy="staff")
    _user, headers = api()
    assert_error(client.post("/api/v1/courses/staff-only/enroll", json={}, headers=headers), 403, "enrollment_refused")


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"key": 42}'])
def test_enroll_refuses_a_malformed_body(client, api, sample, body):
    _user, headers = api()
    response = client.post(f"/api/v1/courses/{sample}/enroll", data=body, headers={**headers, "Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")


# --- progress ---------------------------------------------------------------------------------


def test_my_progress_per_active_enrollment(app, client, api, sample):
    make_course(app, "second", activities=2)
    make_course(app, "left", activities=1)
    user, headers = api()
    for slug in (sample, "second", "left"):
        enroll_user(app, user, slug)
    complete(app, user, sample, "intro")
    complete(app, user, "second", "a0", status=PASSED, score=0.8)
    with app.app_context():
        withdraw(db.session.scalar(select(Enrollment).join(Course).where(Enrollment.user_id == user.id, Course.slug == "left")))
        db.session.commit()
    body = client.get("/api/v1/me/progress", headers=headers).get_json()
    by_course = {entry["course"]: entry for entry in body["courses"]}
    assert set(by_course) == {sample, "second"}
    sample_progress = by_course[sample]
    assert sample_progress["percent"] == 25  # intro (weight 1) of intro, listening (2), checklist (1)
    assert sample_progress["activities"][:2] == [
        {"slug": "intro", "type": "lesson", "status": "completed", "score": None, "locked": False},
        {"slug": "listening", "type": "lesson", "status": "not_started", "score": None, "locked": False},
    ]
    assert sample_progress["activities"][2]["locked"] is True
    assert by_course["second"]["activities"][0] == {"slug": "a0", "type": "lesson", "status": "passed", "score": 0.8, "locked": False}
    assert by_course["second"]["percent"] == 50


def test_completing_respects_prerequisites_and_is_recorded(app, client, api, sample):
    user, headers = api()
    enroll_user(app, user, sample)
    url = f"/api/v1/courses/{sample}/activities/{{}}/complete"
    error = assert_error(client.post(url.format("checklist"), headers=headers), 403, "locked")
    assert error["missing_prerequisites"] == ["listening"]
    error = assert_error(client.post(url.format("listening"), headers=headers), 403, "locked")
    assert error["missing_prerequisites"] == ["intro"]

    response = client.post(url.format("intro"), headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "course": sample, "percent": 25,
        "activity": {"slug": "intro", "type": "lesson", "status": "completed", "score": None, "locked": False},
    }
    body = client.post(url.format("listening"), headers=headers).get_json()
    assert body["percent"] == 75 and body["activity"]["status"] == "completed"
    assert client.post(url.format("listening"), headers=headers).get_json()["percent"] == 75  # again: no change
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "activity.completed")).all()
        assert sorted(entry.target for entry in entries) == [f"{sample}/intro:{user.email}", f"{sample}/listening:{user.email}"]
        assert all(entry.actor_id == user.id and entry.details == {"via": "api"} for entry in entries)


def test_completing_needs_an_enrollment_and_a_self_completed_activity(app, client, api, sample):
    make_course(app, "quizzes", activities=1, type_key="quiz")
    user, headers = api()
    assert_error(client.post(f"/api/v1/courses/{sample}/activities/intro/complete", headers=headers), 403, "not_enrolled")
    enroll_user(app, user, "quizzes")
    assert_error(client.post("/api/v1/courses/quizzes/activities/a0/complete", headers=headers), 409, "not_self_completable")
    assert_error(client.post("/api/v1/courses/quizzes/activities/nope/complete", headers=headers), 404, "not_found")
    assert_error(client.post("/api/v1/courses/nope/activities/a0/complete", headers=headers), 404, "not_found")


# --- the course report ----------------------------------------------------------------------


def test_the_course_report_is_for_the_courses_staff(app, client, api, sample):
    make_course(app, "other")
    trainee, trainee_headers = api()
    enroll_user(app, trainee, sample)
    outsider, outsider_headers = api()
    enroll_user(app, outsider, "other")
    other_instructor, other_headers = api("instructor")
    enroll_user(app, other_instructor, "other", role=INSTRUCTOR)
    instructor, instructor_headers = api("instructor")
    enroll_user(app, instructor, sample, role=INSTRUCTOR)
    _admin, admin_headers = api("admin")

    url = f"/api/v1/courses/{sample}/progress"
    for headers in (trainee_headers, outsider_headers, other_headers):
        assert_error(client.get(url, headers=headers), 403, "forbidden")
    assert client.get(url, headers=instructor_headers).status_code == 200
    assert client.get(url, headers=admin_headers).status_code == 200
    assert client.get("/api/v1/courses/other/progress", headers=other_headers).status_code == 200


def test_the_course_report_lists_active_trainees_a_page_at_a_time(app, client, api, create_user, sample):
    instructor, headers = api("instructor")
    enroll_user(app, instructor, sample, role=INSTRUCTOR)
    learners = [create_user(name=f"Learner {index}", email=f"learner{index}@example.kz") for index in range(3)]
    for learner in learners:
        enroll_user(app, learner, sample, group="Almaty" if learner is learners[0] else None)
    complete(app, learners[0], sample, "intro")
    gone = create_user(name="Aaa Gone")
    enroll_user(app, gone, sample)
    with app.app_context():
        withdraw(db.session.scalar(select(Enrollment).where(Enrollment.user_id == gone.id)))
        db.session.commit()

    body = client.get(f"/api/v1/courses/{sample}/progress?per_page=2", headers=headers).get_json()
    assert (body["course"], body["page"], body["per_page"], body["total"], body["pages"]) == (sample, 1, 2, 3, 2)
    assert [activity["slug"] for activity in body["activities"]] == ["intro", "listening", "checklist", "further-reading"]
    first = body["learners"][0]
    assert (first["email"], first["name"], first["group"], first["percent"]) == ("learner0@example.kz", "Learner 0", "Almaty", 25)
    assert first["activities"][0] == {"slug": "intro", "status": "completed", "score": None}
    assert [learner["email"] for learner in body["learners"]] == ["learner0@example.kz", "learner1@example.kz"]
    second = client.get(f"/api/v1/courses/{sample}/progress?page=2&per_page=2", headers=headers).get_json()
    assert [learner["email"] for learner in second["learners"]] == ["learner2@example.kz"]
    assert client.get(f"/api/v1/courses/{sample}/progress?page=9", headers=headers).get_json()["learners"] == []
    for query in ("page=0", "page=x", "per_page=101", "per_page=-1", "per_page=1.5"):
        assert_error(client.get(f"/api/v1/courses/{sample}/progress?{query}", headers=headers), 400, "bad_request")


# --- errors ---------------------------------------------------------------------------------


def test_unknown_paths_and_methods_under_api_are_json(client, api, sample):
    _user, headers = api()
    assert_error(client.get("/api/v1/no-such-thing", headers=headers), 404, "not_found")
    assert_error(client.post("/api/v1/no-such-thing"), 404, "not_found")
    response = client.get(f"/api/v1/courses/{sample}/enroll", headers=headers)
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert_error(client.delete("/api/v1/courses", headers=headers), 405, "method_not_allowed")
    assert not client.get("/no-such-page").is_json  # the rest of the site keeps its HTML pages


def test_a_failure_is_a_json_500(app, client, api, monkeypatch):
    _user, headers = api()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("lms.api.views.courses.catalog", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert_error(client.get("/api/v1/courses", headers=headers), 500, "internal_server_error")


# --- the OpenAPI document ------------------------------------------------------------------


def test_the_openapi_document_describes_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.1")
    assert set(document["components"]["securitySchemes"]) == {"bearerToken", "sessionCookie"}
    assert "Error" in document["components"]["schemas"]
    prefix = document["servers"][0]["url"]

    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix(prefix), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert len(routes) == 11
    assert routes == documented

    def resolve(parameter):
        if "$ref" in parameter:
            return document["components"]["parameters"][parameter["$ref"].rpartition("/")[2]]
        return parameter

    for path, method in documented:
        operation = document["paths"][path][method]
        assert operation["responses"], (path, method)
        parameters = [resolve(p) for p in document["paths"][path].get("parameters", []) + operation.get("parameters", [])]
        assert set(re.findall(r"{(\w+)}", path)) == {p["name"] for p in parameters if p["in"] == "path"}, path


# --- statement counts -------------------------------------------------------------------------


def statements_for(app, client, url, headers):
    client.get(url, headers=headers)  # the token's last_used_at is touched on the first request
    with counting_statements(app) as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert any("FROM enrollments" in statement for statement in statements)  # the listener sees the request's queries
    return len(statements)


def test_my_progress_takes_the_same_statements_however_many_courses_and_activities(app, client, api):
    make_course(app, "small", activities=2)
    few, few_headers = api()
    enroll_user(app, few, "small")
    many, many_headers = api()
    for index in range(4):
        make_course(app, f"big{index}", activities=12)
        enroll_user(app, many, f"big{index}")
        complete(app, many, f"big{index}", "a0")
    assert statements_for(app, client, "/api/v1/me/progress", many_headers) == statements_for(
        app, client, "/api/v1/me/progress", few_headers
    )


def test_the_course_report_takes_the_same_statements_however_many_learners_and_activities(app, client, api, create_user):
    make_course(app, "small", activities=2)
    make_course(app, "big", activities=15)
    instructor, headers = api("instructor")
    enroll_user(app, instructor, "small", role=INSTRUCTOR)
    enroll_user(app, instructor, "big", role=INSTRUCTOR)
    enroll_user(app, create_user(), "small")
    for index in range(12):
        learner = create_user()
        enroll_user(app, learner, "big", group=f"Group {index % 3}")
        complete(app, learner, "big", "a0")
    small = statements_for(app, client, "/api/v1/courses/small/progress", headers)
    big = statements_for(app, client, "/api/v1/courses/big/progress?per_page=10", headers)
    assert big == small
