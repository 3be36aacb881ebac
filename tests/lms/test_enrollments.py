"""Course people for the course staff: who may open the pages, the list, adding people one by
one or from a CSV file, withdrawing and enrolling again, groups, and statement counts."""
import io
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.courses.models import Activity, Course, Module
from lms.enrollments import services
from lms.enrollments.models import ACTIVE, WITHDRAWN, Enrollment
from lms.extensions import db
from lms.progress.models import COMPLETED, Progress
from lms.progress.services import record
from tests.conftest import counting_statements, csrf_token

SLUG = "people-course"
PEOPLE = f"/courses/{SLUG}/people"


# --- helpers ------------------------------------------------------------------------


def make_course(slug=SLUG, activities=3, published=True):
    """A course with one module of `activities` lessons, built directly in the database."""
    course = Course(slug=slug, title={"en": slug.replace("-", " ").title()}, languages=["en"], published=published)
    module = Module(course=course, slug="m", title={"en": "Module"})
    db.session.add_all([course, module])
    for position in range(activities):
        db.session.add(
            Activity(course=course, module=module, type_key="lesson", slug=f"a{position}", title={"en": f"A{position}"},
                     content={"en": "Text"}, position=position)
        )
    db.session.flush()
    return course


def course_named(slug=SLUG):
    return db.session.scalar(select(Course).where(Course.slug == slug))


def user_named(email):
    return db.session.scalar(select(User).where(User.email == email))


def enroll(app, user, slug=SLUG, role="trainee", group=None):
    """Enroll a user (or an email) and return the enrollment id."""
    with app.app_context():
        course = course_named(slug)
        person = user_named(getattr(user, "email", user))
        enrollment = services.enroll(person, course, role=role, group=services.group_named(course, group, create=True))
        db.session.commit()
        return enrollment.id


def add_people(app, count, prefix, slug=SLUG, group=None, status=ACTIVE):
    """Many enrolled users at once, without hashing a password for each."""
    with app.app_context():
        course = course_named(slug)
        group_row = services.group_named(course, group, create=True)
        users = [User(email=f"{prefix}-{number:03d}@example.kz", name=f"{prefix.title()} {number:03d}") for number in range(count)]
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all(Enrollment(user=user, course=course, group=group_row, status=status) for user in users)
        db.session.commit()


def enrollment_row(app, enrollment_id):
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        db.session.expunge(enrollment)
        return enrollment


def enrollment_count(app, slug=SLUG):
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Enrollment).join(Course).where(Course.slug == slug)
        )


def group_names(app, slug=SLUG):
    with app.app_context():
        return [group.name for group in services.groups_of(course_named(slug))]


def audit_actions(app, prefix):
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
        ).all()


def post(client, path, data=None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def upload(client, path, text, filename="people.csv"):
    data = {"file": (io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), filename)}
    return post(client, path, data, content_type="multipart/form-data")


def flashes(html):
    return [unescape(text) for text in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)]


def listed_emails(html):
    return re.findall(r"<td>([\w.+-]+@example\.kz)</td>", html)


@pytest.fixture
def course(app):
    with app.app_context():
        make_course()
        make_course("other-course")
        db.session.commit()
    return SLUG


# --- access: every route x every kind of user -----------------------------------------


ROLES = ["anonymous", "trainee", "enrolled trainee", "foreign instructor", "course instructor", "withdrawn instructor", "admin"]
STAFF = {"course instructor", "admin"}


def sign_in(app, role, login_as, slug=SLUG):
    """Sign in as one kind of user of the course `slug` ("other-course" is someone else's)."""
    if role == "anonymous":
        return None
    site_role = {"enrolled trainee": "trainee", "course instructor": "instructor", "foreign instructor": "instructor",
                 "withdrawn instructor": "instructor"}.get(role, role)
    user = login_as(site_role)
    if role == "enrolled trainee":
        enroll(app, user, slug=slug)
    elif role == "course instructor":
        enroll(app, user, slug=slug, role="instructor")
    elif role == "foreign instructor":
        enroll(app, user, slug="other-course", role="instructor")
    elif role == "withdrawn instructor":
        enrollment_id = enroll(app, user, slug=slug, role="instructor")
        with app.app_context():
            services.withdraw(db.session.get(Enrollment, enrollment_id))
            db.session.commit()
    return user


