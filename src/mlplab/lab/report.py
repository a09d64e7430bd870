"""The lab report: one self-contained HTML page (figures inline) over the experiments' folders."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from .._atomic import atomic_write
from .base import ExperimentResult

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; } td, th { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; }
.yes { color: #176d2b; font-weight: bold; } .no { color: #a4161a; font-weight: bold; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: 0.9em; }
.meta { color: #666; font-size: 0.9em; } pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
"""


def _verdict(supported: bool) -> str:
    return '<span class="yes">supported</span>' if supported else '<span class="no">not supported</span>'


def _section(result: ExperimentResult, folder: Path) -> str:
    esc = html.escape
    parts = [
        f'<h2 id="{esc(result.name)}">{esc(result.title)} <small>(<code>mlplab lab {esc(result.name)}</code>)</small></h2>'
    ]
    mode = "quick mode (tiny data: figures show the method, not the final numbers)" if result.quick else "full run"
    parts.append(
        f'<p class="meta">{mode}, seed {result.seed}, {result.seconds:.1f} s; files in <code>{esc(result.name)}/</code></p>'
    )
    if result.claims:
        rows = "".join(
            f"<tr><td>{esc(c.statement)} <span class=meta>({esc(c.source)})</span></td><td>{_verdict(c.supported)}</td>"
            f"<td>{esc(c.evidence)}</td></tr>"
            for c in result.claims
        )
        parts.append(f"<table><tr><th>lecture claim</th><th>verdict</th><th>measured</th></tr>{rows}</table>")
    for figure in result.figures:
        data = base64.b64encode((folder / figure.file).read_bytes()).decode("ascii")
        parts.append(
            f'<figure><img alt="{esc(figure.caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(figure.caption)} <code>{esc(figure.file)}</code></figcaption></figure>"
        )
    return "\n".join(parts)


def write_report(results: Sequence[ExperimentResult], out_dir: str | Path) -> Path:
    """Write ``out_dir/report.html``: a summary table, then each experiment's claims and figures.

    The figures are embedded (base64), so the page reads on its own; the PNG
    and JSON files stay in each experiment's folder ``out_dir/NAME/``.
    """
    out_dir = Path(out_dir)
    esc = html.escape
    total = sum(r.seconds for r in results)
    claims = [c for r in results for c in r.claims]
    summary = "".join(
        f'<tr><td><a href="#{esc(r.name)}">{esc(r.title)}</a></td>'
        f"<td>{sum(c.supported for c in r.claims)} of {len(r.claims)}</td><td>{r.seconds:.1f} s</td></tr>"
        for r in results
    )
    body = "\n".join(_section(r, out_dir / r.name) for r in results)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mlplab lab report</title><style>{_STYLE}</style></head>
<body>
<h1>mlplab lab: the lectures' claims, measured</h1>
<p class="meta">{len(results)} experiments, {sum(c.supported for c in claims)} of {len(claims)} claims supported by
the measured numbers; {total / 60:.1f} minutes in all.</p>
<table><tr><th>experiment</th><th>claims supported</th><th>time</th></tr>{summary}</table>
{body}
</body></html>
"""
    path = out_dir / "report.html"
    with atomic_write(path) as f:
        f.write(page.encode("utf-8"))
    return path
