/*
 * sdb_bench.c - throughput of the LMDB session cache (sessiondb.h) beside an in-process baseline,
 * a mutex-protected chained hash map, both measured in the same run: gets/s and adds/s with 1 and
 * 2 threads on one handle, and 2 processes with a handle each. A benchmark, not a test.
 * Build from the repository root (one line), then run:
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Icore/include -Isessiondb/include tests/bench/sdb_bench.c sessiondb/src/sdb_[a-z]*.c -llmdb -lpthread -o sdb_bench
 *   ./sdb_bench [-d DIR] [-t SECONDS] [-k KEYS] [-v VALUE_BYTES] [-s]
 * DIR (default a new directory in /dev/shm) holds the cache; -s opens it with SDB_NOSYNC.
 * Keys are 32 bytes (an SSL session ID); values 120 bytes by default (a session blob). Both stores
 * copy the value in on add and out into a fresh malloc() buffer on get, which the caller frees.
 */
#include "sslref/sessiondb.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEYLEN 32

/* ---- baseline: a chained hash map behind one mutex ---- */

struct hm_node {
    struct hm_node *next;
    uint8 key[KEYLEN];
    uint32 length;
    uint8 *data;
};

struct hashmap {
    pthread_mutex_t lock;
    size_t nbuckets;
    struct hm_node **buckets;
};

static size_t hm_hash(const uint8 *k)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < KEYLEN; i++)
        h = (h ^ k[i]) * 0x100000001b3ull;
    return (size_t)h;
}

static SSLErr hm_add(SSLBuffer key, SSLBuffer data, void *ref)
{
    struct hashmap *m = ref;
    uint8 *copy = malloc(data.length ? data.length : 1);
    if (!copy)
        return SSLMemoryErr;
    memcpy(copy, data.data, data.length);
    pthread_mutex_lock(&m->lock);
    struct hm_node **b = &m->buckets[hm_hash(key.data) % m->nbuckets], *n;
    for (n = *b; n && memcmp(n->key, key.data, KEYLEN) != 0; n = n->next)
        ;
    if (!n) {
        n = calloc(1, sizeof *n);
        memcpy(n->key, key.data, KEYLEN);
        n->next = *b;
        *b = n;
    }
    free(n->data);
    n->data = copy;
    n->length = data.length;
    pthread_mutex_unlock(&m->lock);
    return SSLNoErr;
}

static SSLErr hm_get(SSLBuffer key, SSLBuffer *out, void *ref)
{
    struct hashmap *m = ref;
    SSLErr err = SSLNoMatchingSessionKeyErr;
    pthread_mutex_lock(&m->lock);
    struct hm_node *n = m->buckets[hm_hash(key.data) % m->nbuckets];
    for (; n && memcmp(n->key, key.data, KEYLEN) != 0; n = n->next)
        ;
    if (n) {
        out->data = malloc(n->length ? n->length : 1);
        out->length = n->length;
        if (out->data) {
            memcpy(out->data, n->data, n->length);
            err = SSLNoErr;
        } else
            err = SSLMemoryErr;
    }
    pthread_mutex_unlock(&m->lock);
    return err;
}

static struct hashmap *hm_new(size_t n)
{
    struct hashmap *m = calloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->nbuckets = n * 2 + 1;
    m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
    return m;
}

static void hm_free(struct hashmap *m)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (struct hm_node *n = m->buckets[i], *next; n; n = next) {
            next = n->next;
            free(n->data);
            free(n);
        }
    free(m->buckets);
    free(m);
}

/* ---- the workload ---- */

struct config {
    const char *dir;
    double seconds;
    unsigned keys;
    unsigned vlen;
    unsigned flags;
};

struct run {
    SSLAddSessionFunc add;
    SSLGetSessionFunc get;
    void *ref;
    const struct config *cfg;
    bool adds;       /* measure adds, else gets */
    unsigned seed;
    uint64_t ops;
    uint64_t errors;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_key(uint8 *k, unsigned i)
{
    uint64_t x = i * 0x9e3779b97f4a7c15ull + 12345;
    for (int j = 0; j < KEYLEN; j++) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        k[j] = (uint8)(x >> 56);
    }
}

