"""The HTML stepper in headless Chromium, driven over the DevTools protocol (stdlib websocket):
press Next to the end, read the last step's gradient for x, check no request left the page."""
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
from tinygrad_bn.teach.numbers import fmt
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
        yield DevTools(page["webSocketDebuggerUrl"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _open(browser, path):
    """Load the page; returns its file URL once the first step is shown."""
    url = path.resolve().as_uri()
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
    assert browser.evaluate("document.getElementById('counter').textContent") == f"step 1 / {n} · forward"
    assert "r0: mu = mean(x)" in _panel(browser) and "value mu" in _panel(browser)
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="ArrowRight", code="ArrowRight")
    assert browser.evaluate("document.getElementById('counter').textContent") == f"step 2 / {n} · forward"
    presses = 1
    while not browser.evaluate("document.getElementById('next').disabled"):
        browser.evaluate("document.getElementById('next').click()")
        presses += 1
    assert presses == n - 1
    panel = _panel(browser)
    last_step = replay(loss)[-1].step
    x = graph_of(loss).tensors[0]
    dx = next(gi for t, gi in zip(last_step.record.inputs, last_step.grad_inputs) if t is x)
    assert "result dx (path 2 of 2)" in panel and "\n".join(fmt(dx, 64)) in panel
    loss.backward()
    assert "dx so far (leaf, summed)\n" + "\n".join(fmt(x.grad, 64)) in panel
    assert browser.evaluate("document.querySelectorAll('#graph svg').length") == 1
    _shot(browser, "stepper_last_step.png")
    requests = [e["params"]["request"]["url"] for e in browser.events
                if e.get("method") == "Network.requestWillBeSent"]
    assert requests == [url], requests


def test_stepper_shows_the_xmu_fan_in_sum_and_scrolls_to_it(browser, tmp_path):
    """Backward step 10 (r2 square) adds the second path into dxmu: the panel writes the sum out,
    the node says complete, and the highlighted op is scrolled into the visible graph area."""
    loss = example_loss("bn")
    _open(browser, viz.Stepper(loss, style=None).save(tmp_path / "bn.html"))
    browser.evaluate("document.getElementById('backward').click()")
    assert browser.evaluate("document.getElementById('counter').textContent").endswith("backward")
    for _ in range(9):
        browser.evaluate("document.getElementById('next').click()")
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
    assert browser.evaluate("document.getElementById('counter').textContent").endswith("backward")


USER_MODEL = """
import numpy as np
from tinygrad_bn import Tensor, nn, functional as F

def loss():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    return F.cross_entropy(model(Tensor(rng.standard_normal((6, 3)))), rng.integers(0, 2, 6))
"""
