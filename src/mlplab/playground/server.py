"""``mlplab playground``: a Starlette app serving the page and one WebSocket session per browser tab.

Messages from the page (JSON): ``setup`` (with a ``config``), ``start`` (after the last epoch:
as many epochs again, announced by a ``continued`` message with the new setup and export),
``pause``, ``step``, ``reset`` (new initial weights: the next weight seed), ``new_data`` (new
points: the next data seed), ``lr`` (with a ``value``), ``speed`` (epochs a second at most, or
``null``), ``weight`` (``layer``, ``row``, ``column``, ``value``: one weight set by hand),
``explain`` (a training ``sample``: an ``explanation`` of one step on it comes back).
Messages to the page: ``ready`` (the points, the extent, the model summary, the
export, and the ``setup`` as the page spells it), ``state``
(after epochs, at most ``UPDATES_PER_SECOND`` times a second while running),
and ``error`` (a refused setup or message, with the reason). A message may carry
an ``id`` (a number or a short text): the answer to it (``ready``, ``lr`` or
``error``) carries the same ``id``, so the page knows which setup the server
accepted or refused. Training runs in
a worker thread, an epoch at a time, so the server keeps answering; a closed
tab ends its session and its training.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import __version__
from ..recipe import OPTIONS, Config
from ..recipe.rules import shown
from .lessons import LESSONS, lesson_address
from .session import Session
from .setup import (
    ACTIVATION_CHOICES,
    DATASETS,
    INITIALIZER_CHOICES,
    LOSSES,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_UNITS,
    NEXT_SEED,
    OPTIMIZER_CHOICES,
    PLAYGROUND_DEFAULTS,
    SCHEDULES,
    SetupError,
    check_field,
    check_setup,
    export,
    field_ranges,
    page_setup,
    reseeded,
)

STATIC = Path(__file__).parent / "static"
UPDATES_PER_SECOND = 8
MAX_TABS = 16
OPEN: set[Connection] = set()
"""The tabs connected now (a closed tab leaves it, its training stopped)."""


async def index(request: Any) -> FileResponse:
    return FileResponse(STATIC / "index.html")


async def options(request: Any) -> JSONResponse:
    """What the page's menus offer, the limits, and the default setup."""
    return JSONResponse(
        {
            "version": __version__,
            "datasets": list(DATASETS),
            "activations": list(ACTIVATION_CHOICES),
            "initializers": list(INITIALIZER_CHOICES),
            "losses": list(LOSSES),
            "optimizers": list(OPTIMIZER_CHOICES),
            "schedules": list(SCHEDULES),
            "limits": {"layers": MAX_LAYERS, "units": MAX_UNITS},
            "ranges": field_ranges(),
            "defaults": PLAYGROUND_DEFAULTS,
            "lessons": [{"name": x["name"], "title": x["title"], "address": lesson_address(x)} for x in LESSONS],
        }
    )


async def export_endpoint(request: Any) -> JSONResponse:
    """``POST /api/export`` with a setup: the ``mlplab train`` config and command, or 400 with the reason."""
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        return JSONResponse({"error": "the body must be JSON"}, status_code=400)
    try:
        return JSONResponse(export(check_setup(body)))
    except SetupError as error:
        return JSONResponse({"error": str(error)}, status_code=400)


def learning_rate(value: Any) -> float:
    """A learning rate sent by the page, checked as the setup's ``lr`` field is, else :class:`SetupError`."""
    if isinstance(value, str):  # the rule reads numbers written as text (as in YAML files); a frame sends numbers
        raise SetupError(f"lr: {shown(value)} is not a number ({OPTIONS['lr'].rule.describe()})")
    return float(check_field("lr", value))


SPEEDS = (1.0, 3.0, 10.0, 30.0)
"""The speeds the page offers, in epochs a second (and ``None``: as fast as it trains)."""


