"""Choosing the language of a request: the user's profile, then the session, then the browser."""
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from lms.extensions import babel

# Each language's name in itself, as the switcher shows it.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}


def select_locale():
    if not has_request_context():
        return None  # CLI commands and other work outside a request: the default language
    languages = current_app.config["LMS_LANGUAGES"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app):
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(get_locale=get_locale, language_names=LANGUAGE_NAMES)
