from lms.plugin_api import Blueprint, render_template

bp = Blueprint("example", __name__, template_folder="templates", url_prefix="/example")


@bp.route("/")
def index():
    return render_template("example/page.html")