@pytest.mark.parametrize("role", ROLES)
def test_people_pages_are_for_the_course_staff_only(app, client, course, create_user, login_as, role):
    target = create_user(email="target@example.kz")
    target_id = enroll(app, target)
    sign_in(app, role, login_as)
    good_csv = "email,role,group\ntarget@example.kz,trainee,North\n"
    routes = [
        ("get", PEOPLE, None, 200),
        ("get", f"{PEOPLE}/import", None, 200),
        ("upload", f"{PEOPLE}/import", good_csv, 200),
        ("post", f"{PEOPLE}/import/confirm", {"csv_text": good_csv}, 302),
        ("post", f"{PEOPLE}/groups", {"name": "South"}, 302),
        ("post", f"{PEOPLE}/{target_id}/group", {"group": ""}, 302),
        ("post", f"{PEOPLE}/{target_id}/withdraw", {}, 302),
        ("post", f"{PEOPLE}/{target_id}/reenroll", {}, 302),
        ("post", f"{PEOPLE}/add", {"email": "target@example.kz", "role": "instructor", "group": ""}, 302),
    ]
    for method, path, data, staff_status in routes:
        if method == "get":
            response = client.get(path)
        elif method == "upload":
            response = upload(client, path, data)
        else:
            response = post(client, path, data)
        if role == "anonymous":
            assert response.status_code == 302, path
            assert "/account/login" in response.headers["Location"], path
        elif role in STAFF:
            assert response.status_code == staff_status, (path, response.get_data(as_text=True)[:500])
        else:
            assert response.status_code == 403, path
    target_now = enrollment_row(app, target_id)
    if role in STAFF:
        assert (target_now.status, target_now.role) == (ACTIVE, "instructor")
        assert set(group_names(app)) == {"North", "South"}
    else:
        assert (target_now.status, target_now.role, target_now.group_id) == (ACTIVE, "trainee", None)
        assert group_names(app) == []


def test_unknown_course_and_foreign_enrollments_are_not_found(app, client, course, create_user, login_as):
    login_as("admin")
    assert client.get("/courses/no-such-course/people").status_code == 404
    stranger = create_user()
    foreign_id = enroll(app, stranger, slug="other-course")
    for action in ("withdraw", "reenroll", "group"):
        assert post(client, f"{PEOPLE}/{foreign_id}/{action}", {"group": ""}).status_code == 404
    assert enrollment_row(app, foreign_id).status == ACTIVE


def test_staff_manage_a_draft_course_that_others_cannot_see(app, client, create_user, login_as):
    with app.app_context():
        make_course(published=False)
        db.session.commit()
    instructor = login_as("instructor")
    assert client.get(PEOPLE).status_code == 403
    enroll(app, instructor, role="instructor")
    assert client.get(PEOPLE).status_code == 200


