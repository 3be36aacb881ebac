"""Markdown to HTML that is always sanitised before it reaches a page."""
import posixpath
from urllib.parse import urlsplit

import markdown
import nh3
from markupsafe import Markup, escape

EXTENSIONS = ["tables", "footnotes", "fenced_code", "sane_lists", "attr_list", "def_list", "abbr"]
EXTENSION_CONFIGS = {"footnotes": {"BACKLINK_TITLE": ""}}
TAGS = nh3.ALLOWED_TAGS | {"table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "hr", "img", "figure", "figcaption", "dl", "dt", "dd", "abbr", "pre", "code", "div"}
ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "img": {"src", "alt", "title", "width", "height"},
    "a": {"href", "title", "id"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "sup": {"id"},
    "li": {"id"},
    "abbr": {"title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text, file_url=None):
    """Sanitised HTML for `text`.

    `file_url(path)` turns a relative link or image (`images/x.png`) into the URL that
    serves that file of the course package; without it relative links stay as written.
    """
    html = markdown.markdown(
        text or "", extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html"
    )

    def rewrite(tag, attribute, value):
        if file_url and attribute in ("src", "href") and is_package_path(value):
            return file_url(posixpath.normpath(value))
        return value

    return Markup(
        nh3.clean(
            html,
            tags=TAGS,
            attributes=ATTRIBUTES,
            attribute_filter=rewrite,
            url_schemes=URL_SCHEMES,
            allowed_classes={"div": {"footnote"}},
        )
    )


def is_package_path(url):
    """A relative path inside the package: no scheme, no host, no anchor-only link, no escape."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path or url.startswith(("/", "#")):
        return False
    return not posixpath.normpath(parts.path).startswith("..")


def render_html(text):
    """Sanitised HTML written as HTML (quiz questions from Moodle), with the same allow-list as Markdown."""
    return Markup(nh3.clean(text or "", tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES))


def render_text(text, text_format="moodle"):
    """Text in any of Moodle's formats (markdown, plain, html, moodle) as safe HTML."""
    if text_format == "markdown":
        return render(text)
    if text_format == "plain":
        return Markup("<br>").join(escape(line) for line in (text or "").split("\n"))
    return render_html(text)
