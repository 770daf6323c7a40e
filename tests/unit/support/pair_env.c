/*
 * pair_env.c - the platform callbacks of the pair harness (pair.h): a counting allocator that can
 * fail its k-th call and notices blocks freed unwiped, a seeded random source, a fixed clock that can
 * fail, the in-test session cache (Add/Get/DeleteSession), and test-data helpers. Public API only.
 */
#include "pair.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocator ---- */

struct blockhdr {
    uint64_t magic;
    uint64_t size;
};
#define BLOCK_MAGIC 0x50414952414c4c43ull /* "PAIRALLC" */
#define FRESH_FILL 0xA5 /* a new block's bytes; a byte still holding it was never written */

void pair_alloc_init(struct pair_alloc *a) { memset(a, 0, sizeof *a); }

void pair_alloc_fail_in(struct pair_alloc *a, uint64_t k, int persistent)
{
    a->fail_at = a->calls + k;
    a->fail_after = persistent;
}

static int alloc_should_fail(struct pair_alloc *a)
{
    a->calls++;
    if (a->fail_at && (a->calls == a->fail_at || (a->fail_after && a->calls > a->fail_at))) {
        a->failures++;
        return 1;
    }
    return 0;
}

static struct blockhdr *hdr_of(void *data)
{
    return (struct blockhdr *)(void *)((uint8_t *)data - sizeof(struct blockhdr));
}

SSLErr pair_alloc_fn(SSLBuffer *b, void *ref)
{
    struct pair_alloc *a = ref;
    b->data = NULL;
    if (alloc_should_fail(a))
        return a->fail_err ? a->fail_err : SSLMemoryErr;
    struct blockhdr *h = malloc(sizeof *h + (b->length ? b->length : 1));
    if (!h)
        return SSLMemoryErr;
    h->magic = BLOCK_MAGIC;
    h->size = b->length;
    memset(h + 1, FRESH_FILL, b->length); /* no zeroed memory for free */
    a->live_blocks++;
    a->live_bytes += (long)b->length;
    if (a->live_bytes > a->peak_bytes)
        a->peak_bytes = a->live_bytes;
    b->data = (uint8_t *)(h + 1);
    return SSLNoErr;
}

SSLErr pair_free_fn(SSLBuffer *b, void *ref)
{
    struct pair_alloc *a = ref;
    if (!b->data)
        return SSLNoErr;
    struct blockhdr *h = hdr_of(b->data);
    if (h->magic != BLOCK_MAGIC) {
        a->bad_frees++; /* not ours (or freed twice): leak it rather than corrupt the heap */
        b->data = NULL;
        return SSLNoErr;
    }
    a->live_blocks--;
    a->live_bytes -= (long)h->size;
    /* Unwiped: a byte written and not zeroed. Bytes never written (still FRESH_FILL) held nothing:
     * the library wipes only the written part of a large buffer (ctx_free_used: the record input
     * buffer). A secret byte that happens to equal FRESH_FILL is missed, but not a whole block. */
    for (uint64_t i = 0; i < h->size; i++)
        if (((uint8_t *)(h + 1))[i] && ((uint8_t *)(h + 1))[i] != FRESH_FILL) {
            a->unwiped_frees++;
            break;
        }
    memset(h + 1, 0x5A, h->size);
    h->magic = 0;
    free(h);
    b->data = NULL;
    return SSLNoErr;
}

SSLErr pair_realloc_fn(SSLBuffer *b, uint32 n, void *ref)
{
    struct pair_alloc *a = ref;
    if (alloc_should_fail(a))
        return a->fail_err ? a->fail_err : SSLMemoryErr;
    SSLBuffer nb = {n, NULL};
    a->calls--; /* pair_alloc_fn counts again */
    SSLErr e = pair_alloc_fn(&nb, a);
    if (e != SSLNoErr)
        return e;
    if (b->data) {
        uint64_t old = hdr_of(b->data)->size;
        memcpy(nb.data, b->data, old < n ? old : n);
        pair_free_fn(b, a);
    }
    *b = nb;
    return SSLNoErr;
}

/* ---- random and time ---- */

uint64_t pair_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

