/*
 * sdb_mc.c - the memcached tier (sessiondb_mc.h): a second level behind the LMDB cache.
 *
 * Connections: a pool of slots, each claimed by one thread at a time with an atomic exchange (the
 * search starts at a slot picked from the thread's id, so threads settle on slots of their own).
 * A slot holds a ring (a libmemcached handle with every server and ketama distribution, used
 * only to map a key to its server index, never connected) and one single-server libmemcached
 * handle per server, made on first use, so that server health, replicas and timeouts are decided
 * here, per server, and not inside libmemcached.
 *
 * Health: each server is up or down for the whole handle. A failed operation (timeout, refused
 * connection, an answer that is not memcached's) marks it down, closes that connection and logs
 * once; while down it is skipped by every thread until retryAt, when the one thread that moves
 * retryAt forward probes it; a successful operation marks it up again (logged once). So a dead or
 * stopped server costs at most one timeout per retry period per handle, plus the call in flight.
 */
#include "sdb.h"
#include "sdb_mc.h"
#include <libmemcached/memcached.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MC_MAX_SERVERS 32
#define MC_MAX_TIMEOUT 10000u
#define MC_MAX_CONNECTIONS 1024u
#define MC_MAX_PREFIX 32
#define MC_LONG_LIFE (30u * 86400u)  /* memcached: larger expirations are absolute times */

struct mc_server {
    char host[256];
    unsigned port;
    char name[272];                  /* "host:port" for logs */
    _Alignas(64) atomic_int down;
    atomic_uint_least64_t retryAt;   /* CLOCK_MONOTONIC ms; while down, skip until then */
    atomic_uint gen;                 /* failures so far: connections older than this are stale */
};

struct mc_slot {
    _Alignas(64) atomic_int busy;
    memcached_st *ring;              /* NULL until first use */
    memcached_st **conn;             /* [nservers], each NULL until first use */
    unsigned *gen;                   /* [nservers], mc_server::gen when conn[] was last checked */
    atomic_uint_least64_t localHits, remoteHits, misses, stores, errors, rejected, skipped;
};

struct SDBMemcached {
    SDBCache *local;
    struct sdbmc_ring keys;
    struct mc_server *servers;
    unsigned nservers;
    memcached_st *proto;             /* the ring every slot clones */
    struct mc_slot *slots;
    unsigned nslots;
    atomic_uint_least64_t busySkips; /* calls that found every slot busy */
    pid_t pid;
    SDBMemcachedOptions opt;
    char prefix[MC_MAX_PREFIX + 1];
};

static void def_log(void *ref, const char *line)
{
    (void)ref;
    fprintf(stderr, "%s\n", line);
}

