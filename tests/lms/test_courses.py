"""Courses in the browser: catalog, course page, enrolling, lessons, files, dashboard.

The sample course (tests/fixtures/courses/sample-course) is imported for most tests:
intro (completed on view) -> listening (weight 2, "mark as done", needs intro) ->
checklist (needs listening), and further-reading (optional). Required weight: 4.
"""
import re
import shutil

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.courses import packages
from lms.courses.models import Activity, Course, Module
from lms.enrollments.models import INSTRUCTOR, Enrollment
from lms.enrollments.services import enroll
from lms.extensions import db
from lms.progress.models import COMPLETED, IN_PROGRESS, Progress
from lms.progress.services import record
from tests.conftest import FIXTURES, counting_statements

SAMPLE = FIXTURES / "courses" / "sample-course"
COURSE = "/courses/sample-course"


@pytest.fixture
def sample(app, create_user):
    """Import the sample course with an instructor; returns the instructor."""
    instructor = create_user(role="instructor", name="Dina Instructor")
    with app.app_context():
        report = packages.import_package(SAMPLE, app.extensions["lms_plugins"])
        enroll(db.session.get(User, instructor.id), report.course, role=INSTRUCTOR)
        db.session.commit()
    return instructor


def add_course(slug, title=None, description=None, category="general", languages=("en",), published=True,
               policy="open", key=None, activities=1, modules=1, content="Lesson text."):
    """A course straight in the database, with `activities` lessons spread over `modules` modules."""
    course = Course(
        slug=slug, title=title or {"en": slug.replace("-", " ").title()}, description=description or {"en": ""},
        category=category, languages=list(languages), published=published, enrollment_policy=policy,
        enrollment_key=key, hours=2,
    )
    db.session.add(course)
    rows = [Module(course=course, slug=f"m{n}", title={"en": f"Module {n}"}, position=n) for n in range(modules)]
    for position in range(activities):
        db.session.add(Activity(
            course=course, module=rows[position * modules // activities], slug=f"a{position}", type_key="lesson",
            title={"en": f"Step {position}"}, content={"en": content}, position=position,
            prerequisites=[f"a{position - 1}"] if position else [],
        ))
    db.session.flush()
    return course


def html_of(response):
    return response.get_data(as_text=True)


def slugs_listed(client, **params):
    """Slugs of the courses the catalog lists for these query parameters."""
    response = client.get("/courses/", query_string=params)
    assert response.status_code == 200
    return set(re.findall(r'<h2><a href="/courses/([a-z0-9-]+)">', html_of(response)))


def enrollment_of(app, user, slug="sample-course"):
    with app.app_context():
        enrollment = db.session.scalar(
            select(Enrollment).join(Course).where(Enrollment.user_id == user.id, Course.slug == slug)
        )
        if enrollment is not None:
            db.session.expunge(enrollment)
        return enrollment


def statuses(app, user, slug="sample-course"):
    """{activity slug: status} of the user's progress rows in the course."""
    with app.app_context():
        rows = db.session.execute(
            select(Activity.slug, Progress.status)
            .join(Progress, Progress.activity_id == Activity.id)
            .join(Enrollment, Enrollment.id == Progress.enrollment_id)
            .join(Course, Course.id == Activity.course_id)
            .where(Enrollment.user_id == user.id, Course.slug == slug)
        ).all()
        return dict(rows)


def progress_value(html):
    match = re.search(r'<progress max="100" value="(\d+)"', html)
    return int(match.group(1)) if match else None


@pytest.fixture
def trainee_in_sample(sample, login_as, submit):
    """A signed-in trainee enrolled in the sample course."""
    user = login_as("trainee")
    assert submit(f"{COURSE}/enroll").status_code == 302
    return user


# --- catalog --------------------------------------------------------------------------


@pytest.fixture
def catalog_courses(app, sample):
    with app.app_context():
        add_course(
            "school-kk", category="schools", languages=("kk", "ru"),
            title={"en": "Mediation at school", "ru": "Школьная медиация", "kk": "Мектептегі медиация"},
            description={"en": "For teachers.", "ru": "Для учителей.", "kk": "Оқушылар арасындағы дауларды шешу."},
        )
        add_course("community-draft", title={"en": "Community draft"}, category="community", published=False)
        db.session.commit()


def test_catalog_lists_published_courses(client, catalog_courses):
    assert slugs_listed(client) == {"sample-course", "school-kk"}
    html = html_of(client.get("/courses/"))
    assert "Dina Instructor" in html
    assert 'value="community"' not in html  # a draft's category is not offered either


@pytest.mark.parametrize("query, expected", [
    ("sample", {"sample-course"}),
    ("SAMPLE COURSE", {"sample-course"}),
    ("ПРОБНЫЙ", {"sample-course"}),  # Russian title, other case
    ("небольшой курс", {"sample-course"}),  # Russian description
    ("СЫНАҚ", {"sample-course"}),  # Kazakh title "Сынақ курсы"
    ("МЕКТЕПТЕГІ", {"school-kk"}),  # Kazakh І and Ә-family letters fold too
    ("дауларды", {"school-kk"}),  # Kazakh description
    ("медиация", {"school-kk"}),
    ("draft", set()),
    ("nothing like this", set()),
])
def test_catalog_search(client, catalog_courses, query, expected):
    assert slugs_listed(client, q=query) == expected


def test_catalog_says_when_nothing_matches(client, catalog_courses):
    assert "No courses match." in html_of(client.get("/courses/?q=zzzz"))


def test_catalog_filters_by_language_and_category(client, catalog_courses):
    assert slugs_listed(client, language="kk") == {"school-kk"}
    assert slugs_listed(client, language="en") == {"sample-course"}
    assert slugs_listed(client, language="ru") == {"sample-course", "school-kk"}
    assert slugs_listed(client, category="schools") == {"school-kk"}
    assert slugs_listed(client, category="community") == set()
    assert slugs_listed(client, category="foundations", q="пробный") == {"sample-course"}
    assert slugs_listed(client, category="schools", language="en") == set()


def test_drafts_are_404_for_everyone_but_their_staff(app, client, catalog_courses, login_as, create_user, auth):
    assert client.get("/courses/community-draft").status_code == 404
    login_as("trainee")
    assert client.get("/courses/community-draft").status_code == 404
    assert client.get("/courses/community-draft/a/a0").status_code == 404
    auth.logout()
    login_as("instructor")  # an instructor, but not of this course
    assert client.get("/courses/community-draft").status_code == 404
    auth.logout()
    login_as("admin")
    response = client.get("/courses/community-draft")
    assert response.status_code == 200
    assert "Draft" in html_of(response)
    teacher = create_user(role="instructor")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "community-draft"))
        enroll(db.session.get(User, teacher.id), course, role=INSTRUCTOR)
        db.session.commit()
    auth.logout()
    auth.login(teacher)
    assert client.get("/courses/community-draft").status_code == 200
    assert client.get("/courses/community-draft/a/a0").status_code == 200