def test_the_course_page_links_staff_to_people_and_report(app, client, course, login_as):
    instructor = login_as("instructor")
    html = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert f'href="{PEOPLE}"' not in html
    enroll(app, instructor, role="instructor")
    html = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert f'href="{PEOPLE}"' in html
    assert f'href="/courses/{SLUG}/report"' in html


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_each_person_with_role_group_and_status(app, client, course, create_user, login_as):
    login_as("admin")
    enroll(app, create_user(email="ainur@example.kz", name="Ainur"), group="North")
    enroll(app, create_user(email="boris@example.kz", name="Boris"), role="instructor")
    gone = enroll(app, create_user(email="galym@example.kz", name="Galym"), group="South")
    with app.app_context():
        enrollment = db.session.get(Enrollment, gone)
        first = db.session.scalar(select(Activity).where(Activity.slug == "a0", Activity.course_id == enrollment.course_id))
        record(enrollment, first, COMPLETED)
        services.withdraw(enrollment)
        db.session.commit()
    html = client.get(PEOPLE).get_data(as_text=True)
    assert listed_emails(html) == ["ainur@example.kz", "boris@example.kz", "galym@example.kz"]
    assert "3 people" in html
    rows = dict(zip(listed_emails(html), re.split(r"<td>[\w.+-]+@example\.kz</td>", html)[1:]))
    assert "Instructor" in rows["boris@example.kz"] and "Trainee" in rows["ainur@example.kz"]
    assert re.search(r'<option value="\d+" selected>North</option>', rows["ainur@example.kz"])
    assert "Withdrawn" in rows["galym@example.kz"] and "Enroll again" in rows["galym@example.kz"]
    assert "never" in rows["ainur@example.kz"] and "never" not in rows["galym@example.kz"]

    with app.app_context():
        north = services.group_named(course_named(), "North").id
    assert listed_emails(client.get(f"{PEOPLE}?group={north}").get_data(as_text=True)) == ["ainur@example.kz"]
    assert listed_emails(client.get(f"{PEOPLE}?group=none").get_data(as_text=True)) == ["boris@example.kz"]
    assert listed_emails(client.get(f"{PEOPLE}?status=withdrawn").get_data(as_text=True)) == ["galym@example.kz"]
    assert listed_emails(client.get(f"{PEOPLE}?status=active&group={north}").get_data(as_text=True)) == ["ainur@example.kz"]
    for bad in ("?group=999999", "?group=abc", "?status=gone"):
        response = client.get(PEOPLE + bad)
        assert response.status_code == 400
        assert "Not a valid choice" in response.get_data(as_text=True)


def test_the_list_is_paginated_and_actions_keep_the_page(app, client, course, login_as):
    login_as("admin")
    add_people(app, 30, "paged")
    first = client.get(PEOPLE).get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert len(listed_emails(first)) == 25
    assert f'href="{PEOPLE}?page=2"' in first
    second = client.get(f"{PEOPLE}?page=2").get_data(as_text=True)
    assert listed_emails(second) == [f"paged-{number:03d}@example.kz" for number in range(25, 30)]
    with app.app_context():
        last = db.session.scalar(select(Enrollment.id).join(User).where(User.email == "paged-029@example.kz"))
    response = post(client, f"{PEOPLE}/{last}/withdraw?page=2&status=active")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{PEOPLE}?status=active&page=2")


# --- adding one person ------------------------------------------------------------------


def test_staff_add_a_person_by_email_with_role_and_group(app, client, course, create_user, login_as):
    instructor = login_as("instructor")
    enroll(app, instructor, role="instructor")
    person = create_user(email="dana@example.kz", name="Dana Omarova")
    with app.app_context():
        services.group_named(course_named(), "Almaty", create=True)
        db.session.commit()
        almaty = services.group_named(course_named(), "Almaty").id
    response = post(client, f"{PEOPLE}/add", {"email": " DANA@example.kz ", "role": "trainee", "group": str(almaty)},
                    follow_redirects=True)
    assert "Dana Omarova is enrolled as Trainee." in flashes(response.get_data(as_text=True))
    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == person.id))
        assert (enrollment.role, enrollment.status, enrollment.group.name) == ("trainee", ACTIVE, "Almaty")
    assert audit_actions(app, "enrollment.") == ["enrollment.created", "enrollment.created"]