void SDBMemcachedDefaultOptions(SDBMemcachedOptions *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->timeoutMs = 50;
    opt->retryMs = 1000;
    opt->connections = 64;
    opt->prefix = "sslref:";
    opt->log = def_log;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void logf_(SDBMemcached *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(SDBMemcached *m, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    m->opt.log(m->opt.logRef, line);
}

static SSLErr why_(char *why, size_t n, SSLErr err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static SSLErr why_(char *why, size_t n, SSLErr err, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* ---- server health ---- */

/* true: do not contact server s now. */
static bool server_skip(SDBMemcached *m, unsigned s, uint64_t now)
{
    struct mc_server *sv = &m->servers[s];
    if (!atomic_load_explicit(&sv->down, memory_order_acquire))
        return false;
    uint_least64_t at = atomic_load_explicit(&sv->retryAt, memory_order_relaxed);
    if (now < at)
        return true;
    /* one caller per period probes the server */
    return !atomic_compare_exchange_strong(&sv->retryAt, &at, now + m->opt.retryMs);
}

static void server_failed(SDBMemcached *m, unsigned s, memcached_st *conn, memcached_return_t rc)
{
    struct mc_server *sv = &m->servers[s];
    atomic_store_explicit(&sv->retryAt, now_ms() + m->opt.retryMs, memory_order_relaxed);
    atomic_fetch_add_explicit(&sv->gen, 1, memory_order_relaxed);
    if (atomic_exchange(&sv->down, 1) == 0)
        logf_(m, "memcached %s down: %s; skipped for %u ms, then retried", sv->name,
              memcached_strerror(conn, rc), (unsigned)m->opt.retryMs);
    memcached_quit(conn);             /* a late answer must not be read as the next one */
}

static void server_ok(SDBMemcached *m, unsigned s)
{
    struct mc_server *sv = &m->servers[s];
    if (atomic_load_explicit(&sv->down, memory_order_relaxed) && atomic_exchange(&sv->down, 0))
        logf_(m, "memcached %s up", sv->name);
}

/* An answer from a working memcached (hit, miss, stored or not) rather than a failure. */
static bool answered(memcached_return_t rc)
{
    switch (rc) {
    case MEMCACHED_SUCCESS:
    case MEMCACHED_NOTFOUND:
    case MEMCACHED_NOTSTORED:
    case MEMCACHED_DATA_EXISTS:
    case MEMCACHED_STORED:
    case MEMCACHED_DELETED:
    case MEMCACHED_END:
    case MEMCACHED_E2BIG:
    case MEMCACHED_BUFFERED:
        return true;
    default:
        return false;
    }
}

#define COUNT(sl, field) atomic_fetch_add_explicit(&(sl)->field, 1, memory_order_relaxed)

/* ---- connections ---- */

static void set_behaviors(memcached_st *mc, const SDBMemcachedOptions *o)
{
    (void)memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    (void)memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    (void)memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, o->timeoutMs);
    (void)memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, o->timeoutMs);
    (void)memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, o->timeoutMs * 1000u);
    (void)memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, o->timeoutMs * 1000u);
    /* health is decided here (server_*): libmemcached retries at once */
    (void)memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
}

/* The slot a thread tries first (and whose counters it uses when it holds none). */
static unsigned home_slot(SDBMemcached *m)
{
    uint64_t h = (uint64_t)pthread_self() * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> 32) % m->nslots;
}

static struct mc_slot *slot_claim(SDBMemcached *m)
{
    unsigned start = home_slot(m);
    for (unsigned i = 0; i < m->nslots; i++) {
        struct mc_slot *s = &m->slots[(start + i) % m->nslots];
        if (!atomic_load_explicit(&s->busy, memory_order_relaxed) &&
            !atomic_exchange_explicit(&s->busy, 1, memory_order_acquire)) {
            if (!s->ring && !(s->ring = memcached_clone(NULL, m->proto))) {
                atomic_store_explicit(&s->busy, 0, memory_order_release);
                return NULL;
            }
            return s;
        }
    }
    atomic_fetch_add_explicit(&m->busySkips, 1, memory_order_relaxed);
    return NULL;
}

static void slot_release(struct mc_slot *s)
{
    atomic_store_explicit(&s->busy, 0, memory_order_release);
}

static memcached_st *slot_conn(SDBMemcached *m, struct mc_slot *sl, unsigned s)
{
    unsigned gen = atomic_load_explicit(&m->servers[s].gen, memory_order_relaxed);
    if (sl->conn[s]) {
        if (sl->gen[s] != gen) {       /* the server failed since: this connection may be dead */
            memcached_quit(sl->conn[s]);
            sl->gen[s] = gen;
        }
        return sl->conn[s];
    }
    sl->gen[s] = gen;
    memcached_st *c = memcached_create(NULL);
    if (!c)
        return NULL;
    set_behaviors(c, &m->opt);
    if (memcached_server_add(c, m->servers[s].host, (in_port_t)m->servers[s].port) !=
        MEMCACHED_SUCCESS) {
        memcached_free(c);
        return NULL;
    }
    return sl->conn[s] = c;
}

/* One memcached operation. */
enum mc_kind { MC_GET, MC_SET, MC_ADD, MC_DELETE };
struct mc_req {
    enum mc_kind kind;
    const char *key;
    size_t klen;
    const char *val;                 /* set, add */
    size_t vlen;
    time_t exp;
    char *out;                       /* get: the value (malloc), or NULL */
    size_t outLen;
};

