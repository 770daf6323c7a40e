/*
 * testutil.h - small helpers the crypto unit tests share: hex test vectors and the CPU's own
 * feature flags. Header only (Criterion assertions), for tests/unit/test_*.c.
 */
#ifndef SSLREF_TESTUTIL_H
#define SSLREF_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Hex digits (pairs, spaces between pairs allowed) into out; the test fails on a bad digit or more
 * than cap bytes. */
static inline size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        while (*h == ' ')
            h++;
        unsigned v;
        cr_assert(sscanf(h, "%2x", &v) == 1, "bad hex in test vector");
        cr_assert(n < cap);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* Whether the flags line of /proc/cpuinfo lists @flag as a whole word ("aes", "sha_ni"): what the
 * CPU says, independent of the code under test's own detection. */
static inline int cpuinfo_flag(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    cr_assert(f, "cannot read /proc/cpuinfo");
    char line[8192];
    int has = 0;
    size_t fl = strlen(flag);
    while (!has && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        for (char *p = strstr(line, flag); p && !has; p = strstr(p + 1, flag))
            has = (p[-1] == ' ' || p[-1] == '\t') && (p[fl] == ' ' || p[fl] == '\n');
    }
    fclose(f);
    return has;
}

/* The contents of tests/data/@name, NUL-terminated, in a buffer the next call reuses; its length in
 * *len. The test fails if the file is missing or does not fit. */
static inline const char *test_data_file(const char *name, size_t *len)
{
    static char buf[16384];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SSLREF_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "open %s", path);
    *len = fread(buf, 1, sizeof buf - 1, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    cr_assert(!more, "%s is larger than %zu bytes", path, sizeof buf - 1);
    buf[*len] = 0;
    return buf;
}

#endif
