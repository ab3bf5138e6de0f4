"""Helpers the store modules share: opaque ids and dialect-aware upserts."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel


def new_public_id() -> str:
    """An opaque, unguessable id for URLs (clips, battles, images): 128 random bits."""
    return secrets.token_urlsafe(16)


def upsert_insert(session: Session, table: type[SQLModel]) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)
