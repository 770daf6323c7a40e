/*
 * sdb_util.h - helpers shared by the session-cache tests (tests/unit/sdb_*.c): a private temp
 * directory that is removed afterwards, a fake clock, a deterministic PRNG and value generator.
 * Header-only (static functions) because only sdb_*.c sources are globbed as tests.
 */
#ifndef SDB_UTIL_H
#define SDB_UTIL_H

#include "sslref/sessiondb.h"
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Make a fresh 0700 directory under $TMPDIR, else /dev/shm (a tmpfs: the data flush of every
 * commit is free, so the many-writer tests stay fast), else /tmp; return its path in @p out. */
static inline void sdbt_tempdir(char *out, size_t n)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(out, n, "%s/sdbtest.XXXXXX", base);
    if (!mkdtemp(out))
        abort();
}

/* Remove the cache directory made by sdbt_tempdir (one level of files). */
static inline void sdbt_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4200];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* A settable clock for SDBOptions::time. */
struct sdbt_clock {
    atomic_uint now;
};

static inline SSLErr sdbt_clock_fn(uint32 *t, void *ref)
{
    *t = atomic_load(&((struct sdbt_clock *)ref)->now);
    return SSLNoErr;
}

/* xorshift64*: deterministic, so a run can be replayed to compute the expected final state. */
static inline uint64_t sdbt_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Key "k<owner>-<index>" into @p buf; returns its SSLBuffer. */
static inline SSLBuffer sdbt_key(char *buf, size_t n, unsigned owner, unsigned index)
{
    int len = snprintf(buf, n, "k%u-%u", owner, index);
    return (SSLBuffer){(uint32)len, (uint8 *)buf};
}

/*
 * A self-describing value: 16-byte prefix (key owner, key index, writer, sequence) then filler
 * derived from the prefix, length 16..(16+max_extra) also derived from it. sdbt_value_ok checks it.
 */
static inline uint32 sdbt_value(uint8 *out, unsigned owner, unsigned index, unsigned writer,
                                unsigned seq, unsigned max_extra)
{
    uint32 f[4] = {owner, index, writer, seq};
    memcpy(out, f, 16);
    uint64_t s = ((uint64_t)owner << 48) ^ ((uint64_t)index << 32) ^ ((uint64_t)writer << 24) ^ seq;
    s = s * 0x9e3779b97f4a7c15ull + 1;
    uint32 extra = max_extra ? (uint32)(sdbt_rand(&s) % (max_extra + 1)) : 0;
    for (uint32 i = 0; i < extra; i++)
        out[16 + i] = (uint8)sdbt_rand(&s);
    return 16 + extra;
}

static inline int sdbt_value_ok(SSLBuffer v, unsigned owner, unsigned index, unsigned max_extra,
                                unsigned *writer, unsigned *seq)
{
    uint8 tmp[16 + 4096];
    uint32 f[4];
    if (v.length < 16 || v.length > 16 + max_extra)
        return 0;
    memcpy(f, v.data, 16);
    if (f[0] != owner || f[1] != index)
        return 0;
    uint32 len = sdbt_value(tmp, owner, index, f[2], f[3], max_extra);
    if (len != v.length || memcmp(tmp, v.data, len) != 0)
        return 0;
    *writer = f[2];
    *seq = f[3];
    return 1;
}

#endif
