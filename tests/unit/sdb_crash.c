/*
 * sdb_crash.c - processes killed with SIGKILL in the middle of cache work, many times: writers
 * (adds of up to 20 KB, deletes), readers (holding pooled read transactions, so reader slots are
 * left behind) and maintainers (purge, repairing verify: long write transactions). After every
 * kill the cache (reopened, or kept open by the parent across the kill) must pass a full scan,
 * hold the last entry the victim had committed, and keep serving; stale reader slots are cleared.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "sdb_util.h"

#define ITERATIONS 90

struct victim_state {
    atomic_uint started;   /* the victim has opened the cache */
    atomic_uint committed; /* last n whose add returned SSLNoErr */
    atomic_uint in_write;  /* 1 while inside an add/delete/purge/verify call */
};

static void victim(const char *dir, unsigned iter, struct victim_state *vs)
{
    SDBCache *c;
    char kb[48];
    static uint8 val[20000];
    uint64_t s = 0x9999ull + iter;
    if (SDBOpen(&c, dir, NULL) != SSLNoErr)
        _exit(2);
    atomic_store(&vs->started, 1);
    for (unsigned n = 1;; n++) {
        uint64_t r = sdbt_rand(&s);
        SSLBuffer key = sdbt_key(kb, sizeof kb, 1000 + iter, n);
        uint32 len = (uint32)(r % sizeof val);
        memset(val, (int)n, len);
        switch (iter % 3) {
        case 0: /* writer */
        case 1: /* reader that also writes now and then */
            if (iter % 3 == 1 && r % 8 != 0) {
                SSLBuffer out;
                for (unsigned k = 0; k < 16; k++)
                    if (SDBGetSession(sdbt_key(kb, sizeof kb, 1000 + iter, n - k), &out, c) ==
                        SSLNoErr)
                        free(out.data);
                n--;
                break;
            }
            atomic_store(&vs->in_write, 1);
            if (SDBAddSession(key, (SSLBuffer){len, val}, c) != SSLNoErr)
                _exit(3);
            atomic_store(&vs->committed, n);
            if (n > 20)
                (void)SDBDeleteSession(sdbt_key(kb, sizeof kb, 1000 + iter, n - 20), c);
            atomic_store(&vs->in_write, 0);
            break;
        default: { /* maintainer: long write transactions */
            SDBVerifyReport rep;
            uint64_t removed;
            atomic_store(&vs->in_write, 1);
            if (SDBAddSession(key, (SSLBuffer){len, val}, c) != SSLNoErr)
                _exit(3);
            atomic_store(&vs->committed, n);
            (void)SDBPurge(c, &removed);
            (void)SDBVerify(c, &rep, 1);
            atomic_store(&vs->in_write, 0);
            break;
        }
        }
    }
}

static void check_store(SDBCache *c, unsigned iter, const struct victim_state *vs)
{
    SDBVerifyReport r;
    char kb[48];
    cr_assert_eq(SDBVerify(c, &r, 0), SSLNoErr, "iteration %u", iter);
    cr_assert_eq(r.corrupt + r.dangling + r.unindexed, 0, "iteration %u: %llu/%llu/%llu", iter,
                 (unsigned long long)r.corrupt, (unsigned long long)r.dangling,
                 (unsigned long long)r.unindexed);
    cr_assert_eq(r.valid, r.entries);
    cr_assert_eq(r.indexed, r.entries);
    unsigned n = atomic_load(&vs->committed);
    if (n > 0) { /* a killed process loses nothing it committed */
        SSLBuffer out;
        cr_assert_eq(SDBGetSession(sdbt_key(kb, sizeof kb, 1000 + iter, n), &out, c), SSLNoErr,
                     "iteration %u: committed entry %u lost", iter, n);
        cr_assert(out.length == 0 || out.data[0] == (uint8)n);
        free(out.data);
    }
    uint8 probe[64];
    memset(probe, (int)iter, sizeof probe);
    SSLBuffer out;
    cr_assert_eq(SDBAddSession(sdbt_key(kb, sizeof kb, 7, iter), (SSLBuffer){64, probe}, c),
                 SSLNoErr, "iteration %u: add after the kill", iter);
    cr_assert_eq(SDBGetSession(sdbt_key(kb, sizeof kb, 7, iter), &out, c), SSLNoErr);
    cr_assert_eq(out.length, 64);
    cr_assert_arr_eq(out.data, probe, 64);
    free(out.data);
}

