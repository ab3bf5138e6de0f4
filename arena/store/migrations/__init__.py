"""Alembic migrations of Arena's schema (see arena.store.engine.prepare_schema)."""
