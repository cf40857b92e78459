#!/usr/bin/python3
"""`systemd-analyze verify` on the units of examples/systemd/.

The units name the installed binary (/usr/local/bin/roam), which a build
tree does not have; verify refuses an ExecStart that does not exist. So each
unit is copied into a temporary directory with that one path replaced by the
built binary, and verified there. verify exits 0 on many warnings (unknown
keys, bad values it ignores), so any output fails the test too; a broken copy
checks that this catches them.
"""

import argparse
import pathlib
import subprocess
import sys
import tempfile

INSTALLED = "/usr/local/bin/roam"


def verify(unit: pathlib.Path) -> tuple[int, str]:
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                       capture_output=True, text=True, cwd=unit.parent, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam", required=True, help="the built roam binary")
    ap.add_argument("--units", required=True, help="examples/systemd")
    args = ap.parse_args()
    units = sorted(pathlib.Path(args.units).glob("*.service"))
    names = [u.name for u in units]
    if names != ["roam-agent.service", "roam-manager.service"]:
        print(f"FAIL: expected the agent's and the manager's units, found {names}")
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="roam-units-") as tmp:
        for unit in units:
            text = unit.read_text()
            for needed in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=",
                           "Restart=on-failure", "ProtectSystem=strict", "NoNewPrivileges=yes",
                           "CapabilityBoundingSet=", f"ExecStart={INSTALLED} "):
                if needed not in text:
                    print(f"FAIL: {unit.name} lacks {needed}")
                    failures += 1
            copy = pathlib.Path(tmp) / unit.name
            copy.write_text(text.replace(INSTALLED, args.roam))
            rc, out = verify(copy)
            if rc != 0 or out:
                print(f"FAIL: systemd-analyze verify {unit.name} (exit {rc}):\n{out}")
                failures += 1
            else:
                print(f"ok: {unit.name}")
        # The check itself: a typo in a key must be noticed.
        broken = pathlib.Path(tmp) / "broken.service"
        broken.write_text((pathlib.Path(tmp) / names[0]).read_text()
                          .replace("Type=notify", "Typo=notify"))
        rc, out = verify(broken)
        if "Typo" not in out:
            print(f"FAIL: a misspelt key went unnoticed (exit {rc}): {out!r}")
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