Test(sdb_crash, sigkill_mid_transaction, .timeout = 300)
{
    char dir[256];
    SDBCache *c = NULL;
    unsigned killed_in_write = 0;
    int cleared_total = 0;
    struct victim_state *vs = mmap(NULL, sizeof *vs * ITERATIONS, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(vs, MAP_FAILED);
    sdbt_tempdir(dir, sizeof dir);
    uint64_t rs = 42;
    for (unsigned iter = 0; iter < ITERATIONS; iter++) {
        bool keep_open = iter % 2 == 1; /* odd: the parent's handle stays open across the kill */
        if (keep_open && !c)
            cr_assert_eq(SDBOpen(&c, dir, NULL), SSLNoErr);
        if (!keep_open && c) {
            SDBClose(c);
            c = NULL;
        }
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0)
            victim(dir, iter, &vs[iter]);
        while (!atomic_load(&vs[iter].started)) {
            int st;
            cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "victim %u died early: %d", iter, st);
            nanosleep(&(struct timespec){0, 100000}, NULL);
        }
        long ns = (long)(sdbt_rand(&rs) % 6000000); /* 0..6 ms */
        nanosleep(&(struct timespec){0, ns}, NULL);
        kill(pid, SIGKILL);
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "victim %u exited: %d", iter, st);
        killed_in_write += atomic_load(&vs[iter].in_write);
        if (keep_open) {
            int cleared = 0;
            cr_assert_eq(SDBReaderCheck(c, &cleared), SSLNoErr);
            cleared_total += cleared;
        } else {
            cr_assert_eq(SDBOpen(&c, dir, NULL), SSLNoErr, "reopen after kill %u", iter);
        }
        check_store(c, iter, &vs[iter]);
    }
    cr_log_info("%u of %u kills inside a write call; %d stale reader slots cleared",
                killed_in_write, ITERATIONS, cleared_total);
    cr_assert_gt(killed_in_write, ITERATIONS / 4, "only %u kills landed inside a write call",
                 killed_in_write);
    cr_assert_gt(cleared_total, 0, "no stale reader slot was ever cleared");
    SDBClose(c);

    /* a fresh handle: full scan, and it keeps serving */
    cr_assert_eq(SDBOpen(&c, dir, NULL), SSLNoErr);
    SDBVerifyReport r;
    cr_assert_eq(SDBVerify(c, &r, 0), SSLNoErr);
    cr_assert_eq(r.corrupt + r.dangling + r.unindexed, 0);
    cr_assert_geq(r.entries, ITERATIONS);
    char kb[48];
    for (unsigned i = 0; i < ITERATIONS; i++) {
        SSLBuffer out;
        cr_assert_eq(SDBGetSession(sdbt_key(kb, sizeof kb, 7, i), &out, c), SSLNoErr, "probe %u",
                     i);
        free(out.data);
        SSLBuffer v = {3, (uint8 *)"new"};
        cr_assert_eq(SDBAddSession(sdbt_key(kb, sizeof kb, 8, i), v, c), SSLNoErr);
    }
    SDBStats s;
    cr_assert_eq(SDBGetStats(c, &s), SSLNoErr);
    cr_assert_eq(s.entries, r.entries + ITERATIONS);
    SDBClose(c);
    sdbt_rmdir(dir);
    munmap(vs, sizeof *vs * ITERATIONS);
}
