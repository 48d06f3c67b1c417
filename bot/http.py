"""The one HTTP server: platform endpoints plus ``/healthz``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from .app import Beacon

__all__ = ["build_http_app"]


def build_http_app(beacon: Beacon) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        db_ok = await beacon.dispatcher.run(beacon.store.ping)
        adapters = {name: a.status() for name, a in beacon.adapters.items()}
        ok = db_ok and all(s.get("ok", False) for s in adapters.values())
        return JSONResponse({"ok": ok, "database": db_ok, "adapters": adapters}, status_code=200 if ok else 503)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    for adapter in beacon.adapters.values():
        routes.extend(adapter.routes())
    return Starlette(routes=routes)