def epochs_per_second(value: Any) -> float | None:
    """A speed sent by the page: one of :data:`SPEEDS`, or ``None`` for no limit; else :class:`SetupError`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) not in SPEEDS:
        choices = ", ".join(f"{speed:g}" for speed in SPEEDS)
        raise SetupError(f"speed: {str(value)[:20]!r} is not allowed (must be {choices} epochs a second, or null)")
    return float(value)


def pause_after(seconds: float, speed: float | None) -> float:
    """How long to wait after an epoch that took ``seconds`` so that epochs come at most ``speed`` a second."""
    return 0.0 if speed is None else max(0.0, 1.0 / speed - seconds)


def request_id(message: Any) -> int | str | None:
    """The ``id`` a message carries for its answer: a whole number or a text of at most 64 characters, else none."""
    request = message.get("id") if isinstance(message, dict) else None
    if isinstance(request, bool) or not isinstance(request, (int, str)):
        return None
    return request if not isinstance(request, str) or len(request) <= 64 else None


def _answer(message: dict[str, Any], request: int | str | None) -> dict[str, Any]:
    return message if request is None else {**message, "id": request}


class Connection:
    """One tab: its session, its training task, and the messages it sends and receives."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self.session: Session | None = None
        self.task: asyncio.Task[None] | None = None
        self.halt = False
        self.speed: float | None = None  # epochs a second at most (None: as fast as it trains)

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send_text(json.dumps(message, allow_nan=False))

    async def error(self, text: str, request: int | str | None = None) -> None:
        await self.send(_answer({"type": "error", "message": text}, request))

    async def state(self) -> None:
        assert self.session is not None
        await self.send(await asyncio.to_thread(self.session.state))

    async def handle(self, text: str | None) -> None:
        """Answer one message; whatever it holds, the answer is a message, never a closed connection."""
        if text is None:
            return await self.error("binary messages are not understood: send JSON text")
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            return await self.error("the message is not JSON")
        request = request_id(message)
        try:
            await self.dispatch(message, request)
        except SetupError as error:
            await self.error(str(error), request)
        except (WebSocketDisconnect, asyncio.CancelledError):
            raise
        except Exception as error:  # never let a message take the connection down: say what happened
            await self.error(f"cannot do that: {type(error).__name__}: {error}", request)

    async def dispatch(self, message: Any, request: int | str | None = None) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "setup":
            return await self.setup(check_setup(message.get("config", {})), request)
        if kind in NEXT_SEED:  # Reset: new initial weights; New data: new points (the rest of the setup as it is)
            return await self.setup(reseeded(self.session.config if self.session else check_setup({}), kind), request)
        if kind == "weight":  # a weight set by hand in the diagram: the next prediction uses it
            if self.session is None:
                return await self.error("send a setup first", request)
            try:
                values = [message.get(key) for key in ("layer", "row", "column", "value")]
                await asyncio.to_thread(self.session.set_weight, *values)
            except ValueError as error:
                return await self.error(str(error), request)
            return await self.state()
        if kind == "explain":  # one sample's step opened up: z, a, delta, dL/dw and the change, nothing kept
            if self.session is None:
                return await self.error("send a setup first", request)
            try:
                explained = await asyncio.to_thread(self.session.explain, message.get("sample"))
            except ValueError as error:
                return await self.error(str(error), request)
            return await self.send(_answer({"type": "explanation", **explained}, request))
        if kind == "speed":
            self.speed = epochs_per_second(message.get("value"))
            return await self.send(_answer({"type": "speed", "value": self.speed}, request))
        if kind not in ("start", "pause", "step", "lr"):
            return await self.error(
                f"unknown message type {str(kind)[:40]!r}: use setup, start, pause, step, reset, new_data, lr, speed, weight or explain",
                request,
            )
        if self.session is None:
            return await self.error("send a setup first", request)
        if kind == "start":
            if self.session.finished:  # done: as many epochs more; diverged or at the most epochs: say so again
                if not await asyncio.to_thread(self.session.extend, MAX_EPOCHS):
                    return await self.state()
                continued = {"setup": page_setup(self.session.config), "export": export(self.session.config)}
                await self.send({"type": "continued", **continued})
            self.start()
        elif kind == "pause":
            await self.stop()
            if not self.session.finished:
                self.session.status = "paused"
            await self.state()
        elif kind == "step":
            await self.stop()
            await asyncio.to_thread(self.session.epoch)
            if not self.session.finished:
                self.session.status = "paused"
            await self.state()
        else:
            rate = learning_rate(message.get("value"))
            await asyncio.to_thread(self.session.set_lr, rate)
            await self.send(_answer({"type": "lr", "value": rate, "export": export(self.session.config)}, request))

    async def setup(self, config: Config, request: int | str | None = None) -> None:
        """A new session for a checked configuration (the running one stops only once the new one is valid)."""
        try:
            session = await asyncio.to_thread(Session, config)
        except Exception as error:  # a setup that passes the checks but cannot be built
            return await self.error(f"cannot build this setup: {error}", request)
        await self.stop()
        self.session = session
        ready = {
            "type": "ready",
            "points": session.points(),
            "export": export(session.config),
            "setup": page_setup(session.config),
        }
        await self.send(_answer(ready, request))
        await self.state()

    def start(self) -> None:
        if self.task is None or self.task.done():
            self.halt = False
            self.task = asyncio.create_task(self.train())

    async def stop(self) -> None:
        """Stop training after the epoch in progress and its update (nothing the page expects is lost)."""
        if self.task is not None and not self.task.done():
            self.halt = True
            await self.task
        self.task = None

    async def train(self) -> None:
        """Epochs until done, diverged or halted; a ``state`` at most ``UPDATES_PER_SECOND`` times a second.

        The first epoch of a run is announced as ``warming up`` (it may load or compile the training
        loop); with a speed set, each epoch waits out the rest of its share of a second.
        """
        session = self.session
        assert session is not None
        if session.trainer.epoch == 0:
            session.status = "warming up"
            await self.state()
        else:
            session.status = "running"
        last = 0.0
        try:
            while not session.finished and not self.halt:
                started = time.monotonic()
                await asyncio.to_thread(session.epoch)
                if session.status == "warming up":
                    session.status = "running"
                if time.monotonic() - last >= 1 / UPDATES_PER_SECOND and not session.finished:
                    await self.state()
                    last = time.monotonic()
                await asyncio.sleep(pause_after(time.monotonic() - started, self.speed))
            if session.finished:
                await self.state()
        except WebSocketDisconnect:
            return
        except Exception as error:  # never let a run take the server down: say what happened, if the tab still listens
            session.status = "stopped"
            try:
                await self.error(f"training stopped: {type(error).__name__}: {error}")
            except Exception:
                return


def _same_origin(socket: WebSocket) -> bool:
    """Whether the page that opens the socket was served by this server (other websites may not drive it)."""
    origin = socket.headers.get("origin")
    return origin is None or urlparse(origin).netloc == socket.headers.get("host")


async def play(socket: WebSocket) -> None:
    if not _same_origin(socket) or len(OPEN) >= MAX_TABS:
        await socket.close(code=1008)
        return
    await socket.accept()
    connection = Connection(socket)
    OPEN.add(connection)
    try:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
            await connection.handle(message.get("text"))
    except WebSocketDisconnect:
        pass
    finally:  # the training task sees the flag and ends after its epoch
        OPEN.discard(connection)
        connection.halt = True


def create_app() -> Starlette:
    """The playground's web app: ``/`` the page, ``/static`` its files, ``/api/options``, ``/api/export``, ``/ws``."""
    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/options", options),
            Route("/api/export", export_endpoint, methods=["POST"]),
            WebSocketRoute("/ws", play),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )


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