def test_no_course_is_404(client):
    assert client.get("/courses/no-such-course").status_code == 404


# --- course page and enrolling --------------------------------------------------------


def test_course_page_shows_syllabus_hours_and_instructors(client, sample):
    response = client.get(COURSE)
    assert response.status_code == 200
    html = html_of(response)
    for text in ("Sample course", "A small course for tests.", "3 hours", "Dina Instructor", "Syllabus",
                 "1. Basics", "2. Practice", "Introduction", "Active listening", "Checklist", "Further reading",
                 "optional"):
        assert text in html, text
    assert html.index("Introduction") < html.index("Active listening") < html.index("Checklist")
    assert "Sign in to enroll" in html
    assert "/enroll" not in html
    assert f'href="{COURSE}/a/intro"' not in html  # activities open only after enrolling


def test_open_course_offers_an_enroll_button(client, sample, login_as):
    login_as("trainee")
    html = html_of(client.get(COURSE))
    assert f'action="{COURSE}/enroll"' in html
    assert 'name="key"' not in html
    assert ">Enroll</button>" in html


def test_enrolling_in_an_open_course(app, client, sample, login_as, submit):
    user = login_as("trainee")
    response = submit(f"{COURSE}/enroll")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(COURSE)
    html = html_of(client.get(COURSE))
    assert "You are enrolled in Sample course." in html
    assert progress_value(html) == 0
    assert f'href="{COURSE}/a/intro">Continue: Introduction</a>' in html.replace("\n", "")
    assert f'action="{COURSE}/enroll"' not in html
    enrollment = enrollment_of(app, user)
    assert (enrollment.role, enrollment.status) == ("trainee", "active")
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "enrollment.created", AuditEntry.target == f"sample-course:{user.email}")
        ) is not None


