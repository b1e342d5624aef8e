/* The fault tests' load driver (see faultkit.h). */
#include "faults/faultkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { K_GET, K_UPSERT, K_REMOVE, K_COUNTER, K_MULTI, K_KINDS };

static const char *const kind_names[K_KINDS] = {"get", "upsert", "remove", "counter", "multi"};

void fk_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int64_t fk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned next_rand(fk_load *l)
{
    unsigned x = l->seed ? l->seed : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    l->seed = x;
    return x;
}

int fk_status_expected(int kind, sofa_status st, int strict)
{
    int read = kind == K_GET || kind == K_MULTI;
    if (st == SOFA_OK)
        return 1;
    if (st == SOFA_E_NOT_FOUND)
        return kind == K_GET || kind == K_REMOVE || kind == K_MULTI;
    if (strict)
        return 0;
    switch (st) {
    case SOFA_E_TIMEOUT:
        return 1;
    case SOFA_E_TIMEOUT_READ:
        return read; /* a mutation that was sent times out as ambiguous, never as a read */
    case SOFA_E_TIMEOUT_AMBIGUOUS:
        return !read;
    case SOFA_E_BOOTSTRAP_FAILED:
    case SOFA_E_NO_CONFIG:
    case SOFA_E_BAD_CONFIG:
    case SOFA_E_TLS:
    case SOFA_E_NAME_RESOLUTION:
        return 0; /* the client is connected; none of these belongs to a running client */
    default:
        return sofa_status_category(st) == SOFA_CAT_NETWORK;
    }
}

static void note_status(fk_load *l, int kind, sofa_status st)
{
    for (int i = 0; i < FK_STATUS_SLOTS; i++) {
        if (l->st_count[i] == 0) {
            l->st_code[i] = st;
            l->st_count[i] = 1;
            break;
        }
        if (l->st_code[i] == st) {
            l->st_count[i]++;
            break;
        }
    }
    if (st == SOFA_OK)
        l->ok++;
    else if (sofa_status_category(st) == SOFA_CAT_ITEM)
        l->item++;
    else
        l->failed++;
    if (!(st == SOFA_E_CANCELED && l->freeing) && !fk_status_expected(kind, st, l->strict)) {
        if (l->unexpected < 5)
            fprintf(stderr, "unexpected status for %s: %s\n", kind_names[kind],
                    sofa_status_name(st));
        l->unexpected++;
    }
}

static void schedule_one(fk_load *l);

static void run_faults(fk_load *l)
{
    for (int i = 0; i < l->nfaults; i++) {
        fk_fault *f = &l->faults[i];
        if (f->done || l->completed < f->at || (!l->mock && !l->fault_fn))
            continue;
        f->done = 1;
        char out[256] = "";
        if (l->fault_fn)
            f->http_status = l->fault_fn(l, f->path);
        else
            f->http_status = sofa_test_mock_ctl(l->mock, "POST", f->path, NULL, out, sizeof(out));
        /* the mock runs stop and drop 1 ms after answering (start, by contrast, at once):
         * give them time so that a following start cannot overtake them */
        if (strstr(f->path, "/mock/stop") || strstr(f->path, "/mock/drop"))
            fk_sleep_ms(5);
        if (f->http_status != 200)
            fprintf(stderr, "fault %s: HTTP %d %s\n", f->path, f->http_status, out);
    }
}

static void on_destroyed(void *arg)
{
    fk_load *l = arg;
    l->destroyed++;
    if (l->completed != l->scheduled)
        fprintf(stderr, "destroyed with %d of %d operations unanswered\n",
                l->scheduled - l->completed, l->scheduled);
    if (!l->done) {
        l->done = 1;
        if (l->on_done)
            l->on_done(l);
    }
}

static void completed(fk_slot *s, sofa_status st)
{
    fk_load *l = s->load;
    if (l->freed || l->destroyed)
        l->late++;
    s->calls++;
    if (s->calls > 1) {
        l->fired_once_more++;
        return;
    }
    s->status = st;
    l->completed++;
    if (l->freeing && st != SOFA_E_CANCELED) {
        if (l->not_canceled < 5)
            fprintf(stderr, "after free: %s\n", sofa_status_name(st));
        if (getenv("FK_ABORT_LATE")) /* debugging aid: a backtrace of the culprit */
            abort();
        l->not_canceled++;
    }
    note_status(l, s->kind, st);
    if (l->freed || l->freeing)
        return;
    run_faults(l);
    if (l->free_at && l->completed >= l->free_at) {
        l->freeing = 1;
        sofa_client_on_destroyed(l->c, on_destroyed, l);
        sofa_client_free(l->c); /* deferred until this callback returns */
        return;
    }
    while (l->scheduled < l->budget && l->scheduled - l->completed < l->inflight)
        schedule_one(l);
    if (l->completed == l->budget && !l->done) {
        l->done = 1;
        if (l->on_done)
            l->on_done(l);
    }
}

