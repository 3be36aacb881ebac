"""Internationalisation: complete catalogs for ru and kk, and how a request's language is chosen.

The completeness tests extract the messages from the source exactly as `make translations`
does (lms/babel.cfg, keywords _l and lazy_gettext besides Babel's defaults) and compare them
with the .po files, so a new _("...") that nobody translated fails here, not in front of a
trainee.
"""
import email
import email.policy
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.catalog import PYTHON_FORMAT
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]
LMS = ROOT / "lms"
TRANSLATIONS = LMS / "translations"
TRANSLATED_LOCALES = ("ru", "kk")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLURAL_FORMS = {
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "kk": "nplurals=2; plural=(n != 1);",
}
HTML_LANG = re.compile(r'<html lang="([^"]*)"')

# Text from the catalogs that the pages below must show.
LOGIN_HEADING = {"en": "<h1>Sign in</h1>", "ru": "<h1>Войти</h1>", "kk": "<h1>Кіру</h1>"}
DASHBOARD_TITLE = {"en": "<title>Dashboard · Kelisim</title>", "ru": "<title>Главная панель · Kelisim</title>",
                   "kk": "<title>Басты бет · Kelisim</title>"}


# --- helpers -------------------------------------------------------------------------


def extract_messages(directory, mapping_file):
    """{(context, msgid): (msgid, msgid_plural or None, first location)} as `pybabel extract` sees them."""
    with open(mapping_file, encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename=str(mapping_file))
    messages = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(directory), method_map, options_map, keywords=KEYWORDS
    ):
        if isinstance(message, (tuple, list)):
            singular, plural = message[0], message[1] if len(message) > 1 else None
        else:
            singular, plural = message, None
        if not singular:
            continue
        messages.setdefault((context, singular), (singular, plural, f"{filename}:{lineno}"))
    return messages


def load_catalog(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fileobj:
        return read_po(fileobj, locale=locale)


def untranslated(messages, catalog):
    """Extracted messages that have no usable translation in `catalog`, with the reason."""
    problems = []
    for (context, msgid), (singular, plural, where) in sorted(messages.items(), key=lambda item: item[0][1]):
        entry = catalog.get(msgid, context=context)
        if entry is None:
            problems.append(f"{msgid!r} ({where}): not in the catalog (run `make translations`)")
            continue
        if entry.fuzzy:
            problems.append(f"{msgid!r} ({where}): marked fuzzy")
            continue
        if plural is not None and not entry.pluralizable:
            problems.append(f"{msgid!r} ({where}): the catalog entry has no plural forms")
            continue
        forms = entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,)
        if plural is not None and len(forms) != catalog.num_plurals:
            problems.append(f"{msgid!r} ({where}): {len(forms)} plural forms, the language has {catalog.num_plurals}")
        elif not all(form and form.strip() for form in forms):
            problems.append(f"{msgid!r} ({where}): empty translation")
    return problems


def placeholders(text):
    """The python-format placeholders of `text`: named ones as a set, positional ones in order."""
    found = [(name, kind) for name, _flags, kind in PYTHON_FORMAT.findall(text) if kind != "%"]
    named = frozenset((name, kind) for name, kind in found if name)
    positional = tuple(kind for name, kind in found if not name)
    return named, positional


def placeholder_mismatches(messages, catalog):
    problems = []
    for (context, msgid), (singular, plural, where) in sorted(messages.items(), key=lambda item: item[0][1]):
        entry = catalog.get(msgid, context=context)
        if entry is None or entry.fuzzy:
            continue  # reported by the completeness test
        forms = entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,)
        allowed = {placeholders(singular)}
        if plural is not None:
            allowed.add(placeholders(plural))
        for index, form in enumerate(forms):
            if form and placeholders(form) not in allowed:
                expected = sorted(f"%({name}){kind}" for name, kind in placeholders(plural or singular)[0])
                got = sorted(f"%({name}){kind}" for name, kind in placeholders(form)[0])
                problems.append(f"{msgid!r} form {index}: expected {expected}, got {got}: {form!r}")
    return problems


def html_lang(response):
    match = HTML_LANG.search(response.get_data(as_text=True))
    assert match, "no <html lang> on the page"
    return match.group(1)