def test_enrolling_needs_the_csrf_token(app, client, sample, login_as):
    user = login_as("trainee")
    assert client.post(f"{COURSE}/enroll").status_code == 400
    assert enrollment_of(app, user) is None


def test_enrolling_needs_signing_in(client, sample, submit):
    response = submit(f"{COURSE}/enroll")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.fixture
def keyed(app, sample):
    with app.app_context():
        add_course("keyed", policy="key", key="RIGHT-KEY-42")
        db.session.commit()


def test_course_with_a_key_asks_for_it(client, keyed, login_as):
    login_as("trainee")
    html = html_of(client.get("/courses/keyed"))
    assert 'name="key"' in html
    assert 'action="/courses/keyed/enroll"' in html


@pytest.mark.parametrize("key", ["", "wrong-key", "right-key-42"])
def test_a_wrong_key_is_refused(app, client, keyed, login_as, submit, key):
    user = login_as("trainee")
    response = submit("/courses/keyed/enroll", {"key": key})
    assert response.status_code == 303
    assert "The enrollment key is not correct." in html_of(client.get("/courses/keyed"))
    assert enrollment_of(app, user, "keyed") is None


def test_the_right_key_enrolls(app, client, keyed, login_as, submit):
    user = login_as("trainee")
    assert submit("/courses/keyed/enroll", {"key": " RIGHT-KEY-42 "}).status_code == 302
    assert enrollment_of(app, user, "keyed").is_active
    assert progress_value(html_of(client.get("/courses/keyed"))) == 0


def test_staff_only_course_has_no_button_and_refuses_a_post(app, client, sample, login_as, submit):
    with app.app_context():
        add_course("staff-only", policy="staff")
        db.session.commit()
    user = login_as("trainee")
    html = html_of(client.get("/courses/staff-only"))
    assert "The course staff enroll people in this course." in html
    assert 'action="/courses/staff-only/enroll"' not in html
    response = submit("/courses/staff-only/enroll")
    assert response.status_code == 303
    assert "Only the course staff can enroll people in this course." in html_of(client.get("/courses/staff-only"))
    assert enrollment_of(app, user, "staff-only") is None


# --- lessons --------------------------------------------------------------------------


def test_lesson_renders_markdown_with_package_images(client, trainee_in_sample):
    response = client.get(f"{COURSE}/a/intro")
    assert response.status_code == 200
    html = html_of(response)
    assert "<h2" in html and "What mediation is</h2>" in html
    assert "<table>" in html and "<th>Principle</th>" in html and "<td>Voluntariness</td>" in html
    assert 'class="footnote"' in html and "Within the limits the law sets." in html
    assert f'src="{COURSE}/files/lessons/images/stages.svg"' in html
    assert "Mark as done" not in html  # completed on view


def test_lesson_in_the_learners_language(client, sample, login_as, submit):
    login_as("trainee", locale="ru")
    submit(f"{COURSE}/enroll")
    html = html_of(client.get(f"{COURSE}/a/intro"))
    assert "Что такое медиация" in html
    assert f'src="{COURSE}/files/lessons/images/stages.svg"' in html


def test_lesson_falls_back_when_the_language_is_missing(client, sample, login_as, submit):
    login_as("trainee", locale="kk")  # the sample course has no Kazakh lessons
    submit(f"{COURSE}/enroll")
    assert "What mediation is" in html_of(client.get(f"{COURSE}/a/intro"))


