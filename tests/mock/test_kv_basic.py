"""KV basics: HELLO, SASL PLAIN, SELECT_BUCKET, GET_CLUSTER_CONFIG, GET/SET/DELETE, NMVB."""
import json
import struct

from mocklib import KV, Mock, config_of, connect, master_port, run, set_extras, vbucket_of


def test_hello_acks_supported_features_only():
    with Mock() as m:
        c = KV(m.kv[0])
        feats = c.hello(0x01, 0x02, 0x03, 0x04, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x10, 0x11, 0x12, 0x1D)
        assert feats == {0x03, 0x04, 0x07, 0x08, 0x0B, 0x10, 0x11, 0x1D}, feats
        # agent given as JSON works too
        assert c.hello(0x07, agent='{"a":"x","i":"0000000000000001/0000000000000002"}') == {0x07}
        assert c.hello(0x0E, 0x0E, 0x07) == {0x0E, 0x07}  # duplicates acknowledged once
    with Mock("--sync-replication", "0") as m:
        assert KV(m.kv[0]).hello(0x07, 0x10, 0x11) == {0x07, 0x10}


def test_plain_and_select_bucket():
    with Mock("--bucket", "b1", "--bucket", "b2:secret", "--user", "alice:pw:b1") as m:
        c = KV(m.kv[0])
        c.hello(0x07, 0x08)
        assert c.select("b1").status == 0x24  # not authenticated
        assert c.plain("alice", "nope").status == 0x20
        assert c.plain("alice", "pw").status == 0
        assert c.select("b1").status == 0
        assert c.select("b2").status == 0x24  # alice has no access to b2
        assert c.select("nosuch").status == 0x24
        # bucket with a password: its own name + password
        c = KV(m.kv[0])
        c.hello(0x07, 0x08)
        assert c.plain("b2", "").status == 0x20
        assert c.plain("b2", "secret").status == 0
        assert c.select("b2").status == 0
        assert c.select("b1").status == 0x24
        # bucket without password: its own name, empty password
        c = KV(m.kv[0])
        c.hello(0x07, 0x08)
        assert c.plain("b1", "").status == 0
        assert c.select("b1").status == 0


def test_cluster_config_has_host_placeholder():
    with Mock("--nodes", "3", "--replicas", "2", "--vbuckets", "16") as m:
        c = connect(m.kv[1])
        r = c.call(0xB5)
        assert r.status == 0 and r.datatype == 0x01
        cfg = json.loads(r.value)
        assert cfg["rev"] == 1 and cfg["revEpoch"] == 1 and cfg["nodeLocator"] == "vbucket"
        vbm = cfg["vBucketServerMap"]
        assert vbm["numReplicas"] == 2 and len(vbm["vBucketMap"]) == 16
        assert all(len(row) == 3 for row in vbm["vBucketMap"])
        assert vbm["serverList"][1] == "$HOST:%d" % m.kv[1]
        assert vbm["serverList"][0] == "127.0.0.1:%d" % m.kv[0]
        assert cfg["nodesExt"][1]["thisNode"] is True and "hostname" not in cfg["nodesExt"][1]
        assert cfg["nodesExt"][0]["services"]["kv"] == m.kv[0]
        assert cfg["nodesExt"][0]["services"]["mgmt"] == m.http[0]
        assert "durableWrite" in cfg["bucketCapabilities"]
        assert cfg["clusterCapabilities"]["n1ql"] == ["enhancedPreparedStatements"]
        # known-version variant: nothing when the client is current, the config when older
        c.hello(0x07, 0x08, 0x0B, 0x1D)
        r = c.call(0xB5, extras=struct.pack(">qq", 1, 1))
        assert r.status == 0 and r.value == b""
        r = c.call(0xB5, extras=struct.pack(">qq", 1, 0))
        assert r.status == 0 and json.loads(r.value)["rev"] == 1


def test_set_get_delete_and_nmvb():
    with Mock("--nodes", "2", "--vbuckets", "8") as m:
        c0 = connect(m.kv[0])
        cfg = config_of(c0)
        port, vb = master_port(m, cfg, "foo")
        assert vb == vbucket_of("foo", 8)
        master = connect(port)
        other = connect(m.kv[1] if port == m.kv[0] else m.kv[0])
        r = master.call(0x01, key="foo", value="bar", extras=set_extras(0xDEADBEEF, 0), vb=vb)
        assert r.status == 0 and r.cas != 0 and len(r.extras) == 16
        uuid, seqno = struct.unpack(">QQ", r.extras)
        assert seqno == 1
        r2 = master.call(0x00, key="foo", vb=vb)
        assert r2.status == 0 and r2.value == b"bar" and r2.cas == r.cas
        assert struct.unpack(">I", r2.extras)[0] == 0xDEADBEEF
        # wrong node: NOT_MY_VBUCKET with the config as body
        r3 = other.call(0x00, key="foo", vb=vb)
        assert r3.status == 0x07
        nm = json.loads(r3.value)
        assert nm["rev"] == cfg["rev"] and "vBucketServerMap" in nm
        r = master.call(0x04, key="foo", vb=vb)
        assert r.status == 0 and struct.unpack(">QQ", r.extras) == (uuid, 2)
        assert master.call(0x00, key="foo", vb=vb).status == 0x01
        assert master.call(0x04, key="foo", vb=vb).status == 0x01
        # no MUTATION_SEQNO negotiated: no extras
        plain = connect(port, features=(0x07, 0x08))
        r = plain.call(0x01, key="foo", value="x", extras=set_extras(), vb=vb)
        assert r.status == 0 and r.extras == b""
        # vbucket out of range
        assert master.call(0x00, key="foo", vb=999).status == 0x07


def test_unknown_opcode_and_noop_version():
    with Mock() as m:
        c = connect(m.kv[0])
        assert c.call(0x0A).status == 0
        r = c.call(0x0B)
        assert r.status == 0 and r.value.startswith(b"7.")
        assert c.call(0x3F).status == 0x81
        assert c.call(0xEE, key="k").status == 0x81


def test_no_bucket_and_bad_packets():
    with Mock("--bucket", "secure:pw") as m:
        c = KV(m.kv[0])
        c.hello(0x07)
        assert c.call(0x00, key="x").status == 0x08  # no bucket selected
        # without XERROR the server disconnects instead of NO_BUCKET
        c = KV(m.kv[0])
        c.send(0x00, key="x")
        assert c.closed()
        # bad magic closes the connection
        c = KV(m.kv[0])
        c.sock.sendall(b"\x42" + b"\0" * 23)
        assert c.closed()
        # lengths that do not add up: EINVAL, then close
        c = KV(m.kv[0])
        c.sock.sendall(struct.pack(">BBHBBHIIQ", 0x80, 0x00, 10, 0, 0, 0, 4, 1, 0) + b"abcd")
        r = c.recv()
        assert r.status == 0x04
        assert c.closed()


if __name__ == "__main__":
    run([test_hello_acks_supported_features_only, test_plain_and_select_bucket,
         test_cluster_config_has_host_placeholder, test_set_get_delete_and_nmvb,
         test_unknown_opcode_and_noop_version, test_no_bucket_and_bad_packets])
