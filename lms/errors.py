"""Error pages that keep the site's layout and language."""
from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.extensions import db

PAGES = {400: "errors/400.html", 403: "errors/403.html", 404: "errors/404.html", 429: "errors/429.html"}


def init_app(app):
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, server_error)


def csrf_error(error):
    reason = _("The form has expired or did not come from this site. Reload the page and try again.")
    return render_template("errors/400.html", reason=reason), 400


def http_error(error):
    template = PAGES.get(error.code, "errors/generic.html")
    return render_template(template, error=error), error.code


def server_error(error):
    db.session.rollback()
    return render_template("errors/500.html"), 500
