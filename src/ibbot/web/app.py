"""The dashboard's Starlette app: the page, its JSON and live stream, the actions, `/metrics`, `/health`, `/ready`.

    GET  /                     the page (static files: no build step, no framework)
    GET  /api/state            the snapshot as JSON
    GET  /api/stream           the same, pushed as server-sent events on every change (and each second)
    GET  /api/auth             204 when the token offered is the dashboard's
    POST /api/actions/NAME     halt, resume, flatten, acknowledge          (the token is required)
    POST /api/orders/REF/cancel                                             (the token is required)
    GET  /metrics              Prometheus text
    GET  /health               200 while the process and its event loop turn
    GET  /ready                200 when connected, farms up and reconciled SAFE; 503 with the reasons otherwise

The token travels in a header (`Authorization: Bearer ...` or `X-Ibbot-Token`), never in a URL, so no access
log, proxy or browser history holds it; a header also cannot be set by another site's form (no CSRF). Viewing
needs it too when `view_requires_token`; `/health` and `/ready` never do (a container's health check has none).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ibbot.clock import Clock
from ibbot.errors import IbbotError, OrderError
from ibbot.ops.snapshot import Snapshot, to_json
from ibbot.web.metrics import CONTENT_TYPE, Metrics

STATIC = Path(__file__).parent / "static"
EQUITY_POINTS = 600  # points of the equity series sent to the page (the monitor keeps more)
LOG_LINES = 200
_NAME = re.compile(r"[^\w .@-]")
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
}


class Source(Protocol):
    """What the dashboard shows: `ibbot.ops.Monitor` (a live bot) or `ibbot.ops.JournalView` (a watcher)."""

    controls: Any  # an ibbot.ops.Controls, or None: read-only

    def snapshot(self) -> Snapshot: ...

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]: ...


class Heartbeat:
    """The event loop's pulse: `beat()` every `interval` seconds from a task; `/health` reads it."""

    def __init__(self, clock: Clock, interval: float = 0.5) -> None:
        self.clock = clock
        self.interval = interval
        self.turns = 0
        self.started = clock.monotonic()
        self.last = self.started

    def beat(self) -> None:
        self.turns += 1
        self.last = self.clock.monotonic()

    def lag(self) -> float:
        """Seconds the next beat is late (0 while the loop keeps time)."""
        return max(0.0, self.clock.monotonic() - self.last - self.interval)


def page_json(snapshot: Snapshot, *, actions: bool, view_requires_token: bool) -> dict[str, Any]:
    """The snapshot as the page gets it: the equity series thinned to EQUITY_POINTS, the log cut short."""
    body: dict[str, Any] = to_json(snapshot)
    equity = body["equity"]
    if len(equity) > EQUITY_POINTS:
        step = len(equity) / EQUITY_POINTS
        body["equity"] = [equity[int(i * step)] for i in range(EQUITY_POINTS - 1)] + [equity[-1]]
    body["log"] = body["log"][:LOG_LINES]
    body["actions"] = actions
    body["view_requires_token"] = view_requires_token
    return body


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_HEADERS)


def create_app(
    source: Source,
    *,
    token: Any,  # an ibbot.ops.DashboardToken (its `matches`)
    clock: Clock,
    view_requires_token: bool = False,
    heartbeat: Heartbeat | None = None,
    closing: asyncio.Event | None = None,
    push_interval: float = 1.0,
) -> Starlette:
    beat = heartbeat or Heartbeat(clock)
    stop = closing or asyncio.Event()
    metrics = Metrics(source.snapshot)

    def offered(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.headers.get("x-ibbot-token")

    def allowed(request: Request, *, acting: bool) -> bool:
        return (not acting and not view_requires_token) or bool(token.matches(offered(request)))

    def refused() -> JSONResponse:
        return _error(401, "this needs the dashboard token (in the data directory's web-token file)")

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=_HEADERS)

    async def state(request: Request) -> Response:
        if not allowed(request, acting=False):
            return refused()
        snapshot = source.snapshot()
        body = page_json(snapshot, actions=source.controls is not None, view_requires_token=view_requires_token)
        return JSONResponse(body, headers=_HEADERS)

    async def auth(request: Request) -> Response:
        return Response(status_code=204) if token.matches(offered(request)) else refused()

    async def stream(request: Request) -> Response:
        if not allowed(request, acting=False):
            return refused()
        changed = asyncio.Event()
        unsubscribe = source.subscribe(changed.set)
        actions = source.controls is not None

        async def events() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                while not stop.is_set():
                    changed.clear()
                    body = page_json(source.snapshot(), actions=actions, view_requires_token=view_requires_token)
                    yield f"event: snapshot\ndata: {json.dumps(body, separators=(',', ':'))}\n\n"
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(push_interval):
                            await changed.wait()
                    await asyncio.sleep(0.05)  # a burst of changes becomes one push
            finally:
                unsubscribe()

        headers = {**_HEADERS, "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    async def act(request: Request, action: str, order_ref: str = "") -> Response:
        if not allowed(request, acting=True):
            return refused()
        controls = source.controls
        if controls is None:
            return _error(403, "this is a read-only view: act on the bot's own dashboard")
        try:
            body = await request.json() if await request.body() else {}
        except ValueError:
            return _error(400, "the body must be JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        name = _NAME.sub("", str(body.get("operator") or "operator"))[:40] or "operator"
        who = f"web:{name}@{request.client.host if request.client else 'unknown'}"
        reason = str(body.get("reason") or "")[:200]
        try:
            if action == "cancel":
                message = await controls.cancel(who, order_ref)
            elif action in ("halt", "flatten"):
                message = await getattr(controls, action)(who, reason)
            else:
                message = await getattr(controls, action)(who)
        except OrderError as exc:
            return _error(404 if "no order" in str(exc) else 409, str(exc))
        except IbbotError as exc:
            return _error(409, str(exc))
        return JSONResponse({"ok": True, "message": message}, headers=_HEADERS)

    async def action(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("halt", "resume", "flatten", "acknowledge"):
            return _error(404, f"no action {name!r}; the actions are halt, resume, flatten, acknowledge")
        return await act(request, name)

    async def cancel(request: Request) -> Response:
        return await act(request, "cancel", request.path_params["order_ref"])

    async def metrics_endpoint(request: Request) -> Response:
        if not allowed(request, acting=False):
            return refused()
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    async def health(request: Request) -> Response:
        lag = beat.lag()
        body = {
            "status": "alive" if lag < 5.0 else "stalled",
            "loop_turns": beat.turns,
            "loop_lag_seconds": round(lag, 3),
            "uptime_seconds": round(clock.monotonic() - beat.started, 1),
        }
        return JSONResponse(body, status_code=200 if lag < 5.0 else 503, headers=_HEADERS)

    async def ready(request: Request) -> Response:
        snapshot = source.snapshot()
        body = {
            "ready": snapshot.ready,
            "connection": snapshot.health.state,
            "farms": {farm.name: farm.status for farm in snapshot.health.farms},
            "verdict": snapshot.verdict.verdict,
            "reasons": list(snapshot.not_ready_reasons()),
        }
        return JSONResponse(body, status_code=200 if snapshot.ready else 503, headers=_HEADERS)

    routes = [
        Route("/", index),
        Route("/api/state", state),
        Route("/api/stream", stream),
        Route("/api/auth", auth),
        Route("/api/actions/{name}", action, methods=["POST"]),
        Route("/api/orders/{order_ref}/cancel", cancel, methods=["POST"]),
        Route("/metrics", metrics_endpoint),
        Route("/health", health),
        Route("/ready", ready),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, max_body_size=64 * 1024)
