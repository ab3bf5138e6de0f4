"""Ingestion: providers' clips checked, normalized for blindness, and stored (see ``sync``)."""

from arena.services.ingest.files import file_digest
from arena.services.ingest.report import Progress, SyncReport
from arena.services.ingest.sync import sync

__all__ = ["Progress", "SyncReport", "file_digest", "sync"]
