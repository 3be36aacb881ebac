"""Course authoring in the browser: courses, modules and lessons changed by their staff.

Every change is audited. A lesson keeps every version: each save adds an
ActivityRevision with source "browser", and a save that started from an older revision
than the stored one is refused, so that neither another editor's work nor a package
import is overwritten unnoticed (a later package import reports the browser edit it
replaces, see lms.courses.packages).
"""
import re
import unicodedata
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from lms.audit.services import record
from lms.auth.models import utcnow
from lms.courses.models import Activity, ActivityRevision, Course, Module
from lms.courses.packages import find_cycle
from lms.enrollments.models import ACTIVE, INSTRUCTOR, Enrollment
from lms.enrollments.services import enroll
from lms.extensions import db
from lms.lessons.activity import LessonType
from lms.progress.services import course_activities

LESSON = "lesson"
BROWSER = "browser"
UP, DOWN = "up", "down"
TRANSLITERATION = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
    "һ": "h", "і": "i",
})


class AuthoringError(Exception):
    """A change the rules refuse; the message is shown to the editor, beside `field` if given."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class StaleRevision(AuthoringError):
    """The lesson was saved by someone else (or a package import) after this edit began."""

    def __init__(self, activity, latest):
        super().__init__(_("This lesson has changed since you opened it. Nothing was saved."))
        self.activity = activity
        self.latest = latest


# --- courses --------------------------------------------------------------------------


def editable_courses(user):
    """The courses this user may edit: every course for administrators, else those they teach."""
    query = select(Course).order_by(Course.published, Course.slug)
    if not user.is_admin:
        query = query.join(Enrollment, Enrollment.course_id == Course.id).where(
            Enrollment.user_id == user.id, Enrollment.role == INSTRUCTOR, Enrollment.status == ACTIVE
        )
    return db.session.scalars(query).all()


def create_course(author, slug, **settings):
    """A new course, taught by its author."""
    if db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise AuthoringError(_("Another course already uses the address %(slug)s.", slug=slug), field="slug")
    course = Course(slug=slug, **settings)
    try:
        with db.session.begin_nested():
            db.session.add(course)
    except IntegrityError:
        raise AuthoringError(_("Another course already uses the address %(slug)s.", slug=slug), field="slug") from None
    enroll(author, course, role=INSTRUCTOR, actor=author)
    record("course.created", target=slug, actor=author, published=course.published)
    return course


def update_course(course, actor, **settings):
    """Change the course's settings; publishing and unpublishing are audited as such."""
    published = settings.pop("published", course.published)
    changed = sorted(name for name, value in settings.items() if getattr(course, name) != value)
    for name in changed:
        setattr(course, name, settings[name])
    if changed:
        record("course.updated", target=course.slug, actor=actor, changed=changed)
    set_published(course, published, actor)
    return changed


def set_published(course, published, actor):
    if course.published == published:
        return False
    course.published = published
    record("course.published" if published else "course.unpublished", target=course.slug, actor=actor)
    return True


def outline(course):
    """The live modules with their live activities, in order, in two queries however many there are."""
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.archived.is_(False))
        .order_by(Module.position, Module.id)
        .options(selectinload(Module.activities))
    ).all()
    return [(module, [activity for activity in module.activities if not activity.archived]) for module in modules]


# --- modules --------------------------------------------------------------------------


def live_modules(course):
    return db.session.scalars(
        select(Module).where(Module.course_id == course.id, Module.archived.is_(False)).order_by(Module.position, Module.id)
    ).all()


def add_module(course, title, actor):
    taken = set(db.session.scalars(select(Module.slug).where(Module.course_id == course.id)))
    slug = unique_slug(title, taken, "module")
    position = db.session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id))
    module = Module(course=course, slug=slug, title=title, position=0 if position is None else position + 1)
    db.session.add(module)
    record("module.added", target=f"{course.slug}:{slug}", actor=actor)
    return module


def rename_module(module, title, actor):
    if module.title == title:
        return False
    module.title = title
    record("module.renamed", target=f"{module.course.slug}:{module.slug}", actor=actor)
    return True


def move_module(module, direction, actor):
    if shift(live_modules(module.course), module, direction):
        record("module.moved", target=f"{module.course.slug}:{module.slug}", actor=actor, direction=direction)


def archive_module(module, actor):
    """Take the module and its activities out of the course; learners' progress rows stay."""
    activities = [activity for activity in module.activities if not activity.archived]
    module.archived = True
    for activity in activities:
        activity.archived = True
    drop_prerequisites(module.course, {activity.slug for activity in activities})
    record(
        "module.archived", target=f"{module.course.slug}:{module.slug}", actor=actor,
        activities=[activity.slug for activity in activities],
    )


# --- activities and lessons -----------------------------------------------------------


def module_activities(module):
    return db.session.scalars(
        select(Activity)
        .where(Activity.module_id == module.id, Activity.archived.is_(False))
        .order_by(Activity.position, Activity.id)
    ).all()


def next_position(module):
    position = db.session.scalar(select(func.max(Activity.position)).where(Activity.module_id == module.id))
    return 0 if position is None else position + 1


def move_activity(activity, direction, actor):
    if shift(module_activities(activity.module), activity, direction):
        record("activity.moved", target=f"{activity.course.slug}:{activity.slug}", actor=actor, direction=direction)


def archive_activity(activity, actor):
    """Take the activity out of the course; learners' progress rows stay."""
    activity.archived = True
    drop_prerequisites(activity.course, {activity.slug})
    record("activity.archived", target=f"{activity.course.slug}:{activity.slug}", actor=actor, type=activity.type_key)