static void *run_loop(void *arg)
{
    struct run *r = arg;
    uint8 key[KEYLEN];
    uint8 *val = malloc(r->cfg->vlen);
    uint64_t x = r->seed * 2654435761u + 1;
    memset(val, 0x42, r->cfg->vlen);
    double end = now_s() + r->cfg->seconds;
    uint64_t ops = 0;
    for (;;) {
        for (int b = 0; b < 256; b++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            make_key(key, (unsigned)(x % r->cfg->keys));
            SSLBuffer k = {KEYLEN, key};
            if (r->adds) {
                if (r->add(k, (SSLBuffer){r->cfg->vlen, val}, r->ref) != SSLNoErr)
                    r->errors++;
            } else {
                SSLBuffer out;
                if (r->get(k, &out, r->ref) == SSLNoErr)
                    free(out.data);
                else
                    r->errors++;
            }
        }
        ops += 256;
        if (now_s() >= end)
            break;
    }
    r->ops = ops;
    free(val);
    return NULL;
}

/* Run @p threads threads on one store; return ops/s. */
static double run_threads(SSLAddSessionFunc add, SSLGetSessionFunc get, void *ref,
                          const struct config *cfg, bool adds, unsigned threads, uint64_t *errors)
{
    struct run r[8];
    pthread_t th[8];
    double t0 = now_s();
    for (unsigned i = 0; i < threads; i++) {
        r[i] = (struct run){add, get, ref, cfg, adds, i + 1, 0, 0};
        pthread_create(&th[i], NULL, run_loop, &r[i]);
    }
    uint64_t ops = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        ops += r[i].ops;
        *errors += r[i].errors;
    }
    return (double)ops / (now_s() - t0);
}

static void fill(SSLAddSessionFunc add, void *ref, const struct config *cfg)
{
    uint8 key[KEYLEN];
    uint8 *val = calloc(1, cfg->vlen);
    for (unsigned i = 0; i < cfg->keys; i++) {
        make_key(key, i);
        if (add((SSLBuffer){KEYLEN, key}, (SSLBuffer){cfg->vlen, val}, ref) != SSLNoErr) {
            fprintf(stderr, "fill failed at %u\n", i);
            exit(1);
        }
    }
    free(val);
}

static SDBCache *open_cache(const struct config *cfg)
{
    SDBOptions o;
    SDBCache *c;
    SDBDefaultOptions(&o);
    o.flags = cfg->flags;
    o.mapSize = (size_t)256 << 20;
    if (SDBOpen(&c, cfg->dir, &o) != SSLNoErr) {
        fprintf(stderr, "cannot open the cache in %s\n", cfg->dir);
        exit(1);
    }
    return c;
}

/*
 * Two processes, each with its own store (the cache: a handle on the shared directory; the
 * baseline: a private map, which is not shared at all), started together; returns total ops/s.
 */
static double run_procs(bool sdb, const struct config *cfg, bool adds, uint64_t *errors)
{
    int go[2], res[2];
    pid_t pid[2];
    if (pipe(go) || pipe(res))
        exit(1);
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        if (pid[i] == 0) {
            void *ref;
            SDBCache *c = NULL;
            struct hashmap *m = NULL;
            if (sdb)
                ref = c = open_cache(cfg);
            else {
                ref = m = hm_new(cfg->keys);
                fill(hm_add, m, cfg);
            }
            char b;
            if (read(go[0], &b, 1) != 1)
                _exit(1);
            struct run r = {sdb ? SDBAddSession : hm_add, sdb ? SDBGetSession : hm_get, ref, cfg,
                            adds, 10 + (unsigned)i, 0, 0};
            run_loop(&r);
            uint64_t out[2] = {r.ops, r.errors};
            if (write(res[1], out, sizeof out) != sizeof out)
                _exit(1);
            SDBClose(c);
            if (m)
                hm_free(m);
            _exit(0);
        }
    }
    usleep(200000); /* both opened (and filled) */
    double t0 = now_s();
    if (write(go[1], "gg", 2) != 2)
        exit(1);
    uint64_t ops = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t in[2];
        if (read(res[0], in, sizeof in) != sizeof in)
            exit(1);
        ops += in[0];
        *errors += in[1];
    }
    double dt = now_s() - t0;
    for (int i = 0; i < 2; i++)
        waitpid(pid[i], NULL, 0);
    close(go[0]);
    close(go[1]);
    close(res[0]);
    close(res[1]);
    return (double)ops / dt;
}

