"""The one HTTP server: platform endpoints plus ``/healthz``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.server.metrics import CONTENT_TYPE
from bot.store import outbox

if TYPE_CHECKING:
    from bot.app import Beacon

__all__ = ["build_http_app", "http_server"]


def http_server(app: Starlette, *, host: str, port: int) -> uvicorn.Server:
    """uvicorn for ``app``, logging through the root logger's handlers.

    uvicorn's default logging config gives its loggers handlers of their own
    that do not propagate, so a request's exception (``Exception in ASGI
    application`` and its traceback) would bypass the secret masker.
    """
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", log_config=None))


def _page(beacon: Beacon, fn):
    """A flow's page (``router.page``): run in a transaction on the database thread; ``None`` is 404."""

    async def endpoint(request: Request) -> Response:
        def read():
            with beacon.store.session() as session:
                return fn(session, beacon.clock.now(), **request.path_params)

        page = await beacon.dispatcher.run(read)
        if page is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        return Response(page.body, media_type=page.media_type, headers={"Cache-Control": "no-store"})

    return endpoint


def build_http_app(beacon: Beacon) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        db_ok = await beacon.dispatcher.run(beacon.store.ping)
        adapters = {name: a.status() for name, a in beacon.adapters.items()}
        ok = db_ok and all(s.get("ok", False) for s in adapters.values())
        return JSONResponse({"ok": ok, "database": db_ok, "adapters": adapters}, status_code=200 if ok else 503)

    async def metrics(_: Request) -> Response:
        def depth() -> dict[str, int]:
            with beacon.store.session() as session:
                return outbox.depth(session)

        for status, n in (await beacon.dispatcher.run(depth)).items():
            beacon.metrics.outbox_depth.labels(status).set(n)
        return Response(beacon.metrics.render(), media_type=CONTENT_TYPE)

    routes = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
    routes.extend(Route(path, _page(beacon, fn), methods=["GET"]) for path, fn in beacon.router.pages.items())
    for adapter in beacon.adapters.values():
        routes.extend(adapter.routes())
    return Starlette(routes=routes)
