/* Connection strings: a table of valid and invalid strings with the exact result of each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/connstr.h"
#include "sofa/connstr.h"
#include "sofa/status.h"

/* A canonical one-line description of a parsed string:
 *   "<scheme> <host>,<host>... b=<bucket or ->[ <option>=<value> ...]"
 * host = name or [ipv6] ":" port ("*" when the port came from the string) "/" kv|http.
 * Only options that differ from their defaults are listed, in struct order. */
static void describe(const sofa__connstr *cs, char *out, size_t len)
{
    size_t o = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(out + o, len - o, __VA_ARGS__);                                          \
        assert_true(n_ >= 0 && (size_t)n_ < len - o);                                              \
        o += (size_t)n_;                                                                           \
    } while (0)
    PUT("%s ", sofa__scheme_name(cs->scheme));
    for (size_t i = 0; i < cs->nhosts; i++) {
        const sofa__host *h = &cs->hosts[i];
        PUT("%s%s%s%s:%u%s/%s", i ? "," : "", h->is_ipv6 ? "[" : "", h->host,
            h->is_ipv6 ? "]" : "", (unsigned)h->port, h->port_given ? "*" : "",
            h->type == SOFA__HOST_KV ? "kv" : "http");
    }
    PUT(" b=%s", cs->bucket ? cs->bucket : "-");
    if (cs->username) {
        PUT(" user=%s", cs->username);
    }
    if (cs->password) {
        PUT(" pass=%s", cs->password);
    }
    const struct {
        const char *name;
        uint64_t v, def;
    } d[] = {{"op", cs->operation_timeout_us, 2500000},
             {"query", cs->query_timeout_us, 75000000},
             {"view", cs->view_timeout_us, 75000000},
             {"dur_to", cs->durability_timeout_us, 5000000},
             {"dur_int", cs->durability_interval_us, 100000},
             {"cfg_total", cs->config_total_timeout_us, 5000000},
             {"cfg_node", cs->config_node_timeout_us, 2000000},
             {"cfg_poll", cs->config_poll_interval_us, 2500000}};
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        if (d[i].v != d[i].def) {
            PUT(" %s=%llu", d[i].name, (unsigned long long)d[i].v);
        }
    }
    if (cs->bootstrap_on != (SOFA__BOOTSTRAP_CCCP | SOFA__BOOTSTRAP_HTTP)) {
        PUT(" boot=%s", cs->bootstrap_on == SOFA__BOOTSTRAP_CCCP   ? "cccp"
                        : cs->bootstrap_on == SOFA__BOOTSTRAP_HTTP ? "http"
                                                                   : "?");
    }
    if (cs->iops) {
        PUT(" iops=%s", cs->iops);
    }
    if (cs->tcp_nodelay != 1) {
        PUT(" nodelay=%d", cs->tcp_nodelay);
    }
    if (cs->sasl_mech_force) {
        PUT(" mech=%s", cs->sasl_mech_force);
    }
    if (cs->ipv6 != SOFA__IPV6_ALLOW) {
        PUT(" ipv6=%s", cs->ipv6 == SOFA__IPV6_ONLY ? "only" : "disabled");
    }
    if (cs->log_level_given || cs->log_level != -1) {
        PUT(" log=%d", cs->log_level);
    }
    if (cs->certpath) {
        PUT(" cert=%s", cs->certpath);
    }
    if (cs->tls_no_verify) {
        PUT(" noverify");
    }
    if (cs->enable_mutation_tokens != 1) {
        PUT(" tokens=%d", cs->enable_mutation_tokens);
    }
    assert_int_equal(cs->tls, cs->scheme == SOFA__SCHEME_COUCHBASES);
#undef PUT
}

typedef struct tcase {
    const char *in;
    int rc;
    const char *want; /* describe() for rc == 0, else the exact error message */
} tcase;

