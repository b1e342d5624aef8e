"""SASL: mechanism list, PLAIN, SCRAM-SHA1/256/512 with right and wrong passwords (a wrong
password fails at the proof step with AUTH_ERROR), unknown users, protocol errors."""
import struct

from mocklib import KV, Mock, run, set_extras

MECHS = ("SCRAM-SHA1", "SCRAM-SHA256", "SCRAM-SHA512")


def test_list_mechs():
    with Mock() as m:
        c = KV(m.kv[0])
        r = c.call(0x20)
        assert r.status == 0 and r.value == b"SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN"


def test_scram_right_password_all_variants():
    with Mock("--user", "al=ice,x:pa55:default") as m:
        for mech in MECHS:
            c = KV(m.kv[0])
            c.hello(0x07, 0x08)
            r = c.scram(mech, "al=ice,x", "pa55")  # the helper checks the server signature
            assert r.status == 0, (mech, r)
            assert c.select("default").status == 0
            r = c.call(0x01, key="k", value="v", extras=set_extras())
            assert r.status in (0, 0x07), r


def test_scram_wrong_password_fails_at_proof():
    with Mock("--user", "bob:right") as m:
        for mech in MECHS:
            c = KV(m.kv[0])
            c.hello(0x07, 0x08)
            first = c.call(0x21, key=mech, value="n,,n=bob,r=abcdef")
            assert first.status == 0x21 and first.value.startswith(b"r=abcdef")
            c.close()
            c = KV(m.kv[0])
            c.hello(0x07, 0x08)
            r = c.scram(mech, "bob", "wrong")
            assert r.opcode == 0x22 and r.status == 0x20, (mech, r)
            # the connection is not authenticated afterwards
            assert c.select("default").status == 0x24
            # tampered proof with the right password fails too
            c = KV(m.kv[0])
            r = c.scram(mech, "bob", "right", tamper=True)
            assert r.status == 0x20


def test_scram_salt_is_per_user():
    with Mock("--user", "u1:a", "--user", "u2:a") as m:
        def salt(user, mech="SCRAM-SHA256"):
            r = KV(m.kv[0]).call(0x21, key=mech, value="n,,n=%s,r=xyz" % user)
            assert r.status == 0x21
            attrs = dict(kv.split("=", 1) for kv in r.value.decode().split(","))
            assert attrs["i"] == "4096" and attrs["r"].startswith("xyz") and len(attrs["r"]) > 3
            return attrs["s"]
        assert salt("u1") == salt("u1")  # stored credentials: same salt every time
        assert salt("u1") != salt("u2")
        assert salt("u1", "SCRAM-SHA1") != salt("u1")


def test_scram_unknown_user_fails_at_proof():
    with Mock() as m:
        c = KV(m.kv[0])
        r = c.scram("SCRAM-SHA256", "nobody", "x")
        assert r.opcode == 0x22 and r.status == 0x20


def test_plain():
    with Mock("--user", "carol:pw") as m:
        c = KV(m.kv[0])
        assert c.plain("carol", "pw").status == 0
        assert c.plain("carol", "pw2").status == 0x20
        assert c.plain("nobody", "").status == 0x20
        assert c.call(0x21, key="PLAIN", value=b"garbage").status == 0x20
        # bucket name as user selects that bucket automatically
        c = KV(m.kv[0])
        c.hello(0x07, 0x08)
        assert c.plain("default", "").status == 0
        assert c.call(0x00, key="x").status in (0x01, 0x07)


def test_protocol_errors():
    with Mock() as m:
        c = KV(m.kv[0])
        assert c.call(0x21, key="CRAM-MD5", value="x").status == 0x20
        assert c.call(0x22, key="SCRAM-SHA1", value="c=biws,r=x,p=AAAA").status == 0x20  # no AUTH
        assert c.call(0x21, key="SCRAM-SHA1", value="p=tls,,n=a,r=b").status == 0x20
        r = c.call(0x21, key="SCRAM-SHA1", value="n,,n=Administrator,r=nonce")
        assert r.status == 0x21
        # nonce mismatch
        assert c.call(0x22, key="SCRAM-SHA1", value="c=biws,r=other,p=AAAA").status == 0x20
        # mechanism switch in the middle
        r = c.call(0x21, key="SCRAM-SHA1", value="n,,n=Administrator,r=nonce")
        assert c.call(0x22, key="SCRAM-SHA256", value="c=biws,r=x,p=AAAA").status == 0x20


if __name__ == "__main__":
    run([test_list_mechs, test_scram_right_password_all_variants,
         test_scram_wrong_password_fails_at_proof, test_scram_salt_is_per_user,
         test_scram_unknown_user_fails_at_proof,
         test_plain, test_protocol_errors])
