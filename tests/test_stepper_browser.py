"""The HTML stepper in headless Chromium, driven over the DevTools protocol (stdlib websocket):
stepping, keys, fit, zoom, focus, the gradient's path, hostile names and the slide view, at
1920x1080 and 1280x720; screenshots go to artifacts/."""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tinygrad_bn import viz
from tinygrad_bn.teach.sample_graphs import example_loss
from tinygrad_bn.engine.graph import graph_of
from tinygrad_bn.teach.numbers import fmt, minus
from tinygrad_bn.teach.walk import replay

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed "
                                 "(apt-get install chromium; run.sh test does it when it can)"),
              pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")]


class DevTools:
    """The smallest websocket client that speaks the DevTools protocol: send a command, await it."""

    def __init__(self, ws_url):
        host, port, path = self._split(ws_url)
        self.sock = socket.create_connection((host, port), timeout=15)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.next_id, self.events = 0, []

    @staticmethod
    def _split(url):
        rest = url.split("://", 1)[1]
        hostport, path = rest.split("/", 1)
        host, port = hostport.rsplit(":", 1)
        return host, int(port), "/" + path

    def _send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        head = (struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else
                struct.pack("!BBH", 0x81, 0x80 | 126, n) if n < 65536 else
                struct.pack("!BBQ", 0x81, 0x80 | 127, n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            buf += chunk
        return buf

    def _receive(self):
        payload = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            n = struct.unpack("!H", self._exact(2))[0] if n == 126 else (
                struct.unpack("!Q", self._exact(8))[0] if n == 127 else n)
            payload += self._exact(n)
            if b0 & 0x80:
                return json.loads(payload)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = self._receive()
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg["result"]
            self.events.append(msg)

    def evaluate(self, expression):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")


@pytest.fixture
def browser(tmp_path):
    profile = tmp_path / "profile"
    proc = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                             "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync", "--remote-debugging-port=0",
                             "--remote-allow-origins=*", f"--user-data-dir={profile}",
                             "--window-size=1500,1100", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file, deadline = profile / "DevToolsActivePort", time.time() + 20
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.time() < deadline and proc.poll() is None, "Chromium did not start"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        tools.port = port                       # to reach an iframe's own target
        yield tools
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _open(browser, path, hash="", size=None):
    """Load the page (at a screen size (w, h) if given); returns its file URL once a step shows."""
    url = path.resolve().as_uri() + hash
    if size:
        browser.call("Emulation.setDeviceMetricsOverride", width=size[0], height=size[1],
                     deviceScaleFactor=1, mobile=False)
    browser.call("Network.enable")
    browser.call("Page.enable")
    browser.call("Page.navigate", url=url)
    deadline = time.time() + 10
    while browser.evaluate("document.readyState") != "complete" or not browser.evaluate(
            "!!document.getElementById('counter').textContent"):
        assert time.time() < deadline, "the stepper page did not load"
        time.sleep(0.1)
    return url


def _panel(browser):
    return browser.evaluate("document.getElementById('panel').innerText")


def _shot(browser, name):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = browser.call("Page.captureScreenshot", format="png")["data"]
    (ARTIFACTS / name).write_bytes(base64.b64decode(shot))


def test_stepper_steps_to_the_end_in_chromium_without_network(browser, tmp_path):
    loss = example_loss("bn")
    url = _open(browser, viz.stepper_html(loss, tmp_path / "bn.html"))
    n = len(graph_of(loss).records) + len(replay(loss))          # forward steps, then backward
    assert _counter(browser) == f"step 1 / {n}"
    assert _caption(browser) == "forward · r0: mu = mean(x)"
    assert "r0: mu = mean(x)" in _panel(browser) and "value mu" in _panel(browser)
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="ArrowRight", code="ArrowRight")
    assert _counter(browser) == f"step 2 / {n}" and _caption(browser).startswith("forward · r1: ")
    browser.evaluate("window.drawn = document.querySelector('#graph svg')")
    presses = 1
    while not browser.evaluate("document.getElementById('next').disabled"):
        browser.evaluate("document.getElementById('next').click()")
        presses += 1
    assert presses == n - 1
    panel = _panel(browser)
    last_step = replay(loss)[-1].step
    x = graph_of(loss).tensors[0]
    dx = next(gi for t, gi in zip(last_step.record.inputs, last_step.grad_inputs) if t is x)
    assert "result dx (path 2 of 2)" in panel and minus("\n".join(fmt(dx, 64))) in panel
    assert "-" not in panel.replace("fan-in", "")           # every number's minus is typographic
    loss.backward()
    assert "dx so far (leaf, summed)\n" + minus("\n".join(fmt(x.grad, 64))) in panel
    assert browser.evaluate("document.querySelectorAll('#graph svg').length") == 1
    assert browser.evaluate("document.querySelector('#graph svg') === window.drawn")   # drawn once
    _shot(browser, "stepper_last_step.png")
    requests = [e["params"]["request"]["url"] for e in browser.events
                if e.get("method") == "Network.requestWillBeSent"]
    assert requests == [url], requests


def test_stepper_shows_the_xmu_fan_in_sum_and_scrolls_to_it(browser, tmp_path):
    """Backward step 10 (r2 square) adds the second path into dxmu: the panel writes the sum out,
    the node says complete, and the highlighted op is scrolled into the visible graph area."""
    loss = example_loss("bn")
    _open(browser, viz.Stepper(loss, style=None).save(tmp_path / "bn.html"), size=(1280, 720))
    browser.evaluate("document.getElementById('backward').click()")
    assert _counter(browser) == "step 13 / 24" and _caption(browser).startswith("backward · r11 mean")
    for _ in range(9):
        browser.evaluate("document.getElementById('next').click()")
    assert _counter(browser) == "step 22 / 24"               # one counter; the record by its name
    assert _caption(browser) == "backward · r2 square: upstream dsq flows back to xmu"
    panel = _panel(browser)
    assert "r2 square" in panel and "rule with this graph's names\ndxmu = dsq * 2 * xmu" in panel
    assert "dxmu = −0.2245 (via r7 mul) + 0.0158 (via r2 square) = −0.2087" in panel
    assert "2 of 2 paths arrived: complete" in panel
    svg = browser.evaluate("document.querySelector('#graph svg').outerHTML")
    assert "dxmu: (2 of 2 paths: complete)" in svg
    box, hot = (browser.evaluate(f"JSON.stringify({q}.getBoundingClientRect())") for q in (
        "document.getElementById('graph')", "document.querySelector('#graph g.node.hot')"))
    box, hot = json.loads(box), json.loads(hot)
    assert box["top"] <= hot["top"] and hot["bottom"] <= box["bottom"], (box, hot)
    _shot(browser, "stepper_fanin.png")


def test_stepper_of_a_user_function_target(browser, tmp_path, capsys):
    """`tinygrad-bn stepper file.py:function` on a user's BN MLP: every step, named parameters."""
    from tinygrad_bn.cli import main
    user = tmp_path / "my_model.py"
    user.write_text(USER_MODEL)
    out = tmp_path / "deep" / "folder" / "mine.html"
    assert main(["stepper", f"{user}:loss", "--out", str(out)]) == 0
    _open(browser, out)
    seen = [_panel(browser)]
    while not browser.evaluate("document.getElementById('next').disabled"):
        browser.evaluate("document.getElementById('next').click()")
        seen.append(_panel(browser))
    text = "\n".join(seen)
    assert "d0.weight so far (leaf, summed)" in text and "d1.weight so far" in text
    assert _counter(browser) == f"step {len(seen)} / {len(seen)}"
    assert _caption(browser).startswith("backward · ")


USER_MODEL = """
import numpy as np
from tinygrad_bn import Tensor, nn, functional as F

def loss():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    return F.cross_entropy(model(Tensor(rng.standard_normal((6, 3)))), rng.integers(0, 2, 6))
"""


SIZES = [(1920, 1080), (1280, 720)]


def _js(browser, expression):
    return json.loads(browser.evaluate(f"JSON.stringify({expression})"))


def _rect(browser, query):
    return _js(browser, f"document.querySelector({json.dumps(query)}).getBoundingClientRect()")


def _key(browser, key):
    for kind in ("keyDown", "keyUp"):
        browser.call("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                     text=key if len(key) == 1 else "")


def _counter(browser):
    return browser.evaluate("document.getElementById('counter').textContent")


def _caption(browser):
    return browser.evaluate("document.getElementById('caption').textContent")


def _inside(inner, outer, slack=1):
    return (inner["left"] >= outer["left"] - slack and inner["top"] >= outer["top"] - slack and
            inner["right"] <= outer["right"] + slack and inner["bottom"] <= outer["bottom"] + slack)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fit_zoom_fixed_controls_keys_and_step_in_the_url(browser, tmp_path, size):
    page = viz.Stepper(example_loss("bn")).save(tmp_path / "bn.html")
    _open(browser, page, size=size)
    browser.evaluate("document.getElementById('fit').click()")
    pane, svg = _rect(browser, "#graph"), _rect(browser, "#graph svg")
    assert _inside(svg, pane), (svg, pane)
    browser.evaluate("document.getElementById('zoomin').click()")
    assert abs(_rect(browser, "#graph svg")["width"] - 1.25 * svg["width"]) < 2
    for _ in range(3):
        browser.evaluate("document.getElementById('zoomin').click()")
    before = _rect(browser, "#next")
    browser.evaluate("document.getElementById('graph').scrollTop = 400")
    assert browser.evaluate("document.getElementById('graph').scrollTop") > 0   # the pane scrolls
    assert _rect(browser, "#next") == before and before["bottom"] <= size[1]     # the bar stays
    assert browser.evaluate("document.scrollingElement.scrollTop") == 0
    _key(browser, "End")
    assert _counter(browser) == "step 24 / 24" and _caption(browser).startswith("backward · r0 ")
    _key(browser, "Home")
    assert _counter(browser) == "step 1 / 24" and _caption(browser).startswith("forward · r0: ")
    for key in ("1", "5"):
        _key(browser, key)
    assert _counter(browser) == "go to step 15…"
    _key(browser, "Enter")
    assert _counter(browser) == "step 15 / 24"
    assert browser.evaluate("location.hash") == "#step=15"
    _open(browser, page, hash="#step=22")
    assert _counter(browser) == "step 22 / 24"
    assert _caption(browser).startswith("backward · r2 square: ")


def _xmu_step(browser, tmp_path, size=(1280, 720)):
    """The BN stepper opened at backward step 10, where the second path reaches xmu."""
    stepper = viz.Stepper(example_loss("bn"))
    data = stepper.data()
    k = next(i for i, s in enumerate(data["steps"]) if s["caption"].startswith("r2 square"))
    _open(browser, stepper.save(tmp_path / "bn.html"), hash=f"#step={k + 1}", size=size)
    return data, data["steps"][k]


def test_focus_mode_shows_the_record_its_tensors_and_every_consumer_large(browser, tmp_path):
    data, step = _xmu_step(browser, tmp_path)
    browser.evaluate("document.getElementById('fit').click()")
    small = _rect(browser, "#graph g.node.hot")
    _key(browser, "f")
    shown = _js(browser, "[...document.querySelectorAll('#focusview g.node > title')].map((t) => t.textContent)")
    assert sorted(shown) == sorted(step["focus"]) and {"r2", "r7"} <= set(shown)
    assert browser.evaluate("getComputedStyle(document.querySelector('#graph svg')).display") == "none"
    large = _rect(browser, "#focusview g.node.hot")
    assert large["height"] > 1.5 * small["height"], (small, large)
    assert _inside(_rect(browser, "#focusview"), _rect(browser, "#graph"))
    flows = _js(browser, "[...document.querySelectorAll('#focusview path[marker-start]')].map((p) => "
                         "p.getAttribute('stroke'))")
    assert len(flows) == 3 and len(set(flows)) == 3            # dsq in; two paths into dxmu
    _shot(browser, "stepper_focus.png")
    browser.evaluate("document.getElementById('focus').click()")
    assert browser.evaluate("document.getElementById('focusview') === null")
    assert browser.evaluate("getComputedStyle(document.querySelector('#graph svg')).display") != "none"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_gradient_flow_colours_each_path_like_its_term_in_the_sum(browser, tmp_path, size):
    data, step = _xmu_step(browser, tmp_path, size)
    _shot(browser, f"stepper_{size[0]}x{size[1]}.png")        # as it opens: readable, scrolled
    xmu = step["parts"][0][0]
    flows = _js(browser, "[...document.querySelectorAll('#graph g.edge.flow')].map((g) => [g.id, "
                         "g.dataset.colour, g.querySelector('path').getAttribute('marker-start'), "
                         "g.querySelector('text.flowlabel').textContent])")
    by_id = {f[0]: f[1:] for f in flows}
    assert {f"e:{xmu}:r7:0", f"e:{xmu}:r2:0", "e:r2:t3:o"} <= set(by_id)
    assert all(marker.startswith("url(#rev") for _, marker, _ in by_id.values())    # reversed
    terms = _js(browser, "[...document.querySelectorAll('#panel .fanin .term')].map((s) => "
                         "[getComputedStyle(s).color, s.textContent])")
    assert [t for _, t in terms] == ["−0.2245 (via r7 mul)", "0.0158 (via r2 square)"]
    colours = [browser.evaluate(f"(() => {{ const s = document.createElement('span'); s.style.color = "
                                f"{json.dumps(by_id[e][0])}; document.body.appendChild(s); const c = "
                                f"getComputedStyle(s).color; s.remove(); return c; }})()")
               for e in (f"e:{xmu}:r7:0", f"e:{xmu}:r2:0")]
    assert colours == [c for c, _ in terms] and colours[0] != colours[1]
    assert [by_id[e][2] for e in (f"e:{xmu}:r7:0", f"e:{xmu}:r2:0")] == ["−0.2245", "0.0158"]
    frame = next(f for f in replay(example_loss("bn")) if f.step.record.op == "square")
    total = frame.known[id(frame.step.record.inputs[0])]
    browser.evaluate("document.querySelectorAll('#panel .cells button')[3].click()")  # element [1, 1]
    assert "element [1, 1] of (4, 2)" in _panel(browser)
    assert f"= {np.format_float_positional(total[1, 1], 4, trim='-')}".replace("-", "−") in _panel(browser)
    assert by_id != {f[0]: f[1:] for f in _js(browser, "[...document.querySelectorAll('#graph g.edge.flow')]"
                                              ".map((g) => [g.id, g.dataset.colour, g.querySelector('path')"
                                              ".getAttribute('marker-start'), g.querySelector('text.flowlabel')"
                                              ".textContent])")}               # the labels follow the click


def test_hostile_names_run_nothing_in_the_page(browser, tmp_path):
    from test_viz_page import HOSTILE, hostile_loss
    url = _open(browser, viz.Stepper(hostile_loss()).save(tmp_path / "hostile.html"))
    while not browser.evaluate("document.getElementById('next').disabled"):
        browser.evaluate("document.querySelectorAll('#graph g.node').forEach((g) => "
                         "g.dispatchEvent(new MouseEvent('click', {bubbles: true})))")
        browser.evaluate("document.getElementById('next').click()")
    assert browser.evaluate("typeof window.pwned") == "undefined"
    assert browser.evaluate("document.scripts.length") == 2
    assert browser.evaluate("document.querySelectorAll('a[href], [*|href]:not(use)').length") == 0
    shown = browser.evaluate("document.getElementById('graph').textContent")
    assert all(name.replace("\n", "⏎") in shown for name in HOSTILE)
    assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
    requests = [e["params"]["request"]["url"] for e in browser.events
                if e.get("method") == "Network.requestWillBeSent"]
    assert requests == [url], requests
    _shot(browser, "stepper_hostile.png")


def test_slide_stepper_of_a_bn_mlp_shows_the_whole_slide_at_the_xmu_fan_in(browser, tmp_path):
    from tinygrad_bn.cli import main
    user = tmp_path / "my_model.py"
    user.write_text(USER_MODEL)
    out = tmp_path / "slide.html"
    assert main(["stepper", f"{user}:loss", "--slide", "--out", str(out)]) == 0
    steps = json.loads(out.read_text().split('id="data">', 1)[1].split("</script>", 1)[0])["steps"]
    k = next(i for i, s in enumerate(steps) if s["kind"] == "backward" and "square" in s["caption"])
    _open(browser, out, hash=f"#step={k + 1}", size=(1920, 1080))
    pane = _js(browser, "(() => { const p = document.getElementById('graph'); return [p.scrollWidth, "
                        "p.clientWidth, p.scrollHeight, p.clientHeight]; })()")
    assert pane[0] <= pane[1] and pane[2] <= pane[3], pane                 # nothing to scroll to
    assert _inside(_rect(browser, "#graph svg"), _rect(browser, "#graph"))
    assert _inside(_rect(browser, "#caption"), {"left": 0, "top": 0, "right": 1920, "bottom": 1080})
    assert "fan-in sum dxmu" in _panel(browser) or "fan-in sum d" in _panel(browser)
    _shot(browser, "stepper_slide_1920x1080.png")


def test_a_tiny_slide_is_not_magnified(browser, tmp_path):
    from tinygrad_bn import Tensor
    loss = (Tensor(np.ones(2), requires_grad=True, name="x") * 2).sum()
    _open(browser, viz.Stepper(loss, style="slide").save(tmp_path / "tiny.html"), size=(1920, 1080))
    tallest = browser.evaluate("Math.max(...[...document.querySelectorAll('#graph text')]"
                               ".map((t) => t.getBoundingClientRect().height))")
    assert 10 < tallest < 60, tallest


def test_inline_in_a_notebook_stepping_does_not_scroll_the_notebook(browser, tmp_path):
    """The Jupyter view (the page in a sandboxed iframe) between tall cells: stepping to the end
    moves only the frame's own graph pane, never the page around it."""
    cell = viz.Stepper(example_loss("bn"))._repr_html_()
    host = tmp_path / "notebook.html"
    host.write_text(f'<html><body><div style="height: 1500px">cells</div>{cell}'
                    '<div style="height: 3000px">more cells</div></body></html>')
    browser.call("Page.enable")
    browser.call("Page.navigate", url=host.resolve().as_uri())
    time.sleep(1.5)
    browser.evaluate("window.scrollTo(0, 1200)")
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{browser.port}/json/list", timeout=10))
    frame = DevTools(next(t for t in targets if t["type"] == "iframe")["webSocketDebuggerUrl"])
    inside = frame.evaluate
    assert inside("document.getElementById('counter').textContent").startswith("step 1 / 24")
    inside("document.getElementById('zoomin').click(); document.getElementById('zoomin').click()")
    while not inside("document.getElementById('next').disabled"):
        inside("document.getElementById('next').click()")
    assert inside("document.getElementById('counter').textContent") == "step 24 / 24"
    assert browser.evaluate("window.scrollY") == 1200


def test_sums_use_one_format_per_line_and_one_minus_sign(browser, tmp_path):
    _open(browser, viz.Stepper(example_loss("bn")).save(tmp_path / "bn.html"))
    assert _js(browser, "line([-0.2245, 0.0158, -0.2087])") == ["−0.2245", "0.0158", "−0.2087"]
    assert _js(browser, "line([-7.323e-5, -6.208e-5, -1.3531e-4])") == [
        "−7.323e−05", "−6.208e−05", "−1.353e−04"]                 # not "-0.0001" beside e-05
    assert _js(browser, "line([0, -0.0, 123456])") == ["0", "0", "1.235e+05"]
