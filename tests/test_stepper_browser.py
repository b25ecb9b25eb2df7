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


def test_stepper_steps_to_the_end_in_chromium_without_network(browser, tmp_path):
    loss = example_loss("bn")
    path = viz.stepper_html(loss, tmp_path / "bn.html")
    url = path.resolve().as_uri()
    browser.call("Network.enable")
    browser.call("Page.enable")
    browser.call("Page.navigate", url=url)
    deadline = time.time() + 10
    while browser.evaluate("document.readyState") != "complete" or not browser.evaluate(
            "!!document.getElementById('counter').textContent"):
        assert time.time() < deadline, "the stepper page did not load"
        time.sleep(0.1)
    n = len(replay(loss))
    assert browser.evaluate("document.getElementById('counter').textContent") == f"step 1 / {n}"
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="ArrowRight", code="ArrowRight")
    assert browser.evaluate("document.getElementById('counter').textContent") == f"step 2 / {n}"
    presses = 1
    while not browser.evaluate("document.getElementById('next').disabled"):
        browser.evaluate("document.getElementById('next').click()")
        presses += 1
    assert presses == n - 1
    panel = browser.evaluate("document.getElementById('panel').innerText")
    last_step = replay(loss)[-1].step
    x = graph_of(loss).tensors[0]
    dx = last_step.grad_inputs[last_step.record.inputs.index(x)]
    assert "result dx" in panel and "\n".join(fmt(dx, 64)) in panel
    loss.backward()
    assert "dx so far (leaf, summed)\n" + "\n".join(fmt(x.grad, 64)) in panel
    assert browser.evaluate("document.querySelectorAll('#graph svg').length") == 1
    shot = browser.call("Page.captureScreenshot", format="png")["data"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "stepper_last_step.png").write_bytes(base64.b64decode(shot))
    requests = [e["params"]["request"]["url"] for e in browser.events
                if e.get("method") == "Network.requestWillBeSent"]
    assert requests == [url], requests
