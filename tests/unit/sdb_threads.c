/*
 * sdb_threads.c - concurrency on one handle: 8 threads x 100k mixed operations (70% get, 22% add,
 * 8% delete; half on private keys with an exact model, half on shared keys; see sdb_mix.h), then
 * the final state, the hit/miss counters and a full scan are checked. (A full reader table and
 * stalled readers: sdb_stall.c.)
 * SDB_TEST_OPS overrides the per-thread count. The TSan run is tests/interop/test_sdb_tsan.sh.
 */
#include <criterion/criterion.h>
#include "sdb_mix.h"

Test(sdb_threads, eight_threads_one_handle, .timeout = 300)
{
    char err[300] = "";
    cr_assert_eq(sdb_mix_threads(8, sdb_mix_ops(100000), NULL, err, sizeof err), 0, "%s", err);
}