static memcached_return_t mc_once(memcached_st *c, struct mc_req *r)
{
    memcached_return_t rc = MEMCACHED_FAILURE;
    uint32_t flags = 0;
    switch (r->kind) {
    case MC_GET:
        free(r->out);
        r->outLen = 0;
        r->out = memcached_get(c, r->key, r->klen, &r->outLen, &flags, &rc);
        if (rc != MEMCACHED_SUCCESS) {
            free(r->out);
            r->out = NULL;
        }
        break;
    case MC_SET: rc = memcached_set(c, r->key, r->klen, r->val, r->vlen, r->exp, 0); break;
    case MC_ADD: rc = memcached_add(c, r->key, r->klen, r->val, r->vlen, r->exp, 0); break;
    case MC_DELETE: rc = memcached_delete(c, r->key, r->klen, 0); break;
    }
    return rc;
}

/*
 * Run @p r on server s, unless it is skipped (then MEMCACHED_FAILURE and *ran false). A failure
 * other than a timeout is tried once more on a fresh connection (one left from before a server
 * restart fails at once); a failure marks the server down, an answer up.
 */
static memcached_return_t mc_run(SDBMemcached *m, struct mc_slot *sl, unsigned s,
                                 struct mc_req *r, bool *ran)
{
    memcached_st *c;
    *ran = false;
    if (server_skip(m, s, now_ms()) || !(c = slot_conn(m, sl, s))) {
        COUNT(sl, skipped);
        return MEMCACHED_FAILURE;
    }
    *ran = true;
    memcached_return_t rc = mc_once(c, r);
    if (!answered(rc) && rc != MEMCACHED_TIMEOUT) {
        memcached_quit(c);
        rc = mc_once(c, r);
    }
    if (!answered(rc)) {
        COUNT(sl, errors);
        server_failed(m, s, c, rc);
    } else {
        server_ok(m, s);
    }
    return rc;
}

/* The servers of a key: its ketama server, then the next @replicas ones. */
static unsigned key_servers(SDBMemcached *m, struct mc_slot *sl, const char *k, size_t kl,
                            unsigned out[MC_MAX_SERVERS])
{
    unsigned first = memcached_generate_hash(sl->ring, k, kl) % m->nservers;
    unsigned n = 1 + m->opt.replicas;
    for (unsigned i = 0; i < n; i++)
        out[i] = (first + i) % m->nservers;
    return n;
}


/* ---- open / close ---- */

static SSLErr parse_servers(SDBMemcached *m, const char *list, char *why, size_t n)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (m->nservers == MC_MAX_SERVERS)
            return why_(why, n, SSLBadParameterErr, "more than %d memcached servers",
                        MC_MAX_SERVERS);
        const char *colon = memrchr(p, ':', len);
        char *e;
        unsigned long port = colon ? strtoul(colon + 1, &e, 10) : 0;
        size_t hl = colon ? (size_t)(colon - p) : 0;
        if (!colon || hl == 0 || hl >= sizeof m->servers[0].host || colon + 1 == p + len ||
            e != p + len || port == 0 || port > 65535)
            return why_(why, n, SSLBadParameterErr,
                        "memcached server \"%.*s\": expected HOST:PORT", (int)len, p);
        struct mc_server *sv = &m->servers[m->nservers++];
        memcpy(sv->host, p, hl);
        sv->host[hl] = '\0';
        sv->port = (unsigned)port;
        snprintf(sv->name, sizeof sv->name, "%s:%u", sv->host, sv->port);
        for (unsigned i = 0; i + 1 < m->nservers; i++)
            if (strcmp(m->servers[i].name, sv->name) == 0)
                return why_(why, n, SSLBadParameterErr, "memcached server %s listed twice",
                            sv->name);
        if (!end)
            break;
        p = end + 1;
        if (!*p)
            return why_(why, n, SSLBadParameterErr, "memcached server list ends with a comma");
    }
    if (m->nservers == 0)
        return why_(why, n, SSLBadParameterErr, "no memcached server given (HOST:PORT,...)");
    return SSLNoErr;
}