def choose_language(client, language, next_path="/", token_path="/account/login", **kwargs):
    """Submit the language switcher of the page at `token_path`."""
    data = {"language": language, "next": next_path, "csrf_token": csrf_token(client, token_path)}
    return client.post("/language", data=data, **kwargs)


@pytest.fixture(scope="module")
def source_messages():
    return extract_messages(LMS, LMS / "babel.cfg")


# --- catalogs ------------------------------------------------------------------------


def test_extraction_finds_all_kinds_of_messages(source_messages):
    """Guards the completeness test itself: templates, _l() and ngettext are all seen."""
    ids = {msgid for _context, msgid in source_messages}
    assert "Skip to content" in ids  # base.html
    assert "Trainee" in ids  # lazy_gettext as _l in a model
    assert "The email or password is not correct." in ids  # gettext in a view
    plurals = [plural for _singular, plural, _where in source_messages.values() if plural]
    assert "%(num)d users" in plurals  # ngettext in a template
    assert len(ids) > 100


def test_every_message_is_translated(source_messages):
    report = []
    for locale in TRANSLATED_LOCALES:
        problems = untranslated(source_messages, load_catalog(locale))
        if problems:
            report.append(f"[{locale}] {len(problems)} message(s) without a translation:")
            report.extend(f"    {problem}" for problem in problems)
    assert not report, (
        "Untranslated messages; run `make translations` and translate them in "
        "lms/translations/<locale>/LC_MESSAGES/messages.po:\n" + "\n".join(report)
    )


def test_translations_keep_the_placeholders(source_messages):
    report = []
    for locale in TRANSLATED_LOCALES:
        problems = placeholder_mismatches(source_messages, load_catalog(locale))
        if problems:
            report.append(f"[{locale}] placeholders differ from the msgid:")
            report.extend(f"    {problem}" for problem in problems)
    assert not report, "\n".join(report)


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_catalog_headers(locale):
    catalog = load_catalog(locale)
    assert dict(catalog.mime_headers).get("Plural-Forms") == PLURAL_FORMS[locale]
    assert catalog.num_plurals == int(PLURAL_FORMS[locale][len("nplurals=")])
    assert not catalog.fuzzy, "the catalog header is marked fuzzy: msgfmt/pybabel would skip it"
    compiled = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert compiled.exists(), "run `make compile-translations`"


def test_the_completeness_check_catches_a_new_string(tmp_path):
    """A _("...") added to the source without a translation must be reported."""
    (tmp_path / "views.py").write_text(
        'from flask_babel import gettext as _, lazy_gettext as _l, ngettext\n'
        '_("Sign in")\n'
        '_("A brand-new sentence nobody translated")\n'
        '_l("A brand-new lazy label")\n'
        'ngettext("%(num)d new cohort", "%(num)d new cohorts", 3)\n',
        encoding="utf-8",
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text('<p>{{ _("A brand-new template text") }}</p>\n')
    messages = extract_messages(tmp_path, LMS / "babel.cfg")
    for locale in TRANSLATED_LOCALES:
        problems = "\n".join(untranslated(messages, load_catalog(locale)))
        assert "Sign in" not in problems
        for new in ("A brand-new sentence nobody translated", "A brand-new lazy label",
                    "%(num)d new cohort", "A brand-new template text"):
            assert new in problems


def test_the_placeholder_check_catches_a_lost_placeholder():
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="ru")
    catalog.add("Welcome, %(name)s", "Добро пожаловать, %(nom)s", flags=["python-format"])
    messages = {(None, "Welcome, %(name)s"): ("Welcome, %(name)s", None, "x.py:1")}
    assert placeholder_mismatches(messages, catalog)


# --- choosing the language -------------------------------------------------------------


