# Long because each admin API call has a subcommand; they share one client and output.
"""``arena admin ...``: the admin API from the command line (a running server, its token).

The server is ``--url`` or ``$ARENA_URL`` (default ``http://$ARENA_HOST:$ARENA_PORT``), the
token ``--token`` or ``$ARENA_ADMIN_TOKEN``. Every action is one HTTP call; an error prints
the server's message and exits with status 2. ``models sync`` and ``recompute`` start a
background job on the server and, unless ``--no-wait``, follow it to its end, printing its
progress; leaving (Ctrl-C) stops only the following, never the job.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from arena.core.errors import ArenaError
from arena.core.vocabulary import EXCLUSION_REASONS

PREFIX = "/api/v1/admin"


def register(sub: argparse._SubParsersAction) -> None:
    admin = sub.add_parser("admin", help="moderate a running arena through its admin API")
    admin.add_argument("--url", help="the server (default: $ARENA_URL or http://HOST:PORT)")
    admin.add_argument("--token", help="admin token (default: $ARENA_ADMIN_TOKEN)")
    admin.add_argument("--actor", help="your name in the audit trail (default: $USER)")
    groups = admin.add_subparsers(dest="admin_group", required=True, metavar="WHAT")

    models = groups.add_parser("models", help="list, sync, retire, unretire, claim").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    _leaf(models, "list", "models and their clips", "GET", "/models", json_flag=True)
    _job_leaf(
        models, "sync", "add and refresh the configured models (a background job)", "/models/sync"
    )
    _leaf(models, "retire", "no new battles for a model", "POST", "/models/{id}/retire", "id")
    _leaf(models, "unretire", "back into battles", "POST", "/models/{id}/unretire", "id")
    claim = _leaf(models, "claim", "reveal a codename's maker", "POST", "/models/{id}/claim", "id")
    claim.add_argument("--new-slug", required=True, help="the real model id")
    claim.add_argument("--name", required=True, help="the real display name")
    claim.add_argument("--organization", default="", help="who made it")
    claim.add_argument("--license", help="its license")
    claim.add_argument("--link", help="a page about it")
    claim.add_argument("--note", default="", help="kept in the audit trail")

    voters = groups.add_parser("voters", help="flagged voters; flag, unflag").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    _leaf(voters, "flagged", "flagged voters", "GET", "/voters/flagged", json_flag=True)
    _leaf(voters, "show", "one voter's standing", "GET", "/voters/{id}", "id", json_flag=True)
    _leaf(voters, "flag", "exclude a voter's votes", "POST", "/voters/{id}/flag", "id", why=True)
    _leaf(voters, "unflag", "count them again", "POST", "/voters/{id}/unflag", "id", why=True)

    votes = groups.add_parser("votes", help="excluded votes; flag, unflag").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    excluded = _leaf(votes, "excluded", "votes that do not count", "GET", "/votes/excluded")
    excluded.add_argument(
        "--reason",
        choices=EXCLUSION_REASONS,
        help="only this reason",
    )
    excluded.add_argument("--json", action="store_true", help="print JSON")
    _leaf(votes, "flag", "exclude one vote", "POST", "/votes/{id}/flag", "id", why=True)
    _leaf(votes, "unflag", "count one vote again", "POST", "/votes/{id}/unflag", "id", why=True)

    invitations = groups.add_parser(
        "invitations", help="invitation links: create, list, revoke"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    create = invitations.add_parser("create", help="make an invitation and print its link")
    create.add_argument(
        "--uses", type=int, default=1, help="how many browsers may open it (default 1: once)"
    )
    create.add_argument("--label", default="", help="whom it is for (admins see it)")
    create.add_argument("--days", type=float, help="the link stops opening after this many days")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(handler=create_invitation)
    listing = _leaf(invitations, "list", "invitations, newest first", "GET", "/invitations")
    listing.add_argument("--all", action="store_true", help="include revoked ones")
    listing.add_argument("--json", action="store_true", help="print JSON")
    _leaf(
        invitations,
        "revoke",
        "the link stops opening; required-identity votes stop counting",
        "POST",
        "/invitations/{id}/revoke",
        "id",
        why=True,
    )

    events = _leaf(groups, "events", "the audit trail", "GET", "/events", json_flag=True)
    events.add_argument("--voter", dest="voter_id", help="only this voter's events")
    health = _leaf(
        groups,
        "health",
        "integrity alarms (exit 1 while one fires); expired battles; an untrusted proxy seen",
        "GET",
        "/health",
        json_flag=True,
    )
    health.set_defaults(handler=show_health)
    _leaf(
        groups,
        "integrity",
        "per day and track, the share of votes each integrity filter kept out",
        "GET",
        "/integrity",
        json_flag=True,
    ).set_defaults(handler=show_integrity)
    _leaf(
        groups,
        "bias",
        "left/right position bias per track",
        "GET",
        "/position-bias",
        json_flag=True,
    )
    sources = _leaf(
        groups,
        "sources",
        "where each model's wins come from",
        "GET",
        "/vote-sources",
        json_flag=True,
    )
    sources.add_argument(
        "--track", default="text-to-video", help="the track (default text-to-video)"
    )
    sources.add_argument(
        "--days", type=float, default=7.0, help="counted votes this recent (default 7)"
    )
    _job_leaf(
        groups, "recompute", "run the Bradley-Terry recompute (a background job)", "/recompute"
    )
    jobs = _leaf(groups, "jobs", "admin jobs, newest first", "GET", "/jobs", json_flag=True)
    jobs.add_argument("--limit", type=int, default=20, help="show this many (default 20)")
    jobs.set_defaults(handler=list_jobs)
    job = groups.add_parser("job", help="one admin job: progress, result")
    job.add_argument("id", type=int, help="the job's id (arena admin jobs lists them)")
    job.add_argument("--json", action="store_true", help="print JSON")
    job.add_argument("--wait", action="store_true", help="follow it until it ends")
    job.set_defaults(handler=show_job)


def show_health(args: argparse.Namespace) -> int:
    """The health view; exit status 1 while an integrity alarm fires (0 when healthy)."""
    answer = call(args, "GET", "/health", {}, None)
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        _print({k: v for k, v in answer.items() if k != "integrity"})
    alarms = answer.get("integrity", {}).get("alarms", [])
    for alarm in alarms:
        print(f"arena: integrity alarm ({alarm['rule']}): {alarm['message']}", file=sys.stderr)
    return 1 if alarms or not answer.get("ok", True) else 0


def show_integrity(args: argparse.Namespace) -> int:
    """One line per day and track: each filter's share kept out (and failures); the alarms."""
    report = call(args, "GET", "/integrity", {}, None)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if not report["rows"]:
        print("(no votes)")
    for row in report["rows"]:
        shares = []
        for f in row["filters"]:
            share = "-" if f["share"] is None else f"{f['share']:.1%}"
            failed = f" ({f['failed']} failed)" if f["failed"] else ""
            shares.append(f"{f['filter']}={share}{failed}")
        line = [row["day"], row["track"], f"attempts={row['attempts']}", f"votes={row['votes']}"]
        print("  ".join(line + shares))
    for alarm in report["alarms"]:
        print(f"ALARM ({alarm['rule']}): {alarm['message']}")
    return 0