SSLErr SDBMemcachedOpen(SDBMemcached **out, SDBCache *local, const SDBMemcachedOptions *opt,
                        char *why, size_t n)
{
    if (why && n)
        why[0] = '\0';
    if (!out)
        return why_(why, n, SSLBadParameterErr, "no handle pointer");
    *out = NULL;
    if (!local || !opt || !opt->servers || !opt->keyFile)
        return why_(why, n, SSLBadParameterErr,
                    "the memcached tier needs a local cache, a server list and a key file");
    if (opt->timeoutMs < 1 || opt->timeoutMs > MC_MAX_TIMEOUT)
        return why_(why, n, SSLBadParameterErr, "memcached timeout %u ms: must be 1..%u",
                    (unsigned)opt->timeoutMs, MC_MAX_TIMEOUT);
    if (opt->connections < 1 || opt->connections > MC_MAX_CONNECTIONS)
        return why_(why, n, SSLBadParameterErr, "memcached connections %u: must be 1..%u",
                    (unsigned)opt->connections, MC_MAX_CONNECTIONS);
    const char *prefix = opt->prefix ? opt->prefix : "sslref:";
    size_t pl = strlen(prefix);
    if (pl < 1 || pl > MC_MAX_PREFIX)
        return why_(why, n, SSLBadParameterErr, "memcached key prefix: 1..%d characters",
                    MC_MAX_PREFIX);
    for (size_t i = 0; i < pl; i++)
        if (prefix[i] <= ' ' || prefix[i] > '~')
            return why_(why, n, SSLBadParameterErr,
                        "memcached key prefix: printable characters only, no spaces");
    SDBMemcached *m = calloc(1, sizeof *m);
    if (!m)
        return why_(why, n, SSLMemoryErr, "out of memory");
    m->local = local;
    m->opt = *opt;
    if (!m->opt.log)
        m->opt.log = def_log;
    memcpy(m->prefix, prefix, pl + 1);
    m->opt.prefix = m->prefix;
    m->opt.servers = NULL;           /* not kept: parsed below */
    m->opt.keyFile = NULL;
    m->pid = getpid();
    SSLErr e;
    m->servers = calloc(MC_MAX_SERVERS, sizeof *m->servers);
    if (!m->servers) {
        e = why_(why, n, SSLMemoryErr, "out of memory");
        goto fail;
    }
    if ((e = parse_servers(m, opt->servers, why, n)) != SSLNoErr)
        goto fail;
    if (opt->replicas >= m->nservers) {
        e = why_(why, n, SSLBadParameterErr,
                 "%u memcached replicas need at least %u servers, not %u",
                 (unsigned)opt->replicas, (unsigned)opt->replicas + 1, m->nservers);
        goto fail;
    }
    if ((e = sdbmc_ring_load(&m->keys, opt->keyFile, why, n)) != SSLNoErr)
        goto fail;
    if (!(m->proto = memcached_create(NULL))) {
        e = why_(why, n, SSLMemoryErr, "out of memory");
        goto fail;
    }
    set_behaviors(m->proto, &m->opt);
    (void)memcached_behavior_set(m->proto, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                                 MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
    for (unsigned i = 0; i < m->nservers; i++) {
        if (memcached_server_add(m->proto, m->servers[i].host, (in_port_t)m->servers[i].port) !=
            MEMCACHED_SUCCESS) {
            e = why_(why, n, SSLBadParameterErr, "memcached server %s: not usable",
                     m->servers[i].name);
            goto fail;
        }
    }
    /* the ring's server order must be ours: key_servers() returns indexes into m->servers */
    for (unsigned i = 0; i < m->nservers; i++) {
        const memcached_instance_st *in = memcached_server_instance_by_position(m->proto, i);
        if (!in || memcached_server_port(in) != m->servers[i].port ||
            strcmp(memcached_server_name(in), m->servers[i].host) != 0) {
            e = why_(why, n, SSLUnknownErr, "libmemcached reordered the server list");
            goto fail;
        }
    }
    m->nslots = m->opt.connections;
    m->slots = aligned_alloc(64, ((sizeof *m->slots * m->nslots) + 63) & ~(size_t)63);
    if (!m->slots) {
        e = why_(why, n, SSLMemoryErr, "out of memory");
        goto fail;
    }
    memset(m->slots, 0, sizeof *m->slots * m->nslots);
    for (unsigned i = 0; i < m->nslots; i++) {
        if (!(m->slots[i].conn = calloc(m->nservers, sizeof *m->slots[i].conn)) ||
            !(m->slots[i].gen = calloc(m->nservers, sizeof *m->slots[i].gen))) {
            e = why_(why, n, SSLMemoryErr, "out of memory");
            goto fail;
        }
    }
    *out = m;
    return SSLNoErr;
fail:
    SDBMemcachedClose(m);
    return e;
}

void SDBMemcachedClose(SDBMemcached *m)
{
    if (!m)
        return;
    bool owner = m->pid == getpid();  /* a fork child must not quit the parent's connections */
    if (m->slots) {
        for (unsigned i = 0; i < m->nslots; i++) {
            struct mc_slot *s = &m->slots[i];
            if (owner) {
                if (s->ring)
                    memcached_free(s->ring);
                for (unsigned k = 0; s->conn && k < m->nservers; k++)
                    if (s->conn[k])
                        memcached_free(s->conn[k]);
            }
            free(s->conn);
            free(s->gen);
        }
        free(m->slots);
    }
    if (m->proto && owner)
        memcached_free(m->proto);
    sdbmc_ring_free(&m->keys);
    free(m->servers);
    explicit_bzero(m, sizeof *m);
    free(m);
}

/* ---- the three callbacks ---- */

static bool key_ok(SSLBuffer key)
{
    return key.data && key.length > 0 && key.length <= SDB_MAX_KEY;
}

static uint64_t wall_now(SDBMemcached *m)
{
    uint64_t t;
    if (sdb_env_now(m->local, &t) != SSLNoErr)
        t = (uint64_t)time(NULL);
    return t;
}

/* Store a sealed copy on the key's servers. Returns the number of servers that stored it. */
static unsigned remote_add(SDBMemcached *m, struct mc_slot *sl, const char *mk, size_t ml,
                           SSLBuffer data)
{
    unsigned idx[MC_MAX_SERVERS], stored = 0;
    uint32 life = m->local->lifetime;
    uint64_t now = wall_now(m);
    size_t slen = (size_t)data.length + SDBMC_OVERHEAD;
    uint8 *sealed = malloc(slen);
    if (!sealed)
        return 0;
    if (sdbmc_seal(&m->keys, mk, ml, now + life, data.data, data.length, sealed) != SSLNoErr) {
        free(sealed);
        return 0;
    }
    time_t exp = life <= MC_LONG_LIFE ? (time_t)life : (time_t)(now + life);
    unsigned n = key_servers(m, sl, mk, ml, idx);
    struct mc_req r = {.kind = MC_SET, .key = mk, .klen = ml, .val = (const char *)sealed,
                       .vlen = slen, .exp = exp};
    for (unsigned i = 0; i < n; i++) {
        bool ran;
        memcached_return_t rc = mc_run(m, sl, idx[i], &r, &ran);
        if (ran && (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED)) {
            COUNT(sl, stores);
            stored++;
        }
    }
    free(sealed);                      /* sealed: nothing secret left in it */
    return stored;
}

/* Look the key up on its servers in order; on a hit, open it into a malloc'd buffer. */
static bool remote_get(SDBMemcached *m, struct mc_slot *sl, const char *mk, size_t ml,
                       uint8 **plain, size_t *plen)
{
    unsigned idx[MC_MAX_SERVERS];
    unsigned n = key_servers(m, sl, mk, ml, idx);
    for (unsigned i = 0; i < n; i++) {
        struct mc_req r = {.kind = MC_GET, .key = mk, .klen = ml};
        bool ran;
        memcached_return_t rc = mc_run(m, sl, idx[i], &r, &ran);
        if (!ran || rc != MEMCACHED_SUCCESS || !r.out) {
            free(r.out);
            continue;                  /* down, or not there: a replica may have it */
        }
        char *v = r.out;
        size_t vlen = r.outLen;
        uint64_t expiry = 0;
        uint8 *out = vlen >= SDBMC_OVERHEAD ? malloc(vlen - SDBMC_OVERHEAD + 1) : NULL;
        SSLErr e = out ? sdbmc_open(&m->keys, mk, ml, (const uint8 *)v, vlen, out, plen, &expiry)
                       : SSLProtocolErr;
        free(v);
        if (e == SSLNoErr && expiry > wall_now(m)) {
            *plain = out;
            return true;
        }
        if (out) {
            explicit_bzero(out, vlen - SDBMC_OVERHEAD);
            free(out);
        }
        COUNT(sl, rejected);
    }
    return false;
}

static unsigned remote_delete(SDBMemcached *m, struct mc_slot *sl, const char *mk, size_t ml)
{
    unsigned idx[MC_MAX_SERVERS], deleted = 0;
    unsigned n = key_servers(m, sl, mk, ml, idx);
    struct mc_req r = {.kind = MC_DELETE, .key = mk, .klen = ml};
    for (unsigned i = 0; i < n; i++) {
        bool ran;
        memcached_return_t rc = mc_run(m, sl, idx[i], &r, &ran);
        if (ran && (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_DELETED))
            deleted++;
    }
    return deleted;
}

SSLErr SDBMCAddSession(SSLBuffer sessionKey, SSLBuffer sessionData, void *sessionRef)
{
    SDBMemcached *m = sessionRef;
    if (!m || !key_ok(sessionKey) || sessionData.length > SDB_MAX_VALUE ||
        (sessionData.length && !sessionData.data))
        return SSLBadParameterErr;
    SSLErr le = SDBAddSession(sessionKey, sessionData, m->local);
    char mk[SDBMC_MAX_MCKEY + 1];
    size_t ml = sdbmc_key(m->prefix, sessionKey.data, sessionKey.length, mk, sizeof mk);
    struct mc_slot *sl = ml ? slot_claim(m) : NULL;
    unsigned stored = 0;
    if (sl) {
        stored = remote_add(m, sl, mk, ml, sessionData);
        slot_release(sl);
    }
    return le == SSLNoErr || stored ? SSLNoErr : le;
}

SSLErr SDBMemcachedGet(SDBMemcached *m, SSLBuffer sessionKey, SSLBuffer *sessionData, int *level)
{
    if (level)
        *level = SDBMC_MISS;
    if (!sessionData)
        return SSLBadParameterErr;
    sessionData->data = NULL;
    sessionData->length = 0;
    if (!m || !key_ok(sessionKey))
        return SSLBadParameterErr;
    SSLErr e = SDBGetSession(sessionKey, sessionData, m->local);
    if (e == SSLNoErr || e == SSLBadParameterErr || e == SSLMemoryErr) {
        if (e == SSLNoErr) {
            if (level)
                *level = SDBMC_LOCAL;
            COUNT(&m->slots[home_slot(m)], localHits);  /* counters are summed over slots */
        }
        return e;
    }
    char mk[SDBMC_MAX_MCKEY + 1];
    size_t ml = sdbmc_key(m->prefix, sessionKey.data, sessionKey.length, mk, sizeof mk);
    struct mc_slot *sl = ml ? slot_claim(m) : NULL;
    uint8 *plain = NULL;
    size_t plen = 0;
    bool hit = false;
    if (sl) {
        hit = remote_get(m, sl, mk, ml, &plain, &plen);
        if (hit)
            COUNT(sl, remoteHits);
        else
            COUNT(sl, misses);
        slot_release(sl);
    } else {
        COUNT(&m->slots[home_slot(m)], misses);
    }
    if (!hit)
        return SSLNoMatchingSessionKeyErr;
    /* fill LMDB (best effort), then hand a copy out through the cache's allocator */
    SSLBuffer data = {(uint32)plen, plain};
    (void)SDBAddSession(sessionKey, data, m->local);
    sessionData->length = (uint32)plen;
    e = m->local->opt.alloc(sessionData, m->local->opt.allocRef);
    if (e == SSLNoErr && !sessionData->data)
        e = SSLMemoryErr;
    if (e == SSLNoErr && plen)
        memcpy(sessionData->data, plain, plen);
    explicit_bzero(plain, plen);
    free(plain);
    if (e != SSLNoErr) {
        sessionData->data = NULL;
        sessionData->length = 0;
        return e;
    }
    if (level)
        *level = SDBMC_REMOTE;
    return SSLNoErr;
}

SSLErr SDBMCGetSession(SSLBuffer sessionKey, SSLBuffer *sessionData, void *sessionRef)
{
    return SDBMemcachedGet(sessionRef, sessionKey, sessionData, NULL);
}

SSLErr SDBMCDeleteSession(SSLBuffer sessionKey, void *sessionRef)
{
    SDBMemcached *m = sessionRef;
    if (!m || !key_ok(sessionKey))
        return SSLBadParameterErr;
    SSLErr le = SDBDeleteSession(sessionKey, m->local);
    char mk[SDBMC_MAX_MCKEY + 1];
    size_t ml = sdbmc_key(m->prefix, sessionKey.data, sessionKey.length, mk, sizeof mk);
    struct mc_slot *sl = ml ? slot_claim(m) : NULL;
    unsigned deleted = 0;
    if (sl) {
        deleted = remote_delete(m, sl, mk, ml);
        slot_release(sl);
    }
    if (le == SSLNoErr || deleted)
        return SSLNoErr;
    return le == SSLBadParameterErr ? le : SSLNoMatchingSessionKeyErr;
}

SSLErr SDBMemcachedGetStats(SDBMemcached *m, SDBMemcachedStats *st)
{
    if (!m || !st)
        return SSLBadParameterErr;
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < m->nslots; i++) {
        struct mc_slot *s = &m->slots[i];
        st->localHits += atomic_load_explicit(&s->localHits, memory_order_relaxed);
        st->remoteHits += atomic_load_explicit(&s->remoteHits, memory_order_relaxed);
        st->misses += atomic_load_explicit(&s->misses, memory_order_relaxed);
        st->stores += atomic_load_explicit(&s->stores, memory_order_relaxed);
        st->errors += atomic_load_explicit(&s->errors, memory_order_relaxed);
        st->rejected += atomic_load_explicit(&s->rejected, memory_order_relaxed);
        st->skipped += atomic_load_explicit(&s->skipped, memory_order_relaxed);
    }
    st->skipped += atomic_load_explicit(&m->busySkips, memory_order_relaxed);
    for (unsigned i = 0; i < m->nservers; i++)
        st->serversDown += (uint32)atomic_load_explicit(&m->servers[i].down, memory_order_relaxed);
    return SSLNoErr;
}

