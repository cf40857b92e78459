#!/usr/bin/python3
"""Integration test: shaped testbed links (Mininet TCLink, htb) come up
without Mininet's "*** Error: Warning: sch_htb: quantum of class 50001 is
big" lines (issue 17), and keep the rates asked for. Run as root with
Debian's /usr/bin/python3 (Mininet, userspace Open vSwitch, os-ken):

    tests/integration/htb_shaping_check.py

Network: h1 --100-- s1 ==1000== s2 --10-- h2 (Mbit/s; every link shaped).
The kernel warns when an htb class's quantum (rate / r2q, r2q 10) would be
above 200000 bytes, i.e. above 16 Mbit/s, and then uses 200000; the testbed
gives that quantum explicitly. Checks: Mininet logs no error while the
network comes up; every shaped interface's htb class has the rate asked for
and the quantum the kernel would have chosen itself; h1 reaches h2.
Everything the run creates is removed at the end, also on failure.
"""

import logging
import os
import re
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
import roam_testbed as tb  # noqa: E402

PREFIX = "qh"
TOPO = {
    "switches": ["s1", "s2"],
    "hosts": [{"name": "h1", "switch": "s1", "bw": 100},
              {"name": "h2", "switch": "s2", "bw": 10}],
    "links": [{"src": "s1", "dst": "s2", "bw": 1000}],
}


class Collect(logging.Handler):
    """Keeps every message Mininet logs at error level and above (what it
    prints as "*** Error: ...")."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def main():
    from mininet.log import lg
    collected = Collect()
    lg.addHandler(collected)
    failures = []
    topo = tb.Topology.from_dict(TOPO)
    with tempfile.TemporaryDirectory(prefix="roam-htb-") as workdir:
        with tb.Testbed(topo, of_port=16693, rest_port=18093, prefix=PREFIX,
                        log_dir=workdir) as bed:
            bed.start()
            shaped = []  # (node, interface, Mbit/s)
            for h in TOPO["hosts"]:
                node = bed.host(h["name"])
                shaped.append((node, node.defaultIntf(), h["bw"]))
                peer = node.defaultIntf().link.intf2
                shaped.append((peer.node, peer, h["bw"]))
            s1 = bed.net.get(PREFIX + "s1")
            for intf in s1.intfList():
                if intf.link and intf.link.intf2.node.name == PREFIX + "s2":
                    shaped.append((s1, intf, 1000))
                    shaped.append((intf.link.intf2.node, intf.link.intf2, 1000))
            for node, intf, mbit in shaped:
                out = node.cmd("tc -d class show dev %s" % intf.name)
                m = re.search(r"htb 5:1 .*?quantum (\d+) .*?rate (\S+)", out)
                want_q = tb.htb_quantum(mbit)
                want_rate = "%dMbit" % mbit if mbit < 1000 else "1Gbit"
                if not m:
                    failures.append("%s: no htb class 5:1: %r" % (intf.name, out))
                elif int(m.group(1)) != want_q or m.group(2) != want_rate:
                    failures.append("%s: quantum %s rate %s, expected %d %s"
                                    % (intf.name, m.group(1), m.group(2),
                                       want_q, want_rate))
                else:
                    print("ok: %s rate %s quantum %s" % (intf.name, m.group(2),
                                                         m.group(1)))
            ping = bed.host("h1").cmd("ping -c1 -W5 %s" % bed.host("h2").IP())
            if " 0% packet loss" not in ping:
                failures.append("h1 does not reach h2: %r" % ping)
    lg.removeHandler(collected)
    logged = [m.strip() for m in collected.messages if m.strip()]
    for m in logged:
        failures.append("Mininet logged: %r" % m)
    if not logged:
        print("ok: Mininet logged no error while the shaped links came up")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