static const tcase cases[] = {
    /* ---- schemes and default ports */
    {"couchbase://localhost", 0, "couchbase localhost:11210/kv b=default"},
    {"couchbases://localhost", 0, "couchbases localhost:11207/kv b=default"},
    {"http://localhost", 0, "http localhost:8091/http b=default"},
    {"memcached://localhost", 0, "memcached localhost:11211/kv b=-"},
    {"COUCHBASE://Node1", 0, "couchbase Node1:11210/kv b=default"},
    {"couchbase://10.0.0.1:12000", 0, "couchbase 10.0.0.1:12000*/kv b=default"},
    {"http://h:8091/beer", 0, "http h:8091*/http b=beer"},
    {"http://h:9000", 0, "http h:9000*/http b=default boot=http"},
    {"http://h:9000?bootstrap_on=all", 0, "http h:9000*/http b=default"},
    {"http://h:11210=mcd", 0, "http h:11210*/kv b=default"},
    {"memcached://a:11211,b:11212", 0, "memcached a:11211*/kv,b:11212*/kv b=-"},
    {"memcached://a:11300=mccompat", 0, "memcached a:11300*/kv b=-"},
    /* ---- the management port on a KV scheme is ignored */
    {"couchbase://h:8091", 0, "couchbase h:11210/kv b=default"},
    {"couchbases://h:18091", 0, "couchbases h:11207/kv b=default"},
    {"couchbase://h:8091=http", 0, "couchbase h:8091*/http b=default"},
    {"couchbases://h:18091=https", 0, "couchbases h:18091*/http b=default"},
    {"couchbases://h:11207=mcds", 0, "couchbases h:11207*/kv b=default"},
    {"couchbase://h:11210=MCD", 0, "couchbase h:11210*/kv b=default"},
    /* ---- several hosts, separators, duplicates */
    {"couchbase://a,b,c", 0, "couchbase a:11210/kv,b:11210/kv,c:11210/kv b=default"},
    {"couchbase://a;b:11300", 0, "couchbase a:11210/kv,b:11300*/kv b=default"},
    {"couchbase://a,A,a:11210", 0, "couchbase a:11210/kv b=default"},
    {"couchbase://a:9000=http,a:9000=mcd", 0, "couchbase a:9000*/http,a:9000*/kv b=default"},
    /* ---- IPv6 */
    {"couchbase://[::1]", 0, "couchbase [::1]:11210/kv b=default"},
    {"couchbase://[::1]:11210", 0, "couchbase [::1]:11210*/kv b=default"},
    {"couchbase://[fe80::1:2]:9000=http/b", 0, "couchbase [fe80::1:2]:9000*/http b=b"},
    {"couchbase://[::ffff:10.0.0.1],h", 0,
     "couchbase [::ffff:10.0.0.1]:11210/kv,h:11210/kv b=default"},
    {"couchbase://[::1]?ipv6=only", 0, "couchbase [::1]:11210/kv b=default ipv6=only"},
    {"couchbase://[::1", SOFA_E_CONNSTR_HOST, "missing ']' in host '[::1' at position 1"},
    {"couchbase://[]", SOFA_E_CONNSTR_HOST, "empty host at position 1"},
    {"couchbase://[abc]", SOFA_E_CONNSTR_HOST, "'abc' at position 1 is not an IPv6 address"},
    {"couchbase://[::g]", SOFA_E_CONNSTR_HOST,
     "invalid character at byte 3 of host '::g' at position 1"},
    {"couchbase://[::1]x", SOFA_E_CONNSTR_HOST,
     "unexpected text after ']' in host '[::1]x' at position 1"},
    {"couchbase://::1", SOFA_E_CONNSTR_HOST,
     "host '::1' at position 1: write IPv6 addresses in brackets, e.g. [::1]:11210"},
    {"couchbase://[::1]?ipv6=disabled", SOFA_E_CONNSTR_VALUE,
     "IPv6 host at position 1 but ipv6=disabled"},
    /* ---- bucket */
    {"couchbase://h/travel-sample", 0, "couchbase h:11210/kv b=travel-sample"},
    {"couchbase://h/", 0, "couchbase h:11210/kv b=default"},
    {"couchbase://h/my%2Ebucket", 0, "couchbase h:11210/kv b=my.bucket"},
    {"couchbase://h?bucket=b_1", 0, "couchbase h:11210/kv b=b_1"},
    {"couchbase://h/a/b", SOFA_E_CONNSTR_BUCKET, "bucket path 'a/b' has more than one segment"},
    {"couchbase://h/a%20b", SOFA_E_CONNSTR_BUCKET,
     "bucket name 'a b' has an invalid character at byte 2"},
    {"couchbase://h/b?bucket=c", SOFA_E_CONNSTR_DUPLICATE,
     "option 'bucket' given twice (also in the path)"},
    {"memcached://h/b", SOFA_E_CONNSTR_BUCKET, "memcached:// takes no bucket"},
    {"memcached://h?bucket=b", SOFA_E_CONNSTR_BUCKET, "memcached:// takes no bucket"},
    {"couchbase://h/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaa",
     SOFA_E_CONNSTR_BUCKET,
     "bucket name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' longer than 100 bytes"},
    {"couchbase://h/b%2", SOFA_E_CONNSTR_SYNTAX, "bucket 'b%2': bad percent-encoding at byte 2"},
    /* ---- schemes that are refused */
    {"localhost", SOFA_E_CONNSTR_SCHEME,
     "missing scheme in 'localhost' (write couchbase://, couchbases://, http:// or memcached://)"},
    {"https://h", SOFA_E_CONNSTR_SCHEME, "unknown scheme 'https'"},
    {"h/b?next=couchbase://x", SOFA_E_CONNSTR_SCHEME,
     "missing scheme in 'h/b?next=couchbase://x' (write couchbase://, couchbases://, http:// or "
     "memcached://)"},
    {"couchbase:/h", SOFA_E_CONNSTR_SCHEME,
     "missing scheme in 'couchbase:/h' (write couchbase://, couchbases://, http:// or "
     "memcached://)"},
    {"couchbase+dnssrv://h", SOFA_E_CONNSTR_SCHEME, "unknown scheme 'couchbase+dnssrv'"},
    {"://h", SOFA_E_CONNSTR_SCHEME, "unknown scheme ''"},
    {"", SOFA_E_CONNSTR_SCHEME,
     "missing scheme in '' (write couchbase://, couchbases://, http:// or memcached://)"},
    /* ---- hosts that are refused */
    {"couchbase://-h", SOFA_E_CONNSTR_HOST,
     "host '-h' at position 1 has an empty or malformed label"},
    {"couchbase://a..b", SOFA_E_CONNSTR_HOST,
     "host 'a..b' at position 1 has an empty or malformed label"},
    {"couchbase://", SOFA_E_CONNSTR_HOST, "no host given"},
    {"couchbase:///b", SOFA_E_CONNSTR_HOST, "no host given"},
    {"couchbase://a,,b", SOFA_E_CONNSTR_HOST, "empty host at position 2"},
    {"couchbase://a,b,", SOFA_E_CONNSTR_HOST, "empty host at position 3"},
    {"couchbase://,a", SOFA_E_CONNSTR_HOST, "empty host at position 1"},
    {"couchbase://:11210", SOFA_E_CONNSTR_HOST, "empty host at position 1"},
    {"couchbase://a b", SOFA_E_CONNSTR_HOST,
     "invalid character at byte 2 of host 'a b' at position 1"},
    {"couchbase://a%2Cb", SOFA_E_CONNSTR_HOST,
     "invalid character at byte 2 of host 'a,b' at position 1"},
    {"couchbase://h%2dx", 0, "couchbase h-x:11210/kv b=default"},
    {"couchbase://h%zz", SOFA_E_CONNSTR_SYNTAX, "host 'h%zz': bad percent-encoding at byte 2"},
    {"couchbase://h%00", SOFA_E_CONNSTR_SYNTAX, "host 'h%00': bad percent-encoding at byte 2"},
    /* ---- ports that are refused */
    {"couchbase://h:", SOFA_E_CONNSTR_PORT,
     "invalid port '' of host at position 1 (want 1..65535)"},
    {"couchbase://h:0", SOFA_E_CONNSTR_PORT,
     "invalid port '0' of host at position 1 (want 1..65535)"},
    {"couchbase://h:65536", SOFA_E_CONNSTR_PORT,
     "invalid port '65536' of host at position 1 (want 1..65535)"},
    {"couchbase://h:123456", SOFA_E_CONNSTR_PORT,
     "invalid port '123456' of host at position 1 (want 1..65535)"},
    {"couchbase://a,h:1x", SOFA_E_CONNSTR_PORT,
     "invalid port '1x' of host at position 2 (want 1..65535)"},
    {"couchbase://h:-1", SOFA_E_CONNSTR_PORT,
     "invalid port '-1' of host at position 1 (want 1..65535)"},
    {"couchbase://h:65535", 0, "couchbase h:65535*/kv b=default"},
    {"couchbase://h=http", SOFA_E_CONNSTR_PORT,
     "host 'h=http' at position 1 has a port type but no port"},
    {"couchbase://h:1=ftp", SOFA_E_CONNSTR_PORT, "unknown port type 'ftp' of host at position 1"},
    {"couchbase://h:1=https", SOFA_E_CONNSTR_PORT,
     "port type 'https' of host at position 1 needs couchbases://"},
    {"couchbases://h:1=mcd", SOFA_E_CONNSTR_PORT,
     "port type 'mcd' of host at position 1 needs a non-TLS scheme"},
    {"memcached://h:1=http", SOFA_E_CONNSTR_PORT,
     "port type 'http' of host at position 1 is not allowed with memcached://"},
    /* ---- options: every one, valid */
    {"couchbase://h?username=alice&password=s3cr%26t", 0,
     "couchbase h:11210/kv b=default user=alice pass=s3cr&t"},
    {"couchbase://h?password=", 0, "couchbase h:11210/kv b=default pass="},
    {"couchbase://h?password=a+b", 0, "couchbase h:11210/kv b=default pass=a+b"},
    {"couchbase://h?password=a=b%3D", 0, "couchbase h:11210/kv b=default pass=a=b="},
    {"couchbase://node.example.com./b", 0, "couchbase node.example.com.:11210/kv b=b"},
    {"couchbase://h?operation_timeout=1.5", 0, "couchbase h:11210/kv b=default op=1500000"},
    {"couchbase://h?operation_timeout=500ms&query_timeout=2m&view_timeout=1h", 0,
     "couchbase h:11210/kv b=default op=500000 query=120000000 view=3600000000"},
    {"couchbase://h?durability_timeout=10s&durability_interval=50ms", 0,
     "couchbase h:11210/kv b=default dur_to=10000000 dur_int=50000"},
    {"couchbase://h?config_total_timeout=100us&config_node_timeout=0.25s&config_poll_interval=0",
     0, "couchbase h:11210/kv b=default cfg_total=100 cfg_node=250000 cfg_poll=0"},
    {"couchbase://h?bootstrap_on=cccp", 0, "couchbase h:11210/kv b=default boot=cccp"},
    {"couchbase://h?bootstrap_on=HTTP", 0, "couchbase h:11210/kv b=default boot=http"},
    {"couchbase://h?bootstrap_on=all", 0, "couchbase h:11210/kv b=default"},
    {"couchbase://h?iops=libevent&tcp_nodelay=false", 0,
     "couchbase h:11210/kv b=default iops=libevent nodelay=0"},
    {"couchbase://h?tcp_nodelay=on", 0, "couchbase h:11210/kv b=default"},
    {"couchbase://h?sasl_mech_force=scram-sha512", 0,
     "couchbase h:11210/kv b=default mech=SCRAM-SHA512"},
    {"couchbase://h?sasl_mech_force=PLAIN", 0, "couchbase h:11210/kv b=default mech=PLAIN"},
    {"couchbase://h?ipv6=disabled", 0, "couchbase h:11210/kv b=default ipv6=disabled"},
    {"couchbase://h?log_level=debug", 0, "couchbase h:11210/kv b=default log=3"},
    {"couchbase://h?log_level=0", 0, "couchbase h:11210/kv b=default log=0"},
    {"couchbase://h?log_level=off", 0, "couchbase h:11210/kv b=default log=-1"},
    {"couchbases://h?certpath=%2Fetc%2Fca.pem", 0, "couchbases h:11207/kv b=default cert=/etc/ca.pem"},
    {"couchbases://h?truststorepath=ca.pem", 0, "couchbases h:11207/kv b=default cert=ca.pem"},
    {"couchbases://h?ssl=no_verify", 0, "couchbases h:11207/kv b=default noverify"},
    {"couchbases://h?SSL=No_Verify&certpath=x", 0,
     "couchbases h:11207/kv b=default cert=x noverify"},
    {"couchbases://h?ssl=on", 0, "couchbases h:11207/kv b=default"},
    {"couchbases://h:18091=http", SOFA_E_CONNSTR_PORT,
     "port type 'http' of host at position 1 needs a non-TLS scheme"},
    {"couchbases://a:18091,b:11207/x", 0, "couchbases a:11207/kv,b:11207*/kv b=x"},
    {"couchbases://[::1]:12000", 0, "couchbases [::1]:12000*/kv b=default"},
    {"couchbase://h?enable_mutation_tokens=no", 0, "couchbase h:11210/kv b=default tokens=0"},
    {"couchbase://h?OPERATION_TIMEOUT=3", 0, "couchbase h:11210/kv b=default op=3000000"},
    {"couchbase://h?&operation_timeout=3&", 0, "couchbase h:11210/kv b=default op=3000000"},
    {"couchbase://h?", 0, "couchbase h:11210/kv b=default"},
    {"couchbase://h%3F?a%5Fb=1", SOFA_E_CONNSTR_HOST,
     "invalid character at byte 2 of host 'h?' at position 1"},
    {"couchbase://h?operation%5Ftimeout=4", 0, "couchbase h:11210/kv b=default op=4000000"},
    /* ---- options that are refused */
    {"couchbase://h?foo=1", SOFA_E_CONNSTR_OPTION, "unknown option 'foo'"},
    {"couchbase://h?=1", SOFA_E_CONNSTR_SYNTAX, "option with an empty name"},
    {"couchbase://h?operation_timeout", SOFA_E_CONNSTR_SYNTAX,
     "option 'operation_timeout' has no '=value'"},
    {"couchbase://h?operation_timeout=1&operation_timeout=2", SOFA_E_CONNSTR_DUPLICATE,
     "option 'operation_timeout' given twice"},
    {"couchbase://h?password=a&password=a", SOFA_E_CONNSTR_DUPLICATE,
     "option 'password' given twice"},
    {"couchbase://h?operation_timeout=", SOFA_E_CONNSTR_VALUE,
     "option 'operation_timeout' has an empty value"},
    {"couchbase://h?operation_timeout=fast", SOFA_E_CONNSTR_VALUE,
     "invalid value 'fast' for option 'operation_timeout' (a positive duration up to 24h such as "
     "2.5s, 500ms, 100us)"},
    {"couchbase://h?operation_timeout=0", SOFA_E_CONNSTR_VALUE,
     "invalid value '0' for option 'operation_timeout' (a positive duration up to 24h such as "
     "2.5s, 500ms, 100us)"},
    {"couchbase://h?view_timeout=-1s", SOFA_E_CONNSTR_VALUE,
     "invalid value '-1s' for option 'view_timeout' (a positive duration up to 24h such as 2.5s, "
     "500ms, 100us)"},
    {"couchbase://h?config_poll_interval=25h", SOFA_E_CONNSTR_VALUE,
     "invalid value '25h' for option 'config_poll_interval' (a duration up to 24h such as 2.5s, or "
     "0 for off)"},
    {"couchbase://h?bootstrap_on=file", SOFA_E_CONNSTR_VALUE,
     "invalid value 'file' for option 'bootstrap_on' (cccp, http or all)"},
    {"couchbase://h?ipv6=yes", SOFA_E_CONNSTR_VALUE,
     "invalid value 'yes' for option 'ipv6' (allow, only or disabled)"},
    {"couchbase://h?tcp_nodelay=2", SOFA_E_CONNSTR_VALUE,
     "invalid value '2' for option 'tcp_nodelay' (true/false, on/off, yes/no or 1/0)"},
    {"couchbase://h?log_level=loud", SOFA_E_CONNSTR_VALUE,
     "invalid value 'loud' for option 'log_level' (error, warn, info, debug, trace, off or 0..4)"},
    {"couchbase://h?sasl_mech_force=CRAM-MD5", SOFA_E_CONNSTR_VALUE,
     "invalid value 'CRAM-MD5' for option 'sasl_mech_force' (PLAIN, SCRAM-SHA1, SCRAM-SHA256 or "
     "SCRAM-SHA512)"},
    {"couchbase://h?iops=../evil", SOFA_E_CONNSTR_VALUE,
     "invalid value '../evil' for option 'iops' (a plugin name of a-z, 0-9 and _)"},
    {"couchbases://h?ssl=off", SOFA_E_CONNSTR_VALUE,
     "invalid value 'off' for option 'ssl' (on or no_verify)"},
    {"couchbase://h?ssl=no_verify", SOFA_E_CONNSTR_VALUE,
     "option 'ssl' needs couchbases:// (TLS is chosen by the scheme)"},
    {"couchbases://h?certpath=a&truststorepath=b", SOFA_E_CONNSTR_DUPLICATE,
     "option 'truststorepath': the CA file was already given (certpath and truststorepath are "
     "the same setting)"},
    {"couchbases://h?certpath=a&certpath=a", SOFA_E_CONNSTR_DUPLICATE,
     "option 'certpath' given twice"},
    {"couchbases://h?certpath=", SOFA_E_CONNSTR_VALUE, "option 'certpath' has an empty value"},
    {"couchbase://h?username=", SOFA_E_CONNSTR_VALUE, "option 'username' has an empty value"},
    {"couchbase://h?bucket=a/b", SOFA_E_CONNSTR_BUCKET,
     "bucket name 'a/b' has an invalid character at byte 2"},
    {"couchbase://h?password=%G1secret", SOFA_E_CONNSTR_SYNTAX,
     "option 'password': bad percent-encoding"},
    {"couchbase://h?x%1=1", SOFA_E_CONNSTR_SYNTAX,
     "option name 'x%1': bad percent-encoding at byte 2"},
    {"couchbase://h?unknown\x01opt=1", SOFA_E_CONNSTR_OPTION, "unknown option 'unknown?opt'"},
};

