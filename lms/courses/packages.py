"""Course packages: folders with a `course.toml` manifest, read, validated, imported and exported.

Reading never touches the database; every problem is reported as `file:line: message`.
Importing is all or nothing: a package with any problem changes nothing, and files are
moved into place only after the database transaction has committed.
"""
import posixpath
import re
import shutil
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path, PurePosixPath

import tomli_w
from flask import current_app
from sqlalchemy import select

from lms.audit.services import record
from lms.courses.models import ENROLLMENT_POLICIES, Activity, ActivityRevision, Course, Module
from lms.extensions import db
from lms.plugins import installed

MANIFEST = "course.toml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
VERSION = re.compile(r"^\d+(\.\d+){0,3}$")
TOML_ERROR_LINE = re.compile(r"line (\d+)")


class PackageError(Exception):
    """A package that cannot be imported; `problems` says every reason, with file and line."""

    def __init__(self, problems):
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ActivitySpec:
    slug: str
    type_key: str
    title: dict
    file: str | None
    required: bool
    weight: float
    prerequisites: list
    settings: dict
    line: int
    content: dict = field(default_factory=dict)  # language (or "*") -> what the file handler loaded


@dataclass
class ModuleSpec:
    slug: str
    title: dict
    activities: list
    line: int


@dataclass
class PackageSpec:
    root: Path
    slug: str
    version: str
    title: dict
    description: dict
    category: str
    hours: float
    languages: list
    enrollment_policy: str
    published: bool
    modules: list
    assets: list  # package-relative paths of images and attachments

    @property
    def activities(self):
        return [activity for module in self.modules for activity in module.activities]


class ManifestLines:
    """Finds the line of a module, an activity or a key in the manifest, for messages."""

    def __init__(self, text):
        self.lines = text.splitlines()
        self.module_lines = self.headers("[[modules]]")
        self.activity_lines = self.headers("[[modules.activities]]")

    def headers(self, header):
        return [number for number, line in enumerate(self.lines, 1) if line.strip() == header]

    def key(self, name, start=1):
        """The first line at or after `start` (and before the next table header) that sets `name`."""
        pattern = re.compile(rf"^\s*{re.escape(name)}\s*[=.]")
        for number in range(start, len(self.lines) + 1):
            line = self.lines[number - 1].strip()
            if number > start and line.startswith("["):
                break
            if pattern.match(line):
                return number
        return start

    def top_level_key(self, name):
        first_table = next((n for n, line in enumerate(self.lines, 1) if line.strip().startswith("[")), None)
        for number, line in enumerate(self.lines[: first_table or len(self.lines)], 1):
            if re.match(rf"^\s*{re.escape(name)}\s*=", line):
                return number
        header = self.headers(f"[{name}]")
        return header[0] if header else 1


def read_package(root, registry, languages=("en", "ru", "kk")):
    """The package at `root` as a PackageSpec, or None, and the list of problems found."""
    root = Path(root)
    checker = PackageReader(root, registry, languages)
    return checker.read()


