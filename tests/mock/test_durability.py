"""Simulated replication/persistence: OBSERVE and OBSERVE_SEQNO with delays, server-side
durability (flexible framing) timing, impossible and ambiguous outcomes, failover tokens."""
import json
import struct
import time

from mocklib import Mock, connect, run, set_extras, vbucket_of

NVB = 4


def topology(m):
    c = connect(m.kv[0])
    cfg = json.loads(c.call(0xB5).value)
    ports = [int(s.rsplit(":", 1)[1]) for s in cfg["vBucketServerMap"]["serverList"]]
    return cfg, ports


def nodes_for(m, key):
    cfg, ports = topology(m)
    vb = vbucket_of(key, len(cfg["vBucketServerMap"]["vBucketMap"]))
    row = cfg["vBucketServerMap"]["vBucketMap"][vb]
    return vb, [ports[i] if i >= 0 else None for i in row]


def observe(c, vb, key):
    k = key.encode()
    r = c.call(0x92, value=struct.pack(">HH", vb, len(k)) + k)
    assert r.status == 0, r
    v, kl = struct.unpack(">HH", r.value[:4])
    state, cas = struct.unpack(">BQ", r.value[4 + kl:4 + kl + 9])
    return state, cas, r.cas


def observe_seqno(c, vb, uuid):
    r = c.call(0x91, vb=vb, value=struct.pack(">Q", uuid))
    assert r.status == 0, r
    fmt = r.value[0]
    if fmt == 0:
        _, v, u, persisted, current = struct.unpack(">BHQQQ", r.value)
        return fmt, u, persisted, current, None
    _, v, u, persisted, current, old_uuid, old_seqno = struct.unpack(">BHQQQQQ", r.value)
    return fmt, u, persisted, current, (old_uuid, old_seqno)


class Clock:
    """Checks a delayed state against the time the mutation happened: the state must be
    'done' when the delay has surely passed, 'not done' when it surely has not, and either
    in between (so a stalled test machine cannot make it flaky)."""

    def __init__(self):
        self.t0 = self.t1 = None

    def mutate(self, fn):
        self.t0 = time.time()
        r = fn()
        self.t1 = time.time()
        return r

    def expect(self, fn, delay_ms, done, not_done):
        a = time.time()
        v = fn()
        b = time.time()
        if (a - self.t1) * 1000 > delay_ms + 5:
            assert v == done, (v, done, delay_ms, "late")
        elif (b - self.t0) * 1000 < delay_ms - 5:
            assert v == not_done, (v, not_done, delay_ms, "early")
        else:
            assert v in (done, not_done), v
        return v

    def sleep_until(self, ms):
        left = self.t1 + ms / 1000.0 - time.time()
        if left > 0:
            time.sleep(left)


def test_observe_with_delays():
    with Mock("--nodes", "2", "--replicas", "1", "--vbuckets", str(NVB),
              "--replicate-delay-ms", "300", "--persist-delay-ms", "600") as m:
        vb, (mp, rp) = nodes_for(m, "ob")
        master, replica = connect(mp), connect(rp)
        clk = Clock()
        r = clk.mutate(lambda: master.call(0x01, key="ob", value="v", extras=set_extras(), vb=vb))
        cas = r.cas
        uuid, seqno = struct.unpack(">QQ", r.extras)
        state, ocas, hdr = observe(master, vb, "ob")
        assert ocas == cas and hdr >> 32 == 600  # ttp hint = persist delay
        st_master = lambda: observe(master, vb, "ob")[0]
        st_replica = lambda: observe(replica, vb, "ob")[0]
        seq_master = lambda: observe_seqno(master, vb, uuid)
        seq_replica = lambda: observe_seqno(replica, vb, uuid)
        fmt, u, p, cur, _ = seq_master()
        assert fmt == 0 and u == uuid and cur == seqno  # in memory on the master at once
        for when in (0, 450, 750, 1000):
            clk.sleep_until(when)
            clk.expect(st_master, 600, 0x01, 0x00)  # persisted on the master
            clk.expect(lambda: seq_master()[2] == seqno, 600, True, False)
            clk.expect(lambda: st_replica() != 0x80, 300, True, False)  # replicated: found
            clk.expect(lambda: seq_replica()[3] == seqno, 300, True, False)  # replicated
            clk.expect(lambda: seq_replica()[2] == seqno, 900, True, False)  # persisted there
            clk.expect(lambda: st_replica() == 0x01, 900, True, False)
        assert st_master() == 0x01 and st_replica() == 0x01
        assert observe(replica, vb, "ob")[1] == cas
        # delete: logically deleted until persisted, then not found
        master.call(0x04, key="ob", vb=vb)
        assert observe(master, vb, "ob")[0] == 0x81
        m.ctl("delays?persist_ms=0&replicate_ms=0")
        assert observe(master, vb, "ob")[0] == 0x80
        assert observe(master, vb, "never")[0] == 0x80
        # a node that holds no copy of the vbucket answers NOT_MY_VBUCKET
        other = None
        for p in m.kv:
            if p not in (mp, rp):
                other = p
        assert other is None  # 2 nodes, 1 replica: both hold every vbucket


def test_observe_errors():
    with Mock("--nodes", "2", "--vbuckets", str(NVB)) as m:
        vb, (mp,) = nodes_for(m, "x")
        other = connect(m.kv[1] if mp == m.kv[0] else m.kv[0])
        r = other.call(0x92, value=struct.pack(">HH", vb, 1) + b"x")
        assert r.status == 0x07 and json.loads(r.value)["rev"] >= 1
        assert other.call(0x91, vb=vb, value=b"\0" * 8).status == 0x07
        c = connect(mp)
        assert c.call(0x92, value=struct.pack(">HH", vb, 9) + b"x").status == 0x04
        assert c.call(0x91, vb=vb, value=b"\0" * 3).status == 0x04


