/*
 * sample_cache.c - the samples' in-process session cache: a linear table (the samples keep a few
 * hundred sessions at most) under one pthread mutex. Keys and values are copied in and out;
 * freed entries are wiped. Expired entries are misses and are dropped when met.
 */
#include "sample_cache.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mc_entry {
    uint8 *key, *val;   /* NULL key = free slot */
    uint32 klen, vlen;
    time_t added;
};

struct memcache {
    pthread_mutex_t mu;
    uint32 cap, lifetime;
    struct memcache_stats st;
    struct mc_entry *e;
};

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
    struct memcache *mc = calloc(1, sizeof *mc);
    if (!mc)
        return NULL;
    mc->e = calloc(capacity ? capacity : 1, sizeof *mc->e);
    if (!mc->e) {
        free(mc);
        return NULL;
    }
    mc->cap = capacity ? capacity : 1;
    mc->lifetime = lifetime;
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
    pthread_mutex_destroy(&mc->mu);
    free(mc);
}

/* Caller holds the mutex. Expired entries met on the way are removed. */
static struct mc_entry *mc_find(struct memcache *mc, SSLBuffer key, time_t now)
{
    for (uint32 i = 0; i < mc->cap; i++) {
        struct mc_entry *x = &mc->e[i];
        if (!x->key)
            continue;
        if (now - x->added > (time_t)mc->lifetime) {
            mc_clear(x);
            mc->st.entries--;
            continue;
        }
        if (x->klen == key.length && memcmp(x->key, key.data, key.length) == 0)
            return x;
    }
    return NULL;
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
    time_t now = time(NULL);
    pthread_mutex_lock(&mc->mu);
    struct mc_entry *slot = mc_find(mc, key, now);
    if (slot) {
        mc_clear(slot);
        mc->st.entries--;
    } else {
        for (uint32 i = 0; i < mc->cap && !slot; i++)
            if (!mc->e[i].key)
                slot = &mc->e[i];
        if (!slot) { /* full: evict the oldest */
            slot = &mc->e[0];
            for (uint32 i = 1; i < mc->cap; i++)
                if (mc->e[i].added < slot->added)
                    slot = &mc->e[i];
            mc_clear(slot);
            mc->st.entries--;
        }
    }
    slot->key = k;
    slot->klen = key.length;
    slot->val = v;
    slot->vlen = data.length;
    slot->added = now;
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
    pthread_mutex_lock(&mc->mu);
    struct mc_entry *x = mc_find(mc, key, time(NULL));
    if (x) {
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
    pthread_mutex_lock(&mc->mu);
    struct mc_entry *x = mc_find(mc, key, time(NULL));
    if (x) {
        mc_clear(x);
        mc->st.entries--;
        mc->st.deletes++;
    }
    pthread_mutex_unlock(&mc->mu);
    return x ? SSLNoErr : SSLNoMatchingSessionKeyErr;
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
