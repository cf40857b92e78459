#!/usr/bin/python3
"""The testbed's images run every program the project runs in them (issue 16,
"The test image"). Run as root:

    tests/integration/image_applets.py [--build testbed/images/build]

One Docker Engine (testbed/engine, its own network namespace) imports
roam/busybox:1 and roam/iperf3:1 with testbed/images/build. In a container of
each image (whose Cmd is `sleep`, run directly) every program of APPLETS is
run through the Engine's exec API with no shell in between, so it is looked
up in the image's $PATH exactly as a container's Cmd is: busybox's own shell
runs its applets even when their links are missing, which hid images whose
usr/bin links pointed at a usr/bin/busybox the image does not have. A failure
names the missing program and the image. It also checks that the build is
reproducible (a second import under another tag has the same layer diff ID)
and idempotent (a rebuild keeps the image).
"""

import argparse
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
from checking import exit_status  # noqa: E402
from docker_engine import Engine  # noqa: E402

ENGINE = os.path.join(REPO, "testbed", "engine")
ENGINE_NAME = "rimg"
HTTP_PORT = 18097

# Every program the project's tests, testbed and benchmark run inside these
# images, with an invocation that must succeed and a piece of its output:
# tests/integration/*.py (lossless_migration.py included),
# tests/integration/agent/*.cpp, testbed/lib/roam_experiment.py,
# bench/migration_bench.py, and the checkpoint tests of issue 16 (nc, tail,
# wc, date). Add a program here when a
# test starts using it. (program, args, exit code, output must contain)
APPLETS = [
    ("sh", ["-c", "echo shell ok"], 0, "shell ok"),
    ("true", [], 0, ""),
    ("echo", ["echo ok"], 0, "echo ok"),
    ("cat", ["/etc/group"], 0, "nogroup"),
    ("head", ["-c", "4", "/etc/passwd"], 0, "root"),
    ("tail", ["-n", "1", "/etc/passwd"], 0, "nobody"),
    ("wc", ["-l", "/etc/passwd"], 0, "2 /etc/passwd"),
    ("od", ["-An", "-tx1", "-N", "4", "/etc/group"], 0, "72 6f 6f 74"),
    ("tr", ["-d", "x"], 0, ""),
    ("sed", ["-n", "2p", "/etc/group"], 0, "nogroup"),
    ("grep", ["^root:", "/etc/passwd"], 0, "root:x:0:0"),
    ("seq", ["2", "4"], 0, "2\n3\n4"),
    ("date", ["-u", "-d", "@0", "+%Y"], 0, "1970"),
    ("sleep", ["0.01"], 0, ""),
    ("mkdir", ["-p", "/tmp/applets/dir"], 0, ""),
    ("ln", ["-sfn", "/etc/group", "/tmp/applets/link"], 0, ""),
    ("ls", ["-l", "/tmp/applets/link"], 0, "/etc/group"),
    ("mv", ["/tmp/applets/dir", "/tmp/applets/moved"], 0, ""),
    ("cut", ["-d:", "-f1", "/etc/group"], 0, "nogroup"),
    ("rm", ["-rf", "/tmp/applets"], 0, ""),
    ("kill", ["-l"], 0, "TERM"),
    ("env", ["true"], 0, ""),
    # httpd serves its directory (it daemonizes: the exec returns at once);
    # wget fetches from it; nc connects (nothing listens on port 9).
    ("httpd", ["-p", "127.0.0.1:%d" % HTTP_PORT, "-h", "/etc"], 0, ""),
    ("wget", ["-q", "-O", "-", "http://127.0.0.1:%d/group" % HTTP_PORT], 0, "nogroup"),
    ("nc", ["-w", "1", "127.0.0.1", "9"], 1, "Connection refused"),
]
EXTRA = {"roam/iperf3:1": [("iperf3", ["--version"], 0, "iperf 3")]}
IMAGES = ["roam/busybox:1", "roam/iperf3:1"]

failures = []


def log(msg):
    print(f"[image-applets] {msg}", flush=True)


def check(condition, what):
    log(("ok: " if condition else "FAIL: ") + what)
    if not condition:
        failures.append(what)
    return condition


def run(cmd, check_rc=True):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def layers(engine, ref):
    status, doc = engine.api("GET", "/images/%s/json" % ref.replace("/", "%2F"))
    return doc["RootFS"]["Layers"] if status == 200 else None


def check_image(engine, image):
    name = "applets-" + image.split("/")[1].replace(":", "-")
    try:
        engine.run_container(name, image, ["sleep", "600"])
    except RuntimeError as e:
        check(False, f"{image}: a container with Cmd [sleep 600] starts: {e}")
        return
    for _ in range(50):
        if engine.running(name):
            break
        time.sleep(0.1)
    check(engine.running(name), f"{image}: sleep runs as the container's Cmd")
    missing = []
    for program, args, want_code, want_out in APPLETS + EXTRA.get(image, []):
        code, out = engine.exec(name, [program] + args)
        if "not found" in out and code in (126, 127):
            missing.append(program)
            check(False, f"{image}: '{program}' is missing: {out.strip()}")
        else:
            check(code == want_code and want_out in out,
                  f"{image}: {program} {' '.join(args)} -> exit {code} (want {want_code}),"
                  f" output {out.strip()[:80]!r} (want {want_out!r})")
    check(not missing, f"{image}: no program missing"
          + (f" (missing: {', '.join(missing)})" if missing else ""))
    engine.remove(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(REPO, "testbed", "images", "build"),
                    help="the image build script to test")
    args = ap.parse_args()
    if os.geteuid() != 0:
        log("needs root (it starts dockerd)")
        return 1
    engine = None
    try:
        sock = run([ENGINE, "start", ENGINE_NAME]).stdout.strip()
        engine = Engine(ENGINE_NAME, ENGINE_NAME, sock)
        ids = {}
        for image in IMAGES:
            ids[image] = run([args.build, sock, image]).stdout.strip()
            log(f"{image} is {ids[image]}")
        again = run([args.build, sock, IMAGES[0]]).stdout.strip()
        check(again == ids[IMAGES[0]], f"a rebuild keeps {IMAGES[0]} ({again})")
        run([args.build, sock, "roam/busybox:repro"])
        check(layers(engine, "roam/busybox:repro") == layers(engine, IMAGES[0]),
              "a second import yields the same layer diff ID (reproducible tarball)")
        engine.api("DELETE", "/images/roam%2Fbusybox:repro")
        for image in IMAGES:
            check_image(engine, image)
    except Exception as e:  # noqa: BLE001 - report and clean up
        failures.append(f"exception: {e}")
        log(f"FAIL: {e}")
    finally:
        run([ENGINE, "stop", ENGINE_NAME, "--purge"], check_rc=False)
    return exit_status(failures, log)


if __name__ == "__main__":
    sys.exit(main())