class PackageReader:
    def __init__(self, root, registry, site_languages):
        self.root = root
        self.registry = registry
        self.site_languages = list(site_languages)
        self.problems = []
        self.max_bytes = current_app.config["LMS_COURSE_FILE_MAX_BYTES"]

    def problem(self, file, line, message):
        self.problems.append(Problem(file, line, message))

    def read(self):
        manifest_path = self.root / MANIFEST
        if not manifest_path.is_file():
            self.problem(MANIFEST, 1, f"no {MANIFEST} in {self.root}")
            return None, self.problems
        text = manifest_path.read_text(encoding="utf-8", errors="replace")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            match = TOML_ERROR_LINE.search(str(error))
            self.problem(MANIFEST, int(match.group(1)) if match else 1, f"not valid TOML: {error}")
            return None, self.problems
        self.lines = ManifestLines(text)
        spec = self.course(data)
        self.check_sizes()
        if spec is not None:
            self.check_prerequisites(spec)
            self.load_files(spec)
            spec.assets = self.assets(spec)
        return (None if self.problems else spec), self.problems

    def course(self, data):
        line = self.lines.top_level_key
        slug = data.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            self.problem(MANIFEST, line("slug"), "slug must be lowercase letters, digits and hyphens")
        version = str(data.get("version", ""))
        if not VERSION.match(version):
            self.problem(MANIFEST, line("version"), f"version must look like 1.0.0, not {version!r}")
        languages = data.get("languages")
        if not isinstance(languages, list) or not languages or not set(languages) <= set(self.site_languages):
            self.problem(
                MANIFEST, line("languages"), f"languages must be a non-empty list of {', '.join(self.site_languages)}"
            )
            languages = []
        policy = data.get("enrollment", "open")
        if policy not in ENROLLMENT_POLICIES:
            self.problem(MANIFEST, line("enrollment"), f"enrollment must be one of {', '.join(ENROLLMENT_POLICIES)}")
        hours = data.get("hours", 0)
        if not isinstance(hours, (int, float)) or hours < 0:
            self.problem(MANIFEST, line("hours"), "hours must be a number of hours")
            hours = 0
        category = data.get("category", "general")
        if not isinstance(category, str) or not SLUG.match(category):
            self.problem(MANIFEST, line("category"), "category must be lowercase letters, digits and hyphens")
        title = self.texts(data.get("title"), "title", line("title"))
        description = self.texts(data.get("description"), "description", line("description"))
        modules = self.modules(data.get("modules"), languages)
        return PackageSpec(
            root=self.root, slug=slug, version=version, title=title, description=description,
            category=category, hours=float(hours), languages=languages, enrollment_policy=policy,
            published=bool(data.get("published", True)), modules=modules, assets=[],
        )

    def texts(self, value, what, line):
        """A {language: text} table that has a text for every language of the site."""
        if not isinstance(value, dict):
            self.problem(MANIFEST, line, f"{what} must be a table of texts per language ({', '.join(self.site_languages)})")
            return {}
        for language in self.site_languages:
            if not isinstance(value.get(language), str) or not value[language].strip():
                self.problem(MANIFEST, line, f"{what} has no {language!r} text")
        return {language: text for language, text in value.items() if isinstance(text, str)}

    def modules(self, modules, languages):
        if not isinstance(modules, list) or not modules:
            self.problem(MANIFEST, 1, "the course has no [[modules]]")
            return []
        specs, seen_modules, seen_activities = [], set(), {}
        activity_index = 0
        for index, module in enumerate(modules):
            line = self.lines.module_lines[index] if index < len(self.lines.module_lines) else 1
            slug = module.get("slug")
            if not isinstance(slug, str) or not SLUG.match(slug):
                self.problem(MANIFEST, self.lines.key("slug", line), "module slug must be lowercase letters, digits and hyphens")
            elif slug in seen_modules:
                self.problem(MANIFEST, self.lines.key("slug", line), f"duplicate module slug {slug!r}")
            seen_modules.add(slug)
            title = self.texts(module.get("title"), f"module {slug!r} title", self.lines.key("title", line))
            activities = []
            for activity in module.get("activities", []):
                activity_line = (
                    self.lines.activity_lines[activity_index] if activity_index < len(self.lines.activity_lines) else line
                )
                activity_index += 1
                spec = self.activity(activity, activity_line, seen_activities)
                if spec is not None:
                    activities.append(spec)
            if not activities:
                self.problem(MANIFEST, line, f"module {slug!r} has no activities")
            specs.append(ModuleSpec(slug=slug, title=title, activities=activities, line=line))
        return specs

    def activity(self, data, line, seen):
        slug = data.get("slug")
        key_line = self.lines.key
        if not isinstance(slug, str) or not SLUG.match(slug):
            self.problem(MANIFEST, key_line("slug", line), "activity slug must be lowercase letters, digits and hyphens")
            return None
        if slug in seen:
            self.problem(MANIFEST, key_line("slug", line), f"duplicate activity slug {slug!r} (first on line {seen[slug]})")
            return None
        seen[slug] = key_line("slug", line)
        type_key = data.get("type")
        if type_key not in self.registry.activity_types:
            self.problem(MANIFEST, key_line("type", line), unknown_type_message(type_key))
        title = self.texts(data.get("title"), f"activity {slug!r} title", key_line("title", line))
        prerequisites = data.get("prerequisites", [])
        if not isinstance(prerequisites, list) or not all(isinstance(item, str) for item in prerequisites):
            self.problem(MANIFEST, key_line("prerequisites", line), "prerequisites must be a list of activity slugs")
            prerequisites = []
        weight = data.get("weight", 1)
        if not isinstance(weight, (int, float)) or weight < 0:
            self.problem(MANIFEST, key_line("weight", line), "weight must be a number, 0 or more")
            weight = 1
        required = data.get("required", True)
        if not isinstance(required, bool):
            self.problem(MANIFEST, key_line("required", line), "required must be true or false")
        known = {"slug", "type", "title", "file", "required", "weight", "prerequisites"}
        # TOML dates become ISO text, as activity settings are stored as JSON.
        settings = {
            key: value.isoformat() if isinstance(value, (date, time)) else value
            for key, value in data.items() if key not in known
        }
        activity_type = self.registry.activity_types.get(type_key)
        if activity_type is not None:
            for key, message in activity_type().check_settings(settings):
                self.problem(MANIFEST, key_line(key, line), message)
        file = data.get("file")
        if file is not None and not isinstance(file, str):
            self.problem(MANIFEST, key_line("file", line), "file must be a path inside the package")
            file = None
        return ActivitySpec(
            slug=slug, type_key=type_key, title=title, file=file, required=bool(required), weight=float(weight),
            prerequisites=prerequisites, settings=settings, line=line,
        )

    def check_prerequisites(self, spec):
        by_slug = {activity.slug: activity for activity in spec.activities}
        for activity in spec.activities:
            for slug in activity.prerequisites:
                if slug not in by_slug:
                    line = self.lines.key("prerequisites", activity.line)
                    self.problem(MANIFEST, line, f"prerequisite {slug!r} of {activity.slug!r} is not an activity of this course")
        reported = set()
        for activity in spec.activities:
            cycle = find_cycle(activity.slug, by_slug)
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                line = self.lines.key("prerequisites", activity.line)
                self.problem(MANIFEST, line, "prerequisite cycle: " + " -> ".join(cycle))

    def inside(self, relative):
        """The resolved path of `relative` if it stays inside the package, else None."""
        if PurePosixPath(relative).is_absolute() or "\\" in relative:
            return None
        path = (self.root / relative).resolve()
        return path if path.is_relative_to(self.root.resolve()) else None

    def load_files(self, spec):
        for activity in spec.activities:
            if activity.file is None:
                continue
            line = self.lines.key("file", activity.line)
            if self.inside(activity.file) is None:
                self.problem(MANIFEST, line, f"{activity.file} leaves the package")
                continue
            handler = self.registry.file_handler_for(activity.file)
            if handler is None:
                self.problem(MANIFEST, line, f"no activity type reads files like {activity.file}")
                continue
            for language, relative in self.variants(activity.file, spec.languages, line).items():
                path = self.inside(relative)
                if path is None:
                    self.problem(MANIFEST, line, f"{relative} leaves the package")
                    continue
                for problem_line, message in handler.validate(path, self.root):
                    self.problem(relative, problem_line, message)
                activity.content[language] = handler.load(path, self.root)

    def variants(self, file, languages, line):
        """Files per language (`intro.ru.md`), or the one file for all languages (`intro.md`)."""
        path = PurePosixPath(file)
        per_language = {language: str(path.with_name(f"{path.stem}.{language}{path.suffix}")) for language in languages}
        present = {language: name for language, name in per_language.items() if (self.root / name).is_file()}
        if present:
            for language, name in per_language.items():
                if language not in present:
                    self.problem(MANIFEST, line, f"{name} is missing: the course promises {language!r} (languages = {languages})")
            return present
        if (self.root / file).is_file():
            return {"*": file}
        expected = ", ".join(per_language.values())
        self.problem(MANIFEST, line, f"{file} is missing (expected {expected})")
        return {}

    def check_sizes(self):
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root).as_posix()
            if path.is_symlink() and not path.resolve().is_relative_to(self.root.resolve()):
                self.problem(relative, 1, "a link that leaves the package")
            elif path.is_file() and path.stat().st_size > self.max_bytes:
                self.problem(
                    relative, 1,
                    f"the file is {path.stat().st_size:,} bytes, over the limit of {self.max_bytes:,} bytes",
                )

    def assets(self, spec):
        """Every other file of the package (images, attachments), to be served with the course."""
        used = {MANIFEST}
        for activity in spec.activities:
            if activity.file:
                used.add(activity.file)
                used.update(self.variants_quiet(activity.file, spec.languages))
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file() and not path.is_symlink() and path.relative_to(self.root).as_posix() not in used
            and not any(part.startswith(".") for part in path.relative_to(self.root).parts)
        )

    @staticmethod
    def variants_quiet(file, languages):
        path = PurePosixPath(file)
        return {str(path.with_name(f"{path.stem}.{language}{path.suffix}")) for language in languages}


