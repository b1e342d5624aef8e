"""KV data operations: store variants with CAS/flags/expiry, counters, touch/GAT, locks with
the mock clock, GET_META, GET_REPLICA, quiet variants, STAT, GET_ERROR_MAP."""
import json
import struct
import time

from mocklib import Mock, connect, run, set_extras, vbucket_of

NVB = 4


def kv1(m, **kw):
    """1 node, every vbucket on it."""
    return connect(m.kv[0], **kw)


def vb(key):
    return vbucket_of(key, NVB)


def call(c, op, key, **kw):
    return c.call(op, key=key, vb=vb(key), **kw)


def test_add_replace_cas_flags():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        assert call(c, 0x03, "k", value="v", extras=set_extras()).status == 0x01  # REPLACE missing
        r = call(c, 0x02, "k", value="v1", extras=set_extras(7, 0))
        assert r.status == 0
        cas1 = r.cas
        assert call(c, 0x02, "k", value="v2", extras=set_extras()).status == 0x02  # ADD exists
        assert call(c, 0x01, "k", value="v3", extras=set_extras(), cas=cas1 + 1).status == 0x02
        r = call(c, 0x01, "k", value="v3", extras=set_extras(9, 0), cas=cas1)
        assert r.status == 0 and r.cas != cas1
        assert call(c, 0x01, "nokey", value="x", extras=set_extras(), cas=5).status == 0x01
        r = call(c, 0x03, "k", value="v4", extras=set_extras(11, 0))
        assert r.status == 0
        g = call(c, 0x00, "k")
        assert g.value == b"v4" and struct.unpack(">I", g.extras)[0] == 11
        # DELETE with wrong CAS
        assert call(c, 0x04, "k", cas=12345).status == 0x02
        assert call(c, 0x04, "k", cas=g.cas).status == 0
        # bad extras length
        assert call(c, 0x01, "k", value="v", extras=b"\0\0\0").status == 0x04
        # key too long
        assert c.call(0x00, key="x" * 251).status == 0x04


def test_append_prepend():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        assert call(c, 0x0E, "a", value="x").status == 0x05  # NOT_STORED
        call(c, 0x01, "a", value="mid", extras=set_extras(3, 0))
        assert call(c, 0x0E, "a", value="-end").status == 0
        r = call(c, 0x0F, "a", value="start-")
        assert r.status == 0 and len(r.extras) == 16
        g = call(c, 0x00, "a")
        assert g.value == b"start-mid-end" and struct.unpack(">I", g.extras)[0] == 3
        assert call(c, 0x0E, "a", value="z", cas=g.cas + 1).status == 0x02


def test_counters():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)

        def ext(delta, initial, exp=0):
            return struct.pack(">QQI", delta, initial, exp)

        assert call(c, 0x05, "n", extras=ext(1, 0, 0xFFFFFFFF)).status == 0x01
        r = call(c, 0x05, "n", extras=ext(5, 100))
        assert r.status == 0 and struct.unpack(">Q", r.value)[0] == 100 and len(r.extras) == 16
        r = call(c, 0x05, "n", extras=ext(5, 100))
        assert struct.unpack(">Q", r.value)[0] == 105
        r = call(c, 0x06, "n", extras=ext(1000, 0))
        assert struct.unpack(">Q", r.value)[0] == 0  # floors at 0
        assert call(c, 0x00, "n").value == b"0"
        call(c, 0x01, "big", value=str(2**64 - 1), extras=set_extras())
        r = call(c, 0x05, "big", extras=ext(2, 0))
        assert struct.unpack(">Q", r.value)[0] == 1  # wraps
        call(c, 0x01, "txt", value="abc", extras=set_extras())
        assert call(c, 0x05, "txt", extras=ext(1, 0)).status == 0x06
        # created with an expiry
        assert call(c, 0x05, "e", extras=ext(1, 7, 10)).status == 0
        assert m.ctl("clock?advance=11")[0] == 200
        assert call(c, 0x00, "e").status == 0x01


def test_expiry_touch_gat_with_mock_clock():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        call(c, 0x01, "t", value="v", extras=set_extras(0, 100))
        call(c, 0x01, "forever", value="v", extras=set_extras(0, 0))
        abs_exp = int(time.time()) + 50
        call(c, 0x01, "abs", value="v", extras=set_extras(0, abs_exp))
        r = call(c, 0x1C, "t", extras=struct.pack(">I", 10))  # TOUCH: 10 s from now
        assert r.status == 0 and r.cas != 0
        r = call(c, 0x1D, "forever", extras=struct.pack(">I", 20))  # GAT
        assert r.status == 0 and r.value == b"v" and len(r.extras) == 4
        assert call(c, 0x1C, "missing", extras=struct.pack(">I", 1)).status == 0x01
        meta = call(c, 0xA0, "t")
        assert meta.status == 0
        deleted, flags, exp, seqno = struct.unpack(">IIIQ", meta.extras)
        assert deleted == 0 and abs(exp - (time.time() + 10)) < 3
        st, _ = m.ctl("clock?advance=15")
        assert st == 200
        assert call(c, 0x00, "t").status == 0x01
        assert call(c, 0x00, "forever").status == 0  # 20 s not over yet
        assert call(c, 0x00, "abs").status == 0
        m.ctl("clock?advance_ms=40000")
        assert call(c, 0x00, "forever").status == 0x01
        assert call(c, 0x00, "abs").status == 0x01