def test_lesson_markdown_is_sanitised(app, client, login_as, submit):
    evil = (
        "# Title\n\n<script>alert('x')</script>\n\n<img src=x onerror=\"alert('y')\">\n\n"
        "[click](javascript:alert('z'))\n\n<iframe src=\"https://example.com\"></iframe>\n\n"
        "<a href=\"https://example.com\" onclick=\"steal()\">site</a>\n\n```\n<b>code</b>\n```\n"
    )
    with app.app_context():
        add_course("evil", content=evil)
        db.session.commit()
    login_as("trainee")
    submit("/courses/evil/enroll")
    html = html_of(client.get("/courses/evil/a/a0"))
    lesson = html[html.index('class="lesson"'):]
    for bad in ("<script>alert", "onerror", "javascript:", "<iframe", "onclick"):
        assert bad not in lesson, bad
    assert "&lt;b&gt;code&lt;/b&gt;" in lesson
    assert 'href="https://example.com"' in lesson


def test_previous_and_next_links(client, trainee_in_sample):
    client.get(f"{COURSE}/a/intro")
    html = html_of(client.get(f"{COURSE}/a/listening"))
    assert f'href="{COURSE}/a/intro" rel="prev"' in html
    assert f'href="{COURSE}/a/checklist" rel="next"' in html
    first = html_of(client.get(f"{COURSE}/a/intro"))
    assert 'rel="prev"' not in first
    assert f'href="{COURSE}/a/listening" rel="next"' in first


def test_completion_on_view(app, client, trainee_in_sample):
    client.get(f"{COURSE}/a/intro")
    assert statuses(app, trainee_in_sample) == {"intro": COMPLETED}
    assert progress_value(html_of(client.get(COURSE))) == 25


def test_mark_as_done(app, client, trainee_in_sample, submit):
    client.get(f"{COURSE}/a/intro")
    html = html_of(client.get(f"{COURSE}/a/listening"))
    assert "Mark as done" in html
    assert f'action="{COURSE}/a/listening/submit"' in html
    assert statuses(app, trainee_in_sample)["listening"] == IN_PROGRESS
    response = submit(f"{COURSE}/a/listening/submit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{COURSE}/a/checklist")
    assert statuses(app, trainee_in_sample)["listening"] == COMPLETED
    client.get(f"{COURSE}/a/listening")  # looking at it again does not undo it
    assert statuses(app, trainee_in_sample)["listening"] == COMPLETED
    assert progress_value(html_of(client.get(COURSE))) == 75


def test_finishing_the_last_activity_says_so(app, client, trainee_in_sample, submit):
    client.get(f"{COURSE}/a/intro")
    submit(f"{COURSE}/a/listening/submit")
    client.get(f"{COURSE}/a/checklist")
    client.get(f"{COURSE}/a/further-reading")
    html = html_of(client.get(COURSE))
    assert progress_value(html) == 100
    assert "You have finished every activity of this course." in html


def test_a_locked_activity_is_403_and_names_its_prerequisite(app, client, trainee_in_sample, submit):
    response = client.get(f"{COURSE}/a/listening")
    assert response.status_code == 403
    html = html_of(response)
    assert "This activity opens when you have finished:" in html
    assert f'<a href="{COURSE}/a/intro">Introduction</a>' in html
    assert submit(f"{COURSE}/a/listening/submit").status_code == 403
    assert client.get(f"{COURSE}/a/checklist").status_code == 403
    assert statuses(app, trainee_in_sample) == {}
    assert "Opens after: Introduction" in html_of(client.get(COURSE))


def test_activities_need_an_enrollment(app, client, sample, login_as, submit):
    assert client.get(f"{COURSE}/a/intro").status_code == 302  # to sign in
    user = login_as("trainee")
    response = client.get(f"{COURSE}/a/intro")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(COURSE)
    assert submit(f"{COURSE}/a/intro/submit").status_code == 302
    assert statuses(app, user) == {}


def test_staff_preview_records_nothing(app, client, sample, auth):
    auth.login(sample)
    response = client.get(f"{COURSE}/a/checklist")
    assert response.status_code == 200
    assert "Preview: you are not enrolled, so nothing is recorded." in html_of(response)
    with app.app_context():
        assert db.session.scalar(select(Progress)) is None


