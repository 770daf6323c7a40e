/*
 * tp_peer.c - the per-address connection cap (TPConfig::maxConnsPerIp): how many connections each
 * IPv4 address has open in this worker process. One table per process, shared by its threads
 * under one mutex that is taken only at accept and at close, and only when the cap is set. The
 * table holds an entry per address with open connections (freed at zero), so it is bounded by
 * the connections themselves. Per process, not per server: with P processes an address may hold
 * up to P x cap connections (docs/operations.md).
 */
#include "tp.h"
#include <pthread.h>
#include <stdlib.h>

#define PEER_BUCKETS 1024 /* a power of two */

struct tp_peer_ent {
    struct tp_peer_ent *next;
    uint32_t addr;
    uint32 count;
};

struct tp_peers {
    pthread_mutex_t lock;
    uint32 cap;
    struct tp_peer_ent *bucket[PEER_BUCKETS];
};

struct tp_peers *tp_peers_new(uint32 cap)
{
    struct tp_peers *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    p->cap = cap;
    return p;
}

void tp_peers_free(struct tp_peers *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < PEER_BUCKETS; i++)
        while (p->bucket[i]) {
            struct tp_peer_ent *e = p->bucket[i];
            p->bucket[i] = e->next;
            free(e);
        }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static struct tp_peer_ent **peers_slot(struct tp_peers *p, uint32_t addr)
{
    uint32_t h = addr * 2654435761u; /* Fibonacci hashing: the high bits are well mixed */
    struct tp_peer_ent **e = &p->bucket[h >> 22]; /* 32 - log2(PEER_BUCKETS) */
    while (*e && (*e)->addr != addr)
        e = &(*e)->next;
    return e;
}

int tp_peers_take(struct tp_peers *p, uint32_t addr)
{
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    struct tp_peer_ent **e = peers_slot(p, addr);
    if (!*e) {
        *e = calloc(1, sizeof **e);
        if (*e)
            (*e)->addr = addr;
    }
    if (!*e || (*e)->count >= p->cap)
        rc = -1; /* over the cap, or out of memory: refuse rather than go uncounted */
    else
        (*e)->count++;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void tp_peers_release(struct tp_peers *p, uint32_t addr)
{
    pthread_mutex_lock(&p->lock);
    struct tp_peer_ent **e = peers_slot(p, addr);
    if (*e && (*e)->count > 0 && --(*e)->count == 0) {
        struct tp_peer_ent *dead = *e;
        *e = dead->next;
        free(dead);
    }
    pthread_mutex_unlock(&p->lock);
}
