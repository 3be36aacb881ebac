from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_limiter.util import get_remote_address

from lms.admin.services import self_registration_open
from lms.auth import services
from lms.auth.forms import ChangePasswordForm, LoginForm, ProfileForm, RegistrationForm, ResetPasswordForm, ResetRequestForm
from lms.auth.models import User
from lms.extensions import db, limiter, login_manager
from lms.safety import safe_next

bp = Blueprint("auth", __name__, template_folder="templates", url_prefix="/account")


def login_limit():
    return current_app.config["LMS_LOGIN_LIMIT"]


def submitted_account():
    return "account:" + services.normalize_email(request.form.get("email", ""))


def failed_sign_in(response):
    return response.status_code != 302


def start_session(user, remember=False):
    """Sign in with a fresh session so that a session id planted before sign-in is worthless."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, key_func=get_remote_address, methods=["POST"], deduct_when=failed_sign_in)
@limiter.limit(login_limit, key_func=submitted_account, methods=["POST"], deduct_when=failed_sign_in)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        db.session.commit()
        if user is not None:
            start_session(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data))
        flash(_("The email or password is not correct."), "error")
    return render_template("auth/login.html", form=form, registration_open=self_registration_open())


@bp.route("/logout", methods=["POST"])
def logout():
    locale = str(get_locale())
    # Clear first: logout_user leaves a flag in the session that deletes the remember cookie.
    session.clear()
    logout_user()
    session["locale"] = locale
    flash(_("You have signed out."), "success")
    return redirect(url_for("pages.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if not self_registration_open():
        return render_template("auth/registration_closed.html"), 403
    if current_user.is_authenticated:
        return redirect(url_for("pages.dashboard"))
    form = RegistrationForm(locale=session.get("locale") or None)
    if form.validate_on_submit():
        user = services.create_user(
            form.email.data, form.name.data, locale=form.locale.data, password=form.password.data,
            action="user.registered",
        )
        db.session.commit()
        start_session(user)
        flash(_("Welcome to Kelisim, %(name)s.", name=user.name), "success")
        return redirect(url_for("pages.dashboard"))
    return render_template("auth/register.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, password_form=ChangePasswordForm())


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        services.change_password(current_user, form.password.data)
        db.session.commit()
        login_user(current_user._get_current_object())
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=ProfileForm(obj=current_user), password_form=form), 400


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.find_user(form.email.data)
        if user is not None and user.active:
            services.send_password_link(user)
            db.session.commit()
        flash(_("If an account exists for that address, a link to reset the password is on its way."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = services.user_from_reset_token(token)
    if user is None:
        flash(_("This link has expired or has already been used. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm(user)
    if form.validate_on_submit():
        services.change_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been set. You can sign in now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


def init_app(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    app.register_blueprint(bp)


def load_user(session_id):
    """Load the user only while their session version still matches and they are active."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
