from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import text

from lms.admin.services import self_registration_open
from lms.extensions import csrf, db
from lms.pages.forms import LanguageForm
from lms.safety import safe_next

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.app_context_processor
def layout_context():
    """What base.html needs on every page: navigation from the hooks and the language switcher."""
    return {
        "navigation": current_app.extensions["lms_plugins"].navigation(current_user),
        "language_form": LanguageForm(
            formdata=None, language=str(get_locale()), next=request.full_path.rstrip("?")
        ),
    }


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("pages.dashboard"))
    return render_template("pages/index.html", registration_open=self_registration_open())


@bp.route("/dashboard")
@login_required
def dashboard():
    panels = current_app.extensions["lms_plugins"].dashboard_panels(current_user)
    return render_template("pages/dashboard.html", panels=panels)


@bp.route("/language", methods=["POST"])
def set_language():
    """The language switcher: remembered in the profile when signed in, else in the session."""
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.language.data
            db.session.commit()
        session["locale"] = form.language.data
    return redirect(safe_next(form.next.data, default_endpoint="pages.index"))


@bp.route("/healthz")
@csrf.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy"
        current_app.logger.exception("Health check: database unreachable")
        return jsonify(status="error", db="unreachable"), 503
    return jsonify(status="ok", db="ok")
