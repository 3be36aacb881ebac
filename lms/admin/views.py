from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from lms.admin import services
from lms.admin.forms import AuditFilterForm, ConfirmImportForm, NewUserForm, SettingsForm, UploadUsersForm, UserForm
from lms.audit import services as audit
from lms.auth import services as accounts
from lms.auth.decorators import role_required
from lms.auth.models import ADMIN, ROLE_LABELS, ROLES, User
from lms.extensions import db

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


@bp.before_request
@role_required(ADMIN)
def require_admin():
    """Every page here is for administrators only."""


def get_user_or_404(user_id):
    return db.get_or_404(User, user_id)


@bp.route("/")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
def users():
    query = services.search_users(request.args.get("q"), request.args.get("role"), request.args.get("status"))
    page = db.paginate(query, per_page=current_app.config["LMS_PAGE_SIZE"], error_out=False)
    return render_template("admin/users.html", page=page, roles=ROLES, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = NewUserForm(current_user)
    if form.validate_on_submit():
        try:
            services.check_can_grant(current_user, form.role.data)
        except services.AdminRuleError as error:
            abort(403, str(error))
        user = accounts.create_user(
            form.email.data, form.name.data, role=form.role.data, locale=form.locale.data,
            password=form.password.data or None, actor=current_user,
        )
        if not form.password.data:
            accounts.send_password_link(user, welcome=True)
        db.session.commit()
        flash(_("The account for %(email)s has been created.", email=user.email), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    user = get_user_or_404(user_id)
    form = UserForm(current_user, obj=user)
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user, form.name.data, form.email.data, form.locale.data, form.role.data)
        except services.AdminRuleError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("admin/user_form.html", form=form, user=user), 409
        db.session.commit()
        flash(_("The account for %(email)s has been saved.", email=user.email), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
def set_active(user_id, action):
    user = get_user_or_404(user_id)
    try:
        getattr(services, action)(current_user, user)
    except services.AdminRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    db.session.commit()
    if action == "deactivate":
        flash(_("%(email)s has been deactivated and signed out.", email=user.email), "success")
    else:
        flash(_("%(email)s can sign in again.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/send-reset", methods=["POST"])
def send_reset(user_id):
    user = get_user_or_404(user_id)
    if not user.active:
        flash(_("Reactivate the account before sending a link."), "error")
    else:
        accounts.send_password_link(user)
        db.session.commit()
        flash(_("A link to reset the password has been sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/import", methods=["GET", "POST"])
def import_users():
    form = UploadUsersForm()
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text. Save it from your spreadsheet as CSV UTF-8."), "error")
            return render_template("admin/import.html", form=form), 400
        preview = services.preview_users_csv(current_user, text)
        return render_template(
            "admin/import_preview.html", preview=preview, form=ConfirmImportForm(csv_text=text)
        )
    return render_template("admin/import.html", form=form), 400 if form.errors else 200


@bp.route("/users/import/confirm", methods=["POST"])
def confirm_import():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    preview = services.preview_users_csv(current_user, form.csv_text.data)
    if not preview.ok:
        flash(_("Nothing was imported: fix the problems in the file first."), "error")
        return render_template("admin/import_preview.html", preview=preview, form=form), 400
    users = services.import_users(current_user, preview)
    db.session.commit()
    message = ngettext(
        "%(num)d account has been created and mailed a link to choose a password.",
        "%(num)d accounts have been created and mailed a link to choose a password.",
        len(users),
    )
    flash(message, "success")
    return redirect(url_for("admin.users"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm(self_registration=services.self_registration_open())
    if form.validate_on_submit():
        services.set_setting(services.SELF_REGISTRATION, form.self_registration.data)
        db.session.commit()
        flash(_("The settings have been saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)


@bp.route("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("All actions")), *((action, action) for action in audit.known_actions())]
    form.validate()
    until = form.until.data and datetime.combine(form.until.data + timedelta(days=1), time.min)
    since = form.since.data and datetime.combine(form.since.data, time.min)
    query = audit.search(form.action.data, form.actor.data, form.target.data, since, until)
    page = db.paginate(query, per_page=current_app.config["LMS_PAGE_SIZE"] * 2, error_out=False)
    return render_template("admin/audit.html", form=form, page=page)
