"""roam's live view (docs/web.md) opened in a real browser: headless Chromium
driven through chromedriver's WebDriver HTTP API with the standard library
only (Debian's `chromium` and `chromium-driver`, scripts/install-deps
--testbed). Used by the testbed's experiment (--web --check) and by
tests/integration/web_page.py.

    with Browser() as b:
        b.open("http://127.0.0.1:8470/")
        seen = wait_for_page(b, lambda s: s["hosts"] >= 5, timeout=30)
        b.screenshot("web.png")

`page_summary()` is what the page shows, read from its DOM: the hosts,
switches, links (with their load labels), containers, decisions and
migrations that app.js drew, and how many live updates it has applied.
"""

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

CHROMEDRIVER = "/usr/bin/chromedriver"
# The binary itself: /usr/bin/chromium is a shell wrapper.
CHROMIUM = "/usr/lib/chromium/chromium"

# What the page shows, from its DOM (the classes and data attributes app.js
# gives each element).
SUMMARY_JS = r"""
const q = (s) => Array.from(document.querySelectorAll(s));
return {
  hosts: q('#topology .host').map((e) => e.dataset.name),
  switches: q('#topology .switch').map((e) => e.dataset.name),
  links: q('#topology .link').map((e) => ({src: e.dataset.src, dst: e.dataset.dst,
                                          label: e.querySelector('text').textContent})),
  hostlinks: q('#topology .hostlink').map((e) => ({host: e.dataset.host,
                                                  label: e.querySelector('text').textContent})),
  containers: q('#topology .container').map((e) => ({
      name: e.dataset.name, host: e.closest('.host').dataset.name,
      moving: e.classList.contains('moving')})),
  decisions: q('#decisions .decision').map((e) => ({id: e.dataset.id,
      text: e.textContent})),
  migrations: q('#migrations .migration').map((e) => ({id: e.dataset.id,
      state: e.dataset.state, text: e.textContent,
      segments: e.querySelectorAll('.timeline .seg').length})),
  policy: (document.querySelector('#policy .policy-name') || {}).textContent || '',
  connection: document.getElementById('connection').textContent,
  updates: Number(document.body.dataset.updates || 0),
  height: document.documentElement.scrollHeight,
};
"""


class BrowserError(RuntimeError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser(object):
    """A headless Chromium session through a chromedriver of its own."""

    def __init__(self, width=1400, height=1000, log_path=None):
        for path in (CHROMEDRIVER, CHROMIUM):
            if not os.path.exists(path):
                raise BrowserError("%s missing (scripts/install-deps --testbed "
                                   "installs chromium and chromium-driver)"
                                   % path)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.log = open(log_path or os.devnull, "a")
        self.proc = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.session = None
        try:
            self._wait_ready()
            args = ["--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    "--window-size=%d,%d" % (width, height)]
            reply = self._call("POST", "/session", {"capabilities": {
                "alwaysMatch": {"goog:chromeOptions": {
                    "binary": CHROMIUM, "args": args}}}})
            self.session = reply["sessionId"]
        except Exception:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _wait_ready(self, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError("chromedriver exited with %s" %
                                   self.proc.returncode)
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (OSError, BrowserError):
                pass
            time.sleep(0.1)
        raise BrowserError("chromedriver did not become ready")

    def _call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method, headers={
                                         "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                reply = json.loads(r.read().decode() or "{}")
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            raise BrowserError("WebDriver %s %s: %s %s" % (method, path, e.code,
                                                          text[:500]))
        return reply.get("value", reply)

    def _session(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def open(self, url):
        self._session("POST", "/url", {"url": url})

    def execute(self, script, args=()):
        return self._session("POST", "/execute/sync",
                             {"script": script, "args": list(args)})

    def resize(self, width, height):
        self._session("POST", "/window/rect", {"width": width,
                                                "height": height})

    def screenshot(self, path, full_page=True):
        """Saves a PNG of the page (the whole page when full_page)."""
        if full_page:
            height = int(self.execute(
                "return document.documentElement.scrollHeight") or 1000)
            width = int(self.execute("return window.outerWidth") or 1400)
            self.resize(width, min(max(height + 200, 600), 4000))
        png = base64.b64decode(self._session("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return path

    def close(self):
        if self.session:
            try:
                self._session("DELETE", "")
            except (OSError, BrowserError):
                pass
            self.session = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def page_summary(browser):
    return browser.execute(SUMMARY_JS)


def wait_for_page(browser, condition, timeout=30.0, interval=0.25):
    """Polls page_summary() until condition(summary) holds; returns the last
    summary and whether it held."""
    deadline = time.time() + timeout
    summary = {}
    while True:
        try:
            summary = page_summary(browser)
        except BrowserError:
            summary = {}
        if summary and condition(summary):
            return summary, True
        if time.time() >= deadline:
            return summary, False
        time.sleep(interval)


def missing_from_page(summary, hosts=(), switches=(), links=0,
                      containers=(), migration=False, decision=False):
    """What the page should show and does not, as sentences ([] = all there).
    hosts, switches, containers: names; links: how many links, each with a
    load label; migration / decision: at least one."""
    problems = []
    for kind, names in (("host", hosts), ("switch", switches)):
        shown = set(summary.get(kind + ("es" if kind == "switch" else "s"), []))
        for n in names:
            if n not in shown:
                problems.append("%s %s is not on the page" % (kind, n))
    shown_links = summary.get("links", [])
    if len(shown_links) < links:
        problems.append("%d of %d links drawn" % (len(shown_links), links))
    if any(not l.get("label") for l in shown_links):
        problems.append("a link without its load label")
    shown_containers = {c["name"] for c in summary.get("containers", [])}
    for c in containers:
        if c not in shown_containers:
            problems.append("container %s is not on the page" % c)
    if migration and not summary.get("migrations"):
        problems.append("no migration on the page")
    if decision and not summary.get("decisions"):
        problems.append("no decision on the page")
    return problems
