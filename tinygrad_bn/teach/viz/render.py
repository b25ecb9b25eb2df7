"""Running Graphviz: a Digraph, tensor or tape to an SVG, PNG or PDF file, with one clear error
when the `dot` program is missing or fails.
"""
import shutil
import subprocess
from pathlib import Path

import graphviz

from .dot import to_dot

FORMATS = ("svg", "png", "pdf")


class GraphvizError(RuntimeError):
    """Graphviz's `dot` program is missing or failed, so a picture could not be made."""


def render(graph_or_tensor, path, format=None):
    """Draw a Digraph, tensor or tape to `path` (svg, png or pdf; default from the suffix).

    The DOT source is always written next to it (`path` with suffix .gv), even when dot fails.
    """
    dot = graph_or_tensor if isinstance(graph_or_tensor, graphviz.Digraph) else to_dot(graph_or_tensor)
    path = Path(path)
    format = (format or path.suffix.lstrip(".") or "svg").lower()
    if format not in FORMATS:
        raise ValueError(f"render: format {format!r} for {path} is not one of {FORMATS}; "
                         "pick one, e.g. render(graph, 'bn.svg')")
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.with_suffix(".gv")
    source.write_text(dot.source)
    path.write_bytes(run_dot(dot.source, format, source, path))
    return path


def run_dot(source, format, source_path=None, target=None):
    """Bytes of `dot -T<format>` on the DOT text; a clear GraphvizError when dot is missing or fails."""
    saved = (f" The DOT source is in {source_path}; once dot works, `dot -T{format} {source_path} "
             f"-o {target}` draws it.") if source_path else ""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizError(f"render: Graphviz's `dot` program is not on PATH, so no {format} was "
                            "made. Install it: `sudo apt-get install graphviz` (Debian/Ubuntu), "
                            "`brew install graphviz` (macOS)." + saved)
    try:
        proc = subprocess.run([exe, f"-T{format}"], input=source.encode(), capture_output=True,
                              timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphvizError(f"render: running {exe} failed ({exc}); check `dot -V`." + saved) from None
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode(errors="replace").strip()[:400] or "no output"
        raise GraphvizError(f"render: `{exe} -T{format}` exited with {proc.returncode}: {err}; "
                            "check that `dot -V` works or reinstall graphviz." + saved)
    return proc.stdout