/* ---- the ticket-key ring across machines ---- */

/* The memcached key of a period's ticket key: prefix "t:" rotate ":" period. */
static size_t tk_mckey(SDBMemcached *m, const struct sdb_tk_now *t, uint64_t period, char *out,
                       size_t n)
{
    int len = snprintf(out, n, "%st:%u:%llu", m->prefix, (unsigned)t->rotate,
                       (unsigned long long)period);
    return len > 0 && (size_t)len < n ? (size_t)len : 0;
}

/* Open a sealed ticket key of @p period from memcached into rec. */
static bool tk_open(SDBMemcached *m, const char *mk, size_t ml, const char *v, size_t vlen,
                    uint64_t period, uint8 rec[SDB_TK_REC])
{
    uint8 out[SDB_TK_REC + 1];
    size_t olen = 0;
    uint64_t expiry;
    if (vlen != SDB_TK_REC + SDBMC_OVERHEAD ||
        sdbmc_open(&m->keys, mk, ml, (const uint8 *)v, vlen, out, &olen, &expiry) != SSLNoErr)
        return false;
    bool ok = olen == SDB_TK_REC && sdb_tk_name_period(out) == period;
    if (ok)
        memcpy(rec, out, SDB_TK_REC);
    explicit_bzero(out, sizeof out);
    return ok;
}

