"""Ingestion: providers' clips checked, normalized for blindness, and stored (see ``sync``)."""

from arena.ingest.files import file_digest
from arena.ingest.report import Progress, SyncReport
from arena.ingest.sync import sync

__all__ = ["Progress", "SyncReport", "file_digest", "sync"]