def test_locks():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        call(c, 0x01, "l", value="v", extras=set_extras())
        r = call(c, 0x94, "l", extras=struct.pack(">I", 5))
        assert r.status == 0 and r.value == b"v"
        lock_cas = r.cas
        assert call(c, 0x94, "l").status == 0x09  # already locked
        assert call(c, 0x00, "l").cas == 0xFFFFFFFFFFFFFFFF  # GET on a locked doc
        assert call(c, 0x01, "l", value="x", extras=set_extras()).status == 0x09
        assert call(c, 0x95, "l", cas=lock_cas + 1).status == 0x09  # wrong CAS
        assert call(c, 0x95, "l", cas=lock_cas).status == 0
        assert call(c, 0x95, "l", cas=lock_cas).status == 0x0E  # not locked
        # mutation with the lock CAS unlocks
        r = call(c, 0x94, "l")
        assert call(c, 0x01, "l", value="y", extras=set_extras(), cas=r.cas).status == 0
        assert call(c, 0x01, "l", value="z", extras=set_extras()).status == 0
        # lock expiry follows the mock clock (default 15 s when 0 is asked)
        r = call(c, 0x94, "l", extras=struct.pack(">I", 0))
        m.ctl("clock?advance=10")
        assert call(c, 0x01, "l", value="z", extras=set_extras()).status == 0x09
        m.ctl("clock?advance=6")
        assert call(c, 0x01, "l", value="z", extras=set_extras()).status == 0
        # without XERROR: LOCKED becomes TMPFAIL for GETL, EEXISTS for mutations
        old = connect(m.kv[0], features=(0x08,))
        call(c, 0x94, "l")
        assert call(old, 0x94, "l").status == 0x86
        assert call(old, 0x01, "l", value="q", extras=set_extras()).status == 0x02


def test_get_meta_and_tombstones():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        assert call(c, 0xA0, "gm").status == 0x01
        r = call(c, 0x01, "gm", value='{"a":1}', extras=set_extras(42, 0), datatype=0x01)
        meta = call(c, 0xA0, "gm", extras=b"\x02")
        assert meta.status == 0 and meta.cas == r.cas and len(meta.extras) == 21
        deleted, flags, exp, seqno, dt = struct.unpack(">IIIQB", meta.extras)
        assert (deleted, flags, exp, dt) == (0, 42, 0, 1)
        assert seqno == struct.unpack(">QQ", r.extras)[1]
        call(c, 0x04, "gm")
        meta = call(c, 0xA0, "gm")
        assert meta.status == 0 and struct.unpack(">I", meta.extras[:4])[0] == 1
        # JSON datatype comes back only when negotiated
        call(c, 0x01, "j", value='{"b":2}', extras=set_extras(), datatype=0x01)
        assert call(c, 0x00, "j").datatype == 0x01
        nojson = connect(m.kv[0], features=(0x07, 0x08))
        assert call(nojson, 0x00, "j").datatype == 0
        assert call(nojson, 0x01, "j", value="{}", extras=set_extras(), datatype=0x01).status == 0x04


def test_quiet_variants():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        ops = []
        ops.append(c.send(0x11, key="q1", value="v1", extras=set_extras(), vb=vb("q1")))  # SETQ
        ops.append(c.send(0x11, key="q2", value="v2", extras=set_extras(), vb=vb("q2")))
        ops.append(c.send(0x12, key="q1", value="dup", extras=set_extras(), vb=vb("q1")))  # ADDQ fails
        ops.append(c.send(0x09, key="q1", vb=vb("q1")))  # GETQ hit
        ops.append(c.send(0x09, key="nope", vb=vb("nope")))  # GETQ miss: silent
        ops.append(c.send(0x0D, key="q2", vb=vb("q2")))  # GETKQ hit with key
        ops.append(c.send(0x19, key="q2", value="+", vb=vb("q2")))  # APPENDQ
        ops.append(c.send(0x14, key="q1", vb=vb("q1")))  # DELETEQ
        ops.append(c.send(0x14, key="q1", vb=vb("q1")))  # DELETEQ fails
        ops.append(c.send(0x0A))  # NOOP ends the batch
        got = []
        while True:
            r = c.recv()
            got.append(r)
            if r.opcode == 0x0A:
                break
        by_op = [(r.opcode, r.status) for r in got]
        assert by_op == [(0x12, 0x02), (0x09, 0), (0x0D, 0), (0x14, 0x01), (0x0A, 0)], by_op
        assert got[1].value == b"v1" and got[2].key == b"q2" and got[2].value == b"v2"
        assert call(c, 0x00, "q2").value == b"v2+"
        # GETK miss answers with the key
        r = call(c, 0x0C, "zz")
        assert r.status == 0x01 and r.key == b"zz"


