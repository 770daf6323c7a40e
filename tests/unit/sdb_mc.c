/*
 * sdb_mc.c - the memcached tier (sessiondb_mc.h): sealing (round trip, wrong key id, every byte
 * tampered, an entry moved to another key), the cluster key file (mode 0600 or refused, format),
 * and the two levels against real memcached daemons started here on free loopback ports (killed by
 * PID in the fixture, and by PR_SET_PDEATHSIG if a test dies): get LMDB -> memcached -> fill LMDB,
 * add and delete on both, a foreign cluster key, a tampered raw entry, a dead and a stopped server
 * costing at most their timeout and a miss, with one log line per state change.
 */
#include "../../sessiondb/src/sdb_mc.h"
#include "sdb_mcd.h"
#include "sdb_util.h"
#include "sslref/sessiondb_mc.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <libmemcached/memcached.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define KEY_A "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
#define KEY_B "7 f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f\n"

static char tmp[256];

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    cr_assert(chmod(path, mode) == 0);
}

/* ---- sealing ---- */

static void ring_from(struct sdbmc_ring *r, const char *text)
{
    char path[300], why[512];
    snprintf(path, sizeof path, "%s/k%d", tmp, rand());
    write_file(path, text, 0600);
    cr_assert_eq(sdbmc_ring_load(r, path, why, sizeof why), SSLNoErr, "%s", why);
    unlink(path);
}

static void setup_tmp(void) { sdbt_tempdir(tmp, sizeof tmp); }
static void teardown_tmp(void) { sdbt_rmdir(tmp); }

Test(sdb_mc_seal, round_trip_and_tamper, .init = setup_tmp, .fini = teardown_tmp)
{
    struct sdbmc_ring a, b, ab;
    ring_from(&a, "# cluster\n" KEY_A);
    ring_from(&b, KEY_B);
    ring_from(&ab, KEY_B KEY_A);  /* B seals; A and B open */
    const char *mk = "sslref:s:0011";
    uint8 data[100], sealed[100 + SDBMC_OVERHEAD], out[100 + SDBMC_OVERHEAD];
    size_t olen;
    uint64_t exp;
    for (int i = 0; i < 100; i++)
        data[i] = (uint8)(i * 7);
    cr_assert_eq(sdbmc_seal(&a, mk, strlen(mk), 12345, data, 100, sealed), SSLNoErr);
    cr_assert_eq(sealed[0], SDBMC_VERSION);
    cr_assert_eq(sealed[4], 1);                      /* key id 1, big-endian */
    cr_assert(memmem(sealed, sizeof sealed, data + 10, 16) == NULL, "plaintext visible");
    cr_assert_eq(sdbmc_open(&a, mk, strlen(mk), sealed, sizeof sealed, out, &olen, &exp),
                 SSLNoErr);
    cr_assert(olen == 100 && exp == 12345 && memcmp(out, data, 100) == 0);
    /* a ring with both keys opens an entry of either; a ring without key 1 does not */
    cr_assert_eq(sdbmc_open(&ab, mk, strlen(mk), sealed, sizeof sealed, out, &olen, &exp),
                 SSLNoErr);
    cr_assert_eq(sdbmc_open(&b, mk, strlen(mk), sealed, sizeof sealed, out, &olen, &exp),
                 SSLNoMatchingSessionKeyErr);
    uint8 s2[100 + SDBMC_OVERHEAD];
    cr_assert_eq(sdbmc_seal(&ab, mk, strlen(mk), 1, data, 100, s2), SSLNoErr);
    cr_assert_eq(s2[4], 7);                          /* the first key of the file seals */
    cr_assert_eq(sdbmc_open(&a, mk, strlen(mk), s2, sizeof s2, out, &olen, &exp),
                 SSLNoMatchingSessionKeyErr);
    cr_assert_eq(sdbmc_open(&b, mk, strlen(mk), s2, sizeof s2, out, &olen, &exp), SSLNoErr);
    /* every byte flipped, truncations, another memcached key: all refused */
    for (size_t i = 0; i < sizeof sealed; i++) {
        sealed[i] ^= 0x20;
        SSLErr e = sdbmc_open(&a, mk, strlen(mk), sealed, sizeof sealed, out, &olen, &exp);
        cr_assert(e == SSLProtocolErr || e == SSLNoMatchingSessionKeyErr, "byte %zu", i);
        sealed[i] ^= 0x20;
    }
    for (size_t l = 0; l < sizeof sealed; l += 7)
        cr_assert_neq(sdbmc_open(&a, mk, strlen(mk), sealed, l, out, &olen, &exp), SSLNoErr);
    cr_assert_eq(sdbmc_open(&a, "sslref:s:0012", 13, sealed, sizeof sealed, out, &olen, &exp),
                 SSLProtocolErr);
    /* two seals of the same data differ (random nonce) */
    cr_assert_eq(sdbmc_seal(&a, mk, strlen(mk), 12345, data, 100, s2), SSLNoErr);
    cr_assert(memcmp(s2, sealed, sizeof s2) != 0);
    sdbmc_ring_free(&a);
    sdbmc_ring_free(&b);
    sdbmc_ring_free(&ab);
}