static void table_gives_exact_results(void **state)
{
    (void)state;
    size_t nvalid = 0, ninvalid = 0, nbad = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const tcase *c = &cases[i];
        sofa__connstr cs;
        char err[512];
        char got[1024];
        memset(err, 'x', sizeof(err));
        int rc = sofa__connstr_parse(c->in, &cs, err, sizeof(err));
        if (rc == SOFA_OK) {
            describe(&cs, got, sizeof(got));
            assert_string_equal(err, "");
        } else {
            snprintf(got, sizeof(got), "%s", err);
            /* on error nothing is left allocated and the struct is zeroed */
            assert_null(cs.hosts);
            assert_null(cs.bucket);
            assert_int_equal(cs.nhosts, 0);
        }
        if (rc != c->rc || strcmp(got, c->want) != 0) {
            print_error("case %zu: %s\n  want %d '%s'\n  got  %d '%s'\n", i, c->in, c->rc,
                        c->want, rc, got);
            nbad++;
        }
        if (rc == SOFA_OK) {
            nvalid++;
        } else {
            ninvalid++;
        }
        sofa__connstr_free(&cs);
    }
    assert_int_equal(nbad, 0);
    assert_true(nvalid + ninvalid >= 60);
    assert_true(nvalid >= 25 && ninvalid >= 25);
}

