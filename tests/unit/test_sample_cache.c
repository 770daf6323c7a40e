/* The samples' in-process session cache (samples/common/sample_cache.c): the SSLRef session
 * callback contract (copies in and out, malloc'd results, SSLNoMatchingSessionKeyErr on a miss),
 * replacement, eviction of the oldest entry, expiry, and a 4-thread workload with exact counts. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../samples/common/sample_cache.c"

static SSLBuffer buf_of(const char *s)
{
    SSLBuffer b = {(uint32)strlen(s), (uint8 *)s};
    return b;
}

static int buf_is(SSLBuffer b, const char *s)
{
    return b.length == strlen(s) && memcmp(b.data, s, b.length) == 0;
}

Test(sample_cache, add_get_delete_contract)
{
    struct memcache *mc = memcache_new(8, 3600);
    cr_assert(mc);
    char key[] = "peer-1", val[] = "session-blob";
    cr_expect_eq(memcache_add(buf_of(key), buf_of(val), mc), SSLNoErr);
    memset(val, 'x', sizeof val - 1); /* the cache kept a copy */
    SSLBuffer out = {99, (uint8 *)1};
    cr_expect_eq(memcache_get(buf_of("peer-1"), &out, mc), SSLNoErr);
    cr_expect(buf_is(out, "session-blob"));
    free(out.data); /* malloc'd: what the default Free callback expects */
    cr_expect_eq(memcache_get(buf_of("peer-2"), &out, mc), SSLNoMatchingSessionKeyErr);
    cr_expect_null(out.data);
    cr_expect_eq(out.length, 0);
    cr_expect_eq(memcache_get(buf_of("peer-"), &out, mc), SSLNoMatchingSessionKeyErr, "no prefix match");
    cr_expect_eq(memcache_delete(buf_of("peer-1"), mc), SSLNoErr);
    cr_expect_eq(memcache_delete(buf_of("peer-1"), mc), SSLNoMatchingSessionKeyErr);
    cr_expect_eq(memcache_get(buf_of("peer-1"), &out, mc), SSLNoMatchingSessionKeyErr);
    struct memcache_stats st;
    memcache_stats(mc, &st);
    cr_expect_eq(st.adds, 1);
    cr_expect_eq(st.hits, 1);
    cr_expect_eq(st.misses, 3);
    cr_expect_eq(st.deletes, 1);
    cr_expect_eq(st.entries, 0);
    memcache_free(mc);
}

Test(sample_cache, bad_parameters)
{
    struct memcache *mc = memcache_new(2, 3600);
    SSLBuffer empty = {0, NULL}, out = {0, NULL};
    cr_expect_eq(memcache_add(empty, buf_of("v"), mc), SSLBadParameterErr);
    cr_expect_eq(memcache_add(buf_of("k"), buf_of("v"), NULL), SSLBadParameterErr);
    cr_expect_eq(memcache_get(buf_of("k"), NULL, mc), SSLBadParameterErr);
    cr_expect_eq(memcache_get(buf_of("k"), &out, NULL), SSLBadParameterErr);
    cr_expect_eq(memcache_delete(buf_of("k"), NULL), SSLBadParameterErr);
    cr_expect_eq(memcache_add(buf_of("k"), empty, mc), SSLNoErr, "an empty value is a value");
    cr_expect_eq(memcache_get(buf_of("k"), &out, mc), SSLNoErr);
    cr_expect_eq(out.length, 0);
    free(out.data);
    memcache_free(mc);
    memcache_free(NULL);
}

Test(sample_cache, replace_keeps_one_entry)
{
    struct memcache *mc = memcache_new(4, 3600);
    cr_expect_eq(memcache_add(buf_of("k"), buf_of("old"), mc), SSLNoErr);
    cr_expect_eq(memcache_add(buf_of("k"), buf_of("newer"), mc), SSLNoErr);
    SSLBuffer out = {0, NULL};
    cr_expect_eq(memcache_get(buf_of("k"), &out, mc), SSLNoErr);
    cr_expect(buf_is(out, "newer"));
    free(out.data);
    struct memcache_stats st;
    memcache_stats(mc, &st);
    cr_expect_eq(st.entries, 1);
    memcache_free(mc);
}

Test(sample_cache, full_table_evicts_the_oldest)
{
    struct memcache *mc = memcache_new(3, 3600);
    cr_expect_eq(memcache_add(buf_of("a"), buf_of("1"), mc), SSLNoErr);
    sleep(1); /* entries are stamped in seconds: make "a" strictly the oldest */
    cr_expect_eq(memcache_add(buf_of("b"), buf_of("2"), mc), SSLNoErr);
    cr_expect_eq(memcache_add(buf_of("c"), buf_of("3"), mc), SSLNoErr);
    cr_expect_eq(memcache_add(buf_of("d"), buf_of("4"), mc), SSLNoErr);
    SSLBuffer out = {0, NULL};
    cr_expect_eq(memcache_get(buf_of("a"), &out, mc), SSLNoMatchingSessionKeyErr, "oldest evicted");
    const char *keep[] = {"b", "c", "d"};
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(memcache_get(buf_of(keep[i]), &out, mc), SSLNoErr, "%s kept", keep[i]);
        free(out.data);
    }
    struct memcache_stats st;
    memcache_stats(mc, &st);
    cr_expect_eq(st.entries, 3);
    memcache_free(mc);
}

