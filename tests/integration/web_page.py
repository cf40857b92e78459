#!/usr/bin/python3
"""The live view (docs/web.md) of a dry-run manager on a state file, in a real
browser (issue 18): `roam manager --dry-run --state
examples/states/paper-heterogeneous.json --web 127.0.0.1:0` decides every
second; headless Chromium (through chromedriver, testbed/lib/web_check.py)
opens the address the manager prints and must show the 5 hosts, 5 switches,
the 4 links with their load, both containers and the decisions, and a
decision that arrived through /events after the page was drawn. The HTTP
side is checked too: /api/state is the JSON snapshot, /events starts with a
`state` event, and nothing but GET is answered (the view is read-only).
The screenshot goes to OUT/web-page.png.

    tests/integration/web_page.py --roam build/roam --out build/web-page
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
import web_check  # noqa: E402


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def start_manager(roam, work):
    log_path = os.path.join(work, "manager.log")
    argv = [roam, "manager",
            "--policy", os.path.join(REPO, "policies/load-balancing/bandwidth.policy"),
            "--state", os.path.join(REPO, "examples/states/paper-heterogeneous.json"),
            "--dry-run", "--interval", "1s", "--duration", "180s",
            "--vib", os.path.join(work, "vib.sqlite"),
            "--admin-socket", os.path.join(work, "manager.sock"),
            "--decision-log", os.path.join(work, "decisions.jsonl"),
            "--web", "127.0.0.1:0"]
    log = open(log_path, "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.time() + 30
    while time.time() < deadline:
        with open(log_path) as f:
            text = f.read()
        m = re.search(r"live view at (http://\S+)", text)
        if m:
            return proc, m.group(1), log_path
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    with open(log_path) as f:
        fail("the manager printed no live view address:\n" + f.read()[-3000:])


def check_http(url):
    with urllib.request.urlopen(url + "api/state", timeout=10) as r:
        if not r.headers.get("Content-Type", "").startswith("application/json"):
            fail("/api/state is %s, not JSON" % r.headers.get("Content-Type"))
        state = json.loads(r.read())
    hosts = [h["name"] for h in state["topology"]["hosts"]]
    if sorted(hosts) != ["h1", "h2", "h3", "h4", "h5"]:
        fail("/api/state hosts: %s" % hosts)
    with urllib.request.urlopen(url + "events", timeout=10) as r:
        if not r.headers.get("Content-Type", "").startswith("text/event-stream"):
            fail("/events is %s" % r.headers.get("Content-Type"))
        block = []
        while True:
            line = r.readline().decode().rstrip("\n")
            if line == "" and any(b.startswith("event:") for b in block):
                break
            if line:
                block.append(line)
    if "event: state" not in block:
        fail("/events did not start with the state: %s" % block)
    data = json.loads(next(b for b in block if b.startswith("data: "))[6:])
    if len(data["topology"]["links"]) != 4:
        fail("the state event has %d links" % len(data["topology"]["links"]))
    for method in ("POST", "PUT", "DELETE"):
        req = urllib.request.Request(url + "api/state", data=b"{}", method=method)
        try:
            urllib.request.urlopen(req, timeout=10)
            fail("%s /api/state was answered" % method)
        except urllib.error.HTTPError as e:
            if e.code != 405:
                fail("%s /api/state: %d, expected 405" % (method, e.code))
    print("http: /api/state, /events and the read-only rule as documented",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--roam", default=os.path.join(REPO, "build", "roam"))
    ap.add_argument("--out", default=os.path.join(REPO, "build", "web-page"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="roam-web-page-")
    proc = None
    try:
        proc, url, log_path = start_manager(os.path.abspath(args.roam), work)
        print("live view of the dry-run manager: " + url, flush=True)
        check_http(url)
        with web_check.Browser(log_path=os.path.join(args.out,
                                                     "chromedriver.log")) as b:
            b.open(url)
            first, drawn = web_check.wait_for_page(
                b, lambda s: len(s["hosts"]) == 5 and s["decisions"], 30)
            if not drawn:
                fail("the page was not drawn: %s" % json.dumps(first)[:2000])
            first_ids = {d["id"] for d in first["decisions"]}
            # The manager decides every second: a decision the page did not
            # have when it was drawn must arrive through /events.
            seen, live = web_check.wait_for_page(
                b, lambda s: {d["id"] for d in s["decisions"]} - first_ids
                and s["connection"] == "live", 30)
            shot = b.screenshot(os.path.join(args.out, "web-page.png"))
        print("page: %d hosts, %d switches, %d links, %d containers, %d "
              "decisions, %d live updates; screenshot %s" % (
                  len(seen["hosts"]), len(seen["switches"]), len(seen["links"]),
                  len(seen["containers"]), len(seen["decisions"]),
                  seen["updates"], shot), flush=True)
        if not live:
            fail("no new decision reached the page through /events: %s" %
                 json.dumps(seen)[:2000])
        problems = web_check.missing_from_page(
            seen, hosts=["h1", "h2", "h3", "h4", "h5"],
            switches=["s1", "s2", "s3", "s4", "s5"], links=4,
            containers=["iperf-client", "iperf-server"], decision=True)
        on_h2 = [c for c in seen["containers"] if c["name"] == "iperf-server"]
        if not on_h2 or on_h2[0]["host"] != "h2":
            problems.append("iperf-server is not drawn on h2: %s" % on_h2)
        s1s2 = [l for l in seen["links"] if {l["src"], l["dst"]} == {"s1", "s2"}]
        if not s1s2 or "Mbps" not in s1s2[0]["label"]:
            problems.append("the s1-s2 link shows no load: %s" % s1s2)
        if not any("dry-run" in d["text"] and "h4" in d["text"]
                   for d in seen["decisions"]):
            problems.append("no dry-run decision for h4 with its explanation")
        if "bandwidth" not in seen["policy"]:
            problems.append("the policy is not shown: %r" % seen["policy"])
        if problems:
            fail("; ".join(problems))
        print("PASS: the live view shows the network, the containers and the "
              "decisions, and updates live", flush=True)
    finally:
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
