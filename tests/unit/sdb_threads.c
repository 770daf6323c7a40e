/*
 * sdb_threads.c - concurrency on one handle: 8 threads x 100k mixed operations (70% get, 22% add,
 * 8% delete; half on private keys with an exact model, half on shared keys; see sdb_mix.h), then
 * the final state, the hit/miss counters and a full scan are checked. SDB_TEST_OPS overrides the
 * per-thread count (the TSan run, tests/interop/test_sdb_tsan.sh, uses fewer).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include "sdb_mix.h"

#define THREADS 8

static void *worker(void *arg)
{
    sdb_mix_run(arg);
    return NULL;
}

Test(sdb_threads, eight_threads_one_handle, .timeout = 300)
{
    char dir[256];
    SDBCache *cache;
    static struct sdb_mix_worker w[THREADS];
    static struct sdb_mix_shared shared;
    pthread_t th[THREADS];
    unsigned ops = sdb_mix_ops(100000);

    sdbt_tempdir(dir, sizeof dir);
    cr_assert_eq(SDBOpen(&cache, dir, NULL), SSLNoErr);
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (struct sdb_mix_worker){.id = i, .ops = ops, .seed = 0x1234567ull * (i + 1),
                                       .cache = cache, .shared = &shared};
        cr_assert_eq(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    uint64_t gets = 0, hits = 0, present = 0;
    for (unsigned i = 0; i < THREADS; i++) {
        cr_assert_eq(pthread_join(th[i], NULL), 0);
        cr_expect_eq(w[i].failures, 0, "%llu failures, first: %s",
                     (unsigned long long)w[i].failures, w[i].first_failure);
        gets += w[i].gets;
        hits += w[i].hits;
        cr_assert_gt(w[i].hits, 0);
    }
    SDBStats st;
    cr_assert_eq(SDBGetStats(cache, &st), SSLNoErr);
    cr_assert_eq(st.hits, hits, "hit counter %llu vs %llu", (unsigned long long)st.hits,
                 (unsigned long long)hits);
    cr_assert_eq(st.hits + st.misses, gets);
    cr_assert_eq(st.corrupt, 0);
    cr_assert_eq(st.evictions, 0);
    for (unsigned i = 0; i < THREADS; i++)
        cr_assert_eq(sdb_mix_check_final(cache, &w[i], &present), 0, "final state of thread %u", i);
    present += sdb_mix_shared_present(cache);
    SDBVerifyReport r;
    cr_assert_eq(SDBVerify(cache, &r, 0), SSLNoErr);
    cr_assert_eq(r.entries, present);
    cr_assert_eq(r.valid, present);
    cr_assert_eq(r.indexed, present);
    SDBClose(cache);
    sdbt_rmdir(dir);
}
