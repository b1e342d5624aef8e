"""Cluster-manager HTTP: /pools, /pools/default, bucket configs (verbose and terse), the
streaming config (chunked, pushed again on topology changes), Basic auth, keep-alive, flush."""
import json
import socket
import time

from mocklib import Mock, connect, http_request, run, set_extras

ADMIN = ("Administrator", "password")


def get_json(port, path, auth=ADMIN):
    st, body = http_request(port, "GET", path, auth=auth)
    return st, (json.loads(body) if body and body[:1] in b"{[" else body)


def test_pools_and_buckets():
    with Mock("--nodes", "2", "--bucket", "default", "--bucket", "other:pw") as m:
        st, js = get_json(m.http[0], "/pools", auth=None)
        assert st == 200 and js["pools"][0]["name"] == "default" and js["isAdminCreds"] is False
        assert get_json(m.http[0], "/pools")[1]["isAdminCreds"] is True
        st, js = get_json(m.http[1], "/pools/default")
        assert st == 200 and js["buckets"]["terseStreamingBucketsBase"] == "/pools/default/bs/"
        assert [n["ports"]["direct"] for n in js["nodes"]] == m.kv
        assert js["nodes"][1]["thisNode"] is True
        st, js = get_json(m.http[0], "/pools/default/buckets")
        assert st == 200 and sorted(b["name"] for b in js) == ["default", "other"]
        st, js = get_json(m.http[0], "/pools/default/buckets/default")
        assert st == 200 and "$HOST" not in json.dumps(js)  # verbose: real host names
        st, js = get_json(m.http[1], "/pools/default/b/default")
        assert st == 200 and js["vBucketServerMap"]["serverList"][1] == "$HOST:%d" % m.kv[1]
        # auth: missing, wrong, bucket credentials, no access
        assert get_json(m.http[0], "/pools/default", auth=None)[0] == 401
        assert get_json(m.http[0], "/pools/default/b/default", auth=("x", "y"))[0] == 401
        assert get_json(m.http[0], "/pools/default/b/other", auth=("other", "pw"))[0] == 200
        assert get_json(m.http[0], "/pools/default/b/default", auth=("other", "pw"))[0] == 403
        assert get_json(m.http[0], "/pools/default/b/nosuch")[0] == 404
        assert get_json(m.http[0], "/nothing/here")[0] == 404


def read_until(sock, buf, marker, timeout=5):
    sock.settimeout(timeout)
    while marker not in buf:
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("closed")
        buf += d
    return buf


def dechunk(raw):
    out, rest = b"", raw
    while rest:
        line, _, rest = rest.partition(b"\r\n")
        n = int(line, 16)
        if n == 0:
            break
        out += rest[:n]
        rest = rest[n + 2:]
    return out


def test_streaming_config_pushes_on_change():
    with Mock("--nodes", "3", "--replicas", "1") as m:
        s = socket.create_connection(("127.0.0.1", m.http[0]))
        s.sendall(b"GET /pools/default/bs/default HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Basic QWRtaW5pc3RyYXRvcjpwYXNzd29yZA==\r\n\r\n")
        buf = read_until(s, b"", b"\n\n\n\n")
        head, _, body = buf.partition(b"\r\n\r\n")
        assert b"200" in head.split(b"\r\n")[0] and b"chunked" in head.lower()
        body = read_until(s, body, b"\r\n", 1)
        first = dechunk(read_until(s, body, b"\n\n\n\n\r\n"))
        cfg1 = json.loads(first.split(b"\n\n\n\n")[0])
        assert cfg1["rev"] == 1
        assert m.ctl("failover?node=2")[0] == 200
        more = read_until(s, b"", b"\n\n\n\n\r\n")
        cfg2 = json.loads(dechunk(more).split(b"\n\n\n\n")[0])
        assert cfg2["rev"] == 2 and len(cfg2["vBucketServerMap"]["serverList"]) == 2
        assert m.ctl("rebalance")[0] == 200
        cfg3 = json.loads(dechunk(read_until(s, b"", b"\n\n\n\n\r\n")).split(b"\n\n\n\n")[0])
        assert cfg3["rev"] == 3 and "$HOST" in json.dumps(cfg3)
        s.close()
        # the verbose stream carries real host names
        v = socket.create_connection(("127.0.0.1", m.http[1]))
        v.sendall(b"GET /pools/default/bucketsStreaming/default HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Basic QWRtaW5pc3RyYXRvcjpwYXNzd29yZA==\r\n\r\n")
        body = read_until(v, b"", b"\n\n\n\n").partition(b"\r\n\r\n")[2]
        assert b'"rev":3' in body and b"$HOST" not in body
        m.ctl("rebalance")
        body = read_until(v, b"", b"\n\n\n\n")
        assert b'"rev":4' in body and b"$HOST" not in body
        v.close()


