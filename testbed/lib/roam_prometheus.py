"""A real Prometheus server (Debian's `prometheus`) scraping a testbed run's
manager and agents (docs/metrics.md), for testbed/experiment --prometheus.

    prom = Prometheus(work_dir, prefix, manager="127.0.0.1:PORT",
                      agents=["192.168.77.1:9465", ...])
    prom.start()                       # own config and data dir, loopback
    prom.query('sum(roam_decisions_total{job="roam-manager"})')  # -> float
    prom.stop()

It listens on a free loopback port, scrapes every second, and keeps its data
in WORK_DIR/prometheus-data (removed by stop()). Its configuration file is
named roam-testbed-<prefix>-prometheus.yml, so that testbed/clean and the
runner's leftover check recognise a server a killed run left behind.
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import roam_stack
import roam_testbed as tb

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
SCRAPE_SECONDS = 1


def free_port():
    """A TCP port free on loopback right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fetch(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8", errors="replace")


def promtool_check(text):
    """(exit status, output) of `promtool check metrics` on TEXT."""
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).strip()


class Prometheus(object):
    def __init__(self, work, prefix, manager, agents):
        self.work = work
        self.prefix = prefix
        self.manager = manager          # "127.0.0.1:PORT"
        self.agents = list(agents)      # ["MGMT_IP:PORT", ...]
        self.port = None
        self.proc = None
        self.data = os.path.join(work, "prometheus-data")
        self.config = os.path.join(work, roam_stack.config_tag(prefix) +
                                   "prometheus.yml")
        self.log_path = os.path.join(work, "prometheus.log")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def write_config(self):
        # YAML is a superset of JSON: no YAML library needed.
        config = {
            "global": {"scrape_interval": "%ds" % SCRAPE_SECONDS,
                       "scrape_timeout": "%ds" % SCRAPE_SECONDS,
                       "evaluation_interval": "%ds" % SCRAPE_SECONDS},
            "scrape_configs": [
                {"job_name": "roam-manager",
                 "static_configs": [{"targets": [self.manager]}]},
                {"job_name": "roam-agent",
                 "static_configs": [{"targets": self.agents}]},
            ],
        }
        os.makedirs(self.work, exist_ok=True)
        with open(self.config, "w") as f:
            json.dump(config, f, indent=2)

    def start(self, timeout=60.0):
        if not os.access(PROMETHEUS, os.X_OK):
            raise RuntimeError("%s missing (scripts/install-deps)" % PROMETHEUS)
        self.write_config()
        shutil.rmtree(self.data, ignore_errors=True)
        self.port = free_port()
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + self.config,
             "--storage.tsdb.path=" + self.data,
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--storage.tsdb.retention.time=1d", "--log.level=warn"],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        logf.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if "Ready" in fetch(self.url + "/-/ready", timeout=1):
                    tb.log("prometheus up at %s, scraping the manager %s and "
                           "%d agents every %d s" % (self.url, self.manager,
                                                    len(self.agents),
                                                    SCRAPE_SECONDS))
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.3)
        raise RuntimeError("prometheus did not start (exit %s); see %s" %
                           (self.proc.poll(), self.log_path))

    def stop(self):
        if self.proc is not None:
            tb.kill_proc(self.proc, "prometheus")
            self.proc = None
        shutil.rmtree(self.data, ignore_errors=True)

    # the HTTP API -----------------------------------------------------------
    def query(self, expr):
        """The value of an instant query whose result is one number (sum,
        count, ...); None when it has no result or the API refuses it."""
        url = "%s/api/v1/query?%s" % (self.url,
                                      urllib.parse.urlencode({"query": expr}))
        try:
            doc = json.loads(fetch(url))
        except (OSError, ValueError, urllib.error.URLError):
            return None
        if doc.get("status") != "success":
            return None
        result = doc.get("data", {}).get("result", [])
        if not result:
            return None
        return float(result[0]["value"][1])

    def targets_up(self):
        """{target address: health} of the active targets."""
        try:
            doc = json.loads(fetch(self.url + "/api/v1/targets"))
        except (OSError, ValueError, urllib.error.URLError):
            return {}
        return {t["labels"].get("instance", "?"): t.get("health", "?")
                for t in doc.get("data", {}).get("activeTargets", [])}

    def wait_for(self, expr, expected, timeout=15.0):
        """Polls EXPR until it equals EXPECTED() (re-evaluated each time: the
        run may still be adding to it) or TIMEOUT; returns (value, expected)
        as last seen."""
        deadline = time.time() + timeout
        while True:
            want = expected()
            value = self.query(expr)
            if value is not None and value == want:
                return value, want
            if time.time() > deadline:
                return value, want
            time.sleep(0.5)

    def check_endpoints(self, out_dir):
        """Fetches /metrics of the manager and every agent into
        OUT_DIR/metrics/*.prom and runs promtool on each; writes
        OUT_DIR/promtool.txt. Returns the problems (empty when all pass)."""
        problems, report = [], []
        os.makedirs(os.path.join(out_dir, "metrics"), exist_ok=True)
        endpoints = [("manager", self.manager)] + [
            ("agent-" + a.rsplit(":", 1)[0], a) for a in self.agents]
        for name, address in endpoints:
            try:
                text = fetch("http://%s/metrics" % address)
            except (OSError, urllib.error.URLError) as e:
                problems.append("%s /metrics: %s" % (name, e))
                continue
            with open(os.path.join(out_dir, "metrics", name + ".prom"), "w") as f:
                f.write(text)
            status, output = promtool_check(text)
            report.append("== %s (%s): promtool check metrics: exit %d\n%s" %
                          (name, address, status, output))
            if status != 0 or output:
                problems.append("promtool on %s: %s" % (name, output or
                                                        "exit %d" % status))
        with open(os.path.join(out_dir, "promtool.txt"), "w") as f:
            f.write("\n".join(report) + "\n")
        return problems