def unknown_type_message(type_key):
    if not isinstance(type_key, str) or not type_key:
        return "the activity has no type"
    plugin = type_key.split(".", 1)[0] if "." in type_key else None
    if plugin and plugin in installed():
        return f"unknown activity type {type_key!r}: the plugin {plugin!r} provides it but is not enabled (LMS_PLUGINS)"
    if plugin:
        return f"unknown activity type {type_key!r}: no installed plugin provides it (it would come from a plugin named {plugin!r})"
    return f"unknown activity type {type_key!r}"


def find_cycle(start, by_slug):
    """A prerequisite cycle through `start` as a list of slugs, or None."""
    path = [start]

    def visit(slug):
        for prerequisite in by_slug[slug].prerequisites:
            if prerequisite == start:
                return path + [start]
            if prerequisite in by_slug and prerequisite not in path:
                path.append(prerequisite)
                found = visit(prerequisite)
                if found:
                    return found
                path.pop()
        return None

    return visit(start)


@dataclass
class ImportReport:
    course: object
    created: bool
    previous_version: str | None
    added: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    archived: list = field(default_factory=list)
    replaced_browser_edits: list = field(default_factory=list)  # (slug, revision, author email or None, when)
    unchanged: bool = False

    def lines(self):
        if self.unchanged:
            yield f"{self.course.slug} is already at version {self.course.version}; nothing to import"
            return
        if self.created:
            yield f"Created {self.course.slug} {self.course.version}"
        else:
            yield f"Updated {self.course.slug} from {self.previous_version} to {self.course.version}"
        for label, slugs in (("added", self.added), ("updated", self.updated), ("archived", self.archived)):
            if slugs:
                yield f"  {label}: {', '.join(slugs)}"
        for slug, revision, author, when in self.replaced_browser_edits:
            yield f"  replaced browser edit of {slug} (revision {revision} by {author or 'unknown'} on {when:%Y-%m-%d %H:%M} UTC; kept in history)"


