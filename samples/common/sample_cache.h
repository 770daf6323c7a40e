/*
 * sample_cache.h - a small in-process session cache for the samples: a fixed table of entries
 * (hash-indexed: O(1) per call) behind one mutex, implementing the SSLAdd/Get/DeleteSessionFunc
 * shapes of ssl.h (sessionRef is the struct memcache). Thread-safe. Buffers returned by
 * memcache_get come from malloc(), which matches the default Alloc/Free of SSLInitContext (a
 * context with its own allocator needs another cache). For sharing sessions between processes use
 * sessiondb (LMDB) instead.
 */
#ifndef SAMPLE_CACHE_H
#define SAMPLE_CACHE_H

#include <stdint.h>
#include "sslref/ssl.h"

struct memcache;

/** A cache of at most @p capacity entries, each alive @p lifetime seconds. NULL on no memory. */
struct memcache *memcache_new(uint32 capacity, uint32 lifetime);
/** Free the cache and wipe its entries (they hold master secrets). NULL is ignored. */
void memcache_free(struct memcache *mc);

/** SSLAddSessionFunc: copy; replaces an entry with the same key, else evicts the oldest if full. */
SSLErr memcache_add(SSLBuffer key, SSLBuffer data, void *ref);
/** SSLGetSessionFunc: a malloc'd copy, or SSLNoMatchingSessionKeyErr (missing or expired). */
SSLErr memcache_get(SSLBuffer key, SSLBuffer *data, void *ref);
/** SSLDeleteSessionFunc. */
SSLErr memcache_delete(SSLBuffer key, void *ref);

/** Counters since creation. */
struct memcache_stats {
    uint64_t adds, hits, misses, deletes, entries;
};
void memcache_stats(struct memcache *mc, struct memcache_stats *out);

/** Install the three callbacks and the ref on @p ctx. */
void memcache_attach(struct memcache *mc, SSLContext *ctx);

#endif
