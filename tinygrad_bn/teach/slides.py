"""The lecture pack: one 1920x1080 PNG per forward and backward step of a graph, plus the whole
graph, each with a large caption and a legend inset, and an index.html listing them.

Pictures for PowerPoint or Keynote, drawn by the same viz functions as the stepper page, so the
slides, the handout (explain) and the live stepper show the same names and numbers.
"""
import html
import io
import textwrap
from pathlib import Path

from .names import named_graph
from .numbers import minus
from .viz import KIND_TEXT, STYLES, Drawing, run_dot
from .viz.frames import layer_blocks, record_line, step_lines
from .viz.layout import SLIDE_RECORDS
from .viz.slide import GRAD_COLOUR
from .walk import replay

WIDTH, HEIGHT = 1920, 1080               # pixels of every slide
CAPTION_PX, TITLE_PX = 32, 64            # large type: readable from the back of a hall
WRAP = 100                                # characters per caption line at CAPTION_PX


def lecture_pack(loss, out_dir, title=""):
    """Write the slides of `loss` into out_dir -> the PNG paths, in slide order, then index.html.

    00_graph.png is the whole graph (layers as boxes beyond SLIDE_RECORDS records);
    forward_NN.png and backward_NN.png follow the walk one record at a time, each drawing the
    layer call that record belongs to, in the slide style (textbook symbols, big type), with
    the names and numbers of the whole graph. Every .grad is left as it was.
    """
    pil = _pil()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    g, frames = named_graph(loss), replay(loss)
    grads = frames[-1].known if frames else {}
    part = {id(r): block for block in layer_blocks(g, pack=False) for r in block}
    small = len(g.records) <= SLIDE_RECORDS
    whole = Drawing(g, show_values=True, grads=grads, style="slide") if small else \
        Drawing(g, collapse=True)                # the direction nearest 16:9
    slides = [("00_graph.png", f"{title}: the whole graph".strip(": "),
               [f"{len(g.records)} records" + ("; values and gradients after one backward" if small
                                               else ", layers drawn as boxes; the next slides open them")],
               whole.draw())]
    leaves = {id(t) for t in g.tensors if t.record is None}
    for k, r in enumerate(g.records, 1):
        known = leaves | {id(q.output) for q in g.records[:k]}
        slides.append((f"forward_{k:02d}.png", f"Forward {k}/{len(g.records)}", [record_line(g, r)],
                       Drawing(g, records=part[id(r)], show_values=True, values=known, highlight=r,
                               style="slide").draw()))
    for k, frame in enumerate(frames, 1):
        r = frame.step.record
        lines = [f"{g.rid(r)} {r.op}: upstream gradient d{g.label(r.output)}", *step_lines(g, frame)]
        slides.append((f"backward_{k:02d}.png", f"Backward {k}/{len(frames)}", lines,
                       Drawing(g, records=part[id(r)], show_values=True, grads=frame.known,
                               arrived=frame.arrived, highlight=r, style="slide").draw()))
    slides = [(name, head, [minus(line) for line in lines], dot) for name, head, lines, dot in slides]
    paths = [_slide(pil, out / name, head, lines, _png(dot)) for name, head, lines, dot in slides]
    index = out / "index.html"
    index.write_text(_index(title, slides), encoding="utf-8")
    return paths + [index]


def _slide(pil, path, head, lines, graph_png):
    """One 1920x1080 PNG: the title and caption on top, the graph scaled to fit, the legend inset."""
    Image, ImageDraw, fonts = pil
    page = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(page)
    draw.text((40, 24), head, font=fonts["title"], fill="black")
    text = [part for line in lines for part in textwrap.wrap(line, WRAP, subsequent_indent="    ")]
    for k, line in enumerate(text):
        draw.text((40, 104 + 44 * k), line, font=fonts["caption"], fill="black")
    top, bottom = 124 + 44 * len(text), HEIGHT - 80
    graph = Image.open(io.BytesIO(graph_png)).convert("RGB")
    scale = min((WIDTH - 60) / graph.width, (bottom - top) / graph.height, 2.0)
    graph = graph.resize((max(1, round(graph.width * scale)), max(1, round(graph.height * scale))),
                         Image.LANCZOS)
    page.paste(graph, ((WIDTH - graph.width) // 2, top + (bottom - top - graph.height) // 2))
    _legend(draw, fonts["legend"])
    page.save(path, compress_level=3)
    return path


def _legend(draw, font):
    """The legend inset along the bottom: each node colour, the current step, gradients in red."""
    keys = [(STYLES[k]["fillcolor"], KIND_TEXT[k].split(" (")[0]) for k in
            ("input", "param", "const", "data", "output", "op")]
    x, y = 40, HEIGHT - 56
    draw.line((0, y - 16, WIDTH, y - 16), fill="#cccccc", width=2)
    for colour, text in keys + [("white", "current step"), (None, "∂ gradient")]:
        if colour is not None:
            current = text == "current step"
            draw.rounded_rectangle((x, y, x + 40, y + 30), radius=6, fill=colour,
                                   outline="#d62728" if current else "#444444",
                                   width=4 if current else 2)
            x += 52
        draw.text((x, y - 2), text, font=font, fill=GRAD_COLOUR if colour is None else "black")
        x += draw.textlength(text, font=font) + 40


def _png(dot):
    """PNG bytes of a Digraph, at a resolution that stays sharp when scaled onto a slide."""
    dot.graph_attr.pop("viewport", None)             # the slide look's crop for its own page
    dot.graph_attr.update(dpi="96", size="19,8.2")
    return run_dot(dot.source, "png")


def _index(title, slides):
    """index.html: every slide as a thumbnail with its caption, in order, linking the full PNG."""
    items = "\n".join(
        f'<figure><a href="{name}"><img src="{name}" alt="{html.escape(head)}" width="480"></a>'
        f'<figcaption><b>{html.escape(head)}</b><br>{"<br>".join(html.escape(x) for x in lines)}'
        "</figcaption></figure>" for name, head, lines, _ in slides)
    return (f"<!doctype html><meta charset='utf-8'><title>{html.escape(title or 'slides')}</title>"
            "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;"
            "vertical-align:top;width:480px;margin:0 1em 2em 0}figcaption{font-size:13px}</style>"
            f"<h1>{html.escape(title or 'slides')}: {len(slides)} slides at {WIDTH}x{HEIGHT}</h1>\n"
            f"{items}\n")


def _pil():
    """Pillow's Image and ImageDraw with DejaVu Sans at the slide sizes (the fonts matplotlib
    ships, so they are there wherever matplotlib is); a clear error when either is missing."""
    try:
        from matplotlib import font_manager
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError("slides: Pillow and matplotlib's fonts draw the 1920x1080 pages; "
                          "pip install matplotlib (it brings Pillow)") from None
    def font(weight, size):
        path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight=weight))
        return ImageFont.truetype(path, size)
    return Image, ImageDraw, {"title": font("bold", TITLE_PX),
                              "caption": font("normal", CAPTION_PX), "legend": font("normal", 26)}
