"""``mlplab playground``: build a network in the browser and watch mlplab train it (see :mod:`.server`)."""

from .server import create_app, serve
from .session import Session
from .setup import SetupError, check_setup, export

__all__ = ["Session", "SetupError", "check_setup", "create_app", "export", "serve"]
