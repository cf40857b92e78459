"""Emulated hosts on one learning switch, for the service-address tests
(service_address.py, connection_survives.py): a namespace per host joined by
a Linux bridge in its own namespace (forwarding by MAC, as the testbed's
switches do with NORMAL), and a Docker engine in the hosts that need one.
Names start with PREFIX, so two such tests never share a namespace."""

import os
import subprocess
import threading

from docker_engine import Engine

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGINE = os.path.join(REPO, "testbed", "engine")
IMAGE_BUILD = os.path.join(REPO, "testbed", "images", "build")


def run(cmd, check_rc=True, timeout=120):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def make_network(prefix, hosts):
    """The switch namespace PREFIX-sw with bridge br0, and per host NAME of
    HOSTS (name -> address) the namespace PREFIX-NAME whose interface
    PREFIX-NAME0 (address/24) is a port of br0."""
    switch = f"{prefix}-sw"
    run(["ip", "netns", "add", switch])
    run(["ip", "-n", switch, "link", "add", "br0", "type", "bridge"])
    run(["ip", "-n", switch, "link", "set", "br0", "up"])
    for host, addr in hosts.items():
        ns, dev = f"{prefix}-{host}", f"{prefix}-{host}0"
        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "link", "add", dev, "netns", ns, "type", "veth", "peer",
             "name", f"{host}-port", "netns", switch])
        run(["ip", "-n", switch, "link", "set", f"{host}-port", "master", "br0", "up"])
        run(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev])
        run(["ip", "-n", ns, "link", "set", dev, "up"])


def start_engines(prefix, names, image):
    """A Docker engine in namespace PREFIX-NAME for each of NAMES, started at
    once, each with IMAGE built: {name: Engine}."""
    engines, errors = {}, {}

    def one(host):
        ns = f"{prefix}-{host}"
        try:
            sock = run([ENGINE, "start", ns, "--netns", ns]).stdout.strip().splitlines()[-1]
            run([IMAGE_BUILD, sock, image])
            engines[host] = Engine(host, ns, sock)
        except Exception as e:  # noqa: BLE001 - reported below
            errors[host] = str(e)

    threads = [threading.Thread(target=one, args=(h,)) for h in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"engines: {errors}")
    return engines
