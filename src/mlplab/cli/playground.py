"""``mlplab playground``: the browser playground on a local web server."""

from __future__ import annotations

import argparse
from typing import Any


def add_playground_parser(sub: Any) -> None:
    p = sub.add_parser("playground", help="build and train networks in the browser, watching them learn")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")


def cmd_playground(args: argparse.Namespace) -> int:
    from ..playground import serve

    serve(args.host, args.port, open_browser=not args.no_browser)
    return 0