Test(sdb_mc_seal, memcached_keys)
{
    char out[256];
    uint8 k[300];
    memset(k, 0xab, sizeof k);
    size_t n = sdbmc_key("sslref:", (const uint8 *)"\x01\xff", 2, out, sizeof out);
    cr_assert_str_eq(out, "sslref:s:01ff");
    cr_assert_eq(n, 13);
    n = sdbmc_key("sslref:", k, 32, out, sizeof out);
    cr_assert_eq(n, 7 + 2 + 64);
    n = sdbmc_key("sslref:", k, 300, out, sizeof out);   /* too long for hex: hashed */
    cr_assert_eq(n, 7 + 2 + 64);
    cr_assert(strncmp(out, "sslref:h:", 9) == 0);
    for (size_t i = 0; i < n; i++)
        cr_assert(out[i] > ' ' && out[i] <= '~');
}

Test(sdb_mc_seal, key_file_checks, .init = setup_tmp, .fini = teardown_tmp)
{
    char path[300], why[512];
    struct sdbmc_ring r;
    snprintf(path, sizeof path, "%s/cluster.key", tmp);
    write_file(path, KEY_A, 0644);
    cr_assert_eq(sdbmc_ring_load(&r, path, why, sizeof why), SSLBadParameterErr);
    cr_assert(strstr(why, "mode 0644 lets other users read the cluster key; chmod 600") &&
              strstr(why, path), "%s", why);
    cr_assert(chmod(path, 0640) == 0);
    cr_assert_eq(sdbmc_ring_load(&r, path, why, sizeof why), SSLBadParameterErr);
    cr_assert(strstr(why, "mode 0640 lets the group read"), "%s", why);
    cr_assert(chmod(path, 0600) == 0);
    cr_assert_eq(sdbmc_ring_load(&r, path, why, sizeof why), SSLNoErr, "%s", why);
    cr_assert_eq(r.n, 1);
    sdbmc_ring_free(&r);
    static const char *bad[] = {
        "",                                  /* no key */
        "# only a comment\n",
        "0 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",  /* id 0 */
        "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n",    /* short */
        "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fzz\n",
        "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",  /* not hex */
        KEY_A KEY_A,                         /* id twice */
        "x 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(path, bad[i], 0600);
        cr_assert_eq(sdbmc_ring_load(&r, path, why, sizeof why), SSLBadParameterErr, "case %zu",
                     i);
        cr_assert(why[0], "case %zu: no message", i);
    }
    snprintf(path, sizeof path, "%s/missing", tmp);
    cr_assert_eq(sdbmc_ring_load(&r, path, why, sizeof why), SSLIOErr);
}

/* ---- two levels against real memcached ---- */

static struct daemon d1, d2;
static char dirA[300], dirB[300], keyfile[300], badkeyfile[300];

struct logbuf {
    char text[4096];
    atomic_int lines;
};