/*
 * The cluster's key of @p period: from the first of the key's servers that answers: its stored
 * key, or (create) @p cand stored there with add, or, when another machine added one first, that
 * one. Returns 1 with rec filled, 0 if memcached has none (create == false) or did not answer.
 */
static int tk_remote(SDBMemcached *m, struct mc_slot *sl, const struct sdb_tk_now *t,
                     uint64_t period, bool create, const uint8 cand[SDB_TK_REC],
                     uint8 rec[SDB_TK_REC])
{
    char mk[SDBMC_MAX_MCKEY + 1];
    unsigned idx[MC_MAX_SERVERS];
    size_t ml = tk_mckey(m, t, period, mk, sizeof mk);
    if (!ml)
        return 0;
    unsigned n = key_servers(m, sl, mk, ml, idx);
    for (unsigned i = 0; i < n; i++) {
        unsigned s = idx[i];
        for (int round = 0; round < 2; round++) {    /* get; add; (lost the race) get again */
            struct mc_req r = {.kind = MC_GET, .key = mk, .klen = ml};
            bool ran;
            memcached_return_t rc = mc_run(m, sl, s, &r, &ran);
            if (!ran || !answered(rc))
                break;                               /* the next server of the key */
            if (rc == MEMCACHED_SUCCESS && r.out) {
                bool ok = tk_open(m, mk, ml, r.out, r.outLen, period, rec);
                free(r.out);
                if (ok)
                    return 1;
                COUNT(sl, rejected);  /* sealed under another cluster key: do not overwrite */
                return 0;
            }
            free(r.out);
            if (!create || round == 1)
                return 0;
            uint8 sealed[SDB_TK_REC + SDBMC_OVERHEAD];
            uint64_t expiry = (period + t->keep + 2) * (uint64_t)t->rotate;
            if (sdbmc_seal(&m->keys, mk, ml, expiry, cand, SDB_TK_REC, sealed) != SSLNoErr)
                return 0;
            uint64_t life = (t->keep + 2) * (uint64_t)t->rotate;
            struct mc_req add = {.kind = MC_ADD, .key = mk, .klen = ml, .val = (const char *)sealed,
                                 .vlen = sizeof sealed,
                                 .exp = life <= MC_LONG_LIFE ? (time_t)life : (time_t)expiry};
            rc = mc_run(m, sl, s, &add, &ran);
            if (!ran || !answered(rc))
                break;
            if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) {
                COUNT(sl, stores);
                memcpy(rec, cand, SDB_TK_REC);
                return 1;
            }
            /* NOTSTORED / DATA_EXISTS: another machine was first; read its key */
        }
    }
    return 0;
}

