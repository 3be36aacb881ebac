"""Kelisim: a plugin-based e-learning platform for training mediators."""
from flask import Flask

from lms import cli, config, database, errors, i18n, plugins, safety
from lms.admin.views import bp as admin_bp
from lms.authoring.views import bp as authoring_bp
from lms.api.views import bp as api_bp
from lms.courses.views import bp as courses_bp
from lms.enrollments.views import bp as enrollments_bp
from lms.auth import views as auth_views
from lms.extensions import csrf, limiter
from lms.grading.views import bp as grading_bp
from lms.pages.views import bp as pages_bp
from lms.progress.views import bp as progress_bp
from lms.questions.views import bp as questions_bp
from lms.quiz_reports.views import bp as quiz_reports_bp
from lms.quizzes.views import bp as quizzes_bp


def create_app(test_config=None):
    app = Flask(__name__, instance_path=config.instance_path(test_config), instance_relative_config=True)
    config.load(app, test_config)
    database.init_app(app)
    plugins.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    safety.init_app(app)
    auth_views.init_app(app)
    app.register_blueprint(pages_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(enrollments_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(grading_bp)
    app.register_blueprint(quiz_reports_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(questions_bp)
    errors.init_app(app)
    cli.init_app(app)
    return app