static void on_get(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    (void)c;
    (void)r;
    completed(ck, st);
}

static void on_mut(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c;
    (void)r;
    completed(ck, st);
}

static void on_multi(sofa_client *c, sofa_status st, const sofa_multi_item *items, size_t n,
                     void *ck)
{
    fk_slot *s = ck;
    (void)c;
    if (n != FK_MULTI_KEYS || !items) {
        fprintf(stderr, "multi-get: %zu items (want %d)\n", n, FK_MULTI_KEYS);
        s->load->unexpected++;
    } else {
        for (size_t i = 0; i < n; i++)
            if (!(items[i].status == SOFA_E_CANCELED && s->load->freeing) &&
                !fk_status_expected(K_MULTI, items[i].status, s->load->strict)) {
                fprintf(stderr, "multi-get item %zu: %s\n", i, sofa_status_name(items[i].status));
                s->load->unexpected++;
            }
    }
    completed(s, st);
}

static void schedule_one(fk_load *l)
{
    fk_slot *s = &l->slots[l->scheduled];
    s->load = l;
    unsigned r = next_rand(l);
    int kind = (int)(r % 10u);
    kind = kind < 4 ? K_GET : kind < 7 ? K_UPSERT : kind < 8 ? K_REMOVE : kind < 9 ? K_COUNTER
                                                                                 : K_MULTI;
    s->kind = kind;
    l->scheduled++;
    char key[32];
    unsigned k = (r >> 8) % (unsigned)l->nkeys;
    int nk = snprintf(key, sizeof(key), kind == K_COUNTER ? "fkc%u" : "fk%u", k % (kind == K_COUNTER ? 50u : (unsigned)l->nkeys));
    int rc;
    switch (kind) {
    case K_GET:
        rc = sofa_kv_get(l->c, key, (size_t)nk, NULL, on_get, s);
        break;
    case K_UPSERT: {
        char v[64];
        int nv = snprintf(v, sizeof(v), "{\"n\":%d}", l->scheduled);
        rc = sofa_kv_upsert(l->c, key, (size_t)nk, v, (size_t)nv, NULL, on_mut, s);
        break;
    }
    case K_REMOVE:
        rc = sofa_kv_remove(l->c, key, (size_t)nk, NULL, on_mut, s);
        break;
    case K_COUNTER:
        rc = sofa_kv_counter(l->c, key, (size_t)nk, 1, 0, 1, NULL, on_mut, s);
        break;
    default: {
        char kb[FK_MULTI_KEYS][32];
        sofa_key keys[FK_MULTI_KEYS];
        for (int i = 0; i < FK_MULTI_KEYS; i++) {
            int n = snprintf(kb[i], sizeof(kb[i]), "fk%u", (k + (unsigned)i) % (unsigned)l->nkeys);
            keys[i].key = kb[i];
            keys[i].nkey = (size_t)n;
        }
        rc = sofa_kv_get_multi(l->c, keys, FK_MULTI_KEYS, SOFA_MULTI_QUIET, NULL, on_multi, s);
        break;
    }
    }
    if (rc != 0) {
        /* the callback never fires for a refused submit: count it as done here */
        if (l->submit_errors < 5)
            fprintf(stderr, "submit %s: %s\n", kind_names[kind], sofa_status_name(rc));
        l->submit_errors++;
        s->calls = 1;
        l->completed++;
    }
}

int fk_load_init(fk_load *l, sofa_client *c, sofa_test_mock *mock, int budget, int inflight,
                 unsigned seed)
{
    memset(l, 0, sizeof(*l));
    l->slots = calloc((size_t)budget, sizeof(*l->slots));
    if (!l->slots)
        return -1;
    l->c = c;
    l->mock = mock;
    l->budget = budget;
    l->inflight = inflight;
    l->nkeys = 500;
    l->seed = seed ? seed : 1;
    return 0;
}

void fk_load_add_fault(fk_load *l, int at, const char *path)
{
    if (l->nfaults < FK_MAX_FAULTS) {
        l->faults[l->nfaults].at = at;
        l->faults[l->nfaults].path = path;
        l->nfaults++;
    }
}

void fk_load_start(fk_load *l)
{
    while (l->scheduled < l->budget && l->scheduled - l->completed < l->inflight)
        schedule_one(l);
}

