/*
 * sample_cache.c - the samples' in-process session cache: a fixed table of entries under one
 * pthread mutex, found through a chained hash index and kept in a list by age, so that every
 * operation costs O(1) whatever the capacity (sslref-server keeps 4096). Keys and values are
 * copied in and out; freed entries are wiped. Expired entries are misses: they are dropped when
 * met and from the old end of the age list at every call (one lifetime for all entries, so the
 * oldest expire first). A full table evicts the oldest entry.
 */
#include "sample_cache.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NIL UINT32_MAX

struct mc_entry {
    uint8 *key, *val;   /* NULL key = free slot */
    uint32 klen, vlen;
    time_t added;
    uint64_t hash;
    uint32 chain;        /* next entry in the hash bucket; next free slot when free */
    uint32 older, newer; /* the age list */
};

struct memcache {
    pthread_mutex_t mu;
    uint32 cap, lifetime;
    uint32 mask;         /* buckets - 1 (a power of two >= cap) */
    uint32 oldest, newest, free;
    struct memcache_stats st;
    uint32 *bucket;
    struct mc_entry *e;
};

/* FNV-1a: stored keys are session IDs the server drew at random (or the client's peer names),
 * so chains stay short whatever keys a peer asks for. */
static uint64_t key_hash(SSLBuffer key)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (uint32 i = 0; i < key.length; i++)
        h = (h ^ key.data[i]) * 0x100000001b3u;
    return h;
}

static void mc_clear(struct mc_entry *x)
{
    if (x->key) {
        memset(x->key, 0, x->klen);
        free(x->key);
    }
    if (x->val) {
        memset(x->val, 0, x->vlen);
        free(x->val);
    }
    memset(x, 0, sizeof *x);
}

struct memcache *memcache_new(uint32 capacity, uint32 lifetime)
{
    if (capacity == 0)
        capacity = 1;
    if (capacity > (UINT32_C(1) << 30))
        return NULL;
    uint32 nb = 1;
    while (nb < capacity)
        nb <<= 1;
    struct memcache *mc = calloc(1, sizeof *mc);
    if (!mc)
        return NULL;
    mc->e = calloc(capacity, sizeof *mc->e);
    mc->bucket = malloc((size_t)nb * sizeof *mc->bucket);
    if (!mc->e || !mc->bucket) {
        free(mc->e);
        free(mc->bucket);
        free(mc);
        return NULL;
    }
    for (uint32 i = 0; i < nb; i++)
        mc->bucket[i] = NIL;
    for (uint32 i = 0; i < capacity; i++)
        mc->e[i].chain = i + 1 < capacity ? i + 1 : NIL;
    mc->cap = capacity;
    mc->mask = nb - 1;
    mc->lifetime = lifetime;
    mc->oldest = mc->newest = NIL;
    mc->free = 0;
    pthread_mutex_init(&mc->mu, NULL);
    return mc;
}

void memcache_free(struct memcache *mc)
{
    if (!mc)
        return;
    for (uint32 i = 0; i < mc->cap; i++)
        mc_clear(&mc->e[i]);
    free(mc->e);
    free(mc->bucket);
    pthread_mutex_destroy(&mc->mu);
    free(mc);
}

/* The helpers below run with the mutex held. */

/* Unlink entry i from its bucket and the age list, wipe it and put it on the free list. */
static void mc_drop(struct memcache *mc, uint32 i)
{
    struct mc_entry *x = &mc->e[i];
    uint32 *p = &mc->bucket[x->hash & mc->mask];
    while (*p != i)
        p = &mc->e[*p].chain;
    *p = x->chain;
    if (x->older != NIL)
        mc->e[x->older].newer = x->newer;
    else
        mc->oldest = x->newer;
    if (x->newer != NIL)
        mc->e[x->newer].older = x->older;
    else
        mc->newest = x->older;
    mc_clear(x);
    x->chain = mc->free;
    mc->free = i;
    mc->st.entries--;
}

static bool mc_expired(const struct memcache *mc, uint32 i, time_t now)
{
    return now - mc->e[i].added > (time_t)mc->lifetime;
}

/* Drop the expired entries at the old end of the age list. */
static void mc_purge(struct memcache *mc, time_t now)
{
    while (mc->oldest != NIL && mc_expired(mc, mc->oldest, now))
        mc_drop(mc, mc->oldest);
}