typedef struct dcase {
    const char *in;
    int rc;
    uint64_t us;
} dcase;

static void durations_parse_with_units(void **state)
{
    (void)state;
    static const dcase d[] = {
        {"2.5s", 0, 2500000},
        {"2.5", 0, 2500000}, /* a plain number is seconds */
        {"500ms", 0, 500000},
        {"100us", 0, 100},
        {"1m", 0, 60000000},
        {"2h", 0, 7200000000ull},
        {"0", 0, 0},
        {"0.0000019s", 0, 1},   /* rounded down to microseconds */
        {"1.1234567891234ms", 0, 1123}, /* digits past nine are ignored */
        {"24h", 0, 86400000000ull},
        {"86400", 0, 86400000000ull},
        {"86400.000001", SOFA_E_CONNSTR_VALUE, 0},
        {"24.5h", SOFA_E_CONNSTR_VALUE, 0},
        {"99999999999999999999999", SOFA_E_CONNSTR_VALUE, 0},
        {"", SOFA_E_CONNSTR_VALUE, 0},
        {"s", SOFA_E_CONNSTR_VALUE, 0},
        {".5s", SOFA_E_CONNSTR_VALUE, 0},
        {"5.s", SOFA_E_CONNSTR_VALUE, 0},
        {"-1", SOFA_E_CONNSTR_VALUE, 0},
        {"+1", SOFA_E_CONNSTR_VALUE, 0},
        {" 1", SOFA_E_CONNSTR_VALUE, 0},
        {"1 s", SOFA_E_CONNSTR_VALUE, 0},
        {"1ns", SOFA_E_CONNSTR_VALUE, 0},
        {"1S", SOFA_E_CONNSTR_VALUE, 0},
        {"1e3", SOFA_E_CONNSTR_VALUE, 0},
        {"1.2.3", SOFA_E_CONNSTR_VALUE, 0},
    };
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        uint64_t us = 12345;
        int rc = sofa__parse_duration(d[i].in, &us);
        if (rc != d[i].rc || (rc == 0 && us != d[i].us)) {
            print_error("duration '%s': want %d %llu got %d %llu\n", d[i].in, d[i].rc,
                        (unsigned long long)d[i].us, rc, (unsigned long long)us);
            fail();
        }
    }
    assert_int_equal(sofa__parse_duration(NULL, NULL), SOFA_E_CONNSTR_VALUE);
}

