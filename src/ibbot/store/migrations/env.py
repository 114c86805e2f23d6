"""Alembic's environment: migrations run on the connection `ibbot.store.migrate` passes in, inside its transaction."""

from alembic import context
from sqlalchemy.engine import Connection

from ibbot.store.schema import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