@pytest.mark.parametrize(
    "header, locale",
    [("kk-KZ,kk;q=0.9", "kk"), ("kk", "kk"), ("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("de-DE,en;q=0.5", "en"), (None, "en")],
)
def test_anonymous_visitor_gets_the_browser_language(client, header, locale):
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/account/login", headers=headers)
    assert response.status_code == 200
    assert html_lang(response) == locale
    assert LOGIN_HEADING[locale] in response.get_data(as_text=True)


def test_pages_show_translated_text(client):
    page = client.get("/", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert "Kelisim — медиаторларды оқыту" in page
    assert "Мазмұнға өту" in page  # skip link from base.html
    page = client.get("/no-such-page", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Страница не найдена" in page


def test_switcher_sets_the_language_of_an_anonymous_visitor(client):
    response = choose_language(client, "ru", next_path="/account/login", headers={"Accept-Language": "kk"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"
    with client.session_transaction() as session:
        assert session["locale"] == "ru"
    # The choice wins over the browser's language.
    response = client.get("/account/login", headers={"Accept-Language": "kk"})
    assert html_lang(response) == "ru"
    assert LOGIN_HEADING["ru"] in response.get_data(as_text=True)
    assert '<option selected value="ru">Русский</option>' in response.get_data(as_text=True)


def test_switcher_rejects_unknown_languages(client):
    response = choose_language(client, "de", next_path="/account/login")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "locale" not in session
    assert html_lang(client.get("/account/login", headers={"Accept-Language": "kk"})) == "kk"


def test_switcher_needs_the_csrf_token(client):
    response = client.post("/language", data={"language": "kk", "next": "/"}, headers={"Accept-Language": "ru"})
    assert response.status_code == 400
    assert "Срок действия формы истёк" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "locale" not in session


def test_profile_language_wins_over_session_and_browser(client, auth, create_user):
    user = create_user(locale="kk")
    choose_language(client, "ru", next_path="/")  # chosen before signing in: kept in the session
    auth.login(user)
    response = client.get("/dashboard", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert html_lang(response) == "kk"
    assert DASHBOARD_TITLE["kk"] in page
    assert f"Қош келдіңіз, {user.name}" in page
    assert "(Тыңдаушы)" in page  # lazy role label


def test_user_without_profile_language_follows_the_browser(client, login_as):
    login_as("instructor")  # locale=None: "Browser language"
    response = client.get("/dashboard", headers={"Accept-Language": "kk-KZ,kk;q=0.9"})
    assert html_lang(response) == "kk"
    assert "(Оқытушы)" in response.get_data(as_text=True)


def test_switcher_stores_the_language_in_the_profile(app, client, auth, login_as, get_user):
    user = login_as("admin", locale="en")
    response = choose_language(client, "kk", next_path="/dashboard", token_path="/dashboard")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/dashboard"
    assert get_user(user.id).locale == "kk"
    response = client.get("/dashboard", headers={"Accept-Language": "en"})
    assert html_lang(response) == "kk"
    page = response.get_data(as_text=True)
    assert DASHBOARD_TITLE["kk"] in page
    assert "Әкімшілік" in page  # lazy navigation label

    # The profile, not this browser's session, carries the choice: a new device gets it too.
    other = app.test_client()
    other_auth = type(auth)(other)
    other_auth.login(user)
    response = other.get("/dashboard", headers={"Accept-Language": "ru"})
    assert html_lang(response) == "kk"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example/path",
        "/account/login\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_switcher_only_redirects_within_the_site(client, target):
    response = choose_language(client, "kk", next_path=target)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.path == "/"


def test_switcher_keeps_a_same_site_path_with_its_query(client):
    response = choose_language(client, "ru", next_path="/account/login?next=%2Fdashboard")
    assert response.headers["Location"].endswith("/account/login?next=%2Fdashboard")


def test_password_mail_is_in_the_recipients_language(app, client, create_user):
    user = create_user(locale="kk", email=f"mail-{uuid.uuid4().hex}@example.kz")
    response = client.post(
        "/account/forgot",
        data={"email": user.email, "csrf_token": csrf_token(client, "/account/forgot")},
        headers={"Accept-Language": "ru"},
    )
    assert response.status_code == 302
    outbox = Path(app.instance_path) / "outbox"
    mails = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in outbox.glob("*.eml")]
    mine = [mail for mail in mails if mail["To"] == user.email]
    assert len(mine) == 1
    assert mine[0]["Subject"] == "Kelisim құпиясөзін қалпына келтіру"
    assert f"Сәлеметсіз бе, {user.name}!" in mine[0].get_content()
    # ...while the page that sent it speaks the visitor's language.
    page = client.get("/account/login", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "ссылка для сброса пароля уже отправлена" in page
