"""Clip serving: range requests, caching, and ids that cannot reach outside the clip folder."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def a_clip_url(client: TestClient) -> str:
    return client.post("/api/v1/battles?track=text-to-video").json()["left"]["url"]


def test_range_request_returns_206_with_the_slice(client: TestClient) -> None:
    url = a_clip_url(client)
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole.content[-50:]


def test_clips_are_cached_for_a_year_and_immutable(client: TestClient) -> None:
    response = client.get(a_clip_url(client))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["etag"]


def test_unsatisfiable_range_is_416(client: TestClient) -> None:
    response = client.get(a_clip_url(client), headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416


@pytest.mark.parametrize(
    "path",
    [
        "/clips/doesnotexist0000000000",
        "/clips/..%2F..%2Farena.db",
        "/clips/%2e%2e%2f%2e%2e%2fsecret.key",
        "/clips/short",
        "/images/..%2Farena.toml",
        "/images/notahash.png",
    ],
)
def test_unknown_or_traversing_ids_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert b"SQLite" not in response.content


def test_source_images_are_served(client: TestClient) -> None:
    battle = client.post("/api/v1/battles?track=image-to-video").json()
    response = client.get(battle["prompt"]["image_url"])
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
