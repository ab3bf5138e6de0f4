"""The peer for the speed benchmark: a bare FastAPI endpoint, served like Arena (uvicorn,
one worker), answering a small JSON body to a POST with a JSON body."""

from fastapi import FastAPI

app = FastAPI()


@app.post("/bare")
def bare() -> dict[str, object]:
    return {"ok": True, "id": "x" * 22}