void fk_load_report(const fk_load *l, const char *tag)
{
    fprintf(stderr, "[%s] scheduled %d completed %d ok %d item %d failed %d unexpected %d "
                    "submit-errors %d doubled %d late %d destroyed %d |",
            tag, l->scheduled, l->completed, l->ok, l->item, l->failed, l->unexpected,
            l->submit_errors, l->fired_once_more, l->late, l->destroyed);
    for (int i = 0; i < FK_STATUS_SLOTS && l->st_count[i]; i++)
        fprintf(stderr, " %s=%d", sofa_status_name(l->st_code[i]), l->st_count[i]);
    fprintf(stderr, "\n");
}

int fk_load_clean(const fk_load *l)
{
    if (l->unexpected || l->fired_once_more || l->late || l->submit_errors || l->not_canceled)
        return 0;
    if (l->free_at) {
        if (l->destroyed != 1 || l->completed != l->scheduled)
            return 0;
    } else if (l->completed != l->budget || l->scheduled != l->budget) {
        return 0;
    }
    for (int i = 0; i < l->scheduled; i++)
        if (l->slots[i].calls != 1)
            return 0;
    for (int i = 0; i < l->nfaults; i++)
        if (!l->faults[i].done || l->faults[i].http_status != 200)
            return 0;
    return 1;
}

void fk_load_free(fk_load *l)
{
    free(l->slots);
    l->slots = NULL;
}

/* Debugging aid: with FK_LOGFILE=path set, clients log at debug level into that file
 * (fully buffered, so the timing changes little). */
static FILE *log_file;

static void file_logger(void *arg, sofa_log_level level, const char *subsystem,
                        const char *file, int line, const char *msg)
{
    (void)arg;
    fprintf(log_file, "%lld %d %s: %s (%s:%d)\n", (long long)fk_now_ms(), (int)level, subsystem,
            msg, file, line);
}

sofa_client *fk_client(const sofa_test_mock *m, const char *extra, sofa_iops *io)
{
    char cs[1400];
    if (extra && strstr(extra, "operation_timeout="))
        snprintf(cs, sizeof(cs), "%s?%s", m->connstr, extra);
    else
        snprintf(cs, sizeof(cs), "%s?operation_timeout=500ms%s%s", m->connstr,
                 extra && *extra ? "&" : "", extra ? extra : "");
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    o.username = "Administrator";
    o.password = "password";
    o.iops = io;
    const char *lf = getenv("FK_LOGFILE");
    if (lf && *lf && !log_file && (log_file = fopen(lf, "w")) != NULL)
        setvbuf(log_file, NULL, _IOFBF, 1 << 20);
    if (log_file) {
        o.logger = file_logger;
        o.log_level = SOFA_LOG_DEBUG;
    }
    sofa_client *c = NULL;
    char err[256] = "";
    int rc = sofa_client_new(&c, &o, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "sofa_client_new(%s): %s: %s\n", cs, sofa_status_name(rc), err);
        return NULL;
    }
    return c;
}

static void connect_cb(sofa_client *c, sofa_status st, void *ck)
{
    (void)c;
    int *p = ck;
    p[0]++;
    p[1] = st;
}

int fk_connect_wait(sofa_client *c)
{
    int r[2] = {0, -99999};
    if (sofa_client_connect(c, connect_cb, r) != 0)
        return -99998;
    sofa_client_wait(c);
    if (r[0] != 1) {
        fprintf(stderr, "connect callback fired %d times\n", r[0]);
        return -99997;
    }
    if (r[1] != SOFA_OK)
        fprintf(stderr, "bootstrap: %s\n%s", sofa_status_name(r[1]),
                sofa_client_bootstrap_report(c));
    return r[1];
}

int fk_recover(sofa_client *c, void (*run)(fk_load *l), int n, int max_ms)
{
    int64_t end = fk_now_ms() + max_ms;
    unsigned seed = 77;
    int rounds = 0;
    for (;;) {
        fk_load l;
        if (fk_load_init(&l, c, NULL, n, n / 2 > 0 ? n / 2 : 1, seed++) != 0)
            return 0;
        l.strict = 1;
        run(&l);
        rounds++;
        int clean = fk_load_clean(&l) && l.failed == 0;
        if (!clean)
            fk_load_report(&l, "recovery round not clean");
        fk_load_free(&l);
        if (clean)
            return 1;
        if (fk_now_ms() >= end) {
            fprintf(stderr, "not recovered after %d rounds\n", rounds);
            return 0;
        }
        fk_sleep_ms(100);
    }
}