@pytest.mark.parametrize("email, message", [
    ("nobody@example.kz", "No account uses nobody@example.kz."),
    ("sleeping@example.kz", "The account sleeping@example.kz is deactivated."),
    ("not-an-email", "Invalid email address."),
])
def test_adding_refuses_unknown_and_deactivated_accounts(app, client, course, create_user, login_as, email, message):
    login_as("admin")
    create_user(email="sleeping@example.kz", active=False)
    response = post(client, f"{PEOPLE}/add", {"email": email, "role": "trainee", "group": ""})
    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    assert enrollment_count(app) == 0


def test_adding_refuses_an_unknown_role_or_a_group_of_another_course(app, client, course, create_user, login_as):
    login_as("admin")
    create_user(email="dana@example.kz")
    with app.app_context():
        foreign = services.group_named(course_named("other-course"), "Elsewhere", create=True)
        db.session.commit()
        foreign_id = foreign.id
    assert post(client, f"{PEOPLE}/add", {"email": "dana@example.kz", "role": "admin", "group": ""}).status_code == 400
    assert post(client, f"{PEOPLE}/add", {"email": "dana@example.kz", "role": "trainee", "group": str(foreign_id)}).status_code == 400
    assert enrollment_count(app) == 0


# --- CSV ------------------------------------------------------------------------------------


def test_csv_dry_run_lists_every_bad_row_and_enrolls_nothing(app, client, course, create_user, login_as):
    login_as("admin")
    create_user(email="good@example.kz")
    create_user(email="sleeping@example.kz", active=False)
    text = (
        "email,role,group\n"
        "good@example.kz,trainee,North\n"  # line 2
        "nobody@example.kz,trainee,North\n"  # line 3
        "sleeping@example.kz,trainee,\n"  # line 4
        "good@example.kz,trainee,South\n"  # line 5: duplicate
        "\n"
        "GOOD@example.kz,boss,\n"  # line 7: duplicate and a bad role
    )
    response = upload(client, f"{PEOPLE}/import", text)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "5 problems: nobody will be enrolled" in html
    problems = re.findall(r"<li>Line (\d+): ([^<]+)</li>", html)
    assert problems == [
        ("3", "No account uses nobody@example.kz."),
        ("4", "The account sleeping@example.kz is deactivated."),
        ("5", "good@example.kz is already on line 2."),
        ("7", "Unknown course role boss: use trainee or instructor."),
        ("7", "good@example.kz is already on line 2."),
    ]
    assert "confirm" not in html  # no button to go ahead
    assert enrollment_count(app) == 0
    assert group_names(app) == []
    # Posting the same text to the confirmation anyway changes nothing either.
    response = post(client, f"{PEOPLE}/import/confirm", {"csv_text": text})
    assert response.status_code == 400
    assert "Nobody was enrolled: fix the problems in the file first." in flashes(response.get_data(as_text=True))
    assert enrollment_count(app) == 0
    assert group_names(app) == []


@pytest.mark.parametrize("content, message", [
    ("", "Line 1: The file is empty."),
    ("mail,role\nx@example.kz,trainee\n", "Line 1: The first line must name the columns email, role, group"),
    ("email,role,group\nx@example.kz,trainee,G,extra\n", "Line 2: This row has more values than the header has columns."),
    ("email,role,group\ngood@example.kz,trainee," + "G" * 101 + "\n", "Line 2: The group name is longer than 100 characters."),
])
def test_csv_problems_in_the_file_itself(app, client, course, create_user, login_as, content, message):
    login_as("admin")
    create_user(email="good@example.kz")
    html = unescape(upload(client, f"{PEOPLE}/import", content).get_data(as_text=True))
    assert message in html
    assert enrollment_count(app) == 0


def test_csv_that_is_not_utf8_is_refused(app, client, course, login_as):
    login_as("admin")
    response = upload(client, f"{PEOPLE}/import", "email,role,group\nжан@example.kz,trainee,\n".encode("cp1251"))
    assert response.status_code == 400
    assert "The file is not UTF-8 text." in unescape(response.get_data(as_text=True))


