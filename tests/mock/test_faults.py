"""Fault injection through the control API: failover, stop/restart, rebalance, delays, hangs,
dropped connections, injected statuses, truncated/garbage packets; and the ctl CLI."""
import json
import os
import socket
import struct
import subprocess
import time

from mocklib import KV, Mock, connect, run, set_extras, vbucket_of

NVB = 8


def cfg_of(port):
    c = connect(port)
    cfg = json.loads(c.call(0xB5).value)
    c.close()
    return cfg


def ports_of(cfg):
    return [int(s.rsplit(":", 1)[1]) for s in cfg["vBucketServerMap"]["serverList"]]


def row_of(cfg, key):
    vb = vbucket_of(key, NVB)
    return vb, cfg["vBucketServerMap"]["vBucketMap"][vb]


def test_failover_promotes_replicas():
    with Mock("--nodes", "3", "--replicas", "1", "--vbuckets", str(NVB)) as m:
        cfg = cfg_of(m.kv[0])
        ports = ports_of(cfg)
        vb, row = row_of(cfg, "f")
        master = connect(ports[row[0]])
        master.call(0x01, key="f", value="v", extras=set_extras(), vb=vb)
        idx = m.kv.index(ports[row[0]])
        st, js = m.ctl("failover?node=%d" % idx)
        assert st == 200 and js["ok"]
        assert m.ctl("failover?node=%d" % idx)[0] == 400  # already failed over
        assert m.ctl("failover?node=9")[0] == 400
        survivor = [p for p in m.kv if p != ports[row[0]]][0]
        cfg2 = cfg_of(survivor)
        assert cfg2["rev"] == cfg["rev"] + 1
        assert len(cfg2["vBucketServerMap"]["serverList"]) == 2
        ports2 = ports_of(cfg2)
        _, row2 = row_of(cfg2, "f")
        assert ports2[row2[0]] == ports[row[1]]  # the replica was promoted
        assert row2[1] == -1
        newmaster = connect(ports2[row2[0]])
        assert newmaster.call(0x00, key="f", vb=vb).value == b"v"
        # the failed-over node still runs but owns nothing
        r = master.call(0x00, key="f", vb=vb)
        assert r.status == 0x07 and json.loads(r.value)["rev"] == cfg2["rev"]
        assert m.info()["nodes"][idx]["failed_over"] is True


def test_failover_without_replicas_loses_data():
    with Mock("--nodes", "2", "--vbuckets", str(NVB)) as m:
        cfg = cfg_of(m.kv[0])
        ports = ports_of(cfg)
        vb, row = row_of(cfg, "gone")
        c = connect(ports[row[0]])
        r = c.call(0x01, key="gone", value="v", extras=set_extras(), vb=vb)
        uuid = struct.unpack(">QQ", r.extras)[0]
        idx = m.kv.index(ports[row[0]])
        assert m.ctl("failover?node=%d" % idx)[0] == 200
        cfg2 = cfg_of(m.kv[1 - idx])
        assert row_of(cfg2, "gone")[1] == [-1]  # no copy left
        assert m.ctl("rebalance?nodes=0,1")[0] == 200  # back in, fresh vbucket
        cfg3 = cfg_of(m.kv[0])
        _, row3 = row_of(cfg3, "gone")
        owner = connect(ports_of(cfg3)[row3[0]])
        assert owner.call(0x00, key="gone", vb=vb).status == 0x01
        r = owner.call(0x91, vb=vb, value=struct.pack(">Q", uuid))
        assert r.value[0] == 1 and struct.unpack(">Q", r.value[35:43])[0] == 0


def test_stop_and_restart_keep_ports():
    with Mock("--nodes", "2", "--vbuckets", str(NVB)) as m:
        c = connect(m.kv[1])
        assert m.ctl("stop?node=1")[0] == 200
        assert c.closed()
        time.sleep(0.05)
        for port in (m.kv[1], m.http[1]):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                raise AssertionError("port %d still open" % port)
            except ConnectionRefusedError:
                pass
        assert m.info()["nodes"][1]["running"] is False
        assert m.ctl("start?node=1")[0] == 200
        c = connect(m.kv[1])
        assert c.call(0x0A).status == 0
        # stop node 0 through its own HTTP port, restarting by itself after 1.5 s
        t0 = time.time()
        st, _ = m.ctl("stop?node=0&for_ms=1500", port=m.http[0])
        assert st == 200
        m.wait_running(0, False)
        try:
            socket.create_connection(("127.0.0.1", m.kv[0]), timeout=1).close()
            raise AssertionError("still open")
        except ConnectionRefusedError:
            pass
        # back by itself, not before 1.5 s (waited for: a loaded machine may be late)
        m.wait_running(0, True)
        assert time.time() - t0 >= 1.45
        assert connect(m.kv[0]).call(0x0A).status == 0


