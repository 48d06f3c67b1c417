"""What the fake Slack and Telegram servers share: serving on a free loopback
port and recording every call, so each fake holds only its platform's rules."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web

__all__ = ["Call", "FakeServer"]


class Call(tuple):
    """One recorded request: unpacks and compares as ``(method, params)``.

    A tuple so tests can assert on plain ``(method, params)`` pairs. Extra
    attributes: ``status`` (HTTP status sent back) and ``response`` (the JSON
    body sent back, or ``None``). Subclasses override :attr:`ok` where the
    platform reports failure otherwise than by status.
    """

    def __new__(cls, method: str, params: dict[str, Any], **extra: Any) -> Call:
        self = super().__new__(cls, (method, params))
        self.status = extra.get("status", 200)
        self.response = extra.get("response")
        return self

    @property
    def method(self) -> str:
        return self[0]

    @property
    def params(self) -> dict[str, Any]:
        return self[1]

    @property
    def ok(self) -> bool:
        return self.status == 200


class FakeServer:
    """An aiohttp app on 127.0.0.1:<random port> with its calls recorded.

    Port 0 lets tests run side by side; :attr:`calls` and the lock are shared
    with the handlers, which may run while another thread inspects them.
    """

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[Call] = []
        self.connections: set[tuple[str, int]] = set()  # client (host, port) pairs seen: one per TCP connection
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None

    async def _start(self, app: web.Application) -> None:
        app.middlewares.append(self._count_connection)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    @web.middleware
    async def _count_connection(self, request: web.Request, handler):
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            with self._lock:
                self.connections.add(tuple(peer[:2]))
        return await handler(request)

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    def _method_key(self, method: str) -> str:
        """How method names compare; Telegram's are case-insensitive."""
        return method

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _calls(self, method: str | None = None) -> list[Call]:
        """Calls to ``method`` (all when ``None``); the caller holds :attr:`_lock`."""
        if method is None:
            return list(self.calls)
        key = self._method_key(method)
        return [c for c in self.calls if self._method_key(c.method) == key]

    # -- inspection ------------------------------------------------------
    def calls_to(self, method: str, *, ok: bool | None = None) -> list[dict[str, Any]]:
        """Params of every call to ``method`` (optionally only ok / failed ones)."""
        with self._lock:
            return [c.params for c in self._calls(method) if ok is None or c.ok == ok]

    def count(self, method: str | None = None, *, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for c in self._calls(method) if status is None or c.status == status)

    async def wait_for(self, method: str, count: int = 1, *, timeout: float = 2.0) -> list[dict[str, Any]]:
        """Wait until ``method`` has been called ``count`` times; return their params."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found := self.calls_to(method)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{method} called {len(found)} times, wanted {count}: {self.calls}")
            await asyncio.sleep(0.005)
        return found