def durable_set(c, key, vb, level, timeout=None):
    frame = bytes([0x11, level]) if timeout is None else bytes([0x13, level]) + struct.pack(">H", timeout)
    return c.send(0x01, key=key, value="v", extras=set_extras(), vb=vb, frame=frame)


def test_sync_durability_timing():
    with Mock("--nodes", "3", "--replicas", "2", "--vbuckets", str(NVB),
              "--replicate-delay-ms", "200", "--persist-delay-ms", "400") as m:
        vb, ports = nodes_for(m, "d")
        c = connect(ports[0])
        for level, want in ((1, 0.2), (2, 0.4), (3, 0.6)):
            t0 = time.time()
            op = durable_set(c, "d", vb, level, timeout=5000)
            r = c.recv()
            dt = time.time() - t0
            assert r.opaque == op and r.status == 0, r
            assert want - 0.05 <= dt < want + 2.0, (level, dt)
            assert len(r.extras) == 16
        # timeout shorter than needed: ambiguous, after the timeout
        t0 = time.time()
        durable_set(c, "d", vb, 3, timeout=100)
        r = c.recv()
        assert r.status == 0xA3 and 0.08 <= time.time() - t0 < 2.0
        # another durable write (on another connection) while one is pending on the key
        c2 = connect(ports[0])
        t0 = time.time()
        durable_set(c, "d2", vb, 3, timeout=5000)  # pending for 600 ms
        time.sleep(0.05)
        durable_set(c2, "d2", vb, 1, timeout=5000)
        st = c2.recv().status
        if time.time() - t0 < 0.55:
            assert st == 0xA2  # answered at once while the first is pending
        assert c.recv().status == 0
        # invalid level; durability frame without SyncReplication negotiated
        durable_set(c, "d", vb, 7)
        assert c.recv().status == 0xA0
        old = connect(ports[0], features=(0x07, 0x08, 0x10))
        durable_set(old, "d", vb, 1)
        assert old.recv().status == 0xA0
        # flexible framing without AltRequest negotiated
        plain = connect(ports[0], features=(0x07, 0x08))
        durable_set(plain, "d", vb, 1)
        assert plain.recv().status == 0x04


def test_durable_write_blocks_an_ordered_connection():
    with Mock("--nodes", "2", "--replicas", "1", "--vbuckets", str(NVB),
              "--replicate-delay-ms", "300") as m:
        vb, ports = nodes_for(m, "o")
        # without UnorderedExecution: the NOOP behind the durable SET waits for it
        c = connect(ports[0])
        t0 = time.time()
        op = durable_set(c, "o", vb, 1, timeout=5000)
        c.send(0x0A)
        first, second = c.recv(), c.recv()
        assert first.opaque == op and first.status == 0 and second.opcode == 0x0A
        assert time.time() - t0 >= 0.28
        # with UnorderedExecution (0x0e): the NOOP overtakes it
        u = connect(ports[0], features=(0x07, 0x08, 0x04, 0x0E, 0x10, 0x11))
        assert 0x0E in u.features
        op = durable_set(u, "o", vb, 1, timeout=5000)
        u.send(0x0A)
        first, second = u.recv(), u.recv()
        assert first.opcode == 0x0A and second.opaque == op and second.status == 0


def test_durability_impossible():
    with Mock("--nodes", "1", "--replicas", "2", "--vbuckets", str(NVB)) as m:
        c = connect(m.kv[0])
        vb = vbucket_of("k", NVB)
        durable_set(c, "k", vb, 1)
        assert c.recv().status == 0xA1
    with Mock("--nodes", "2", "--replicas", "1", "--vbuckets", str(NVB)) as m:
        vb, ports = nodes_for(m, "k")
        c = connect(ports[0])
        durable_set(c, "k", vb, 1)
        assert c.recv().status == 0  # no delays: at once
        # majority of 2 copies is 2: stopping the replica node makes it impossible
        idx = m.kv.index(ports[1])
        assert m.ctl("stop?node=%d" % idx)[0] == 200
        m.wait_running(idx, False)
        durable_set(c, "k", vb, 1)
        assert c.recv().status == 0xA1


def test_failover_token_format1():
    with Mock("--nodes", "2", "--replicas", "1", "--vbuckets", str(NVB),
              "--replicate-delay-ms", "5000") as m:
        vb, (mp, rp) = nodes_for(m, "fo")
        master = connect(mp)
        r = master.call(0x01, key="fo", value="v", extras=set_extras(), vb=vb)
        uuid, seqno = struct.unpack(">QQ", r.extras)
        idx = m.kv.index(mp)
        assert m.ctl("failover?node=%d" % idx)[0] == 200
        replica = connect(rp)
        fmt, new_uuid, p, cur, old = observe_seqno(replica, vb, uuid)
        assert fmt == 1 and new_uuid != uuid and old == (uuid, 0)  # the write was lost
        assert replica.call(0x00, key="fo", vb=vb).status == 0x01
        r = replica.call(0x01, key="fo", value="w", extras=set_extras(), vb=vb)
        assert r.status == 0 and struct.unpack(">QQ", r.extras)[0] == new_uuid


if __name__ == "__main__":
    run([test_observe_with_delays, test_observe_errors, test_sync_durability_timing,
         test_durable_write_blocks_an_ordered_connection,
         test_durability_impossible, test_failover_token_format1])
