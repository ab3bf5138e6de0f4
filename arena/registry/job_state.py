"""What the ``http-job`` provider keeps between syncs: running jobs, and a ledger of usage.

Both are JSON files in the model's work folder (``sources/http-job/<model>/``), beside its
downloads; a provider never touches the database. ``jobs.json`` maps an input digest to its
job (id, URLs, submission time), so a second sync polls a running job instead of paying for
it again. ``ledger.json`` counts jobs submitted, succeeded and failed, the seconds they took
(submission to result) and their cost; ``arena models list`` reads it through the provider.
Writes go through a temporary file and ``os.replace``, so an interrupted sync leaves either
the old file or the new one.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

LEDGER_KEYS = ("submitted", "succeeded", "failed", "seconds", "cost")


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


class JobState:
    """The running jobs and the usage ledger of one model; safe across the provider's threads."""

    def __init__(self, folder: Path) -> None:
        self.jobs_file = folder / "jobs.json"
        self.ledger_file = folder / "ledger.json"
        self._lock = threading.Lock()
        self.jobs: dict[str, dict[str, Any]] = _load(self.jobs_file)
        raw = _load(self.ledger_file)
        self.ledger: dict[str, Any] = {k: raw.get(k, 0) for k in LEDGER_KEYS}
        self.ledger["currency"] = raw.get("currency", "")

    def running(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            job = self.jobs.get(key)
            return dict(job) if job else None

    def submitted(self, key: str, job: dict[str, Any]) -> None:
        with self._lock:
            self.jobs[key] = job
            self.ledger["submitted"] += 1
            _save(self.jobs_file, self.jobs)
            _save(self.ledger_file, self.ledger)

    def untracked(self) -> None:
        """The service took a job but its answer gave no id to follow it by: counted as
        submitted (it may be billed) and failed."""
        with self._lock:
            self.ledger["submitted"] += 1
            self.ledger["failed"] += 1
            _save(self.ledger_file, self.ledger)

    def finished(
        self, key: str, *, ok: bool, seconds: float, cost: float = 0.0, currency: str = ""
    ) -> None:
        """The job ended (a clip, or a failure the service reported): forget it, count it."""
        with self._lock:
            self.jobs.pop(key, None)
            self.ledger["succeeded" if ok else "failed"] += 1
            self.ledger["seconds"] = round(self.ledger["seconds"] + max(0.0, seconds), 3)
            if ok and cost:
                self.ledger["cost"] = round(self.ledger["cost"] + cost, 6)
                self.ledger["currency"] = currency
            _save(self.jobs_file, self.jobs)
            _save(self.ledger_file, self.ledger)


def usage(folder: Path) -> dict[str, Any]:
    """The ledger and the number of jobs still running, as ``arena models list`` shows them."""
    ledger = _load(folder / "ledger.json")
    out: dict[str, Any] = {k: ledger.get(k, 0) for k in LEDGER_KEYS}
    out["currency"] = ledger.get("currency", "")
    out["running"] = len(_load(folder / "jobs.json"))
    return out
