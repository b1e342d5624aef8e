"""End-to-end tests of sofa-mock's view and N1QL endpoints over real HTTP sockets
(python3 stdlib only, independent of libsofa). Run with SOFA_MOCK=path/to/sofa-mock."""
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

AUTH = ("Administrator", "password")


class Mock:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="sofa-mockq-test.")
        ready = os.path.join(self.dir, "ready.json")
        self.logpath = os.path.join(self.dir, "mock.log")
        self.log = open(self.logpath, "w")
        self.proc = subprocess.Popen([os.environ["SOFA_MOCK"], "--port", "0", "--ready-file", ready] + list(args),
                                     stdout=self.log, stderr=self.log)
        end = time.time() + 20
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > end:
                raise RuntimeError("mock did not start: " + open(self.logpath).read())
            time.sleep(0.01)
        time.sleep(0.01)
        with open(ready) as f:
            self.port = json.load(f)["nodes"][0]["http"]

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        self.log.close()
        if rc != 0:
            sys.stderr.write(open(self.logpath).read())
        shutil.rmtree(self.dir, ignore_errors=True)
        assert rc == 0, "mock exit status %r" % rc

    def request(self, method, path, body=None, auth=AUTH, ctype="application/json"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"Content-Type": ctype}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, json.loads(data) if data else None

    def query(self, **fields):
        return self.request("POST", "/query/service", fields)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def views(m):
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/by_name?limit=3&startkey=%22H%22")
    check(st == 200 and len(js["rows"]) == 3 and js["total_rows"] > 2000, "by_name: %r %r" % (st, js))
    keys = [r["key"] for r in js["rows"]]
    check(keys == sorted(keys) and keys[0] >= "H", "sorted rows from startkey: %r" % keys)
    check(all(r["id"].count("-") >= 1 for r in js["rows"]), "beer ids: %r" % js["rows"])
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/count_by_type?group=true")
    check(st == 200 and [r["key"] for r in js["rows"]] == ["beer", "brewery"], "count_by_type %r" % js)
    check(js["rows"][1]["value"] == 300 and "total_rows" not in js, "brewery count %r" % js)
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/by_abv")
    check(st == 200 and js["rows"][0]["value"]["count"] > 2000, "by_abv stats %r" % js)
    st, js = m.request("POST", "/beer-sample/_design/beers/_view/by_name", {"keys": ["nobody"]})
    check(st == 200 and js["rows"] == [], "POST keys %r" % js)
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/nope")
    check(st == 404 and js == {"error": "not_found", "reason": "missing_named_view"}, "missing view %r" % js)
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/by_name?limit=abc")
    check(st == 400 and js["error"] == "query_parse_error", "bad limit %r" % js)
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/by_name", auth=None)
    check(st == 401, "no credentials: %r" % st)
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/by_name", auth=("Administrator", "wrong"))
    check(st == 401, "bad credentials: %r" % st)
    ddoc = {"views": {"strong": {"map": "function(doc, meta){ if (doc.abv > 11) emit(meta.id, doc.abv); }"}}}
    st, js = m.request("PUT", "/beer-sample/_design/dev_strong", ddoc)
    check(st == 201 and js == {"ok": True, "id": "_design/dev_strong"}, "PUT %r %r" % (st, js))
    st, js = m.request("GET", "/beer-sample/_design/dev_strong")
    check(st == 200 and js == ddoc, "GET ddoc %r" % js)
    st, js = m.request("GET", "/beer-sample/_design/dev_strong/_view/strong?descending=true&limit=2")
    check(st == 200 and len(js["rows"]) == 2 and all(r["value"] > 11 for r in js["rows"]), "dev view %r" % js)
    check(js["rows"][0]["id"] > js["rows"][1]["id"], "descending ids %r" % js)
    st, js = m.request("PUT", "/beer-sample/_design/bad", {"views": {"v": {"map": "function(doc{"}}})
    check(st == 400 and js["error"] == "invalid_design_document", "bad ddoc %r" % js)
    st, js = m.request("DELETE", "/beer-sample/_design/dev_strong")
    check(st == 200 and js["ok"] is True, "DELETE %r" % js)
    st, js = m.request("GET", "/beer-sample/_design/dev_strong")
    check(st == 404 and js["error"] == "not_found", "deleted ddoc %r" % js)


