"""Alembic migrations of Arena's schema (see arena.db.prepare_schema)."""
