/*
 * sdb_mc_tsan_main.c - the memcached tier under ThreadSanitizer (driven by test_sdb_tsan.sh):
 * 8 threads share two tier handles ("machines" A and B, a pool of 4 connection sets each, fewer
 * than the threads) over real memcached daemons; each thread adds on A and gets on B (a remote
 * hit must return exactly the value added), and asks both for ticket keys (A seals, B opens),
 * while the driver stops (SIGSTOP) and continues one daemon, so server health flips under load.
 * Usage: sdb_mc_tsan DIR_A DIR_B SERVERS KEYFILE PID_TO_STOP
 */
#include "sslref/sessiondb_mc.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static SDBMemcached *A, *B;

static void *worker(void *arg)
{
    long id = (long)arg, bad = 0;
    char k[32], v[64];
    for (int i = 0; i < 300; i++) {
        int kl = snprintf(k, sizeof k, "k%ld-%d", id, i);
        int vl = snprintf(v, sizeof v, "v%ld-%d", id, i);
        (void)SDBMCAddSession((SSLBuffer){(uint32)kl, (uint8 *)k},
                              (SSLBuffer){(uint32)vl, (uint8 *)v}, A);
        SSLBuffer out;
        int level;
        if (SDBMemcachedGet(B, (SSLBuffer){(uint32)kl, (uint8 *)k}, &out, &level) == SSLNoErr) {
            if (out.length != (uint32)vl || memcmp(out.data, v, (size_t)vl) != 0)
                bad++;
            free(out.data);
        }
        uint8 name[16], key[32], key2[32];
        /* B may miss A's key while the daemon holding it is stopped; it must never return
         * another key under that name */
        if (SDBMCTicketKey(A, 1, name, key) != SSLNoErr)
            bad++;
        else if (SDBMCTicketKey(B, 0, name, key2) == SSLNoErr && memcmp(key, key2, 32) != 0)
            bad++;
    }
    return (void *)bad;
}

int main(int argc, char **argv)
{
    SDBCache *ca, *cb;
    char why[512];
    if (argc != 6)
        return 2;
    if (SDBOpenDetail(&ca, argv[1], NULL, why, sizeof why) != SSLNoErr ||
        SDBOpenDetail(&cb, argv[2], NULL, why, sizeof why) != SSLNoErr) {
        fprintf(stderr, "sdb_mc_tsan: %s\n", why);
        return 1;
    }
    SDBMemcachedOptions o;
    SDBMemcachedDefaultOptions(&o);
    o.servers = argv[3];
    o.keyFile = argv[4];
    o.timeoutMs = 30;
    o.retryMs = 100;
    o.connections = 4;
    if (SDBMemcachedOpen(&A, ca, &o, why, sizeof why) != SSLNoErr ||
        SDBMemcachedOpen(&B, cb, &o, why, sizeof why) != SSLNoErr) {
        fprintf(stderr, "sdb_mc_tsan: %s\n", why);
        return 1;
    }
    pthread_t t[8];
    long bad = 0;
    for (long i = 0; i < 8; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 1;
    pid_t victim = (pid_t)atoi(argv[5]);
    usleep(50000);
    kill(victim, SIGSTOP);
    usleep(200000);
    kill(victim, SIGCONT);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    SDBMemcachedStats s;
    (void)SDBMemcachedGetStats(B, &s);
    printf("sdb_mc_tsan: 8 threads x 300 (add, get, ticket keys): bad=%ld remote_hits=%llu "
           "misses=%llu errors=%llu\n", bad, (unsigned long long)s.remoteHits,
           (unsigned long long)s.misses, (unsigned long long)s.errors);
    SDBMemcachedClose(A);
    SDBMemcachedClose(B);
    SDBClose(ca);
    SDBClose(cb);
    return bad != 0 || s.remoteHits == 0;
}
