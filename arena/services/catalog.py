"""The catalogue's use cases: list the models and their clips, retire a model or bring it
back, record a claim. Each write is one store transaction, run by the caller's writer."""

from __future__ import annotations

from arena.store.catalog import claim_model, set_retired
from arena.store.reads.catalog import clip_files, model_listing

__all__ = ["claim_model", "clip_files", "model_listing", "set_retired"]