static void defaults_match_the_documented_values(void **state)
{
    (void)state;
    sofa__connstr cs;
    assert_int_equal(sofa__connstr_parse("couchbase://h", &cs, NULL, 0), SOFA_OK);
    assert_int_equal(cs.operation_timeout_us, 2500000);
    assert_int_equal(cs.query_timeout_us, 75000000);
    assert_int_equal(cs.view_timeout_us, 75000000);
    assert_int_equal(cs.durability_timeout_us, 5000000);
    assert_int_equal(cs.durability_interval_us, 100000);
    assert_int_equal(cs.config_total_timeout_us, 5000000);
    assert_int_equal(cs.config_node_timeout_us, 2000000);
    assert_int_equal(cs.config_poll_interval_us, 2500000);
    assert_int_equal(cs.bootstrap_on, SOFA__BOOTSTRAP_CCCP | SOFA__BOOTSTRAP_HTTP);
    assert_int_equal(cs.tcp_nodelay, 1);
    assert_int_equal(cs.ipv6, SOFA__IPV6_ALLOW);
    assert_int_equal(cs.log_level, -1);
    assert_int_equal(cs.log_level_given, 0);
    assert_int_equal(cs.tls, 0);
    assert_null(cs.iops);
    assert_null(cs.username);
    assert_null(cs.password);
    assert_null(cs.sasl_mech_force);
    sofa__connstr_free(&cs);
    assert_null(cs.hosts);
    assert_int_equal(cs.nhosts, 0);
    sofa__connstr_free(&cs); /* twice is fine: the first left it zeroed */
    sofa__connstr_free(NULL);
}

