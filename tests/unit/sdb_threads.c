/*
 * sdb_threads.c - concurrency on one handle: 8 threads x 100k mixed operations (70% get, 22% add,
 * 8% delete; half on private keys with an exact model, half on shared keys; see sdb_mix.h), then
 * the final state, the hit/miss counters and a full scan are checked; and more simultaneous
 * readers than the reader table has slots, where reads must wait for a slot, never fail.
 * SDB_TEST_OPS overrides the per-thread count. The TSan run is tests/interop/test_sdb_tsan.sh.
 */
#include <criterion/criterion.h>
#include <time.h>
#include "sdb_mix.h"

Test(sdb_threads, eight_threads_one_handle, .timeout = 300)
{
    char err[300] = "";
    cr_assert_eq(sdb_mix_threads(8, sdb_mix_ops(100000), NULL, err, sizeof err), 0, "%s", err);
}

/* An allocator that holds the caller inside its read transaction (get copies out within it). */
static SSLErr slow_alloc(SSLBuffer *b, void *ref)
{
    (void)ref;
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    b->data = malloc(b->length ? b->length : 1);
    return b->data ? SSLNoErr : SSLMemoryErr;
}

struct reader {
    SDBCache *cache;
    SSLErr result;
};

static void *one_get(void *arg)
{
    struct reader *r = arg;
    SSLBuffer out;
    r->result = SDBGetSession((SSLBuffer){3, (uint8 *)"key"}, &out, r->cache);
    if (r->result == SSLNoErr)
        free(out.data);
    return NULL;
}

Test(sdb_threads, more_readers_than_reader_slots, .timeout = 120)
{
    char dir[256];
    SDBCache *cache;
    SDBOptions o;
    SDBStats st;
    SDBDefaultOptions(&o);
    o.maxReaders = 8;     /* LMDB rounds the table up to fill its page */
    o.alloc = slow_alloc; /* each get holds its reader slot for 10 ms */
    sdbt_tempdir(dir, sizeof dir);
    cr_assert_eq(SDBOpen(&cache, dir, &o), SSLNoErr);
    cr_assert_eq(SDBAddSession((SSLBuffer){3, (uint8 *)"key"}, (SSLBuffer){1, (uint8 *)"v"}, cache),
                 SSLNoErr);
    cr_assert_eq(SDBGetStats(cache, &st), SSLNoErr);
    unsigned n = st.maxReaders + 24;
    cr_assert_leq(n, 256);
    static struct reader r[256];
    static pthread_t th[256];
    for (unsigned i = 0; i < n; i++) {
        r[i] = (struct reader){cache, SSLUnknownErr};
        cr_assert_eq(pthread_create(&th[i], NULL, one_get, &r[i]), 0);
    }
    unsigned ok = 0;
    for (unsigned i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].result == SSLNoErr;
    }
    cr_assert_eq(ok, n, "%u of %u reads failed with %u reader slots", n - ok, n, st.maxReaders);
    SDBClose(cache);
    sdbt_rmdir(dir);
}
