"""A table without the `bad_table_` prefix. Never created: the test only starts the app."""
from lms.plugin_api import db


class UnprefixedPluginThing(db.Model):
    __tablename__ = "unprefixed_plugin_fixture_things"

    id = db.Column(db.Integer, primary_key=True)