def test_course_instructors_are_not_learners(app, client, sample, auth, submit):
    auth.login(sample)
    html = html_of(client.get(COURSE))
    assert "You teach this course." in html
    assert progress_value(html) is None
    assert f'action="{COURSE}/enroll"' not in html and f'action="{COURSE}/withdraw"' not in html
    assert f'href="{COURSE}/a/checklist"' in html  # staff may open every activity
    submit(f"{COURSE}/enroll")  # a stray self-enrollment does not demote them
    assert enrollment_of(app, sample).role == "instructor"


def test_unknown_or_archived_activity_is_404(app, client, trainee_in_sample):
    assert client.get(f"{COURSE}/a/nothing").status_code == 404
    with app.app_context():
        activity = db.session.scalar(select(Activity).where(Activity.slug == "further-reading"))
        activity.archived = True
        db.session.commit()
    assert client.get(f"{COURSE}/a/further-reading").status_code == 404


def test_withdraw_then_reenroll_keeps_progress(app, client, trainee_in_sample, submit):
    client.get(f"{COURSE}/a/intro")
    before = enrollment_of(app, trainee_in_sample)
    response = submit(f"{COURSE}/withdraw")
    assert response.status_code == 302
    html = html_of(client.get(COURSE))
    assert "Your progress is kept if you enroll again." in html
    assert "Enroll again" in html and "Your earlier progress is kept." in html
    assert progress_value(html) is None
    assert enrollment_of(app, trainee_in_sample).status == "withdrawn"
    assert client.get(f"{COURSE}/a/intro").status_code == 302
    assert "You are not enrolled in any course yet." in html_of(client.get("/dashboard"))

    assert submit(f"{COURSE}/enroll").status_code == 302
    after = enrollment_of(app, trainee_in_sample)
    assert (after.id, after.status, after.enrolled_at) == (before.id, "active", before.enrolled_at)
    assert statuses(app, trainee_in_sample) == {"intro": COMPLETED}
    assert progress_value(html_of(client.get(COURSE))) == 25


def test_withdrawing_when_not_enrolled_is_400(client, sample, login_as, submit):
    login_as("trainee")
    assert submit(f"{COURSE}/withdraw").status_code == 400


# --- course files ---------------------------------------------------------------------

SVG = f"{COURSE}/files/lessons/images/stages.svg"


def test_course_files_for_enrolled_learners(client, trainee_in_sample):
    response = client.get(SVG)
    assert response.status_code == 200
    assert response.data == (SAMPLE / "lessons" / "images" / "stages.svg").read_bytes()
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_course_files_for_staff(client, sample, auth, login_as):
    auth.login(sample)
    assert client.get(SVG).status_code == 200
    auth.logout()
    login_as("admin")
    assert client.get(SVG).status_code == 200


def test_course_files_refused_to_others(client, sample, login_as):
    response = client.get(SVG)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    login_as("trainee")
    response = client.get(SVG)
    assert response.status_code == 403
    assert b"<svg" not in response.data


@pytest.fixture
def other_course_files(app, sample, tmp_path):
    """A second course with files of its own, beside the sample course's folder."""
    other = tmp_path / "other"
    shutil.copytree(SAMPLE, other)
    manifest = other / "course.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"sample-course"', '"other-course"'), encoding="utf-8")
    (other / "lessons" / "images" / "secret.svg").write_text("<svg>secret</svg>", encoding="utf-8")
    with app.app_context():
        packages.import_package(other, app.extensions["lms_plugins"])
        db.session.commit()


@pytest.mark.parametrize("path", [
    "../other-course/lessons/images/secret.svg",
    "..%2Fother-course%2Flessons%2Fimages%2Fsecret.svg",
    "lessons/../../other-course/lessons/images/secret.svg",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "../../../../../../etc/passwd",
    "lessons/images/missing.svg",
    "course.toml",
    "lessons/intro.en.md",
])
def test_course_file_paths_cannot_leave_the_course(client, trainee_in_sample, other_course_files, path):
    response = client.get(f"{COURSE}/files/{path}")
    assert response.status_code == 404
    assert b"<svg>secret</svg>" not in response.data and b"root:" not in response.data


