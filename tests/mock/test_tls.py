"""KV over TLS (--tls-cert/--tls-key): the TLS port per node in the ready file and in the
config (services.kvSSL), requests over a verified TLS session (Python's ssl module, not
libsofa), many pipelined requests in one write, plain text on the TLS port, option errors.
The certificates are made for this run by tests/tls/gen_certs.sh."""
import base64
import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile

from mocklib import KV, Mock, run, set_extras

GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tls", "gen_certs.sh")


class Certs:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="sofa-mock-tls.")
        subprocess.run(["sh", GEN, self.dir], check=True)
        self.cert = os.path.join(self.dir, "server.pem")
        self.key = os.path.join(self.dir, "server.key")
        self.ca = os.path.join(self.dir, "ca.pem")
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


def tls_kv(port, ca):
    ctx = ssl.create_default_context(cafile=ca)  # verifies the chain and the IP SAN
    c = KV(port)
    c.sock = ctx.wrap_socket(c.sock, server_hostname="127.0.0.1")
    return c


def test_ports_and_config():
    with Certs() as t, Mock("--nodes", "2", "--tls-cert", t.cert, "--tls-key", t.key) as m:
        tls_ports = [n["kv_tls"] for n in m.ready["nodes"]]
        assert all(p > 0 for p in tls_ports) and not set(tls_ports) & set(m.kv), m.ready
        assert m.ready["tls_connstr"] == "couchbases://%s/default" % ",".join(
            "127.0.0.1:%d" % p for p in tls_ports)
        c = tls_kv(tls_ports[1], t.ca)
        c.hello(0x07, 0x08)
        assert c.plain("Administrator", "password").status == 0
        assert c.select("default").status == 0
        r = c.call(0xb5)
        assert r.status == 0, r
        cfg = json.loads(r.value)
        got = [n["services"]["kvSSL"] for n in cfg["nodesExt"]]
        assert got == tls_ports, (got, tls_ports)
        assert [n["services"]["kv"] for n in cfg["nodesExt"]] == m.kv


def https_get(port, ca, path):
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    auth = base64.b64encode(b"Administrator:password").decode()
    conn.request("GET", path, headers={"Authorization": "Basic " + auth})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def test_https_port():
    with Certs() as t, Mock("--nodes", "2", "--tls-cert", t.cert, "--tls-key", t.key) as m:
        https = [n["http_tls"] for n in m.ready["nodes"]]
        st, body = https_get(https[1], t.ca, "/pools/default/buckets/default")
        assert st == 200, (st, body)
        cfg = json.loads(body)
        for i, n in enumerate(cfg["nodesExt"]):
            s = n["services"]
            assert s["mgmtSSL"] == s["capiSSL"] == s["n1qlSSL"] == https[i], s
        # a large response (chunked, pulled from a producer) over TLS: the streaming config
        # endpoint is endless, so read the first chunk only
        ctx = ssl.create_default_context(cafile=t.ca)
        conn = http.client.HTTPSConnection("127.0.0.1", https[0], timeout=10, context=ctx)
        auth = base64.b64encode(b"Administrator:password").decode()
        conn.request("GET", "/pools/default/bs/default", headers={"Authorization": "Basic " + auth})
        r = conn.getresponse()
        assert r.status == 200
        first = r.fp.readline()
        assert first.strip(), first
        conn.close()


def test_pipelined_requests_over_tls():
    with Certs() as t, Mock("--tls-cert", t.cert, "--tls-key", t.key) as m:
        c = tls_kv(m.ready["nodes"][0]["kv_tls"], t.ca)
        c.hello(0x07, 0x08)
        assert c.plain("Administrator", "password").status == 0
        assert c.select("default").status == 0
        n = 400
        value = "v" * 3000  # 400 x 3 KB: many TLS records in one sendall
        for i in range(n):
            c.send(0x01, key="k%d" % i, value=value, extras=set_extras(), vb=0)
        seen = [c.recv() for _ in range(n)]
        assert all(r.status in (0, 0x07) for r in seen), [r.status for r in seen][:5]
        assert len({r.opaque for r in seen}) == n


def test_plain_text_on_the_tls_port_is_closed():
    with Certs() as t, Mock("--tls-cert", t.cert, "--tls-key", t.key) as m:
        c = KV(m.ready["nodes"][0]["kv_tls"])
        c.send(0x0a)  # NOOP in clear text is not a ClientHello
        assert c.closed()


def test_no_tls_without_options():
    with Mock() as m:
        assert "tls_connstr" not in m.ready and "kv_tls" not in m.ready["nodes"][0]
        c = KV(m.kv[0])
        c.hello(0x07, 0x08)
        assert c.plain("Administrator", "password").status == 0
        assert c.select("default").status == 0
        cfg = json.loads(c.call(0xb5).value)
        assert "kvSSL" not in cfg["nodesExt"][0]["services"]


def test_option_errors():
    path = os.environ["SOFA_MOCK"]
    r = subprocess.run([path, "--tls-cert", "/nonexistent.pem"], capture_output=True)
    assert r.returncode == 2 and b"--tls-cert and --tls-key go together" in r.stderr, r
    r = subprocess.run([path, "--tls-cert", "/nonexistent.pem", "--tls-key", "/x.key"],
                       capture_output=True, timeout=10)
    assert r.returncode != 0 and b"cannot load TLS certificate" in r.stderr, r


if __name__ == "__main__":
    run([test_ports_and_config, test_https_port, test_pipelined_requests_over_tls,
         test_plain_text_on_the_tls_port_is_closed, test_no_tls_without_options,
         test_option_errors])