static void usage(void)
{
    fprintf(stderr, "usage: sdb_bench [-d DIR] [-t SECONDS] [-k KEYS] [-v VALUE_BYTES] [-s]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct config cfg = {NULL, 1.0, 10000, 120, 0};
    char tmp[] = "/dev/shm/sdb_bench.XXXXXX";
    int opt;
    while ((opt = getopt(argc, argv, "d:t:k:v:s")) != -1) {
        switch (opt) {
        case 'd': cfg.dir = optarg; break;
        case 't': cfg.seconds = atof(optarg); break;
        case 'k': cfg.keys = (unsigned)atoi(optarg); break;
        case 'v': cfg.vlen = (unsigned)atoi(optarg); break;
        case 's': cfg.flags |= SDB_NOSYNC; break;
        default: usage();
        }
    }
    if (cfg.keys == 0 || cfg.seconds <= 0)
        usage();
    if (!cfg.dir) {
        if (!mkdtemp(tmp)) {
            perror("mkdtemp");
            return 1;
        }
        cfg.dir = tmp;
    }
    SDBCache *c = open_cache(&cfg);
    struct hashmap *m = hm_new(cfg.keys);
    fill(SDBAddSession, c, &cfg);
    fill(hm_add, m, &cfg);
    uint64_t err = 0;
    printf("sdb_bench: %u keys of %d bytes, values of %u bytes, %.1f s per cell, dir %s, %s\n",
           cfg.keys, KEYLEN, cfg.vlen, cfg.seconds, cfg.dir,
           cfg.flags & SDB_NOSYNC ? "SDB_NOSYNC" : "MDB_NOMETASYNC (default)");
    printf("%-22s %14s %14s %8s\n", "", "sessiondb/s", "mutex map/s", "ratio");
    for (int adds = 0; adds < 2; adds++) {
        const char *what = adds ? "adds" : "gets";
        for (unsigned t = 1; t <= 2; t++) {
            double a = run_threads(SDBAddSession, SDBGetSession, c, &cfg, adds, t, &err);
            double b = run_threads(hm_add, hm_get, m, &cfg, adds, t, &err);
            char label[40];
            snprintf(label, sizeof label, "%s, %u thread%s", what, t, t > 1 ? "s" : "");
            printf("%-22s %14.0f %14.0f %8.2f\n", label, a, b, a / b);
        }
        SDBClose(c); /* the children open their own handles; none may cross the fork */
        double a = run_procs(true, &cfg, adds, &err);
        double b = run_procs(false, &cfg, adds, &err);
        char label[40];
        snprintf(label, sizeof label, "%s, 2 processes", what);
        printf("%-22s %14.0f %14.0f %8.2f  (baseline: a private map per process)\n", label, a, b,
               a / b);
        c = open_cache(&cfg);
    }
    SDBStats s;
    if (SDBGetStats(c, &s) == SSLNoErr)
        printf("cache: %llu entries, %llu evictions, map %zu KiB used of %zu KiB\n",
               (unsigned long long)s.entries, (unsigned long long)s.evictions, s.mapUsed >> 10,
               s.mapSize >> 10);
    printf("errors: %llu\n", (unsigned long long)err);
    SDBClose(c);
    hm_free(m);
    if (cfg.dir == tmp) {
        char path[128];
        snprintf(path, sizeof path, "%s/data.mdb", tmp);
        unlink(path);
        snprintf(path, sizeof path, "%s/lock.mdb", tmp);
        unlink(path);
        rmdir(tmp);
    }
    return err != 0;
}
