/*
 * sdb_procs.c - the cache shared by processes: 4 processes x 50k mixed operations, each with its
 * own handle opened after fork (workload and checks in sdb_mix.h, state in shared memory), then
 * the parent checks every worker's final state and a full scan; and a ping-pong in which an entry
 * added by one process must be found by the other at once, in both directions. Workers wait long
 * for the write lock (sdb_mix_options): every add must succeed here.
 */
#include <criterion/criterion.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "sdb_mix.h"

#define PROCS 4

struct shm {
    struct sdb_mix_shared shared;
    struct sdb_mix_worker w[PROCS];
};

Test(sdb_procs, four_processes_one_directory, .timeout = 300)
{
    char dir[256];
    unsigned ops = sdb_mix_ops(50000);
    struct shm *m =
        mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(m, MAP_FAILED);
    memset(m, 0, sizeof *m);
    sdbt_tempdir(dir, sizeof dir);
    pid_t pids[PROCS];
    for (unsigned i = 0; i < PROCS; i++) {
        m->w[i] = (struct sdb_mix_worker){.id = i, .ops = ops, .seed = 0xabcdefull * (i + 7),
                                          .shared = &m->shared};
        pids[i] = fork();
        cr_assert_neq(pids[i], -1);
        if (pids[i] == 0) {
            SDBCache *c;
            SDBOptions o;
            sdb_mix_options(&o);
            if (SDBOpen(&c, dir, &o) != SSLNoErr)
                _exit(2);
            m->w[i].cache = c;
            sdb_mix_run(&m->w[i]);
            SDBClose(c);
            _exit(m->w[i].failures ? 1 : 0);
        }
    }
    for (unsigned i = 0; i < PROCS; i++) {
        int st;
        cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "process %u: status %d, %llu failures: %s",
                  i, st, (unsigned long long)m->w[i].failures, m->w[i].first_failure);
        cr_assert_gt(m->w[i].hits, 0);
    }
    SDBCache *cache;
    uint64_t present = 0;
    cr_assert_eq(SDBOpen(&cache, dir, NULL), SSLNoErr);
    for (unsigned i = 0; i < PROCS; i++)
        cr_assert_eq(sdb_mix_check_final(cache, &m->w[i], &present), 0, "final state of %u", i);
    present += sdb_mix_shared_present(cache);
    SDBVerifyReport r;
    cr_assert_eq(SDBVerify(cache, &r, 0), SSLNoErr);
    cr_assert_eq(r.entries, present);
    cr_assert_eq(r.valid, present);
    cr_assert_eq(r.indexed, present);
    SDBStats s;
    cr_assert_eq(SDBGetStats(cache, &s), SSLNoErr);
    cr_assert_eq(s.entries, present);
    cr_assert_eq(s.evictions, 0);
    SDBClose(cache);
    sdbt_rmdir(dir);
    munmap(m, sizeof *m);
}

/* One side of the ping-pong: for each round, wait for the peer's key, find it, answer with ours. */
static int pong(const char *dir, int rfd, int wfd, unsigned me, unsigned rounds, bool first)
{
    SDBCache *c;
    SDBOptions o;
    char kb[48];
    uint8 vb[16 + 64];
    int bad = 0;
    sdb_mix_options(&o);
    if (SDBOpen(&c, dir, &o) != SSLNoErr)
        return 100;
    for (unsigned i = 0; i < rounds; i++) {
        unsigned got;
        if (!(first && i == 0)) {
            if (read(rfd, &got, sizeof got) != sizeof got)
                return 101;
            SSLBuffer out;
            unsigned writer = 0, seq = 0;
            SSLErr e = SDBGetSession(sdbt_key(kb, sizeof kb, 1 - me, got), &out, c);
            bad += e != SSLNoErr || !sdbt_value_ok(out, 1 - me, got, 64, &writer, &seq) ||
                   writer != 1 - me || seq != got;
            if (e == SSLNoErr)
                free(out.data);
        }
        uint32 len = sdbt_value(vb, me, i, me, i, 64);
        if (SDBAddSession(sdbt_key(kb, sizeof kb, me, i), (SSLBuffer){len, vb}, c) != SSLNoErr)
            bad++;
        if (write(wfd, &i, sizeof i) != sizeof i)
            return 102;
    }
    SDBClose(c);
    return bad;
}

Test(sdb_procs, added_by_one_found_by_other_at_once, .timeout = 120)
{
    char dir[256];
    int ab[2], ba[2];
    const unsigned rounds = 2000;
    sdbt_tempdir(dir, sizeof dir);
    cr_assert_eq(pipe(ab), 0);
    cr_assert_eq(pipe(ba), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
        _exit(pong(dir, ab[0], ba[1], 1, rounds, false));
    int bad = pong(dir, ba[0], ab[1], 0, rounds, true);
    unsigned last;
    cr_assert_eq(read(ba[0], &last, sizeof last), sizeof last); /* the child's final answer */
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert_eq(bad, 0, "parent saw %d stale or missing entries", bad);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    sdbt_rmdir(dir);
}
