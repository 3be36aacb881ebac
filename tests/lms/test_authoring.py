"""Course authoring in the browser: who may reach it, courses, modules, lessons, versions."""
import itertools
import re
import shutil
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from lms.audit.models import AuditEntry
from lms.courses import packages
from lms.courses.models import Activity, ActivityRevision, Course, Module
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.progress.models import Progress
from tests.conftest import FIXTURES, counting_statements, csrf_token

SLUGS = itertools.count(1)


# --- helpers ------------------------------------------------------------------------


def make_course(app, instructor=None, modules=1, lessons=2, published=False, languages=("en",)):
    """A course written straight to the database, with `lessons` lessons in each module."""
    slug = f"course-{next(SLUGS)}"
    with app.app_context():
        course = Course(
            slug=slug, title={"en": f"Course {slug}", "ru": f"Курс {slug}"}, description={"en": "About it."},
            languages=list(languages), published=published,
        )
        for m in range(modules):
            module = Module(course=course, slug=f"module-{m}", title={"en": f"Module {m}"}, position=m)
            for n in range(lessons):
                db.session.add(Activity(
                    course=course, module=module, type_key="lesson", slug=f"m{m}-lesson-{n}",
                    title={"en": f"Lesson {m}.{n}"}, content={"en": f"Text of lesson {m}.{n}."},
                    settings={}, position=n, revision=1,
                ))
        db.session.add(course)
        if instructor is not None:
            db.session.add(Enrollment(user_id=instructor.id, course=course, role="instructor"))
        db.session.commit()
        return SimpleNamespace(
            id=course.id, slug=slug,
            module_ids=[module.id for module in course.modules],
            activity_ids=[activity.id for activity in course.activities],
        )


def get_course(app, slug):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        if course is not None:
            db.session.expunge(course)
        return course