def test_replica_reads():
    with Mock("--nodes", "2", "--replicas", "1", "--vbuckets", str(NVB)) as m:
        c0 = connect(m.kv[0])
        cfg = json.loads(c0.call(0xB5).value)
        row = cfg["vBucketServerMap"]["vBucketMap"][vb("rk")]
        ports = [int(s.rsplit(":", 1)[1]) for s in cfg["vBucketServerMap"]["serverList"]]
        master, replica = connect(ports[row[0]]), connect(ports[row[1]])
        call(master, 0x01, "rk", value="rv", extras=set_extras())
        r = call(replica, 0x83, "rk")
        assert r.status == 0 and r.value == b"rv"
        assert call(master, 0x83, "rk").status == 0x07  # the master is not a replica
        assert call(replica, 0x83, "missing").status == 0x01


def test_stat_and_error_map():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        call(c, 0x01, "s", value="v", extras=set_extras())
        c.send(0x10)
        stats = {}
        while True:
            r = c.recv()
            assert r.status == 0
            if not r.key:
                break
            stats[r.key.decode()] = r.value.decode()
        assert stats["curr_items"] == "1" and stats["bytes"] == "1" and "version" in stats and "pid" in stats
        c.send(0x10, key="vbucket-seqno")
        seq = {}
        while True:
            r = c.recv()
            if not r.key:
                break
            seq[r.key.decode()] = int(r.value)
        assert seq["vb_%d:high_seqno" % vb("s")] == 1 and len(seq) == 2 * NVB
        assert c.call(0x10, key="nosuchgroup").status == 0x01
        r = c.call(0xFE, value=struct.pack(">H", 2))
        em = json.loads(r.value)
        assert r.status == 0 and em["version"] == 2 and "7" in em["errors"] and "a3" in em["errors"]
        assert json.loads(c.call(0xFE, value=struct.pack(">H", 1)).value)["version"] == 1
        assert c.call(0xFE, value=b"").status == 0x04


def test_quit_verbosity_and_more_quiet_ops():
    with Mock("--vbuckets", str(NVB)) as m:
        c = kv1(m)
        assert c.call(0x1B, extras=struct.pack(">I", 1)).status == 0  # VERBOSITY
        call(c, 0x01, "g", value="v", extras=set_extras())
        c.send(0x1E, key="g", extras=struct.pack(">I", 100), vb=vb("g"))  # GATQ hit
        c.send(0x1E, key="nope", extras=struct.pack(">I", 100), vb=vb("nope"))  # GATQ miss: silent
        c.send(0x15, key="cnt", extras=struct.pack(">QQI", 1, 10, 0), vb=vb("cnt"))  # INCRQ: silent
        c.send(0x16, key="g", extras=struct.pack(">QQI", 1, 10, 0), vb=vb("g"))  # DECRQ on text: error
        c.send(0x0A)
        got = []
        while not got or got[-1].opcode != 0x0A:
            got.append(c.recv())
        assert [(r.opcode, r.status) for r in got] == [(0x1E, 0), (0x16, 0x06), (0x0A, 0)], got
        assert got[0].value == b"v"
        assert call(c, 0x00, "cnt").value == b"10"
        assert c.call(0x08).status == 0x83  # FLUSH on a couchbase bucket
        r = c.call(0x07)  # QUIT: answered, then closed
        assert r.status == 0 and c.closed()
        c = kv1(m)
        c.send(0x17)  # QUITQ: closed without an answer
        assert c.closed()


def test_memcached_bucket():
    with Mock("--nodes", "2", "--bucket", "cache:memcached") as m:
        c = connect(m.kv[1], bucket="cache")
        cfg = json.loads(c.call(0xB5).value)
        assert cfg["nodeLocator"] == "ketama" and "vBucketServerMap" not in cfg
        assert [n["ports"]["direct"] for n in cfg["nodes"]] == m.kv
        assert cfg["nodes"][1]["hostname"].startswith("$HOST:")
        # no vbucket checks: any node, any vbucket id
        r = c.call(0x01, key="k", value="v", extras=set_extras(), vb=77)
        assert r.status == 0 and r.extras == b""  # no mutation tokens
        assert c.call(0x00, key="k").value == b"v"
        assert c.call(0x08).status == 0  # FLUSH works on memcached buckets
        assert c.call(0x00, key="k").status == 0x01


if __name__ == "__main__":
    run([test_add_replace_cas_flags, test_append_prepend, test_counters,
         test_expiry_touch_gat_with_mock_clock, test_locks, test_get_meta_and_tombstones,
         test_quiet_variants, test_replica_reads, test_stat_and_error_map,
         test_quit_verbosity_and_more_quiet_ops, test_memcached_bucket])