def test_rebalance_moves_vbuckets():
    with Mock("--nodes", "3", "--replicas", "1", "--vbuckets", str(NVB)) as m:
        cfg = cfg_of(m.kv[0])
        ports = ports_of(cfg)
        vb, row = row_of(cfg, "rb")
        old = connect(ports[row[0]])
        old.call(0x01, key="rb", value="v", extras=set_extras(), vb=vb)
        st, js = m.ctl("rebalance")
        assert st == 200
        cfg2 = cfg_of(m.kv[0])
        assert cfg2["rev"] == cfg["rev"] + 1
        assert cfg2["vBucketServerMap"]["vBucketMap"] != cfg["vBucketServerMap"]["vBucketMap"]
        _, row2 = row_of(cfg2, "rb")
        assert row2[0] != row[0]
        r = old.call(0x00, key="rb", vb=vb)
        assert r.status == 0x07 and json.loads(r.value)["rev"] == cfg2["rev"]
        assert connect(ports_of(cfg2)[row2[0]]).call(0x00, key="rb", vb=vb).value == b"v"
        # rebalance a node out, then back in
        assert m.ctl("rebalance?nodes=0,1")[0] == 200
        assert len(cfg_of(m.kv[0])["vBucketServerMap"]["serverList"]) == 2
        assert m.ctl("rebalance?nodes=0,1,2")[0] == 200
        assert len(cfg_of(m.kv[0])["vBucketServerMap"]["serverList"]) == 3
        assert m.ctl("rebalance?nodes=0,7")[0] == 400
        assert m.ctl("rebalance?nodes=x")[0] == 400


def test_delay_and_hang():
    with Mock("--vbuckets", str(NVB)) as m:
        c = connect(m.kv[0])
        # 2 s of delay against 1.5 s bounds for the undelayed: clear on a loaded machine too
        assert m.ctl("delay?node=0&ms=2000")[0] == 200
        t0 = time.time()
        c.send(0x0A)
        c.send(0x0B)
        assert c.recv().opcode == 0x0A and c.recv().opcode == 0x0B
        assert 1.98 <= time.time() - t0 < 10.0
        assert m.ctl("delay?ms=0")[0] == 200
        t0 = time.time()
        c.call(0x0A)
        assert time.time() - t0 < 1.5
        assert m.ctl("hang?node=0&on=1")[0] == 200
        h = KV(m.kv[0])  # still accepts
        h.send(0x0A)
        assert not h.closed(timeout=0.5)  # ... but never answers
        assert m.ctl("hang?node=0&on=0")[0] == 200
        assert h.call(0x0B).status == 0
        assert m.ctl("delay?node=0")[0] == 400


def test_http_delay_and_hang():
    from mocklib import http_request
    admin = ("Administrator", "password")
    with Mock("--nodes", "2") as m:
        # 2 s of delay against 1.5 s bounds for the undelayed: clear on a loaded machine too
        assert m.ctl("delay?node=0&ms=2000")[0] == 200
        t0 = time.time()
        st, _ = http_request(m.http[0], "GET", "/pools/default", auth=admin)
        assert st == 200 and 1.98 <= time.time() - t0 < 10.0
        t0 = time.time()
        assert http_request(m.http[1], "GET", "/pools/default", auth=admin)[0] == 200
        assert time.time() - t0 < 1.5  # other nodes unaffected
        # the control API on the delayed node's own port is not delayed
        t0 = time.time()
        assert m.ctl("hang?node=1&on=1", port=m.http[0])[0] == 200
        assert time.time() - t0 < 1.5
        try:
            http_request(m.http[1], "GET", "/pools", timeout=0.5)
            raise AssertionError("a hung node answered")
        except (TimeoutError, OSError):
            pass
        assert m.ctl("reset", port=m.http[1])[0] == 200
        assert http_request(m.http[1], "GET", "/pools")[0] == 200


def test_drop_connections():
    with Mock("--nodes", "2", "--vbuckets", str(NVB)) as m:
        a, b = connect(m.kv[0]), connect(m.kv[1])
        assert m.ctl("drop?node=1")[0] == 200
        assert b.closed()
        assert a.call(0x0A).status == 0
        assert m.ctl("drop")[0] == 200
        assert a.closed()
        assert connect(m.kv[0]).call(0x0A).status == 0


