"""The core's own contributions, made through the same hooks as any plugin."""
import pluggy
from flask_babel import lazy_gettext as _l

from lms.contributions import DashboardPanel, NavItem
from lms.pages.services import people_by_role

hookimpl = pluggy.HookimplMarker("lms")


@hookimpl
def lms_navigation_items(user):
    if not user.is_authenticated:
        return []
    items = [NavItem(_l("Dashboard"), "pages.dashboard", order=0)]
    if user.is_admin:
        items.append(NavItem(_l("Administration"), "admin.users", order=900))
    return items


@hookimpl
def lms_dashboard_panels(user):
    panels = [DashboardPanel(_l("Your account"), "pages/panel_account.html", order=900)]
    if user.is_admin:
        panels.append(
            DashboardPanel(_l("People"), "pages/panel_people.html", {"counts": people_by_role()}, order=910)
        )
    return panels
