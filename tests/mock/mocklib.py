"""Raw-socket helpers for the sofa-mock tests (python3 stdlib only, independent of libsofa).

Start the mock from env SOFA_MOCK, speak the memcached binary protocol and HTTP to it."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HDR = struct.Struct(">BBHBBHIIQ")


class Mock:
    def __init__(self, *args):
        path = os.environ.get("SOFA_MOCK")
        if not path:
            raise SystemExit("SOFA_MOCK not set")
        self.dir = tempfile.mkdtemp(prefix="sofa-mock-test.")
        ready = os.path.join(self.dir, "ready.json")
        self.log = open(os.path.join(self.dir, "mock.log"), "w")
        self.proc = subprocess.Popen([path, "--port", "0", "--ready-file", ready] + list(args),
                                     stdout=self.log, stderr=self.log)
        end = time.time() + 10
        while time.time() < end:
            if os.path.exists(ready):
                with open(ready) as f:
                    self.ready = json.load(f)
                break
            if self.proc.poll() is not None:
                raise RuntimeError("mock exited: " + open(os.path.join(self.dir, "mock.log")).read())
            time.sleep(0.005)
        else:
            raise RuntimeError("mock not ready")
        self.kv = [n["kv"] for n in self.ready["nodes"]]
        self.http = [n["http"] for n in self.ready["nodes"]]
        self.ctl_port = self.ready["control"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
            assert rc == 0, "mock exit status %r" % rc
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            try:
                sys.stderr.write(open(os.path.join(self.dir, "mock.log")).read())
            except OSError:
                pass
        self.stop()

    def ctl(self, cmd, port=None, method="POST"):
        """Control API call; returns (status, parsed JSON body)."""
        st, body = http_request(port or self.ctl_port, method, "/mock/" + cmd)
        try:
            return st, json.loads(body)
        except ValueError:
            return st, body

    def info(self):
        st, js = self.ctl("info", method="GET")
        assert st == 200, js
        return js

    def wait_running(self, node, running, timeout=10.0):
        """Wait until `info` reports node `node` running (or not): stop and drop run just
        after their answer, a for_ms restart later; a loaded machine can take its time."""
        end = time.time() + timeout
        while self.info()["nodes"][node]["running"] is not running:
            assert time.time() < end, "node %d not %s" % (node, "running" if running else "stopped")
            time.sleep(0.01)


def http_request(port, method, path, body=None, auth=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    if auth:
        h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def vbucket_of(key, nvb):
    if isinstance(key, str):
        key = key.encode()
    return ((zlib.crc32(key) >> 16) & 0x7FFF) % nvb


class Resp:
    def __init__(self, hdr, body):
        (self.magic, self.opcode, keylen, self.extlen, self.datatype, self.status, bodylen,
         self.opaque, self.cas) = HDR.unpack(hdr)
        self.extras = body[:self.extlen]
        self.key = body[self.extlen:self.extlen + keylen]
        self.value = body[self.extlen + keylen:]

    def __repr__(self):
        return "Resp(op=0x%02x st=0x%02x key=%r val=%r)" % (self.opcode, self.status, self.key,
                                                            self.value[:80])


class KV:
    """One binary-protocol connection."""

    def __init__(self, port, timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opaque = 0
        self.buf = b""
        self.features = set()

    def close(self):
        self.sock.close()

    def send(self, opcode, key=b"", value=b"", extras=b"", vb=0, cas=0, datatype=0, opaque=None,
             frame=b"", magic=None):
        if isinstance(key, str):
            key = key.encode()
        if isinstance(value, str):
            value = value.encode()
        if opaque is None:
            self.opaque += 1
            opaque = self.opaque
        body = len(frame) + len(extras) + len(key) + len(value)
        if frame or magic == 0x08:
            hdr = struct.pack(">BBBBBBHIIQ", 0x08, opcode, len(frame), len(key), len(extras),
                              datatype, vb, body, opaque, cas)
        else:
            hdr = HDR.pack(magic or 0x80, opcode, len(key), len(extras), datatype, vb, body, opaque,
                           cas)
        self.sock.sendall(hdr + frame + extras + key + value)
        return opaque

    def _fill(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise ConnectionError("closed by the mock")
            self.buf += d

    def recv(self):
        self._fill(24)
        bodylen = struct.unpack(">I", self.buf[8:12])[0]
        self._fill(24 + bodylen)
        r = Resp(self.buf[:24], self.buf[24:24 + bodylen])
        self.buf = self.buf[24 + bodylen:]
        return r

    def call(self, opcode, *a, **kw):
        op = self.send(opcode, *a, **kw)
        r = self.recv()
        assert r.opaque == op, (r, op)
        return r

    def closed(self, timeout=2):
        """True if the peer closes the connection within timeout (no data expected)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionError:
            return True

    # ---- setup helpers
    def hello(self, *features, agent="sofa-mock-test"):
        r = self.call(0x1F, key=agent, value=b"".join(struct.pack(">H", f) for f in features))
        assert r.status == 0, r
        self.features = set(struct.unpack(">%dH" % (len(r.value) // 2), r.value))
        return self.features

    def plain(self, user, password):
        return self.call(0x21, key="PLAIN", value=b"\0" + user.encode() + b"\0" + password.encode())

    def scram(self, mech, user, password, tamper=False):
        """Full SCRAM exchange; returns the final response (status 0 on success)."""
        algo = {"SCRAM-SHA1": hashlib.sha1, "SCRAM-SHA256": hashlib.sha256,
                "SCRAM-SHA512": hashlib.sha512}[mech]
        cnonce = base64.b64encode(os.urandom(12)).decode()
        first_bare = "n=%s,r=%s" % (user.replace("=", "=3D").replace(",", "=2C"), cnonce)
        r = self.call(0x21, key=mech, value="n,," + first_bare)
        if r.status != 0x21:
            return r
        server_first = r.value.decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        assert attrs["r"].startswith(cnonce)
        salt = base64.b64decode(attrs["s"])
        salted = hashlib.pbkdf2_hmac(algo().name, password.encode(), salt, int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", algo).digest()
        stored = algo(client_key).digest()
        without_proof = "c=biws,r=" + attrs["r"]
        auth_msg = ",".join([first_bare, server_first, without_proof]).encode()
        sig = hmac.new(stored, auth_msg, algo).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        if tamper:
            proof = bytes([proof[0] ^ 1]) + proof[1:]
        r = self.call(0x22, key=mech, value=without_proof + ",p=" + base64.b64encode(proof).decode())
        if r.status == 0:
            server_key = hmac.new(salted, b"Server Key", algo).digest()
            want = "v=" + base64.b64encode(hmac.new(server_key, auth_msg, algo).digest()).decode()
            assert r.value.decode() == want, (r.value, want)
        return r

    def select(self, bucket):
        return self.call(0x89, key=bucket)


def connect(port, user="Administrator", password="password", bucket="default",
            features=(0x03, 0x04, 0x07, 0x08, 0x0B, 0x10, 0x11)):
    c = KV(port)
    c.hello(*features)
    r = c.plain(user, password)
    assert r.status == 0, r
    if bucket:
        r = c.select(bucket)
        assert r.status == 0, r
    return c


def config_of(c):
    r = c.call(0xB5)
    assert r.status == 0, r
    return json.loads(r.value)


def master_port(mock, cfg, key):
    """KV port of the master of key per cfg (a config JSON)."""
    vbm = cfg["vBucketServerMap"]
    vb = vbucket_of(key, len(vbm["vBucketMap"]))
    idx = vbm["vBucketMap"][vb][0]
    return int(vbm["serverList"][idx].rsplit(":", 1)[1]), vb


def set_extras(flags=0, exp=0):
    return struct.pack(">II", flags, exp)


class TestFailure(AssertionError):
    pass


def run(tests):
    """Run test functions (name, fn); exit non-zero on failure."""
    failed = 0
    for fn in tests:
        t0 = time.time()
        try:
            fn()
            print("ok   %-40s %.2fs" % (fn.__name__, time.time() - t0))
        except Exception:  # noqa: BLE001 - report every failure
            failed += 1
            import traceback
            print("FAIL %s" % fn.__name__)
            traceback.print_exc()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