/* The live entry with this key, or NIL (an expired one met here is dropped). */
static uint32 mc_find(struct memcache *mc, SSLBuffer key, uint64_t h, time_t now)
{
    for (uint32 i = mc->bucket[h & mc->mask]; i != NIL; i = mc->e[i].chain) {
        const struct mc_entry *x = &mc->e[i];
        if (x->hash == h && x->klen == key.length && memcmp(x->key, key.data, key.length) == 0) {
            if (!mc_expired(mc, i, now))
                return i;
            mc_drop(mc, i);
            return NIL;
        }
    }
    return NIL;
}

SSLErr memcache_add(SSLBuffer key, SSLBuffer data, void *ref)
{
    struct memcache *mc = ref;
    if (!mc || !key.data || key.length == 0 || (!data.data && data.length))
        return SSLBadParameterErr;
    uint8 *k = malloc(key.length), *v = malloc(data.length ? data.length : 1);
    if (!k || !v) {
        free(k);
        free(v);
        return SSLMemoryErr;
    }
    memcpy(k, key.data, key.length);
    if (data.length)
        memcpy(v, data.data, data.length);
    uint64_t h = key_hash(key);
    time_t now = time(NULL);
    pthread_mutex_lock(&mc->mu);
    mc_purge(mc, now);
    uint32 i = mc_find(mc, key, h, now);
    if (i != NIL)
        mc_drop(mc, i); /* replaced */
    if (mc->free == NIL)
        mc_drop(mc, mc->oldest); /* full: evict the oldest */
    i = mc->free;
    struct mc_entry *x = &mc->e[i];
    mc->free = x->chain;
    *x = (struct mc_entry){.key = k, .klen = key.length, .val = v, .vlen = data.length,
                           .added = now, .hash = h, .chain = mc->bucket[h & mc->mask],
                           .older = mc->newest, .newer = NIL};
    mc->bucket[h & mc->mask] = i;
    if (mc->newest != NIL)
        mc->e[mc->newest].newer = i;
    else
        mc->oldest = i;
    mc->newest = i;
    mc->st.entries++;
    mc->st.adds++;
    pthread_mutex_unlock(&mc->mu);
    return SSLNoErr;
}

SSLErr memcache_get(SSLBuffer key, SSLBuffer *data, void *ref)
{
    struct memcache *mc = ref;
    if (!mc || !data)
        return SSLBadParameterErr;
    data->data = NULL;
    data->length = 0;
    SSLErr err = SSLNoMatchingSessionKeyErr;
    time_t now = time(NULL);
    pthread_mutex_lock(&mc->mu);
    mc_purge(mc, now);
    uint32 i = key.data && key.length ? mc_find(mc, key, key_hash(key), now) : NIL;
    if (i != NIL) {
        const struct mc_entry *x = &mc->e[i];
        data->data = malloc(x->vlen ? x->vlen : 1);
        if (data->data) {
            memcpy(data->data, x->val, x->vlen);
            data->length = x->vlen;
            err = SSLNoErr;
        } else {
            err = SSLMemoryErr;
        }
    }
    if (err == SSLNoErr)
        mc->st.hits++;
    else
        mc->st.misses++;
    pthread_mutex_unlock(&mc->mu);
    return err;
}

SSLErr memcache_delete(SSLBuffer key, void *ref)
{
    struct memcache *mc = ref;
    if (!mc)
        return SSLBadParameterErr;
    time_t now = time(NULL);
    pthread_mutex_lock(&mc->mu);
    mc_purge(mc, now);
    uint32 i = key.data && key.length ? mc_find(mc, key, key_hash(key), now) : NIL;
    if (i != NIL) {
        mc_drop(mc, i);
        mc->st.deletes++;
    }
    pthread_mutex_unlock(&mc->mu);
    return i != NIL ? SSLNoErr : SSLNoMatchingSessionKeyErr;
}

void memcache_stats(struct memcache *mc, struct memcache_stats *out)
{
    pthread_mutex_lock(&mc->mu);
    *out = mc->st;
    pthread_mutex_unlock(&mc->mu);
}

void memcache_attach(struct memcache *mc, SSLContext *ctx)
{
    SSLSetAddSessionFunc(ctx, memcache_add);
    SSLSetGetSessionFunc(ctx, memcache_get);
    SSLSetDeleteSessionFunc(ctx, memcache_delete);
    SSLSetSessionRef(ctx, mc);
}