def test_injected_status():
    with Mock("--nodes", "2", "--vbuckets", str(NVB)) as m:
        c = connect(m.kv[0])
        assert m.ctl("fail?opcode=0x0a&status=0x86&count=2")[0] == 200
        assert c.call(0x0A).status == 0x86
        assert c.call(0x0B).status == 0  # other opcodes unaffected
        assert c.call(0x0A).status == 0x86
        assert c.call(0x0A).status == 0
        # node-specific, any opcode (setup opcodes are exempt)
        assert m.ctl("fail?node=1&status=0x85&count=1")[0] == 200
        assert c.call(0x0A).status == 0
        d = connect(m.kv[1])  # HELLO/SASL/SELECT_BUCKET pass
        assert d.call(0x0B).status == 0x85
        assert d.call(0x0B).status == 0
        assert m.ctl("fail?opcode=0x0a")[0] == 400
        assert m.ctl("fail?opcode=300&status=1")[0] == 400
        assert m.ctl("fail?opcode=1&status=1&count=0")[0] == 400
        # armed faults show in /mock/info; reset clears them
        m.ctl("fail?opcode=0&status=0x86&count=5")
        assert len(m.info()["faults"]) == 1
        m.ctl("reset")
        assert m.info()["faults"] == []


def test_truncated_and_garbage_packets():
    with Mock("--vbuckets", str(NVB)) as m:
        c = connect(m.kv[0])
        assert m.ctl("corrupt?mode=truncate&opcode=0x0b")[0] == 200
        c.send(0x0B)
        c.sock.settimeout(2)
        data = b""
        while True:
            d = c.sock.recv(100)
            if not d:
                break
            data += d
        assert 0 < len(data) < 24 and data[0] == 0x81  # half a header, then closed
        c = connect(m.kv[0])
        assert m.ctl("corrupt?mode=garbage")[0] == 200
        c.send(0x0A)
        c._fill(24)
        assert c.buf[0] not in (0x81, 0x18)
        assert m.ctl("corrupt?mode=nonsense")[0] == 400


def test_ctl_cli():
    with Mock("--nodes", "2") as m:
        exe = os.environ["SOFA_MOCK"]
        addr = "127.0.0.1:%d" % m.ctl_port
        out = subprocess.run([exe, "ctl", addr, "failover?node=1"], capture_output=True, text=True)
        assert out.returncode == 0 and '"ok":true' in out.stdout, out
        out = subprocess.run([exe, "ctl", addr, "info", "GET"], capture_output=True, text=True)
        assert out.returncode == 0 and json.loads(out.stdout)["rev"] == 2
        out = subprocess.run([exe, "ctl", addr, "bogus"], capture_output=True, text=True)
        assert out.returncode == 1
        out = subprocess.run([exe, "ctl"], capture_output=True, text=True)
        assert out.returncode == 2


def test_clean_exit_and_bad_options():
    exe = os.environ["SOFA_MOCK"]
    for args in (["--nodes", "0"], ["--replicas", "4"], ["--bucket", "a:b:c:d"], ["--nope", "1"],
                 ["--bucket", "x:pw:weird"], ["--port"], ["--vbuckets", "abc"],
                 ["--bucket", 'we"ird'], ["--bucket", "a/b"], ["--bucket", "x" * 101],
                 ["--user", "nopass"], ["--host", "not-an-ip"]):
        r = subprocess.run([exe] + args, capture_output=True, text=True, timeout=5)
        assert r.returncode == 2, (args, r)
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=5)
    assert r.returncode == 0 and "--ready-file" in r.stdout
    t0 = time.time()
    with Mock("--nodes", "4", "--replicas", "3", "--vbuckets", "1024") as m:
        assert time.time() - t0 < 3.0  # quick (under 0.1 s unloaded); room for ASan + load
    with Mock("--verbose") as m:
        c = connect(m.kv[0])
        c.call(0x0A)
        end = time.time() + 10  # the log line can follow the answer
        while True:
            log = open(os.path.join(m.dir, "mock.log")).read()
            if ("op 0x0a key '' vb 0" in log and "-> status 0x00" in log) or time.time() > end:
                break
            time.sleep(0.01)
        assert "op 0x0a key '' vb 0" in log and "-> status 0x00" in log, log
    # Mock.stop asserted exit status 0 after SIGTERM


if __name__ == "__main__":
    run([test_failover_promotes_replicas, test_failover_without_replicas_loses_data,
         test_stop_and_restart_keep_ports,
         test_rebalance_moves_vbuckets, test_delay_and_hang, test_http_delay_and_hang,
         test_drop_connections,
         test_injected_status, test_truncated_and_garbage_packets, test_ctl_cli,
         test_clean_exit_and_bad_options])