static void log_fn(void *ref, const char *line)
{
    struct logbuf *l = ref;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s\n", line);
    atomic_fetch_add(&l->lines, 1);
}

static void setup_mc(void)
{
    setup_tmp();
    d1 = start_memcached();
    d2 = start_memcached();
    snprintf(dirA, sizeof dirA, "%s/a", tmp);
    snprintf(dirB, sizeof dirB, "%s/b", tmp);
    snprintf(keyfile, sizeof keyfile, "%s/cluster.key", tmp);
    snprintf(badkeyfile, sizeof badkeyfile, "%s/other.key", tmp);
    write_file(keyfile, KEY_A, 0600);
    write_file(badkeyfile, KEY_B, 0600);
}

static void teardown_mc(void)
{
    stop_daemon(&d1);
    stop_daemon(&d2);
    sdbt_rmdir(dirA);
    sdbt_rmdir(dirB);
    teardown_tmp();
}

struct machine {
    SDBCache *cache;
    SDBMemcached *mc;
    struct logbuf log;
};

static void machine_open(struct machine *m, const char *dir, const char *servers,
                         const char *key, uint32 timeoutMs)
{
    char why[512];
    memset(m, 0, sizeof *m);
    cr_assert_eq(SDBOpenDetail(&m->cache, dir, NULL, why, sizeof why), SSLNoErr, "%s", why);
    SDBMemcachedOptions o;
    SDBMemcachedDefaultOptions(&o);
    o.servers = servers;
    o.keyFile = key;
    o.timeoutMs = timeoutMs;
    o.log = log_fn;
    o.logRef = &m->log;
    cr_assert_eq(SDBMemcachedOpen(&m->mc, m->cache, &o, why, sizeof why), SSLNoErr, "%s", why);
}

static void machine_close(struct machine *m)
{
    SDBMemcachedClose(m->mc);
    SDBClose(m->cache);
}

static int get_level(struct machine *m, SSLBuffer key, const char *want)
{
    SSLBuffer v;
    int level = -1;
    SSLErr e = SDBMemcachedGet(m->mc, key, &v, &level);
    if (e == SSLNoErr) {
        cr_assert(want && v.length == strlen(want) && memcmp(v.data, want, v.length) == 0,
                  "unexpected hit at level %d: %.*s", level, (int)v.length, (char *)v.data);
        free(v.data);
    } else {
        cr_assert_eq(e, SSLNoMatchingSessionKeyErr);
        cr_assert_eq(level, SDBMC_MISS);
    }
    return level;
}

static void servers_of(char *out, size_t n, struct daemon *a, struct daemon *b)
{
    if (b)
        snprintf(out, n, "127.0.0.1:%d,127.0.0.1:%d", a->port, b->port);
    else
        snprintf(out, n, "127.0.0.1:%d", a->port);
}