def _job_leaf(
    parent: argparse._SubParsersAction, name: str, help: str, path: str
) -> argparse.ArgumentParser:
    parser = parent.add_parser(name, help=help)
    parser.add_argument(
        "--no-wait", action="store_true", help="print the started job and return at once"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=start_job, method="POST", path=path)
    return parser


def create_invitation(args: argparse.Namespace) -> int:
    """Make an invitation; print its link (on the server ``--url`` names) and its id."""
    body: dict[str, Any] = {"label": args.label, "uses": args.uses, "actor": _actor(args)}
    if args.days is not None:
        body["expires_in_days"] = args.days
    made = call(args, "POST", "/invitations", {}, body)
    if args.json:
        print(json.dumps(made, indent=2))
        return 0
    print(_base(args).rstrip("/") + made["path"])
    uses = "once" if made["max_uses"] == 1 else f"{made['max_uses']} times"
    until = f", until {made['expires_at']}" if made["expires_at"] else ""
    print(
        f"invitation {made['id']} ({made['voter_id']}): opens {uses}{until}; the link is shown "
        "only now",
        file=sys.stderr,
    )
    return 0


def start_job(args: argparse.Namespace) -> int:
    """Start a job; unless ``--no-wait``, follow it and print its result."""
    job = call(args, "POST", args.path, {}, {"actor": _actor(args)})
    print(f"started job {job['id']} ({job['kind']}): {job['status_url']}", file=sys.stderr)
    if args.no_wait:
        _show(args, job)
        return 0
    return _follow(args, job)


def list_jobs(args: argparse.Namespace) -> int:
    """One line per job: id, kind, state, when, by whom, stage or error."""
    jobs = call(args, "GET", "/jobs", {"limit": str(args.limit)}, None)
    if args.json:
        print(json.dumps(jobs, indent=2))
        return 0
    if not jobs:
        print("(none)")
    for job in jobs:
        count = f" ({job['done']}/{job['total']})" if job["total"] else ""
        where = job["error"] if job["state"] == "failed" else f"{job['stage']}{count}"
        line = [str(job["id"]), job["kind"], job["state"], job["created_at"], job["actor"], where]
        print("  ".join(line))
    return 0


def show_job(args: argparse.Namespace) -> int:
    job = call(args, "GET", f"/jobs/{_quote(args.id)}", {}, None)
    if args.wait and job["state"] == "running":
        return _follow(args, job)
    _show(args, job)
    return 0 if job["state"] != "failed" else 1