def outline(app, slug):
    """[(module title, [activity slugs])] of the live modules and activities, in order."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        return [
            (module.title.get("en") or module.title.get("ru"), [a.slug for a in module.activities if not a.archived])
            for module in course.modules
            if not module.archived
        ]


def module_titles(app, slug):
    return [title for title, _activities in outline(app, slug)]


def activity_row(app, activity_id):
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        db.session.expunge(activity)
        return activity


def audit_actions(app, target_prefix):
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.target.startswith(target_prefix)).order_by(AuditEntry.id)
        ).all()
        return [(entry.action, entry.target, entry.details) for entry in entries]


def post(client, path, data=None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def flashes(html):
    return [unescape(text) for text in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)]


def course_form(**overrides):
    data = {
        "slug": "conflict-basics", "title-en": "Conflict basics", "title-ru": "Основы конфликта", "title-kk": "",
        "description-en": "What a conflict is.", "category": "foundations", "hours": "4", "languages": ["en", "ru"],
        "enrollment_policy": "open", "enrollment_key": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def lesson_form(**overrides):
    data = {
        "title-en": "Active listening", "body-en": "# Listen\n\nFirst **listen**.", "body-ru": "", "body-kk": "",
        "weight": "1", "completion": "view", "required": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def edit_data(app, activity_id, **overrides):
    """The edit form of a lesson as loaded now, with `overrides` typed in."""
    activity = activity_row(app, activity_id)
    data = {
        **{f"title-{code}": activity.title.get(code, "") for code in ("en", "ru", "kk")},
        **{f"body-{code}": activity.content.get(code, "") for code in ("en", "ru", "kk")},
        "module": str(activity.module_id), "weight": str(activity.weight),
        "completion": activity.settings.get("completion", "view"), "revision": str(activity.revision),
        "prerequisites": list(activity.prerequisites),
    }
    if activity.required:
        data["required"] = "y"
    data.update(overrides)
    return data


# --- access: every authoring route x every role ---------------------------------------

# What the course's staff get from each route and method, with no form data but the CSRF token.
STAFF_STATUS = {
    ("authoring.index", "GET"): 200,
    ("authoring.new_course", "GET"): 200,
    ("authoring.new_course", "POST"): 400,  # the empty form comes back with its errors
    ("authoring.course", "GET"): 200,
    ("authoring.settings", "GET"): 200,
    ("authoring.settings", "POST"): 400,
    ("authoring.publish", "POST"): 302,
    ("authoring.add_module", "POST"): 400,
    ("authoring.edit_module", "GET"): 200,
    ("authoring.edit_module", "POST"): 400,
    ("authoring.move_module", "POST"): 302,
    ("authoring.remove_module", "POST"): 302,
    ("authoring.new_lesson", "GET"): 200,
    ("authoring.new_lesson", "POST"): 400,
    ("authoring.edit_lesson", "GET"): 200,
    ("authoring.edit_lesson", "POST"): 400,
    ("authoring.move_activity", "POST"): 302,
    ("authoring.remove_activity", "POST"): 302,
}
# Pages for any site instructor or administrator, not tied to one course.
SITE_ROUTES = {"authoring.index", "authoring.new_course"}


def authoring_requests(app, course):
    """(endpoint, method, url) for every authoring route, each method and each value of its choices."""
    found = []
    values = {"slug": [course.slug], "module_id": [course.module_ids[0]], "activity_id": [course.activity_ids[0]]}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("authoring."):
            continue
        choices = dict(values)
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                choices[name] = sorted(converter.items)
        combinations = [{}]
        for name in rule.arguments:
            combinations = [{**combination, name: choice} for combination in combinations for choice in choices[name]]
        with app.test_request_context():
            urls = [url_for(rule.endpoint, **combination) for combination in combinations]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.extend((rule.endpoint, method, url) for url in urls)
    return sorted(found)


def each_request(app, instructor=None):
    """Every authoring request, each against a fresh course (so that removing one spoils no other)."""
    count = len(authoring_requests(app, make_course(app)))
    for index in range(count):
        course = make_course(app, instructor=instructor)
        yield authoring_requests(app, course)[index]


def send(client, method, url):
    return post(client, url) if method == "POST" else client.open(url, method=method)


def test_the_matrix_covers_every_authoring_route(app):
    requests = authoring_requests(app, make_course(app))
    assert {(endpoint, method) for endpoint, method, _url in requests} == set(STAFF_STATUS)


def test_anonymous_is_sent_to_sign_in_from_every_authoring_route(app, client):
    wrong = {}
    for endpoint, method, url in each_request(app):
        response = send(client, method, url)
        location = response.headers.get("Location", "")
        next_url = parse_qs(urlsplit(location).query).get("next", [None])[0]
        if response.status_code != 302 or not location.startswith("/account/login?") or next_url != url:
            wrong[(method, url)] = (response.status_code, location)
    assert wrong == {}


def test_trainees_are_refused_every_authoring_route(app, client, login_as):
    login_as("trainee")
    wrong = {}
    for endpoint, method, url in each_request(app):
        status = send(client, method, url).status_code
        if status != 403:
            wrong[(method, url)] = status
    assert wrong == {}


def test_an_instructor_who_does_not_teach_the_course_is_refused_its_pages(app, client, login_as):
    login_as("instructor")
    wrong = {}
    for endpoint, method, url in each_request(app):
        expected = STAFF_STATUS[(endpoint, method)] if endpoint in SITE_ROUTES else 403
        status = send(client, method, url).status_code
        if status != expected:
            wrong[(method, url)] = (status, expected)
    assert wrong == {}


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_the_course_staff_reach_every_authoring_route(app, client, login_as, role):
    user = login_as(role)
    wrong = {}
    for endpoint, method, url in each_request(app, instructor=user if role == "instructor" else None):
        status = send(client, method, url).status_code
        if status != STAFF_STATUS[(endpoint, method)]:
            wrong[(method, url)] = status
    assert wrong == {}


def test_a_course_instructor_whose_site_role_is_trainee_may_edit_that_course(app, client, login_as):
    user = login_as("trainee")
    course = make_course(app, instructor=user)
    assert client.get(f"/authoring/courses/{course.slug}").status_code == 200
    assert client.get("/authoring/new").status_code == 403


def test_a_withdrawn_instructor_is_refused(app, client, login_as):
    user = login_as("instructor")
    course = make_course(app, instructor=user)
    with app.app_context():
        db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id)).status = "withdrawn"
        db.session.commit()
    assert client.get(f"/authoring/courses/{course.slug}").status_code == 403


def test_a_module_or_activity_of_another_course_is_not_found(app, client, login_as):
    user = login_as("instructor")
    mine, other = make_course(app, instructor=user), make_course(app, instructor=user)
    foreign = SimpleNamespace(slug=mine.slug, module_ids=other.module_ids, activity_ids=other.activity_ids)
    wrong = {}
    for endpoint, method, url in authoring_requests(app, foreign):
        if "module_id" not in url and "/modules/" not in url and "/activities/" not in url:
            continue
        if endpoint == "authoring.add_module":
            continue
        status = send(client, method, url).status_code
        if status != 404:
            wrong[(method, url)] = status
    assert wrong == {}
    assert outline(app, other.slug) == [("Module 0", ["m0-lesson-0", "m0-lesson-1"])]


def test_an_unknown_course_is_not_found(client, login_as):
    login_as("admin")
    assert client.get("/authoring/courses/no-such-course").status_code == 404


# --- courses --------------------------------------------------------------------------


def test_an_instructor_creates_a_course_and_teaches_it(app, client, login_as):
    user = login_as("instructor")
    response = post(client, "/authoring/new", course_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/authoring/courses/conflict-basics"
    course = get_course(app, "conflict-basics")
    assert course.title == {"en": "Conflict basics", "ru": "Основы конфликта"}
    assert course.description == {"en": "What a conflict is."}
    assert (course.category, course.hours, course.languages) == ("foundations", 4, ["en", "ru"])
    assert (course.enrollment_policy, course.enrollment_key, course.published) == ("open", None, False)
    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.course_id == course.id))
        assert (enrollment.user_id, enrollment.role, enrollment.status) == (user.id, "instructor", "active")
    assert [action for action, _target, _details in audit_actions(app, "conflict-basics")] == [
        "enrollment.created", "course.created",
    ]
    page = client.get("/authoring/courses/conflict-basics").get_data(as_text=True)
    assert "Conflict basics" in page and "Draft" in page
    assert "conflict-basics" in client.get("/authoring/").get_data(as_text=True)


def test_creating_a_course_needs_a_title_a_good_unique_slug_and_a_language(app, client, login_as):
    login_as("admin")
    make = lambda **overrides: post(client, "/authoring/new", course_form(**overrides))  # noqa: E731
    response = make(**{"title-en": "", "title-ru": ""})
    assert response.status_code == 400
    assert "Give a title in at least one language." in response.get_data(as_text=True)
    response = make(slug="Conflict Basics!")
    assert response.status_code == 400
    assert "lowercase Latin letters" in response.get_data(as_text=True)
    response = make(languages=None)
    assert response.status_code == 400
    assert "Choose at least one language." in response.get_data(as_text=True)
    response = make(hours="many")
    assert response.status_code == 400
    assert make(**{"title-en": "", "title-kk": "Жанжал негіздері"}).status_code == 302
    response = make()
    assert response.status_code == 400
    assert "Another course already uses the address conflict-basics." in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalars(select(Course.slug).where(Course.slug.startswith("conflict"))).all() == ["conflict-basics"]


def test_a_key_policy_requires_a_key(app, client, login_as):
    login_as("instructor")
    response = post(client, "/authoring/new", course_form(enrollment_policy="key"))
    assert response.status_code == 400
    assert "Give the key that learners must type to enroll." in response.get_data(as_text=True)
    assert get_course(app, "conflict-basics") is None
    assert post(client, "/authoring/new", course_form(enrollment_policy="key", enrollment_key=" mediate ")).status_code == 302
    course = get_course(app, "conflict-basics")
    assert (course.enrollment_policy, course.enrollment_key) == ("key", "mediate")
    response = post(client, "/authoring/courses/conflict-basics/settings", course_form(enrollment_key=""))
    assert response.status_code == 302  # an open course needs no key
    response = post(client, "/authoring/courses/conflict-basics/settings", course_form(enrollment_policy="key", enrollment_key=""))
    assert response.status_code == 400
    assert get_course(app, "conflict-basics").enrollment_policy == "open"


def test_editing_the_settings_keeps_the_slug_and_is_audited(app, client, login_as):
    user = login_as("instructor")
    course = make_course(app, instructor=user)
    form = client.get(f"/authoring/courses/{course.slug}/settings").get_data(as_text=True)
    assert f'value="Course {course.slug}"' in form and 'name="slug"' not in form
    response = post(client, f"/authoring/courses/{course.slug}/settings", course_form(
        slug="renamed", **{"title-en": "Mediation in practice"}, hours="12.5", category="community",
        languages=["en", "ru", "kk"], enrollment_policy="staff",
    ))
    assert response.status_code == 302
    saved = get_course(app, course.slug)
    assert get_course(app, "renamed") is None
    assert saved.title["en"] == "Mediation in practice"
    assert (saved.hours, saved.category, saved.languages, saved.enrollment_policy) == (
        12.5, "community", ["en", "ru", "kk"], "staff",
    )
    (action, _target, details), = audit_actions(app, course.slug)
    assert action == "course.updated"
    assert details["changed"] == ["category", "description", "enrollment_policy", "hours", "languages", "title"]


def test_publishing_lists_the_course_and_unpublishing_hides_it(app, client, auth, login_as, create_user):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff)
    assert course.slug not in client.get("/courses/").get_data(as_text=True)
    assert post(client, f"/authoring/courses/{course.slug}/publish").status_code == 302
    assert get_course(app, course.slug).published
    assert f"/courses/{course.slug}" in client.get("/courses/").get_data(as_text=True)
    learner = create_user()
    auth.logout()
    auth.login(learner)
    assert client.get(f"/courses/{course.slug}").status_code == 200
    auth.logout()
    auth.login(staff)
    assert post(client, f"/authoring/courses/{course.slug}/unpublish").status_code == 302
    assert post(client, f"/authoring/courses/{course.slug}/unpublish").status_code == 302  # already: nothing to do
    assert client.get(f"/courses/{course.slug}").status_code == 200  # staff still see the draft
    auth.logout()
    auth.login(learner)
    assert f"/courses/{course.slug}" not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{course.slug}").status_code == 404
    assert client.get(f"/courses/{course.slug}/a/m0-lesson-0").status_code == 404
    assert [action for action, _target, _details in audit_actions(app, course.slug)] == [
        "course.published", "course.unpublished",
    ]


def test_the_catalog_and_course_page_link_to_authoring_for_staff(app, client, auth, login_as, create_user):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff, published=True)
    assert "/authoring/new" in client.get("/courses/").get_data(as_text=True)
    assert f"/authoring/courses/{course.slug}" in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    auth.logout()
    auth.login(create_user())
    assert "/authoring/" not in client.get("/courses/").get_data(as_text=True)
    assert "/authoring/" not in client.get(f"/courses/{course.slug}").get_data(as_text=True)


# --- modules --------------------------------------------------------------------------


def test_modules_are_added_renamed_reordered_and_removed(app, client, login_as, create_user):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff)
    base = f"/authoring/courses/{course.slug}"
    assert post(client, f"{base}/modules", {"title-en": "", "title-ru": ""}).status_code == 400
    assert post(client, f"{base}/modules", {"title-ru": "Этапы медиации", "title-kk": "Медиация кезеңдері"}).status_code == 302
    assert post(client, f"{base}/modules", {"title-en": "Module 0"}).status_code == 302
    assert module_titles(app, course.slug) == ["Module 0", "Этапы медиации", "Module 0"]
    with app.app_context():
        modules = db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)).all()
        assert [module.slug for module in modules] == ["module-0", "etapy-mediatsii", "module-0-2"]
        first, second, third = (module.id for module in modules)
    assert post(client, f"{base}/modules/{second}", {"title-en": "Stages", "title-ru": "Этапы"}).status_code == 302
    assert post(client, f"{base}/modules/{second}/move/up").status_code == 302
    assert post(client, f"{base}/modules/{first}/move/down").status_code == 302  # already last but one: swaps with the third
    assert module_titles(app, course.slug) == ["Stages", "Module 0", "Module 0"]
    assert post(client, f"{base}/modules/{second}/move/up").status_code == 302  # already first: nothing moves
    with app.app_context():
        assert [m.id for m in db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position))] == [second, third, first]

    learner = create_user()
    with app.app_context():
        enrollment = Enrollment(user_id=learner.id, course_id=course.id)
        db.session.add(enrollment)
        db.session.flush()
        db.session.add(Progress(enrollment_id=enrollment.id, activity_id=course.activity_ids[0], status="completed"))
        db.session.commit()
    assert post(client, f"{base}/modules/{first}/remove").status_code == 302
    assert outline(app, course.slug) == [("Stages", []), ("Module 0", [])]
    assert activity_row(app, course.activity_ids[0]).archived
    with app.app_context():
        assert db.session.scalar(select(Progress.status).where(Progress.activity_id == course.activity_ids[0])) == "completed"
    assert client.get(f"{base}/modules/{first}").status_code == 404
    actions = [action for action, _target, _details in audit_actions(app, course.slug)]
    assert actions == ["module.added", "module.added", "module.renamed", "module.moved", "module.moved", "module.archived"]


# --- lessons --------------------------------------------------------------------------


def test_a_lesson_is_added_with_its_settings_and_first_revision(app, client, login_as):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff, lessons=1)
    module_id = course.module_ids[0]
    form = client.get(f"/authoring/courses/{course.slug}/modules/{module_id}/lessons/new").get_data(as_text=True)
    assert 'name="body-ru"' in form and 'name="prerequisites"' in form
    response = post(client, f"/authoring/courses/{course.slug}/modules/{module_id}/lessons/new", lesson_form(
        **{"body-ru": "# Слушать\r\n\r\nСначала слушать.\r\n"}, weight="2", completion="mark", required=None,
        prerequisites=["m0-lesson-0"],
    ))
    assert response.status_code == 302
    with app.app_context():
        lesson = db.session.scalar(select(Activity).where(Activity.course_id == course.id, Activity.slug == "active-listening"))
        assert response.headers["Location"] == f"/authoring/courses/{course.slug}/activities/{lesson.id}"
        assert lesson.type_key == "lesson" and lesson.module_id == module_id and lesson.position == 1
        assert lesson.title == {"en": "Active listening"}
        assert lesson.content == {"en": "# Listen\n\nFirst **listen**.", "ru": "# Слушать\n\nСначала слушать.\n"}
        assert (lesson.required, lesson.weight, lesson.settings, lesson.prerequisites) == (False, 2, {"completion": "mark"}, ["m0-lesson-0"])
        assert lesson.revision == 1
        revision, = db.session.scalars(select(ActivityRevision).where(ActivityRevision.activity_id == lesson.id)).all()
        assert (revision.revision, revision.source, revision.author_id, revision.content) == (1, "browser", staff.id, lesson.content)
    assert outline(app, course.slug) == [("Module 0", ["m0-lesson-0", "active-listening"])]
    assert ("lesson.created", f"{course.slug}:active-listening", {"revision": 1}) in audit_actions(app, course.slug)


def test_adding_a_lesson_refuses_a_taken_slug_and_a_missing_title(app, client, login_as):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff, lessons=1)
    url = f"/authoring/courses/{course.slug}/modules/{course.module_ids[0]}/lessons/new"
    response = post(client, url, lesson_form(slug="m0-lesson-0"))
    assert response.status_code == 400
    assert "Another activity of this course already uses the address m0-lesson-0." in response.get_data(as_text=True)
    response = post(client, url, lesson_form(**{"title-en": ""}))
    assert response.status_code == 400
    assert "Give a title in at least one language." in response.get_data(as_text=True)
    assert post(client, url, lesson_form(**{"title-en": "", "title-ru": "Слушание"})).status_code == 302
    assert post(client, url, lesson_form(**{"title-en": "", "title-ru": "Слушание"})).status_code == 302
    assert outline(app, course.slug) == [("Module 0", ["m0-lesson-0", "slushanie", "slushanie-2"])]


def test_a_lesson_is_edited_moved_to_another_module_and_its_history_shown(app, client, login_as):
    staff = login_as("admin", name="Aigerim Admin")
    course = make_course(app, modules=2, lessons=2)
    lesson_id = course.activity_ids[0]
    url = f"/authoring/courses/{course.slug}/activities/{lesson_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="revision" type="hidden" value="1"' in page
    assert "Text of lesson 0.0." in page
    response = post(client, url, edit_data(app, lesson_id, **{"title-kk": "Тыңдау", "body-en": "New text."}))
    assert response.status_code == 302
    response = post(client, url, edit_data(app, lesson_id, module=str(course.module_ids[1]), completion="mark"))
    assert response.status_code == 302
    lesson = activity_row(app, lesson_id)
    assert lesson.revision == 3
    assert lesson.title == {"en": "Lesson 0.0", "kk": "Тыңдау"}
    assert lesson.content == {"en": "New text."}
    assert (lesson.module_id, lesson.position, lesson.settings) == (course.module_ids[1], 2, {"completion": "mark"})
    assert outline(app, course.slug) == [
        ("Module 0", ["m0-lesson-1"]), ("Module 1", ["m1-lesson-0", "m1-lesson-1", "m0-lesson-0"]),
    ]
    with app.app_context():
        revisions = db.session.scalars(
            select(ActivityRevision).where(ActivityRevision.activity_id == lesson_id).order_by(ActivityRevision.revision)
        ).all()
        assert [(r.revision, r.source, r.author_id) for r in revisions] == [(2, "browser", staff.id), (3, "browser", staff.id)]
    page = client.get(url).get_data(as_text=True)
    history = page[page.index("Versions"):]
    assert history.count("Aigerim Admin") == 2 and "edited in the browser" in history
    updates = [details for action, _target, details in audit_actions(app, course.slug) if action == "lesson.updated"]
    assert updates == [
        {"revision": 2, "changed": ["content", "title"]},
        {"revision": 3, "changed": ["settings", "module"]},
    ]


def test_a_text_shared_by_every_language_is_kept_and_editable(app, client, login_as):
    login_as("admin")
    course = make_course(app, lessons=1)
    lesson_id = course.activity_ids[0]
    with app.app_context():
        db.session.get(Activity, lesson_id).content = {"*": "One text for all."}
        db.session.commit()
    url = f"/authoring/courses/{course.slug}/activities/{lesson_id}"
    assert 'name="shared_body"' in client.get(url).get_data(as_text=True)
    data = edit_data(app, lesson_id, **{"body-ru": "Русский текст.", "shared_body": "One text for all, revised."})
    assert post(client, url, data).status_code == 302
    assert activity_row(app, lesson_id).content == {"ru": "Русский текст.", "*": "One text for all, revised."}


def test_lessons_are_reordered_and_removed(app, client, login_as, create_user):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff, lessons=3)
    first, second, third = course.activity_ids
    base = f"/authoring/courses/{course.slug}/activities"
    with app.app_context():
        db.session.get(Activity, third).prerequisites = ["m0-lesson-1"]
        db.session.commit()
    assert post(client, f"{base}/{third}/move/up").status_code == 302
    assert post(client, f"{base}/{first}/move/up").status_code == 302  # already first
    assert outline(app, course.slug) == [("Module 0", ["m0-lesson-0", "m0-lesson-2", "m0-lesson-1"])]
    assert post(client, f"{base}/{second}/remove").status_code == 302
    assert outline(app, course.slug) == [("Module 0", ["m0-lesson-0", "m0-lesson-2"])]
    assert activity_row(app, third).prerequisites == []  # a removed activity no longer locks another
    assert client.get(f"{base}/{second}").status_code == 404
    assert [action for action, _t, _d in audit_actions(app, course.slug)] == ["activity.moved", "activity.archived"]


def test_the_preview_renders_sanitised_markdown_and_saves_nothing(app, client, login_as):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff, lessons=1)
    lesson_id = course.activity_ids[0]
    body = "## Steps\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))"
    response = post(client, f"/authoring/courses/{course.slug}/activities/{lesson_id}", edit_data(
        app, lesson_id, **{"body-en": body, "preview": "1"},
    ))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html[html.index('id="preview-heading"'):html.index('class="card authoring-form"')]
    assert "<h2>Steps</h2>" in preview and "<td>1</td>" in preview
    assert "<script" not in preview and "javascript:" not in preview
    assert "&lt;script&gt;alert" in html  # the typed text stays in the form, escaped
    assert activity_row(app, lesson_id).content == {"en": "Text of lesson 0.0."}
    assert activity_row(app, lesson_id).revision == 1
    new = post(client, f"/authoring/courses/{course.slug}/modules/{course.module_ids[0]}/lessons/new", lesson_form(
        **{"body-en": "<script>alert('x')</script> **hi**", "preview": "1"},
    ))
    assert new.status_code == 200 and "<strong>hi</strong>" in new.get_data(as_text=True)
    assert outline(app, course.slug) == [("Module 0", ["m0-lesson-0"])]


def test_a_saved_script_never_reaches_the_lesson_page(app, client, login_as):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff, lessons=1, published=True)
    lesson_id = course.activity_ids[0]
    url = f"/authoring/courses/{course.slug}/activities/{lesson_id}"
    body = "Hello <script>alert('x')</script><img src=x onerror=alert(1)>"
    assert post(client, url, edit_data(app, lesson_id, **{"body-en": body})).status_code == 302
    page = client.get(f"/courses/{course.slug}/a/m0-lesson-0").get_data(as_text=True)
    assert "Hello" in page
    assert "<script>alert" not in page and "onerror" not in page


def test_a_prerequisite_cycle_is_refused(app, client, login_as):
    staff = login_as("instructor")
    course = make_course(app, instructor=staff, lessons=3)
    first, second, third = course.activity_ids
    base = f"/authoring/courses/{course.slug}/activities"
    assert post(client, f"{base}/{second}", edit_data(app, second, prerequisites=["m0-lesson-0"])).status_code == 302
    assert post(client, f"{base}/{third}", edit_data(app, third, prerequisites=["m0-lesson-1"])).status_code == 302
    response = post(client, f"{base}/{first}", edit_data(app, first, prerequisites=["m0-lesson-2"], **{"body-en": "Changed"}))
    assert response.status_code == 400
    text = unescape(response.get_data(as_text=True))
    assert "These prerequisites would make a cycle (Lesson 0.0 → Lesson 0.2 → Lesson 0.1 → Lesson 0.0)" in text
    lesson = activity_row(app, first)
    assert (lesson.prerequisites, lesson.content, lesson.revision) == ([], {"en": "Text of lesson 0.0."}, 1)
    response = post(client, f"{base}/{first}", edit_data(app, first, prerequisites=["m0-lesson-0"]))
    assert response.status_code == 400  # itself is not a choice
    assert activity_row(app, first).prerequisites == []


def test_a_stale_form_is_refused_with_409_and_overwrites_nothing(app, client, auth, login_as, create_user):
    first_editor = login_as("instructor", name="First Editor")
    course = make_course(app, instructor=first_editor, lessons=1)
    lesson_id = course.activity_ids[0]
    url = f"/authoring/courses/{course.slug}/activities/{lesson_id}"
    stale = edit_data(app, lesson_id, **{"body-en": "Mine, from revision 1."})
    second = create_user(role="admin", name="Second Editor")
    auth.logout()
    auth.login(second)
    assert post(client, url, edit_data(app, lesson_id, **{"body-en": "Theirs."})).status_code == 302
    auth.logout()
    auth.login(first_editor)
    response = post(client, url, stale)
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert "This lesson has changed since you opened it. Nothing was saved." in html
    assert "revision 2, edited in the browser by Second Editor" in html
    assert "Mine, from revision 1." in html  # the editor's text is not lost
    lesson = activity_row(app, lesson_id)
    assert (lesson.revision, lesson.content) == (2, {"en": "Theirs."})
    assert post(client, url, edit_data(app, lesson_id, **{"body-en": "Mine, again."})).status_code == 302
    assert activity_row(app, lesson_id).revision == 3


def test_browser_edits_and_package_imports_do_not_overwrite_each_other_silently(app, client, login_as, tmp_path):
    with app.app_context():
        packages.import_package(FIXTURES / "courses" / "sample-course", app.extensions["lms_plugins"])
        db.session.commit()
        intro = db.session.scalar(select(Activity).where(Activity.slug == "intro"))
        intro_id, course_slug = intro.id, intro.course.slug
    login_as("admin", name="Browser Editor")
    url = f"/authoring/courses/{course_slug}/activities/{intro_id}"
    original = activity_row(app, intro_id).content
    as_typed = {f"body-{code}": text.replace("\n", "\r\n") for code, text in original.items()}  # a browser sends CRLF
    assert post(client, url, edit_data(app, intro_id, **as_typed, **{"title-en": "Welcome"})).status_code == 302
    assert activity_row(app, intro_id).content == original  # an untouched text stays the package's, byte for byte
    assert audit_actions(app, f"{course_slug}:intro")[-1][2]["changed"] == ["title"]
    assert post(client, url, edit_data(app, intro_id, **{"body-en": "Edited in the browser."})).status_code == 302
    loaded = edit_data(app, intro_id, **{"body-en": "A second edit, begun before the import."})

    newer = tmp_path / "sample-course"
    shutil.copytree(FIXTURES / "courses" / "sample-course", newer)
    manifest = newer / "course.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('version = "1.0.0"', 'version = "1.1.0"'), encoding="utf-8")
    with app.app_context():
        report = packages.import_package(newer, app.extensions["lms_plugins"])
        lines = list(report.lines())
    assert any(line.strip().startswith("replaced browser edit of intro (revision 3 by") for line in lines), lines
    response = post(client, url, loaded)
    assert response.status_code == 409
    page = client.get(url).get_data(as_text=True)
    history = page[page.index("Versions"):]
    assert "imported from a package" in history and "1.1.0" in history and "Browser Editor" in history


# --- performance ----------------------------------------------------------------------


def test_the_course_editor_issues_the_same_statements_however_many_lessons(app, client, login_as):
    staff = login_as("instructor")
    small = make_course(app, instructor=staff, modules=1, lessons=2)
    large = make_course(app, instructor=staff, modules=4, lessons=15)
    client.get(f"/authoring/courses/{small.slug}")
    with counting_statements(app) as few:
        assert client.get(f"/authoring/courses/{small.slug}").status_code == 200
    with counting_statements(app) as many:
        page = client.get(f"/authoring/courses/{large.slug}")
    assert page.status_code == 200 and page.get_data(as_text=True).count('id="activity-') == 60
    assert any("FROM activities" in statement for statement in few)  # the listener sees the page's queries
    assert len(many) == len(few), many