def n1ql(m):
    st, js = m.query(statement="SELECT name, abv FROM `beer-sample` WHERE type = $1 AND abv > $min "
                               "ORDER BY abv DESC, name LIMIT 5", args=["beer"], **{"$min": 6},
                     client_context_id="e2e-1", scan_consistency="request_plus")
    check(st == 200 and js["status"] == "success" and len(js["results"]) == 5, "select %r" % js)
    check(js["clientContextID"] == "e2e-1" and js["requestID"], "ids %r" % js)
    check(js["signature"] == {"name": "json", "abv": "json"}, "signature %r" % js["signature"])
    abvs = [r["abv"] for r in js["results"]]
    check(abvs == sorted(abvs, reverse=True), "order %r" % abvs)
    check(js["metrics"]["resultCount"] == 5 and "elapsedTime" in js["metrics"], "metrics %r" % js["metrics"])
    st, js = m.query(statement="SELECT COUNT(*) AS n FROM `beer-sample` WHERE type = 'brewery'")
    check(js["results"] == [{"n": 300}], "count %r" % js)
    st, js = m.query(statement="SELECT RAW META().id FROM `beer-sample` USE KEYS ['old_oak_brewery', 'nope']")
    check(st == 200, "use keys %r" % js)
    st, js = m.query(statement="SELEKT 1")
    check(st == 400 and js["errors"][0]["code"] == 3000 and js["status"] == "fatal", "syntax %r" % js)
    st, js = m.query(statement="SELECT * FROM nosuch")
    check(st == 424 and js["errors"][0]["code"] == 12003, "keyspace %r" % js)
    st, js = m.query(statement="SELECT 1", bogus=True)
    check(st == 400 and js["errors"][0]["code"] == 1065, "unknown param %r" % js)
    st, js = m.query(statement="SELECT * FROM `beer-sample`", timeout="1us")
    check(st == 200 and js["status"] == "timeout" and js["errors"][0]["code"] == 1080, "timeout %r" % js)
    st, js = m.request("POST", "/query/service", {"statement": "SELECT 1"}, auth=None)
    check(st == 401, "query without credentials %r" % st)
    # classic prepared flow
    st, js = m.query(statement="PREPARE SELECT RAW name FROM `beer-sample` WHERE type = 'brewery' ORDER BY name LIMIT $1")
    name, plan = js["results"][0]["name"], js["results"][0]["encoded_plan"]
    st, js = m.query(prepared=name, encoded_plan=plan, args=[2])
    check(st == 200 and len(js["results"]) == 2, "execute prepared %r" % js)
    st, js = m.query(prepared=name, encoded_plan="Zm9v", args=[2])
    check(st == 404 and js["errors"][0]["code"] == 4070, "bad plan %r" % js)
    st, js = m.query(prepared="unknown-name")
    check(st == 404 and js["errors"][0]["code"] == 4040, "unknown prepared %r" % js)
    # enhanced prepared flow
    st, js = m.query(statement="PREPARE SELECT RAW abv FROM `beer-sample` USE KEYS $k", auto_execute=True,
                     **{"$k": "nope"})
    check(st == 200 and js.get("prepared") and js["results"] == [], "auto_execute %r" % js)
    st, js = m.query(prepared=js["prepared"], **{"$k": []})
    check(st == 200 and js["status"] == "success", "by name %r" % js)


def big_result_streams():
    m = Mock("--bucket", "big", "--sample", "rows:100000")
    try:
        st, js = m.request("GET", "/big/_design/rows", None)
        check(st == 200 and "by_n" in js["views"], "rows design document %r" % js)
        body = json.dumps({"statement": "SELECT * FROM big WHERE type = 'row'"}).encode()
        auth = base64.b64encode(b"Administrator:password").decode()
        s = socket.create_connection(("127.0.0.1", m.port), timeout=20)
        s.sendall(b"POST /query/service HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth.encode() +
                  b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                  b"\r\nConnection: close\r\n\r\n" + body)
        first = b""
        while b"\r\n\r\n" not in first or len(first) < 2000:
            chunk = s.recv(4096)
            check(chunk, "connection closed early")
            first += chunk
        head = first.split(b"\r\n\r\n", 1)[0].lower()
        check(b"transfer-encoding: chunked" in head, "chunked response: %r" % head)
        check(b'"results":[' in first, "results start early")
        total = len(first)
        rest = [first]
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest.append(chunk)
            total += len(chunk)
        s.close()
        data = b"".join(rest)
        check(total > 5 * 1000 * 1000, "big body %d" % total)
        check(data.count(b'"type":"row"') == 100000, "all rows arrived")
        check(b'"resultCount":100000' in data, "metrics at the end")
    finally:
        m.close()


def access(m):
    st, js = m.request("GET", "/beer-sample/_design/beers/_view/by_name?limit=1", auth=("bob", "pw"))
    check(st == 403, "user without access to the bucket: %r %r" % (st, js))
    st, js = m.request("PUT", "/other/_design/d", {"views": {"v": {"map": "function(d, m){ emit(m.id, null); }"}}},
                       auth=("bob", "pw"))
    check(st == 201, "user with access: %r %r" % (st, js))
    st, js = m.request("GET", "/other/_design/d/_view/v", auth=("bob", "pw"))
    check(st == 200 and js["total_rows"] == 0, "empty bucket view %r" % js)
    st, js = m.request("GET", "/nosuch/_design/d/_view/v")
    check(st == 404, "unknown bucket %r %r" % (st, js))


def main():
    m = Mock("--bucket", "beer-sample", "--bucket", "other", "--sample", "beers@beer-sample",
             "--user", "Administrator:password", "--user", "bob:pw:other")
    try:
        views(m)
        n1ql(m)
        access(m)
    finally:
        m.close()
    big_result_streams()
    print("ok")


if __name__ == "__main__":
    main()