static void bad_arguments_and_limits(void **state)
{
    (void)state;
    sofa__connstr cs;
    char err[128];
    assert_int_equal(sofa__connstr_parse(NULL, &cs, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    assert_string_equal(err, "connection string is NULL");
    assert_int_equal(sofa__connstr_parse("couchbase://h", NULL, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);

    /* a tiny error buffer is truncated, not overrun */
    char small[8];
    assert_int_equal(sofa__connstr_parse("couchbase://h?foo=1", &cs, small, sizeof(small)),
                     SOFA_E_CONNSTR_OPTION);
    assert_string_equal(small, "unknown");

    /* too long */
    size_t n = SOFA__CONNSTR_MAX_LEN + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memcpy(big, "couchbase://", 12);
    memset(big + 12, 'a', n - 12);
    big[n] = '\0';
    assert_int_equal(sofa__connstr_parse(big, &cs, err, sizeof(err)), SOFA_E_CONNSTR_SYNTAX);
    assert_string_equal(err, "connection string longer than 4096 bytes");
    free(big);

    /* 128 hosts are fine, 129 are not */
    char hosts[2048] = "couchbase://";
    for (int i = 0; i < SOFA__CONNSTR_MAX_HOSTS; i++) {
        char h[16];
        snprintf(h, sizeof(h), "%sh%d", i ? "," : "", i);
        strcat(hosts, h);
    }
    assert_int_equal(sofa__connstr_parse(hosts, &cs, err, sizeof(err)), SOFA_OK);
    assert_int_equal(cs.nhosts, SOFA__CONNSTR_MAX_HOSTS);
    assert_string_equal(cs.hosts[127].host, "h127");
    sofa__connstr_free(&cs);
    strcat(hosts, ",x");
    assert_int_equal(sofa__connstr_parse(hosts, &cs, err, sizeof(err)), SOFA_E_CONNSTR_HOST);
    assert_string_equal(err, "more than 128 hosts");
}

static void password_never_appears_in_messages(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "couchbase://h?password=hunter2&password=hunter2",
        "couchbase://h?password=hunter2%",
        "couchbase://h?password=hunter2&foo=1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sofa__connstr cs;
        char err[256];
        assert_int_not_equal(sofa__connstr_parse(bad[i], &cs, err, sizeof(err)), SOFA_OK);
        assert_null(strstr(err, "hunter2"));
    }
}

static void public_check_reports_the_same_results(void **state)
{
    (void)state;
    char err[128];
    assert_int_equal(sofa_connstr_check("couchbase://a,b/bkt?operation_timeout=1s", err,
                                        sizeof(err)),
                     SOFA_OK);
    assert_string_equal(err, "");
    assert_int_equal(sofa_connstr_check("couchbase://h?operation_timeout=1&operation_timeout=2",
                                        err, sizeof(err)),
                     SOFA_E_CONNSTR_DUPLICATE);
    assert_string_equal(err, "option 'operation_timeout' given twice");
    assert_int_equal(sofa_connstr_check("couchbase://h?x=1", NULL, 0), SOFA_E_CONNSTR_OPTION);
    assert_int_equal(sofa_connstr_check(NULL, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_gives_exact_results),
        cmocka_unit_test(durations_parse_with_units),
        cmocka_unit_test(defaults_match_the_documented_values),
        cmocka_unit_test(bad_arguments_and_limits),
        cmocka_unit_test(password_never_appears_in_messages),
        cmocka_unit_test(public_check_reports_the_same_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
