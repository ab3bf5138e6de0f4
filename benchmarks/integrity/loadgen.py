"""A bounded load generator: concurrent voters doing "get battle + vote" over keep-alive
HTTP/1.1 on loopback, recording every status and every acknowledged vote.

Each virtual voter keeps a cookie for ``votes_per_voter`` votes, then starts afresh, and
sends its own X-Forwarded-For address (the server trusts 127.0.0.1 as a proxy), so the
defaults' per-voter and per-address limits stay in force without throttling the run.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    per_second: dict[int, Counter[str]] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)

    def note(self, status: int | str) -> None:
        second = int(time.monotonic() - self.started)
        with self.lock:
            if isinstance(status, int):
                self.statuses[status] += 1
            else:
                self.errors[status] += 1
            key = str(status) if isinstance(status, str) else f"{status // 100}xx"
            self.per_second.setdefault(second, Counter())[key if status != 503 else "503"] += 1

    def summary(self, seconds: float) -> dict[str, object]:
        total = sum(self.statuses.values())
        return {
            "seconds": round(seconds, 1),
            "requests": total,
            "requests_per_second": round(total / seconds, 1),
            "acknowledged_votes": len(self.acknowledged),
            "statuses": dict(sorted(self.statuses.items())),
            "status_5xx": sum(n for s, n in self.statuses.items() if s >= 500),
            "connection_errors": dict(self.errors),
        }


def voter_loop(
    port: int, tally: Tally, stop: float, ident: int, *, votes_per_voter: int = 10
) -> None:
    conn: http.client.HTTPConnection | None = None
    serial = 0
    while time.monotonic() < stop:
        serial += 1
        cookie, address = "", f"10.{ident % 250}.{serial // 250 % 250}.{serial % 250 + 1}"
        for _ in range(votes_per_voter):
            if time.monotonic() >= stop:
                break
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                headers = {"X-Forwarded-For": address, "Content-Type": "application/json"}
                if cookie:
                    headers["Cookie"] = cookie
                conn.request("POST", "/api/v1/battles?track=text-to-video", headers=headers)
                response = conn.getresponse()
                body = response.read()
                tally.note(response.status)
                if response.status != 201:
                    time.sleep(0.05)
                    continue
                cookie = cookie or (response.getheader("set-cookie") or "").split(";")[0]
                headers["Cookie"] = cookie
                battle = json.loads(body)
                conn.request(
                    "POST",
                    battle["vote_url"],
                    body=json.dumps({"outcome": "a", "watch_ms": 5000}),
                    headers=headers,
                )
                response = conn.getresponse()
                response.read()
                tally.note(response.status)
                if response.status == 200:
                    with tally.lock:
                        tally.acknowledged.add(battle["id"])
            except (OSError, http.client.HTTPException) as exc:
                tally.note(type(exc).__name__)
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.05)
    if conn is not None:
        conn.close()


def run_load(port: int, *, seconds: float, voters: int, tally: Tally | None = None) -> Tally:
    """Run ``voters`` threads for ``seconds``; returns the tally (pass one in to share it)."""
    tally = tally or Tally()
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(target=voter_loop, args=(port, tally, stop, i), daemon=True)
        for i in range(voters)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    return tally