/* sslref-server's size: 5000 adds into 4096 entries evict the oldest 904 in add order, where a
 * replaced key counts as new; deleting frees a slot that the next add takes without evicting. */
Test(sample_cache, large_table_evicts_in_add_order)
{
    enum { CAP = 4096, N = 5000 };
    struct memcache *mc = memcache_new(CAP, 3600);
    char key[32];
    SSLBuffer out = {0, NULL};
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "session-%d", i);
        cr_assert_eq(memcache_add(buf_of(key), buf_of(key), mc), SSLNoErr);
        if (i == 1000) /* age order now 1..1000, 0, 1001..: 1..904 go, 0 stays */
            cr_assert_eq(memcache_add(buf_of("session-0"), buf_of("again"), mc), SSLNoErr);
    }
    int present = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "session-%d", i);
        SSLErr e = memcache_get(buf_of(key), &out, mc);
        cr_expect_eq(e == SSLNoErr, i == 0 || i >= 905, "%s: %d", key, e);
        if (e == SSLNoErr) {
            cr_expect(buf_is(out, i == 0 ? "again" : key), "%s value", key);
            free(out.data);
            present++;
        }
    }
    cr_expect_eq(present, CAP);
    struct memcache_stats st;
    memcache_stats(mc, &st);
    cr_expect_eq(st.entries, CAP);
    cr_expect_eq(memcache_delete(buf_of("session-2000"), mc), SSLNoErr);
    cr_expect_eq(memcache_add(buf_of("late"), buf_of("x"), mc), SSLNoErr);
    cr_expect_eq(memcache_get(buf_of("session-905"), &out, mc), SSLNoErr, "a free slot: no eviction");
    free(out.data);
    cr_expect_eq(memcache_add(buf_of("later"), buf_of("y"), mc), SSLNoErr);
    cr_expect_eq(memcache_get(buf_of("session-905"), &out, mc), SSLNoMatchingSessionKeyErr,
                 "full again: the oldest (905) went");
    cr_expect_eq(memcache_get(buf_of("session-906"), &out, mc), SSLNoErr);
    free(out.data);
    memcache_free(mc);
}

Test(sample_cache, expired_entries_are_misses)
{
    struct memcache *mc = memcache_new(4, 0); /* lifetime 0: gone once a second has passed */
    cr_expect_eq(memcache_add(buf_of("k"), buf_of("v"), mc), SSLNoErr);
    sleep(2);
    SSLBuffer out = {0, NULL};
    cr_expect_eq(memcache_get(buf_of("k"), &out, mc), SSLNoMatchingSessionKeyErr);
    struct memcache_stats st;
    memcache_stats(mc, &st);
    cr_expect_eq(st.entries, 0, "the expired entry was dropped");
    memcache_free(mc);
}

/* 4 threads, each on its own keys in a shared table large enough for all of them: every get of
 * a key the thread just added must return exactly the thread's latest value. */
#define THREADS 4
#define ROUNDS 20000
#define KEYS 16
struct worker {
    struct memcache *mc;
    int id, errors;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    char key[32], val[64];
    for (int i = 0; i < ROUNDS; i++) {
        int k = i % KEYS;
        snprintf(key, sizeof key, "t%d-k%d", w->id, k);
        snprintf(val, sizeof val, "value %d of thread %d key %d", i, w->id, k);
        if (memcache_add(buf_of(key), buf_of(val), w->mc) != SSLNoErr)
            w->errors++;
        SSLBuffer out = {0, NULL};
        if (memcache_get(buf_of(key), &out, w->mc) != SSLNoErr || !buf_is(out, val))
            w->errors++;
        free(out.data);
        if (i % 7 == 0 && memcache_delete(buf_of(key), w->mc) != SSLNoErr)
            w->errors++;
    }
    return NULL;
}

Test(sample_cache, threads_see_their_own_writes, .timeout = 60)
{
    struct memcache *mc = memcache_new(THREADS * KEYS, 3600);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){mc, i, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(w[i].errors, 0, "thread %d", i);
    }
    struct memcache_stats st;
    memcache_stats(mc, &st);
    cr_expect_eq(st.adds, (uint64_t)THREADS * ROUNDS);
    cr_expect_eq(st.hits, (uint64_t)THREADS * ROUNDS);
    cr_expect_eq(st.misses, 0);
    cr_expect_eq(st.deletes, (uint64_t)THREADS * ((ROUNDS + 6) / 7));
    memcache_free(mc);
}