def prerequisite_choices(course, activity=None):
    """(slug, "Module › Activity") for every live activity of the course but `activity`."""
    return [
        (other.slug, f"{other.module.display_title} › {other.display_title}")
        for other in course_activities([course.id])
        if activity is None or other.id != activity.id
    ]


def check_prerequisites(course, slug, prerequisites):
    """Refuse prerequisites that are not live activities of the course or that close a cycle."""
    activities = course_activities([course.id])
    graph = {activity.slug: SimpleNamespace(prerequisites=activity.prerequisites) for activity in activities}
    unknown = [item for item in prerequisites if item not in graph or item == slug]
    if unknown:
        raise AuthoringError(
            _("Not an activity of this course: %(slugs)s.", slugs=", ".join(unknown)), field="prerequisites"
        )
    graph[slug] = SimpleNamespace(prerequisites=prerequisites)
    cycle = find_cycle(slug, graph)
    if cycle:
        titles = {activity.slug: activity.display_title for activity in activities}
        raise AuthoringError(
            _(
                "These prerequisites would make a cycle (%(cycle)s): no learner could ever open these activities.",
                cycle=" → ".join(titles.get(item, item) for item in cycle),
            ),
            field="prerequisites",
        )


def create_lesson(course, module, author, slug, title, content, required, weight, completion, prerequisites):
    """A new lesson at the end of `module`, at revision 1."""
    taken = set(db.session.scalars(select(Activity.slug).where(Activity.course_id == course.id)))
    if slug and slug in taken:
        raise AuthoringError(
            _("Another activity of this course already uses the address %(slug)s.", slug=slug), field="slug"
        )
    slug = slug or unique_slug(title, taken, LESSON)
    check_prerequisites(course, slug, prerequisites)
    activity = Activity(
        course_id=course.id, module_id=module.id, type_key=LESSON, slug=slug, title=title, content=content,
        settings={"completion": completion}, required=required, weight=weight, prerequisites=prerequisites,
        position=next_position(module), revision=1, updated_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(activity)
    except IntegrityError:
        raise AuthoringError(
            _("Another activity of this course already uses the address %(slug)s.", slug=slug), field="slug"
        ) from None
    add_revision(activity, author)
    record("lesson.created", target=f"{course.slug}:{slug}", actor=author, revision=1)
    return activity


def save_lesson(activity, expected_revision, author, module, title, content, required, weight, completion, prerequisites):
    """Save a new revision of the lesson, unless it changed after revision `expected_revision` was loaded.

    The revision is claimed with a conditional UPDATE, so that of two editors saving at
    once exactly one wins and the other is told.
    """
    if activity.revision != expected_revision:
        raise StaleRevision(activity, latest_revision(activity))
    check_prerequisites(activity.course, activity.slug, prerequisites)
    claimed = db.session.execute(
        update(Activity)
        .where(Activity.id == activity.id, Activity.revision == expected_revision)
        .values(revision=expected_revision + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.expire(activity)
        raise StaleRevision(activity, latest_revision(activity))
    fields = {"title": title, "content": content, "required": required, "weight": weight, "prerequisites": prerequisites}
    if LessonType.completion(activity) != completion:
        fields["settings"] = {**activity.settings, "completion": completion}
    changed = sorted(name for name, value in fields.items() if getattr(activity, name) != value)
    for name in changed:
        setattr(activity, name, fields[name])
    if module.id != activity.module_id:
        changed.append("module")
        activity.position = next_position(module)
        activity.module = module
    activity.revision = expected_revision + 1
    activity.updated_at = utcnow()
    add_revision(activity, author)
    record(
        "lesson.updated", target=f"{activity.course.slug}:{activity.slug}", actor=author,
        revision=activity.revision, changed=changed,
    )
    return activity


def add_revision(activity, author):
    db.session.add(
        ActivityRevision(
            activity_id=activity.id, revision=activity.revision, title=activity.title, content=activity.content,
            source=BROWSER, author=author,
        )
    )


def revisions_of(activity):
    """Every version of the activity, newest first, with its author."""
    return db.session.scalars(
        select(ActivityRevision)
        .where(ActivityRevision.activity_id == activity.id)
        .order_by(ActivityRevision.revision.desc(), ActivityRevision.id.desc())
        .options(joinedload(ActivityRevision.author))
    ).all()


def latest_revision(activity):
    return next(iter(revisions_of(activity)), None)


# --- helpers --------------------------------------------------------------------------


def shift(items, item, direction):
    """Swap `item` with its neighbour and number the list again; False at either end."""
    index = items.index(item)
    other = index - 1 if direction == UP else index + 1
    if not 0 <= other < len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items):
        each.position = position
    return True


def drop_prerequisites(course, slugs):
    """Activities no longer in the course stop being prerequisites of the others."""
    for activity in course_activities([course.id]):
        if set(activity.prerequisites) & slugs:
            activity.prerequisites = [slug for slug in activity.prerequisites if slug not in slugs]


def slugify(text):
    text = unicodedata.normalize("NFKD", text.lower().translate(TRANSLITERATION)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-")


def unique_slug(title, taken, fallback):
    """A slug made from the first title that yields one, numbered if the course already has it."""
    base = next((slugify(title[code]) for code in ("en", "ru", "kk") if title.get(code) and slugify(title[code])), "")
    base = base or fallback
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