# --- dashboard ------------------------------------------------------------------------


def test_dashboard_lists_my_courses_with_progress_and_continue(client, trainee_in_sample):
    client.get(f"{COURSE}/a/intro")
    html = html_of(client.get("/dashboard"))
    assert "My courses" in html
    panel = html[html.index('class="my-courses"'):]
    assert f'<a href="{COURSE}">Sample course</a>' in panel
    assert progress_value(panel) == 25
    assert f'href="{COURSE}/a/listening">Continue</a>' in panel


def test_dashboard_without_courses(client, sample, login_as):
    login_as("trainee")
    html = html_of(client.get("/dashboard"))
    assert "You are not enrolled in any course yet." in html
    assert 'href="/courses/"' in html


def test_dashboard_for_a_course_instructor(client, sample, auth):
    auth.login(sample)
    html = html_of(client.get("/dashboard"))
    assert "You teach this course." in html
    assert progress_value(html[html.index('class="my-courses"'):]) is None


# --- statement counts -----------------------------------------------------------------


def populate(app, create_user, prefix, courses, activities, others):
    """`courses` courses of `activities` lessons (a module per 3) with `others` other people enrolled
    in each, half of them instructors; returns a trainee enrolled in all with some progress."""
    learner = create_user(name=f"{prefix} learner")
    with app.app_context():
        me = db.session.get(User, learner.id)
        people = [  # no passwords: they never sign in, and hashing is slow
            User(email=f"{prefix}-{n}@example.kz", name=f"{prefix} person {n}", role="instructor" if n % 2 else "trainee")
            for n in range(others)
        ]
        db.session.add_all(people)
        db.session.flush()
        for index in range(courses):
            course = add_course(f"{prefix}-{index}", activities=activities, modules=max(1, activities // 3))
            steps = db.session.scalars(
                select(Activity).where(Activity.course_id == course.id).order_by(Activity.position)
            ).all()
            for number, person in enumerate(people):
                other = enroll(person, course, role=INSTRUCTOR if number % 2 else "trainee")
                record(other, steps[0], COMPLETED)
            mine = enroll(me, course)
            for step in steps[: len(steps) // 2]:
                record(mine, step, COMPLETED)
        db.session.commit()
    return learner


def statements_for(app, client, auth, user, path):
    auth.login(user)
    client.get(path)  # warm up: first-request work is not what is measured
    with counting_statements(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert any("FROM enrollments" in statement for statement in statements)  # the listener sees the page's queries
    auth.logout()
    return response, len(statements)


def test_course_page_statements_do_not_grow(app, client, auth, create_user):
    small = populate(app, create_user, "small", courses=1, activities=3, others=2)
    large = populate(app, create_user, "large", courses=1, activities=30, others=20)
    small_page, small_count = statements_for(app, client, auth, small, "/courses/small-0")
    large_page, large_count = statements_for(app, client, auth, large, "/courses/large-0")
    assert "Step 29" in html_of(large_page) and "Module 9" in html_of(large_page)
    assert "large person 19" in html_of(large_page)
    assert progress_value(html_of(large_page)) == 50
    assert small_count == large_count


def test_dashboard_statements_do_not_grow(app, client, auth, create_user):
    small = populate(app, create_user, "small", courses=2, activities=3, others=0)
    large = populate(app, create_user, "large", courses=20, activities=30, others=0)
    small_page, small_count = statements_for(app, client, auth, small, "/dashboard")
    large_page, large_count = statements_for(app, client, auth, large, "/dashboard")
    assert html_of(large_page).count("<progress") == 20
    assert small_count == large_count


def test_catalog_statements_do_not_grow(app, client, auth, create_user):
    small = populate(app, create_user, "small", courses=2, activities=3, others=2)
    _, small_count = statements_for(app, client, auth, small, "/courses/")
    populate(app, create_user, "large", courses=12, activities=3, others=6)
    page, large_count = statements_for(app, client, auth, small, "/courses/")
    assert len(re.findall(r'<h2><a href="/courses/', html_of(page))) == 14
    assert small_count == large_count
