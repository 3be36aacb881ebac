from lms.extensions import db


class SiteSetting(db.Model):
    """A setting administrators change in the browser; the config file holds its default."""

    __tablename__ = "site_settings"

    key = db.Column(db.String(64), primary_key=True)
    value = db.Column(db.JSON, nullable=False)