def version_tuple(version):
    return tuple(int(part) for part in version.split("."))


def import_package(root, registry, actor=None):
    """Create or update the course from the package at `root`; all or nothing.

    A newer version updates content and keeps every learner's progress on activities
    whose slug is unchanged; activities no longer in the package are archived.
    """
    spec, problems = read_package(root, registry, current_app.config["LMS_LANGUAGES"])
    if problems:
        raise PackageError(problems)
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    report = ImportReport(course=course, created=course is None, previous_version=course.version if course else None)
    if course is None:
        course = Course(slug=spec.slug, published=spec.published)
        db.session.add(course)
        report.course = course
    elif version_tuple(spec.version) == version_tuple(course.version):
        report.unchanged = True
        return report
    elif version_tuple(spec.version) < version_tuple(course.version):
        raise PackageError(
            [Problem(MANIFEST, 1, f"version {spec.version} is older than the installed {course.version}")]
        )
    for name in ("version", "title", "description", "category", "hours", "languages", "enrollment_policy"):
        setattr(course, name, getattr(spec, name))
    db.session.flush()
    apply_modules(course, spec, report, actor)
    for activity in course.activities:
        if not activity.archived:
            registry.activity_types[activity.type_key]().imported(activity)
    staging = stage_files(spec)
    record(
        "course.imported", target=course.slug, actor=actor, version=spec.version, previous=report.previous_version,
        added=len(report.added), updated=len(report.updated), archived=len(report.archived),
    )
    try:
        db.session.commit()
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish_files(staging, course.slug)
    return report


