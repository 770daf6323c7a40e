/*
 * sdb_tsan_main.c - the threaded session-cache test (tests/unit/sdb_mix.h, sdb_mix_threads) as a
 * plain program, built and run with ThreadSanitizer by test_sdb_tsan.sh. Criterion itself cannot
 * start under TSan ("Could not initialize inheritable arena", Snaipe/Criterion issue #274), so
 * this driver replaces its runner; the workload and every check are the same code.
 */
#include "../unit/sdb_mix.h"

int main(void)
{
    char err[300] = "";
    unsigned ops = sdb_mix_ops(5000);
    if (sdb_mix_threads(8, ops, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "FAIL: %s\n", err);
        return 1;
    }
    printf("sdb_tsan: 8 threads x %u operations on one handle: ok\n", ops);
    return 0;
}
