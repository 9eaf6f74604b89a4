"""Alembic environment for licscan's store: migrates the connection store.py hands over, or alembic.ini's URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from licscan.resolution.store import _metadata

connection = context.config.attributes.get("connection")
if connection is not None:
    # store.py runs the upgrade inside its own transaction, under its migration lock.
    context.configure(connection=connection, target_metadata=_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:  # the alembic command line, for maintainers writing a new revision
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=_metadata, render_as_batch=True)
        context.run_migrations()
