"""Migrations build the whole schema on an empty database, on SQLite and on PostgreSQL."""
import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lms.extensions import db
from tests import databases
from tests.conftest import make_app


def core_tables():
    """Tables of the core's models (test plugins may add others to the shared metadata)."""
    return {
        table.name
        for mapper in db.Model.registry.mappers
        if mapper.class_.__module__.startswith("lms.")
        for table in mapper.tables
    }


def test_upgrade_builds_the_schema_the_models_describe_and_downgrade_removes_it(tmp_path):
    url = databases.create(tmp_path)
    app = make_app(tmp_path, url)
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            tables = core_tables()
            assert {"users", "audit_log", "site_settings"} <= tables
            assert tables <= set(inspect(db.engine).get_table_names())
            with db.engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={"include_name": lambda name, type_, _parent: type_ != "table" or name in tables},
                )
                assert compare_metadata(context, db.metadata) == []
            flask_migrate.downgrade(revision="base")
            assert tables.isdisjoint(inspect(db.engine).get_table_names())
            flask_migrate.upgrade()
            assert tables <= set(inspect(db.engine).get_table_names())
    finally:
        with app.app_context():
            db.engine.dispose()
        databases.drop(url)