SSLErr SDBMCTicketKey(void *ref, int seal, uint8 name[16], uint8 key[32])
{
    SDBMemcached *m = ref;
    struct sdb_tk_now t;
    uint8 rec[SDB_TK_REC], cand[SDB_TK_REC];
    if (!m || !name || !key)
        return SSLBadParameterErr;
    SDBCache *c = m->local;
    SSLErr e = sdb_tk_now(c, &t);
    if (e)
        return e;
    uint64_t period = seal ? t.period : sdb_tk_name_period(name);
    if (!seal && (period > t.period + 1 || period + t.keep < t.period))
        return SSLNoMatchingSessionKeyErr;
    int rc = sdb_tk_get(c, period, rec);
    if (rc == MDB_NOTFOUND) {
        /* this machine has none: the cluster's (made now by us if it has none and we seal) */
        if ((e = sdb_tk_make(period, cand)) != SSLNoErr)
            return e;
        uint8 cluster[SDB_TK_REC];
        struct mc_slot *sl = slot_claim(m);
        int got = sl ? tk_remote(m, sl, &t, period, seal != 0, cand, cluster) : 0;
        if (sl)
            slot_release(sl);
        if (got || seal)               /* memcached down: a key of this machine only */
            rc = sdb_tk_store(c, period, got ? cluster : cand, rec,
                            period > t.keep ? period - t.keep : 0);
        explicit_bzero(cand, sizeof cand);
        explicit_bzero(cluster, sizeof cluster);
    }
    if (rc == 0 && !seal && memcmp(rec, name, SDB_TICKET_NAME) != 0)
        rc = MDB_NOTFOUND;
    if (rc == 0) {
        if (seal)
            memcpy(name, rec, SDB_TICKET_NAME);
        memcpy(key, rec + SDB_TICKET_NAME, SDB_TICKET_KEY);
    }
    explicit_bzero(rec, sizeof rec);
    return sdb_env_err(c, rc);
}