SSLErr pair_random_fn(SSLBuffer b, void *ref)
{
    struct pair_rng *r = ref;
    if (++r->calls == r->fail_at)
        return SSLUnknownErr;
    for (uint32_t i = 0; i < b.length; i += 8) {
        uint64_t v = pair_splitmix(&r->s);
        for (uint32_t j = 0; j < 8 && i + j < b.length; j++)
            b.data[i + j] = (uint8_t)(v >> (8 * j));
    }
    return SSLNoErr;
}

SSLErr pair_time_fn(uint32 *t, void *ref)
{
    struct pair_clock *c = ref;
    if (c && ++c->calls == c->fail_at)
        return SSLUnknownErr;
    *t = PAIR_TIME;
    return SSLNoErr;
}

/* ---- session cache ---- */

void pair_cache_init(struct pair_cache *c) { memset(c, 0, sizeof *c); }

void pair_cache_clear(struct pair_cache *c)
{
    for (uint32_t i = 0; i < c->n; i++)
        free(c->e[i].data);
    c->n = 0;
}

int pair_cache_copy(struct pair_cache *dst, const struct pair_cache *src)
{
    pair_cache_init(dst);
    for (uint32_t i = 0; i < src->n; i++) {
        dst->e[i] = src->e[i];
        dst->e[i].data = malloc(src->e[i].len ? src->e[i].len : 1);
        if (!dst->e[i].data)
            return -1;
        memcpy(dst->e[i].data, src->e[i].data, src->e[i].len);
        dst->n = i + 1;
    }
    dst->mangle = src->mangle;
    dst->mangle_ref = src->mangle_ref;
    return 0;
}

static struct pair_cache_entry *cache_find(struct pair_cache *c, SSLBuffer key)
{
    for (uint32_t i = 0; i < c->n; i++)
        if (c->e[i].keylen == key.length && memcmp(c->e[i].key, key.data, key.length) == 0)
            return &c->e[i];
    return NULL;
}

SSLErr pair_cache_add(SSLBuffer key, SSLBuffer data, void *ref)
{
    struct pair_cache *c = ref;
    c->adds++;
    if (key.length > sizeof c->e[0].key || !data.data)
        return SSLBadParameterErr;
    struct pair_cache_entry *e = cache_find(c, key);
    if (!e) {
        if (c->n == PAIR_CACHE_MAX)
            return SSLMemoryErr;
        e = &c->e[c->n++];
        e->data = NULL;
    }
    uint8_t *copy = malloc(data.length ? data.length : 1);
    if (!copy)
        return SSLMemoryErr;
    memcpy(copy, data.data, data.length);
    free(e->data);
    memcpy(e->key, key.data, key.length);
    e->keylen = key.length;
    e->data = copy;
    e->len = data.length;
    return SSLNoErr;
}

SSLErr pair_cache_get(SSLBuffer key, SSLBuffer *data, void *ref)
{
    struct pair_cache *c = ref;
    c->gets++;
    data->data = NULL;
    data->length = 0;
    struct pair_cache_entry *e = cache_find(c, key);
    if (!e)
        return SSLNoMatchingSessionKeyErr;
    if (!c->alloc)
        return SSLMemoryErr;
    SSLBuffer b = {e->len, NULL};
    SSLErr err = pair_alloc_fn(&b, c->alloc); /* the library frees it with the context's Free */
    if (err != SSLNoErr)
        return err;
    memcpy(b.data, e->data, e->len);
    if (c->mangle)
        c->mangle(b.data, &b.length, c->mangle_ref);
    c->hits++;
    *data = b;
    return SSLNoErr;
}

SSLErr pair_cache_delete(SSLBuffer key, void *ref)
{
    struct pair_cache *c = ref;
    c->deletes++;
    struct pair_cache_entry *e = cache_find(c, key);
    if (!e)
        return SSLNoMatchingSessionKeyErr;
    free(e->data);
    *e = c->e[--c->n];
    return SSLNoErr;
}

/* ---- test data ---- */

char *pair_read_data(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SSLREF_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        if (len)
            *len = n;
    }
    return b;
}

void pair_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = pair_splitmix(&s);
        for (size_t j = 0; j < 8 && i + j < n; j++)
            buf[i + j] = (uint8_t)(v >> (8 * j));
    }
}