def apply_modules(course, spec, report, actor):
    modules = {module.slug: module for module in course.modules}
    activities = {activity.slug: activity for activity in db.session.scalars(select(Activity).where(Activity.course_id == course.id))}
    latest = latest_revisions([activity.id for activity in activities.values()])
    kept_modules, kept_activities = set(), set()
    for module_position, module_spec in enumerate(spec.modules):
        module = modules.get(module_spec.slug) or Module(course=course, slug=module_spec.slug)
        module.title, module.position, module.archived = module_spec.title, module_position, False
        db.session.add(module)
        kept_modules.add(module_spec.slug)
        for position, activity_spec in enumerate(module_spec.activities):
            kept_activities.add(activity_spec.slug)
            activity = activities.get(activity_spec.slug)
            if activity is None:
                activity = Activity(course=course, slug=activity_spec.slug, revision=0)
                report.added.append(activity_spec.slug)
            previous = latest.get(activity.id)
            changed = activity.revision == 0 or activity.content != activity_spec.content or activity.title != activity_spec.title
            if changed and activity.revision:
                report.updated.append(activity_spec.slug)
                if previous is not None and previous.source == "browser":
                    author = previous.author.email if previous.author else None
                    report.replaced_browser_edits.append((activity.slug, previous.revision, author, previous.created_at))
            for name in ("type_key", "title", "content", "settings", "required", "weight", "prerequisites"):
                setattr(activity, name, getattr(activity_spec, name))
            activity.module, activity.source_file, activity.position, activity.archived = module, activity_spec.file, position, False
            db.session.add(activity)
            if changed:
                activity.revision += 1
                db.session.flush()
                db.session.add(
                    ActivityRevision(
                        activity_id=activity.id, revision=activity.revision, title=activity.title,
                        content=activity.content, source="package", package_version=spec.version, author=actor,
                    )
                )
    for slug, module in modules.items():
        if slug not in kept_modules:
            module.archived = True
    for slug, activity in activities.items():
        if slug not in kept_activities and not activity.archived:
            activity.archived = True
            report.archived.append(slug)


def latest_revisions(activity_ids):
    if not activity_ids:
        return {}
    revisions = db.session.scalars(
        select(ActivityRevision)
        .where(ActivityRevision.activity_id.in_(activity_ids))
        .order_by(ActivityRevision.activity_id, ActivityRevision.revision)
    ).all()
    return {revision.activity_id: revision for revision in revisions}


def files_folder(slug=None):
    folder = Path(current_app.instance_path) / "course_files"
    return folder / slug if slug else folder


def stage_files(spec):
    """Copy the package's assets next to the live folder, to be swapped in after the commit."""
    staging = files_folder() / f".staging-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    for relative in spec.assets:
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(spec.root / relative, target)
    return staging


def publish_files(staging, slug):
    live = files_folder(slug)
    retired = files_folder() / f".retired-{uuid.uuid4().hex}"
    if live.exists():
        live.rename(retired)
    staging.rename(live)
    shutil.rmtree(retired, ignore_errors=True)


def course_file(slug, relative):
    """The stored file of a course at a package-relative path, or None (never outside the folder)."""
    folder = files_folder(slug).resolve()
    path = (folder / posixpath.normpath(relative)).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def export_course(course, destination):
    """Write the course as a package that `import_package` reads back to the same content."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    manifest = {
        "slug": course.slug,
        "version": course.version,
        "category": course.category,
        "hours": course.hours,
        "languages": list(course.languages),
        "enrollment": course.enrollment_policy,
        "published": course.published,
        "title": course.title,
        "description": course.description,
        "modules": [],
    }
    for module in course.modules:
        if module.archived:
            continue
        activities = []
        for activity in module.activities:
            if activity.archived:
                continue
            entry = {"type": activity.type_key, "slug": activity.slug, "title": activity.title}
            if activity.content:
                entry["file"] = activity.source_file or f"lessons/{activity.slug}.md"
                write_variants(destination, entry["file"], activity.content)
            entry.update(required=activity.required, weight=activity.weight, prerequisites=list(activity.prerequisites))
            entry.update(activity.settings)
            activities.append(entry)
        manifest["modules"].append({"slug": module.slug, "title": module.title, "activities": activities})
    (destination / MANIFEST).write_text(tomli_w.dumps(manifest), encoding="utf-8")
    source = files_folder(course.slug)
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True)
    return destination


def write_variants(destination, file, content):
    path = PurePosixPath(file)
    for language, text in content.items():
        name = file if language == "*" else str(path.with_name(f"{path.stem}.{language}{path.suffix}"))
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
