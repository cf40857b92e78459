"""A Docker Engine through its HTTP API on a unix socket (never the docker
CLI), for the testbed (roam_stack.py) and the integration tests
(tests/integration/agent_migration.py). Standard library only.

    engine = Engine("h2", "rxh2", sock)   # sock: what `testbed/engine start` prints
    engine.run_container("svc", "roam/iperf3:1", ["iperf3", "-s"])
    status, doc = engine.api("GET", "/containers/svc/json")
"""

import http.client
import json
import socket

API_VERSION = "v1.41"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("docker", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class Engine(object):
    """A host's Docker Engine: `host` names the host in messages, `name` is
    the engine's name (testbed/engine), `sock` the path of its API socket."""

    def __init__(self, host, name, sock):
        self.host, self.name, self.sock = host, name, sock

    def api(self, method, path, body=None, timeout=60.0):
        """(status, parsed JSON or raw text or None)."""
        conn = _UnixConnection(self.sock, timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data else {}
            conn.request(method, "/" + API_VERSION + path, body=data,
                         headers=headers)
            r = conn.getresponse()
            raw = r.read().decode("utf-8", "replace")
            try:
                return r.status, (json.loads(raw) if raw.strip() else None)
            except ValueError:
                return r.status, raw
        finally:
            conn.close()

    def container(self, name):
        """The inspect document, or None when there is no such container."""
        status, doc = self.api("GET", "/containers/%s/json" % name)
        return doc if status == 200 else None

    def running(self, name):
        doc = self.container(name)
        return bool(doc and doc.get("State", {}).get("Running"))

    def remove(self, name):
        self.api("DELETE", "/containers/%s?force=1&v=1" % name)

    def run_container(self, name, image, cmd, labels=None, env=None,
                      mounts=None):
        """Creates and starts a host-network container (replacing one of the
        same name); raises with the engine's answer on failure."""
        self.remove(name)
        host_config = {"NetworkMode": "host"}
        if mounts:
            host_config["Mounts"] = mounts
        status, doc = self.api("POST", "/containers/create?name=%s" % name, {
            "Image": image, "Cmd": cmd, "Labels": labels or {},
            "Env": ["%s=%s" % kv for kv in (env or {}).items()],
            "HostConfig": host_config})
        if status != 201:
            raise RuntimeError("%s: create %s: %s %s" % (self.host, name, status,
                                                         doc))
        status, doc = self.api("POST", "/containers/%s/start" % name)
        if status not in (204, 304):
            raise RuntimeError("%s: start %s: %s %s" % (self.host, name, status,
                                                        doc))

    def exec(self, name, cmd, timeout=60.0):
        """Runs cmd (argv, looked up in the container's $PATH like a Cmd, no
        shell) in the running container `name`: (exit code, stdout and
        stderr as text). A command the engine cannot start gives the engine's
        message and its code (126/127, or -1 when the exec is refused)."""
        status, doc = self.api("POST", "/containers/%s/exec" % name, {
            "Cmd": cmd, "AttachStdout": True, "AttachStderr": True},
            timeout=timeout)
        if status != 201:
            return -1, "exec refused: %s %s" % (status, doc)
        exec_id = doc["Id"]
        conn = _UnixConnection(self.sock, timeout)
        try:
            conn.request("POST", "/" + API_VERSION + "/exec/%s/start" % exec_id,
                         body=json.dumps({"Detach": False, "Tty": False}),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        # Multiplexed stream: 8-byte headers (stream, 0, 0, 0, big-endian size).
        out, at = b"", 0
        while at + 8 <= len(raw) and raw[at] in (0, 1, 2) and \
                raw[at + 1:at + 4] == b"\0\0\0":
            size = int.from_bytes(raw[at + 4:at + 8], "big")
            out += raw[at + 8:at + 8 + size]
            at += 8 + size
        out += raw[at:]
        status, doc = self.api("GET", "/exec/%s/json" % exec_id)
        code = doc.get("ExitCode") if status == 200 else None
        return (code if code is not None else -1), out.decode("utf-8",
                                                              "replace")

    def logs(self, name, tail=20):
        status, doc = self.api("GET", "/containers/%s/logs?stdout=1&stderr=1"
                               "&tail=%d" % (name, tail))
        # The multiplexed stream has 8-byte frame headers; keep the text.
        return "".join(ch for ch in str(doc or "") if ch.isprintable() or
                       ch == "\n") if status == 200 else ""

    def volumes(self):
        """The names of the engine's volumes."""
        return [v["Name"] for v in
                (self.api("GET", "/volumes")[1].get("Volumes") or [])]

    def images(self):
        """The engine's image tags."""
        return [t for i in self.api("GET", "/images/json")[1]
                for t in (i.get("RepoTags") or [])]
