#!/usr/bin/python3
"""Records live REST responses of roam's testbed controller (Ryu's
ofctl_rest / rest_topology shapes) into tests/fixtures/ryu/.

Run as root:  testbed/record_fixtures.py [--out DIR] [--rest-port 18080]
Topology: s1 - s2 - s3 in a line (s1-s2 is a 10 Mbit/s TCLink), one host on
each switch (h1 on s1, h2 on s2, h3 on s3); iperf3 h1 -> h2 while the port
counters are sampled.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import roam_testbed as tb  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TOPO = {
    "switches": ["s1", "s2", "s3"],
    "hosts": [{"name": "h1", "switch": "s1"},
              {"name": "h2", "switch": "s2"},
              {"name": "h3", "switch": "s3"}],
    "links": [{"src": "s1", "dst": "s2", "bw": 10},
              {"src": "s2", "dst": "s3"}],
}


def fetch(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read(), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures",
                                                  "ryu"))
    ap.add_argument("--of-port", type=int, default=16653)
    ap.add_argument("--rest-port", type=int, default=18080)
    ap.add_argument("--interval", type=float, default=5.0,
                    help="seconds between port_1_t0 and port_1_t1")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    topo = tb.Topology.from_dict(TOPO)
    statuses = {}
    meta = {}

    with tb.Testbed(topo, of_port=args.of_port,
                    rest_port=args.rest_port) as bed:
        bed.start()
        base = bed.url

        def save(name, path, method="GET", body=None, expect=200):
            st, raw, ctype = fetch(base + path, method, body)
            statuses[name] = {"method": method, "path": path, "status": st,
                              "content_type": ctype}
            if st != expect:
                raise RuntimeError("%s %s -> %d, want %d" % (method, path, st,
                                                             expect))
            if raw:
                with open(os.path.join(args.out, name + ".json"), "wb") as f:
                    f.write(raw)
            tb.log("saved %s (%s %s -> %d, %d bytes)" % (name, method, path,
                                                         st, len(raw)))
            return raw

        h1, h2 = bed.host("h1"), bed.host("h2")
        h2.cmd("iperf3 -s -D -1 --logfile /tmp/rtfixture-iperf3-server.log")
        bed.cleanups.append(lambda: h2.cmd("pkill -f 'iperf3 -s' ; true"))
        time.sleep(1)
        h1.cmd("iperf3 -c %s -t 14 -J > /tmp/rtfixture-iperf3.json 2>&1 &" %
               h2.IP())
        time.sleep(4)
        # Two port-stats snapshots a known time apart, under load.
        t0 = time.time()
        save("port_1_t0", "/stats/port/1")
        time.sleep(max(0.0, args.interval - (time.time() - t0)))
        t1 = time.time()
        save("port_1_t1", "/stats/port/1")
        meta["port_1_interval_s"] = round(t1 - t0, 3)
        save("port_1", "/stats/port/1")
        save("port_2", "/stats/port/2")
        save("port_1_2", "/stats/port/1/2")
        save("port_1_ALL", "/stats/port/1/ALL")
        save("portdesc_1", "/stats/portdesc/1")
        save("portdesc_2", "/stats/portdesc/2")
        save("aggregateflow_1", "/stats/aggregateflow/1")
        save("desc_1", "/stats/desc/1")
        save("switches", "/stats/switches")
        save("topology_switches", "/v1.0/topology/switches")
        save("topology_links", "/v1.0/topology/links")
        save("topology_hosts", "/v1.0/topology/hosts")
        save("topology_switches_2", "/v1.0/topology/switches/0000000000000002")
        save("topology_links_2", "/v1.0/topology/links/0000000000000002")
        save("topology_hosts_2", "/v1.0/topology/hosts/0000000000000002")
        save("port_0x1_1", "/stats/port/0x1/1")
        # Flow entry add / delete (bare 200), seen in flow stats.
        flow = {"dpid": 1, "cookie": 7, "table_id": 0, "priority": 11111,
                "idle_timeout": 0, "hard_timeout": 0,
                "match": {"in_port": 1, "eth_type": 2048,
                          "ipv4_dst": "10.0.0.99"},
                "actions": [{"type": "OUTPUT", "port": 2}]}
        save("flowentry_add", "/stats/flowentry/add", "POST", flow)
        save("flow_1_after_add", "/stats/flow/1")
        save("aggregateflow_1_after_add", "/stats/aggregateflow/1")
        save("flowentry_delete", "/stats/flowentry/delete", "POST",
             {"dpid": 1, "cookie": 7, "cookie_mask": 0xffffffff,
              "table_id": 0, "match": {}})
        save("aggregateflow_1_after_delete", "/stats/aggregateflow/1")
        # Error statuses (no body files).
        save("err_unknown_dpid_port", "/stats/port/99", expect=404)
        save("err_bad_dpid_port", "/stats/port/zz", expect=400)
        save("err_unknown_dpid_flowentry", "/stats/flowentry/add", "POST",
             {"dpid": 99, "match": {}, "actions": []}, expect=404)
        save("err_no_dpid_flowentry", "/stats/flowentry/add", "POST",
             {"match": {}}, expect=400)
        save("err_unknown_command", "/stats/flowentry/frobnicate", "POST",
             {"dpid": 1}, expect=404)
        save("topology_switches_unknown_dpid", "/v1.0/topology/switches/"
             "00000000000000ff")  # 200 with []
        save("err_topology_bad_dpid", "/v1.0/topology/switches/1",
             expect=404)  # route requires 16 hex digits
        time.sleep(11)
        try:
            with open("/tmp/rtfixture-iperf3.json") as f:
                rep = json.load(f)
            meta["iperf3_h1_to_h2_bps"] = round(
                rep["end"]["sum_received"]["bits_per_second"])
        except (OSError, ValueError, KeyError) as e:
            tb.log("iperf3 report unreadable: %s" % e)
        meta["recorded"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        meta["topology"] = topo.roam_json()

    with open(os.path.join(args.out, "statuses.json"), "w") as f:
        json.dump(statuses, f, indent=1, sort_keys=True)
    with open(os.path.join(args.out, "recording.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    tb.log("fixtures in %s: %s" % (args.out, json.dumps(meta)))


if __name__ == "__main__":
    main()