def test_node_services():
    with Mock("--nodes", "2") as m:
        st, js = get_json(m.http[1], "/pools/default/nodeServices")
        assert st == 200 and js["rev"] == 1 and "vBucketServerMap" not in js
        assert [n["services"]["kv"] for n in js["nodesExt"]] == m.kv
        assert js["nodesExt"][1]["thisNode"] is True
        assert get_json(m.http[1], "/pools/default/nodeServices", auth=None)[0] == 401
        s = socket.create_connection(("127.0.0.1", m.http[0]))
        s.sendall(b"GET /pools/default/nodeServicesStreaming HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Basic QWRtaW5pc3RyYXRvcjpwYXNzd29yZA==\r\n\r\n")
        body = read_until(s, b"", b"\n\n\n\n").partition(b"\r\n\r\n")[2]
        assert b'"rev":1' in body
        m.ctl("failover?node=1")
        body = read_until(s, b"", b"\n\n\n\n")
        assert b'"rev":2' in body and str(m.kv[1]).encode() not in body
        s.close()


def test_keepalive_pipelining_and_limits():
    with Mock() as m:
        s = socket.create_connection(("127.0.0.1", m.http[0]), timeout=5)
        req = b"GET /pools HTTP/1.1\r\nHost: x\r\n\r\n"
        s.sendall(req * 3)
        buf = b""
        while buf.count(b"HTTP/1.1 200") < 3 or not buf.endswith(b"}"):
            buf += s.recv(65536)
        assert buf.count(b"HTTP/1.1 200 OK") == 3
        # chunked request bodies are refused; oversized heads too
        s2 = socket.create_connection(("127.0.0.1", m.http[0]), timeout=5)
        s2.sendall(b"POST /pools HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        assert b" 501 " in s2.recv(4096)
        s3 = socket.create_connection(("127.0.0.1", m.http[0]), timeout=5)
        try:
            s3.sendall(b"GET /" + b"a" * 70000)
            assert b" 413 " in s3.recv(4096)
        except ConnectionError:
            pass
        s4 = socket.create_connection(("127.0.0.1", m.http[0]), timeout=5)
        s4.sendall(b"garbage\r\n\r\n")
        assert b" 400 " in s4.recv(4096)
        # HEAD: headers with the length, no body; the connection stays usable
        s6 = socket.create_connection(("127.0.0.1", m.http[0]), timeout=5)
        s6.sendall(b"HEAD /pools HTTP/1.1\r\nHost: x\r\n\r\nGET /pools HTTP/1.1\r\n\r\n")
        data = read_until(s6, b"", b"}")
        first, _, rest = data.partition(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 200") and b"Content-Length: " in first
        assert rest.startswith(b"HTTP/1.1 200")
        # HTTP/1.0 closes after the response
        s5 = socket.create_connection(("127.0.0.1", m.http[0]), timeout=5)
        s5.sendall(b"GET /pools HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            d = s5.recv(4096)
            if not d:
                break
            data += d
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"}")


def test_expect_100_continue():
    with Mock() as m:
        s = socket.create_connection(("127.0.0.1", m.http[0]), timeout=5)
        s.sendall(b"POST /mock/info HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        assert s.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"{}{}")
        assert read_until(s, b"", b"}").startswith(b"HTTP/1.1 200 OK")


def test_flush_endpoint():
    with Mock() as m:
        c = connect(m.kv[0])
        from mocklib import vbucket_of
        c.call(0x01, key="k", value="v", extras=set_extras(), vb=vbucket_of("k", 64))
        st, _ = http_request(m.http[0], "POST", "/pools/default/buckets/default/controller/doFlush",
                             auth=ADMIN)
        assert st == 200
        assert c.call(0x00, key="k", vb=vbucket_of("k", 64)).status == 0x01


if __name__ == "__main__":
    run([test_pools_and_buckets, test_streaming_config_pushes_on_change, test_node_services,
         test_keepalive_pipelining_and_limits, test_expect_100_continue, test_flush_endpoint])