POLL_SECONDS = 0.5


def _follow(args: argparse.Namespace, job: dict[str, Any]) -> int:
    """Poll the job until it ends, printing each new stage to stderr; its exit status."""
    shown = None
    try:
        while job["state"] == "running":
            step = (job["stage"], job["done"], job["total"])
            if step != shown:
                count = f" ({job['done']}/{job['total']})" if job["total"] else ""
                print(f"job {job['id']}: {job['stage']}{count}", file=sys.stderr)
                shown = step
            time.sleep(POLL_SECONDS)
            job = call(args, "GET", f"/jobs/{job['id']}", {}, None)
    except KeyboardInterrupt:
        print(
            f"\nstopped following; job {job['id']} goes on on the server "
            f"(`arena admin job {job['id']} --wait`)",
            file=sys.stderr,
        )
        return 130
    if job["state"] == "failed":
        print(f"arena: job {job['id']} ({job['kind']}) failed: {job['error']}", file=sys.stderr)
        if args.json:
            _show(args, job)
        return 1
    if args.json:
        print(json.dumps(job, indent=2))
    else:
        result = job["result"]
        _print(result)
    return 0


def _show(args: argparse.Namespace, job: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(job, indent=2))
        return
    result = job.pop("result", None)
    _print({k: v for k, v in job.items() if v not in (None, "")})
    if result is not None:
        print("result:")
        _print(result)


def _leaf(
    parent: argparse._SubParsersAction,
    name: str,
    help: str,
    method: str,
    path: str,
    arg: str | None = None,
    json_flag: bool = False,
    why: bool = False,
) -> argparse.ArgumentParser:
    parser = parent.add_parser(name, help=help)
    if arg:
        # "/models/{id}/retire" takes a model id, "/votes/{id}/flag" a vote id, ...
        parser.add_argument(arg, help=f"the {path.split('/')[1].removesuffix('s')} id")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON")
    if why:
        parser.add_argument("--reason", default="", help="kept in the audit trail")
    parser.set_defaults(handler=run, method=method, path=path)
    return parser


def run(args: argparse.Namespace) -> int:
    path = args.path.replace("{id}", _quote(getattr(args, "id", "")))
    query = {
        k: str(getattr(args, k))
        for k in ("reason", "voter_id", "track", "days")
        if getattr(args, k, None)
    }
    body: dict[str, Any] | None = None
    if args.method == "POST":
        body = {}
        if "flag" in path or path.endswith("/revoke"):
            body = {"reason": getattr(args, "reason", ""), "actor": _actor(args)}
            query = {}
        elif path.endswith("/claim"):
            body = {
                "new_slug": args.new_slug,
                "name": args.name,
                "organization": args.organization,
                "license": args.license,
                "link": args.link,
                "note": args.note,
            }
    elif args.path != "/votes/excluded":
        query.pop("reason", None)
    if getattr(args, "all", False):
        query["revoked"] = "true"
    answer = call(args, args.method, path, query, body)
    if getattr(args, "json", False) or not isinstance(answer, list | dict):
        print(json.dumps(answer, indent=2))
    else:
        _print(answer)
    return 0


def _quote(value: object) -> str:
    return urllib.parse.quote(str(value), safe="")


def _actor(args: argparse.Namespace) -> str:
    if args.actor:
        return str(args.actor)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "admin"


def call(
    args: argparse.Namespace,
    method: str,
    path: str,
    query: dict[str, str],
    body: dict[str, Any] | None,
) -> Any:
    """One admin API call; the server's error message becomes an ArenaError."""
    base = _base(args)
    token = args.token or os.environ.get("ARENA_ADMIN_TOKEN", "")
    url = base.rstrip("/") + PREFIX + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("detail")
        except ValueError:
            detail = exc.reason
        hint = " (check --token or ARENA_ADMIN_TOKEN)" if exc.code == 401 else ""
        raise ArenaError(f"HTTP {exc.code} from {url}: {detail}{hint}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ArenaError(f"cannot reach {base}: {reason} (is `arena serve` running?)") from None


def _base(args: argparse.Namespace) -> str:
    return str(args.url or os.environ.get("ARENA_URL") or _default_url())


def _default_url() -> str:
    host = os.environ.get("ARENA_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('ARENA_PORT', '8000')}"


def _print(answer: Any) -> None:
    """A compact, line-per-item rendering of an answer (``--json`` for everything)."""
    if not isinstance(answer, list | dict):
        print(json.dumps(answer))
        return
    if isinstance(answer, dict):
        for key, value in answer.items():
            print(f"{key}: {value}")
        return
    if not answer:
        print("(none)")
    for row in answer:
        print("  ".join(f"{k}={v}" for k, v in row.items() if v not in (None, "", [], {})))