def test_csv_confirmation_enrolls_everyone_and_creates_groups(app, client, course, create_user, login_as):
    login_as("admin")
    for name in ("aigerim", "dmitry", "erlan"):
        create_user(email=f"{name}@example.kz")
    returning = enroll(app, "erlan@example.kz")
    with app.app_context():
        services.withdraw(db.session.get(Enrollment, returning))
        services.group_named(course_named(), "Almaty-1", create=True)
        db.session.commit()
    text = "email;role;group\naigerim@example.kz;;Almaty-1\nDmitry@example.kz;Instructor;Astana-2\nerlan@example.kz;trainee;\n"
    html = unescape(upload(client, f"{PEOPLE}/import", text).get_data(as_text=True))
    assert "Astana-2 <span class=\"meta\">(new group)</span>" in html
    assert "Almaty-1 <span" not in html
    assert "Enroll 3 people" in html
    csv_text = re.search(r'name="csv_text" type="hidden" value="([^"]*)"', html).group(1)
    response = post(client, f"{PEOPLE}/import/confirm", {"csv_text": csv_text}, follow_redirects=True)
    assert "3 people have been enrolled." in flashes(response.get_data(as_text=True))
    with app.app_context():
        enrollments = {
            enrollment.user.email: enrollment
            for enrollment in db.session.scalars(select(Enrollment).where(Enrollment.course_id == course_named().id))
        }
        assert {email: (e.role, e.status, e.group.name if e.group else None) for email, e in enrollments.items()} == {
            "aigerim@example.kz": ("trainee", ACTIVE, "Almaty-1"),
            "dmitry@example.kz": ("instructor", ACTIVE, "Astana-2"),
            "erlan@example.kz": ("trainee", ACTIVE, None),
        }
        assert enrollments["erlan@example.kz"].id == returning  # the same row, history kept
    assert sorted(group_names(app)) == ["Almaty-1", "Astana-2"]
    assert audit_actions(app, "enrollment.")[-3:] == ["enrollment.created", "enrollment.created", "enrollment.reactivated"]


# --- withdrawing, enrolling again, groups ------------------------------------------------------


def test_withdraw_and_enroll_again_keep_the_row_and_the_progress(app, client, course, create_user, login_as):
    login_as("instructor")
    with app.app_context():
        instructor = db.session.scalar(select(User).where(User.role == "instructor"))
    enroll(app, instructor, role="instructor")
    learner = create_user(email="learner@example.kz", name="Learner")
    enrollment_id = enroll(app, learner, group="North")
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        first = db.session.scalar(select(Activity).where(Activity.slug == "a0", Activity.course_id == enrollment.course_id))
        record(enrollment, first, COMPLETED, score=7)
        db.session.commit()

    response = post(client, f"{PEOPLE}/{enrollment_id}/withdraw", follow_redirects=True)
    assert "Learner has been withdrawn; their progress is kept." in flashes(response.get_data(as_text=True))
    withdrawn = enrollment_row(app, enrollment_id)
    assert withdrawn.status == WITHDRAWN and withdrawn.withdrawn_at is not None

    response = post(client, f"{PEOPLE}/{enrollment_id}/reenroll", follow_redirects=True)
    assert "Learner is enrolled again, with their earlier progress." in flashes(response.get_data(as_text=True))
    back = enrollment_row(app, enrollment_id)
    assert (back.status, back.withdrawn_at, back.role) == (ACTIVE, None, "trainee")
    with app.app_context():
        assert db.session.get(Enrollment, enrollment_id).group.name == "North"
        rows = db.session.scalars(select(Progress).where(Progress.enrollment_id == enrollment_id)).all()
        assert [(row.status, row.score) for row in rows] == [(COMPLETED, 7)]
        assert db.session.scalar(select(func.count()).select_from(Enrollment).where(Enrollment.user_id == learner.id)) == 1
    assert audit_actions(app, "enrollment.")[-2:] == ["enrollment.withdrawn", "enrollment.reactivated"]


