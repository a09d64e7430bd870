"""``mlplab playground``: a Starlette app serving the page and one WebSocket session per browser tab.

Messages from the page (JSON): ``setup`` (with a ``config``), ``start``,
``pause``, ``step``, ``reset``, ``lr`` (with a ``value``). Messages to the page:
``ready`` (the points, the extent, the model summary, the export), ``state``
(after epochs, at most ``UPDATES_PER_SECOND`` times a second while running),
and ``error`` (a refused setup or message, with the reason). Training runs in
a worker thread, an epoch at a time, so the server keeps answering; a closed
tab ends its session and its training.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import __version__
from .session import Session
from .setup import (
    ACTIVATION_CHOICES,
    DATASETS,
    INITIALIZER_CHOICES,
    LOSSES,
    MAX_LAYERS,
    MAX_UNITS,
    OPTIMIZER_CHOICES,
    PLAYGROUND_DEFAULTS,
    SCHEDULES,
    SetupError,
    check_setup,
    export,
)

STATIC = Path(__file__).parent / "static"
UPDATES_PER_SECOND = 8
OPEN: set[Connection] = set()
"""The tabs connected now (a closed tab leaves it, its training stopped)."""


async def index(request: Any) -> FileResponse:
    return FileResponse(STATIC / "index.html")


async def options(request: Any) -> JSONResponse:
    """What the page's menus offer, the limits, and the default setup."""
    return JSONResponse({
        "version": __version__,
        "datasets": list(DATASETS), "activations": list(ACTIVATION_CHOICES), "initializers": list(INITIALIZER_CHOICES),
        "losses": list(LOSSES), "optimizers": list(OPTIMIZER_CHOICES), "schedules": list(SCHEDULES),
        "limits": {"layers": MAX_LAYERS, "units": MAX_UNITS}, "defaults": PLAYGROUND_DEFAULTS,
    })


async def export_endpoint(request: Any) -> JSONResponse:
    """``POST /api/export`` with a setup: the ``mlplab train`` config and command, or 400 with the reason."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JSONResponse({"error": "the body must be JSON"}, status_code=400)
    try:
        return JSONResponse(export(check_setup(body)))
    except SetupError as error:
        return JSONResponse({"error": str(error)}, status_code=400)


class Connection:
    """One tab: its session, its training task, and the messages it sends and receives."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self.session: Session | None = None
        self.task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send_text(json.dumps(message, allow_nan=False))

    async def error(self, text: str) -> None:
        await self.send({"type": "error", "message": text})

    async def state(self) -> None:
        assert self.session is not None
        await self.send(await asyncio.to_thread(self.session.state))

    async def handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            return await self.error("the message is not JSON")
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "setup":
            return await self.setup(message.get("config", {}))
        if kind == "reset":
            return await (self.setup(self.session.config, keep=True) if self.session else self.setup({}))
        if kind not in ("start", "pause", "step", "lr"):
            return await self.error(f"unknown message type {kind!r}: use setup, start, pause, step, reset or lr")
        if self.session is None:
            return await self.error("send a setup first")
        if kind == "start":
            self.start()
        elif kind == "pause":
            await self.stop()
            self.session.status = "paused" if not self.session.finished else self.session.status
            await self.state()
        elif kind == "step":
            await self.stop()
            await asyncio.to_thread(self.session.epoch)
            if self.session.status not in ("diverged", "done"):
                self.session.status = "paused"
            await self.state()
        else:
            value = message.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 < value <= 10:
                return await self.error(f"the learning rate must be a number in (0, 10], got {value!r}")
            await asyncio.to_thread(self.session.set_lr, float(value))
            await self.send({"type": "lr", "value": float(value), "export": export(self.session.config)})

    async def setup(self, raw: Any, keep: bool = False) -> None:
        await self.stop()
        try:
            config = raw if keep else check_setup(raw)
            session = await asyncio.to_thread(Session, config)
        except SetupError as error:
            return await self.error(str(error))
        except Exception as error:  # a setup that passes the checks but cannot be built
            return await self.error(f"cannot build this setup: {error}")
        self.session = session
        await self.send({"type": "ready", "points": session.points(), "export": export(session.config), "config": raw if not keep else None})
        await self.state()

    def start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.train())

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        self.task = None

    async def train(self) -> None:
        """Epochs until done, diverged or stopped; a ``state`` at most ``UPDATES_PER_SECOND`` times a second."""
        session = self.session
        assert session is not None
        session.status = "running"
        last = 0.0
        try:
            while not session.finished:
                await asyncio.to_thread(session.epoch)
                if time.monotonic() - last >= 1 / UPDATES_PER_SECOND or session.finished:
                    await self.state()
                    last = time.monotonic()
        except (WebSocketDisconnect, RuntimeError):  # the tab closed while an update was on its way
            return
        except Exception as error:  # never let a run take the server down: say what happened
            session.status = "stopped"
            await self.error(f"training stopped: {type(error).__name__}: {error}")
        await self.state()


async def play(socket: WebSocket) -> None:
    await socket.accept()
    connection = Connection(socket)
    OPEN.add(connection)
    try:
        while True:
            await connection.handle(await socket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        await connection.stop()
        OPEN.discard(connection)


def create_app() -> Starlette:
    """The playground's web app: ``/`` the page, ``/static`` its files, ``/api/options``, ``/api/export``, ``/ws``."""
    return Starlette(routes=[
        Route("/", index),
        Route("/api/options", options),
        Route("/api/export", export_endpoint, methods=["POST"]),
        WebSocketRoute("/ws", play),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> None:
    """Serve the playground until Ctrl-C, printing its address (and opening it in a browser unless told not to)."""
    import uvicorn

    address = f"http://{host}:{port}/"
    print(f"mlplab playground: open {address}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(address,)).start()
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")