Test(sdb_mc_tier, two_levels, .init = setup_mc, .fini = teardown_mc)
{
    char servers[64];
    servers_of(servers, sizeof servers, &d1, &d2);
    struct machine A, B;
    machine_open(&A, dirA, servers, keyfile, 200);
    machine_open(&B, dirB, servers, keyfile, 200);
    const char *secret = "master-secret-0123456789abcdef-session-blob";
    for (unsigned i = 0; i < 20; i++) {
        char kb[32];
        SSLBuffer key = sdbt_key(kb, sizeof kb, 1, i);
        SSLBuffer val = {(uint32)strlen(secret), (uint8 *)secret};
        cr_assert_eq(SDBMCAddSession(key, val, A.mc), SSLNoErr);
        cr_assert_eq(get_level(&A, key, secret), SDBMC_LOCAL);
        cr_assert_eq(get_level(&B, key, secret), SDBMC_REMOTE);  /* crosses machines */
        cr_assert_eq(get_level(&B, key, secret), SDBMC_LOCAL);   /* ...and filled B's LMDB */
        /* B's LMDB has it on its own now */
        SSLBuffer v;
        cr_assert_eq(SDBGetSession(key, &v, B.cache), SSLNoErr);
        free(v.data);
    }
    /* the raw bytes in memcached are sealed: no secret, key namespaced and hex */
    memcached_st *raw = memcached_create(NULL);
    memcached_server_add(raw, "127.0.0.1", (in_port_t)d1.port);
    memcached_server_add(raw, "127.0.0.1", (in_port_t)d2.port);
    (void)memcached_behavior_set(raw, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                                 MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
    char kb[4][32], mk[256];
    SSLBuffer key0 = sdbt_key(kb[0], sizeof kb[0], 1, 0);
    size_t ml = sdbmc_key("sslref:", key0.data, key0.length, mk, sizeof mk);
    size_t vl;
    uint32_t fl;
    memcached_return_t rc;
    char *v = memcached_get(raw, mk, ml, &vl, &fl, &rc);
    cr_assert(rc == MEMCACHED_SUCCESS && v, "raw get %s: %s", mk, memcached_strerror(raw, rc));
    cr_assert_eq(vl, strlen(secret) + SDBMC_OVERHEAD);
    cr_assert(memmem(v, vl, "master-secret", 13) == NULL);
    /* tampered entry: a fresh machine gets a miss, counted as rejected */
    v[vl - 1] ^= 1;
    cr_assert_eq(memcached_set(raw, mk, ml, v, vl, 0, 0), MEMCACHED_SUCCESS);
    free(v);
    struct machine C;
    sdbt_rmdir(dirB);
    char dirC[300];
    snprintf(dirC, sizeof dirC, "%s/c", tmp);
    machine_open(&C, dirC, servers, keyfile, 200);
    cr_assert_eq(get_level(&C, key0, NULL), SDBMC_MISS);
    SDBMemcachedStats st;
    cr_assert_eq(SDBMemcachedGetStats(C.mc, &st), SSLNoErr);
    cr_assert_eq(st.rejected, 1);
    cr_assert_eq(st.misses, 1);
    /* an entry that is fine opens on C */
    SSLBuffer key1 = sdbt_key(kb[1], sizeof kb[1], 1, 1);
    cr_assert_eq(get_level(&C, key1, secret), SDBMC_REMOTE);
    /* delete on A removes both levels: C (LMDB has key1 now) still has its copy, but a new
     * machine misses */
    SSLBuffer key2 = sdbt_key(kb[2], sizeof kb[2], 1, 2);
    cr_assert_eq(SDBMCDeleteSession(key2, A.mc), SSLNoErr);
    cr_assert_eq(get_level(&A, key2, NULL), SDBMC_MISS);
    cr_assert_eq(get_level(&C, key2, NULL), SDBMC_MISS);
    cr_assert_eq(SDBMCDeleteSession(key2, A.mc), SSLNoMatchingSessionKeyErr);
    /* a machine with another cluster key: misses, rejected, nothing crashes */
    struct machine D;
    char dirD[300];
    snprintf(dirD, sizeof dirD, "%s/d", tmp);
    machine_open(&D, dirD, servers, badkeyfile, 200);
    SSLBuffer key3 = sdbt_key(kb[3], sizeof kb[3], 1, 3);
    cr_assert_eq(get_level(&D, key3, NULL), SDBMC_MISS);
    cr_assert_eq(SDBMemcachedGetStats(D.mc, &st), SSLNoErr);
    cr_assert_eq(st.rejected, 1);
    cr_assert_eq(SDBMemcachedGetStats(A.mc, &st), SSLNoErr);
    cr_assert(st.localHits == 20 && st.stores == 20 && st.errors == 0, "%llu %llu %llu",
              (unsigned long long)st.localHits, (unsigned long long)st.stores,
              (unsigned long long)st.errors);
    cr_assert_eq(A.log.lines, 0);
    memcached_free(raw);
    machine_close(&A);
    machine_close(&B);
    machine_close(&C);
    machine_close(&D);
    sdbt_rmdir(dirC);
    sdbt_rmdir(dirD);
}

Test(sdb_mc_tier, replicas_survive_a_dead_server, .init = setup_mc, .fini = teardown_mc)
{
    char servers[64], why[512];
    servers_of(servers, sizeof servers, &d1, &d2);
    struct machine A, B;
    memset(&A, 0, sizeof A);
    cr_assert_eq(SDBOpenDetail(&A.cache, dirA, NULL, why, sizeof why), SSLNoErr);
    SDBMemcachedOptions o;
    SDBMemcachedDefaultOptions(&o);
    o.servers = servers;
    o.keyFile = keyfile;
    o.replicas = 1;
    o.log = log_fn;
    o.logRef = &A.log;
    cr_assert_eq(SDBMemcachedOpen(&A.mc, A.cache, &o, why, sizeof why), SSLNoErr, "%s", why);
    o.replicas = 2;
    SDBMemcached *bad;
    cr_assert_eq(SDBMemcachedOpen(&bad, A.cache, &o, why, sizeof why), SSLBadParameterErr);
    cr_assert(strstr(why, "replicas"), "%s", why);
    const char *val = "blob";
    char kb[32];
    for (unsigned i = 0; i < 10; i++) {
        SSLBuffer key = sdbt_key(kb, sizeof kb, 2, i);
        cr_assert_eq(SDBMCAddSession(key, (SSLBuffer){4, (uint8 *)val}, A.mc), SSLNoErr);
    }
    stop_daemon(&d1);   /* every key is on both servers: B still finds them all */
    memset(&B, 0, sizeof B);
    cr_assert_eq(SDBOpenDetail(&B.cache, dirB, NULL, why, sizeof why), SSLNoErr);
    o.replicas = 1;
    o.timeoutMs = 100;
    o.logRef = &B.log;
    cr_assert_eq(SDBMemcachedOpen(&B.mc, B.cache, &o, why, sizeof why), SSLNoErr, "%s", why);
    for (unsigned i = 0; i < 10; i++) {
        SSLBuffer key = sdbt_key(kb, sizeof kb, 2, i);
        cr_assert_eq(get_level(&B, key, val), SDBMC_REMOTE, "key %u", i);
    }
    cr_assert_eq(B.log.lines, 1, "%s", B.log.text);   /* one "down" line */
    cr_assert(strstr(B.log.text, " down: "), "%s", B.log.text);
    machine_close(&A);
    machine_close(&B);
}

Test(sdb_mc_tier, dead_and_stopped_servers, .init = setup_mc, .fini = teardown_mc)
{
    char servers[64];
    servers_of(servers, sizeof servers, &d1, NULL);
    struct machine A;
    machine_open(&A, dirA, servers, keyfile, 50);
    char kb[4][32];
    SSLBuffer key = sdbt_key(kb[0], sizeof kb[0], 3, 0);
    cr_assert_eq(SDBMCAddSession(key, (SSLBuffer){1, (uint8 *)"x"}, A.mc), SSLNoErr);
    /* stopped (SIGSTOP): a call costs at most about the timeout, then the server is skipped. The
     * bounds leave room for a loaded machine (make test runs two tests at once on 2 cores) and
     * still tell a bounded wait from an unbounded one: waiting out the 50 ms timeout at each of
     * the 50 calls would take 2.5 s, and libmemcached's own default timeouts are seconds. */
    pause_daemon(&d1);
    SSLBuffer other = sdbt_key(kb[1], sizeof kb[1], 3, 1);
    double t0 = mono();
    cr_assert_eq(get_level(&A, other, NULL), SDBMC_MISS);
    double t1 = mono();
    cr_assert(t1 - t0 < 0.5, "a stopped server cost %.3f s", t1 - t0);
    cr_assert_eq(A.log.lines, 1, "%s", A.log.text);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(get_level(&A, other, NULL), SDBMC_MISS);
    cr_assert(mono() - t1 < 0.5, "skipping a down server cost %.3f s", mono() - t1);
    /* adds still succeed (LMDB) */
    SSLBuffer k2 = sdbt_key(kb[2], sizeof kb[2], 3, 2);
    cr_assert_eq(SDBMCAddSession(k2, (SSLBuffer){1, (uint8 *)"y"}, A.mc), SSLNoErr);
    cr_assert_eq(get_level(&A, k2, "y"), SDBMC_LOCAL);
    /* continued: after the retry period it is probed and comes back, logged once */
    kill(d1.pid, SIGCONT);
    usleep(1100 * 1000);
    cr_assert_eq(get_level(&A, other, NULL), SDBMC_MISS);
    cr_assert_eq(A.log.lines, 2, "%s", A.log.text);
    cr_assert(strstr(A.log.text, " up\n"), "%s", A.log.text);
    cr_assert_eq(SDBMCAddSession(other, (SSLBuffer){1, (uint8 *)"z"}, A.mc), SSLNoErr);
    /* killed: refused connections, a miss, one more "down" line */
    stop_daemon(&d1);
    usleep(1100 * 1000);   /* let the retry period pass (it is not down yet anyway) */
    SSLBuffer k3 = sdbt_key(kb[3], sizeof kb[3], 3, 3);
    t0 = mono();
    cr_assert_eq(get_level(&A, k3, NULL), SDBMC_MISS);
    cr_assert(mono() - t0 < 0.5, "a refused connection cost %.3f s", mono() - t0);
    cr_assert_eq(A.log.lines, 3, "%s", A.log.text);
    SDBMemcachedStats st;
    cr_assert_eq(SDBMemcachedGetStats(A.mc, &st), SSLNoErr);
    cr_assert_eq(st.serversDown, 1);
    cr_assert(st.errors >= 2 && st.skipped >= 50);
    machine_close(&A);
}

Test(sdb_mc_tier, open_refusals, .init = setup_tmp, .fini = teardown_tmp)
{
    char why[512], dir[300], kf[300];
    SDBCache *c;
    SDBMemcached *m;
    snprintf(dir, sizeof dir, "%s/a", tmp);
    snprintf(kf, sizeof kf, "%s/cluster.key", tmp);
    write_file(kf, KEY_A, 0644);
    cr_assert_eq(SDBOpen(&c, dir, NULL), SSLNoErr);
    SDBMemcachedOptions o;
    SDBMemcachedDefaultOptions(&o);
    o.servers = "127.0.0.1:11211";
    o.keyFile = kf;
    cr_assert_eq(SDBMemcachedOpen(&m, c, &o, why, sizeof why), SSLBadParameterErr);
    cr_assert(m == NULL && strstr(why, "chmod 600"), "%s", why);
    chmod(kf, 0600);
    static const char *bad[] = {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "h:70000",
                                "a:1,", "a:1,a:1", ":11211", "a:1x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o.servers = bad[i];
        cr_assert_eq(SDBMemcachedOpen(&m, c, &o, why, sizeof why), SSLBadParameterErr, "%s",
                     bad[i]);
        cr_assert(why[0]);
    }
    o.servers = "127.0.0.1:1,localhost:2";
    cr_assert_eq(SDBMemcachedOpen(&m, c, &o, why, sizeof why), SSLNoErr, "%s", why);
    SDBMemcachedClose(m);
    o.timeoutMs = 0;
    cr_assert_eq(SDBMemcachedOpen(&m, c, &o, why, sizeof why), SSLBadParameterErr);
    SDBClose(c);
    sdbt_rmdir(dir);
}

/* ---- threads: one handle, 8 threads, one memcached stopped and continued meanwhile ---- */

#define NTHREADS 8
#define NOPS 300

struct tctx {
    struct machine *a, *b;
    int id;
    int bad;
};

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_locked(void *ref, const char *line)
{
    pthread_mutex_lock(&log_mu);
    log_fn(ref, line);
    pthread_mutex_unlock(&log_mu);
}

static void check_alternating(struct logbuf *l)
{
    char names[8][64];
    int down[8], n = 0;
    char *save, *text = strdup(l->text);
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[64];
        cr_assert(sscanf(line, "memcached %63s", name) == 1, "%s", line);
        int isdown = strstr(line, " down: ") != NULL, i = 0;
        cr_assert(isdown || strstr(line, " up"), "%s", line);
        while (i < n && strcmp(names[i], name) != 0)
            i++;
        if (i == n) {
            cr_assert(n < 8);
            snprintf(names[n], sizeof names[n], "%s", name);
            down[n++] = 0;
        }
        cr_assert_neq(down[i], isdown, "two lines for one state change:\n%s", l->text);
        down[i] = isdown;
    }
    free(text);
}

