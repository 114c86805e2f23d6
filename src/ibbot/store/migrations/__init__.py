"""Alembic migrations of the journal's schema, run programmatically by `ibbot.store.migrate`."""