def test_enrolling_a_deactivated_account_again_is_refused(app, client, course, create_user, login_as):
    login_as("admin")
    person = create_user(email="later-off@example.kz")
    enrollment_id = enroll(app, person)
    with app.app_context():
        services.withdraw(db.session.get(Enrollment, enrollment_id))
        db.session.get(User, person.id).active = False
        db.session.commit()
    response = post(client, f"{PEOPLE}/{enrollment_id}/reenroll", follow_redirects=True)
    assert "The account later-off@example.kz is deactivated." in flashes(response.get_data(as_text=True))
    assert enrollment_row(app, enrollment_id).status == WITHDRAWN


def test_groups_are_created_and_people_moved_between_them(app, client, course, create_user, login_as):
    login_as("admin")
    enrollment_id = enroll(app, create_user(email="mover@example.kz", name="Mover"))
    response = post(client, f"{PEOPLE}/groups", {"name": "  North  "}, follow_redirects=True)
    assert "The group North has been created." in flashes(response.get_data(as_text=True))
    response = post(client, f"{PEOPLE}/groups", {"name": "North"})
    assert response.status_code == 400
    assert "The course already has a group named North." in unescape(response.get_data(as_text=True))
    assert post(client, f"{PEOPLE}/groups", {"name": ""}).status_code == 400
    assert post(client, f"{PEOPLE}/groups", {"name": "x" * 101}).status_code == 400
    assert group_names(app) == ["North"]
    with app.app_context():
        north = services.group_named(course_named(), "North").id
        foreign = services.group_named(course_named("other-course"), "Foreign", create=True).id
        db.session.commit()

    response = post(client, f"{PEOPLE}/{enrollment_id}/group", {"group": str(north)}, follow_redirects=True)
    assert "Mover is in the group North now." in flashes(response.get_data(as_text=True))
    assert enrollment_row(app, enrollment_id).group_id == north
    assert post(client, f"{PEOPLE}/{enrollment_id}/group", {"group": str(foreign)}).status_code == 400
    assert post(client, f"{PEOPLE}/{enrollment_id}/group", {"group": "abc"}).status_code == 400
    assert enrollment_row(app, enrollment_id).group_id == north
    response = post(client, f"{PEOPLE}/{enrollment_id}/group", {"group": ""}, follow_redirects=True)
    assert "Mover is in no group now." in flashes(response.get_data(as_text=True))
    assert enrollment_row(app, enrollment_id).group_id is None
    assert audit_actions(app, "enrollment.group_changed") == ["enrollment.group_changed"] * 2
    assert audit_actions(app, "group.") == ["group.created"]


def test_forms_without_a_csrf_token_are_refused(app, client, course, create_user, login_as):
    login_as("admin")
    enrollment_id = enroll(app, create_user())
    assert client.post(f"{PEOPLE}/{enrollment_id}/withdraw").status_code == 400
    assert client.post(f"{PEOPLE}/groups", data={"name": "North"}).status_code == 400
    assert enrollment_row(app, enrollment_id).status == ACTIVE
    assert group_names(app) == []


# --- statement counts -------------------------------------------------------------------------------


def test_people_page_statements_do_not_grow_with_people_or_groups(app, client, course, login_as):
    instructor = login_as("instructor")
    enroll(app, instructor, role="instructor", group="Staff")
    add_people(app, 3, "few", group="North")
    with counting_statements(app) as few:
        html = client.get(PEOPLE).get_data(as_text=True)
    assert len(listed_emails(html)) == 4
    for number in range(6):
        add_people(app, 8, f"many{number}", group=f"Group {number}")
    add_people(app, 5, "gone", status=WITHDRAWN)
    with counting_statements(app) as many:
        html = client.get(PEOPLE).get_data(as_text=True)
    assert len(listed_emails(html)) == 25
    assert "Group 5" in html
    assert any("FROM enrollments" in statement for statement in few)
    assert len(many) == len(few), many