static void *worker(void *arg)
{
    struct tctx *t = arg;
    char kb[32], val[64];
    for (unsigned i = 0; i < NOPS; i++) {
        SSLBuffer key = sdbt_key(kb, sizeof kb, 100 + (unsigned)t->id, i);
        int vl = snprintf(val, sizeof val, "value-%d-%u", t->id, i);
        /* an add fails only if both levels did: LMDB's write lock busy beyond writeWaitMs
         * (8 writers on 2 cores) while the key's server is stopped */
        SSLErr ae = SDBMCAddSession(key, (SSLBuffer){(uint32)vl, (uint8 *)val}, t->a->mc);
        if (ae != SSLNoErr && ae != SSLIOErr)
            t->bad++;
        SSLBuffer v;
        int level;
        /* B: remote hit, or a miss while a server is stopped; never a wrong value */
        SSLErr e = SDBMemcachedGet(t->b->mc, key, &v, &level);
        if (e == SSLNoErr) {
            if (v.length != (uint32)vl || memcmp(v.data, val, (size_t)vl) != 0)
                t->bad++;
            free(v.data);
        } else if (e != SSLNoMatchingSessionKeyErr) {
            t->bad++;
        }
    }
    return NULL;
}

Test(sdb_mc_tier, threads, .init = setup_mc, .fini = teardown_mc)
{
    char servers[64], why[512];
    servers_of(servers, sizeof servers, &d1, &d2);
    struct machine A, B;
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    cr_assert_eq(SDBOpenDetail(&A.cache, dirA, NULL, why, sizeof why), SSLNoErr);
    cr_assert_eq(SDBOpenDetail(&B.cache, dirB, NULL, why, sizeof why), SSLNoErr);
    SDBMemcachedOptions o;
    SDBMemcachedDefaultOptions(&o);
    o.servers = servers;
    o.keyFile = keyfile;
    o.timeoutMs = 50;
    o.retryMs = 200;
    o.log = log_locked;
    o.logRef = &A.log;
    cr_assert_eq(SDBMemcachedOpen(&A.mc, A.cache, &o, why, sizeof why), SSLNoErr, "%s", why);
    o.logRef = &B.log;
    o.connections = 4;                /* fewer sets than threads: some calls find all busy */
    cr_assert_eq(SDBMemcachedOpen(&B.mc, B.cache, &o, why, sizeof why), SSLNoErr, "%s", why);
    pthread_t th[NTHREADS];
    struct tctx t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        t[i] = (struct tctx){&A, &B, i, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, worker, &t[i]), 0);
    }
    usleep(20000);
    pause_daemon(&d2);
    usleep(300000);
    kill(d2.pid, SIGCONT);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(t[i].bad, 0, "thread %d: %d bad results", i, t[i].bad);
    }
    SDBMemcachedStats sa, sb;
    cr_assert_eq(SDBMemcachedGetStats(A.mc, &sa), SSLNoErr);
    cr_assert_eq(SDBMemcachedGetStats(B.mc, &sb), SSLNoErr);
    cr_assert(sb.remoteHits > 0 && sb.remoteHits + sb.misses == NTHREADS * NOPS,
              "remote %llu misses %llu", (unsigned long long)sb.remoteHits,
              (unsigned long long)sb.misses);
    cr_assert(sa.errors + sb.errors > 0, "the stopped server was never met: the run was too short");
    /* one line per state change: per server, down and up alternate, starting with down */
    check_alternating(&A.log);
    check_alternating(&B.log);
    machine_close(&A);
    machine_close(&B);
}
