/**
 * @file sessiondb_mc.h
 * @brief A memcached tier behind the LMDB session cache: resumption across machines.
 *
 * Each machine keeps its LMDB cache (sessiondb.h); the tier puts a pool of memcached servers
 * behind it, shared by all machines. SDBMCGetSession looks in LMDB, then in memcached, and on a
 * remote hit fills LMDB; SDBMCAddSession and SDBMCDeleteSession act on both. The three have the
 * shapes of SSLAddSessionFunc, SSLGetSessionFunc and SSLDeleteSessionFunc; their @c sessionRef is
 * the SDBMemcached handle:
 *
 * @code
 *     SDBCache *cache;  SDBMemcached *mc;  char why[512];
 *     SDBOpen(&cache, "/run/myserver/ssl", NULL);          // per process, after fork()
 *     SDBMemcachedOptions mo;
 *     SDBMemcachedDefaultOptions(&mo);
 *     mo.servers = "10.0.0.5:11211,10.0.0.6:11211";
 *     mo.keyFile = "/etc/myserver/cluster.key";
 *     if (SDBMemcachedOpen(&mc, cache, &mo, why, sizeof why) != SSLNoErr) puts(why);
 *     SSLSetAddSessionFunc(ctx, SDBMCAddSession);
 *     SSLSetGetSessionFunc(ctx, SDBMCGetSession);
 *     SSLSetDeleteSessionFunc(ctx, SDBMCDeleteSession);
 *     SSLSetSessionRef(ctx, mc);
 * @endcode
 *
 * @section proto Servers
 * libmemcached, binary protocol; keys are spread over the servers by ketama consistent hashing of
 * "host:port" (give every machine the same list); with SDBMemcachedOptions::replicas = R each entry
 * is also stored on the next R servers of the ring and a get falls through to them. Keys are
 * namespaced and hex: prefix "s:" hex(session key) (prefix "h:" hex(SHA-256) for long keys).
 *
 * @section seal Sealing
 * Entries in memcached are sealed with AES-256-GCM under a cluster key read from a file (mode 0600,
 * owned by the caller; refused otherwise with a message saying how to fix it). The file holds one
 * or more lines "ID HEX64" (blank lines and # comments allowed); the first key seals, all open, so
 * the cluster key rotates by putting a new line first and dropping the old one later. The entry
 * carries the key id and a random nonce; the memcached key is authenticated with it. An entry that
 * does not open (unknown key id, tampered, moved, expired) is a miss. memcached therefore never
 * sees a master secret in clear.
 *
 * @section fail Failures
 * A memcached that is down, stopped or answers garbage costs at most SDBMemcachedOptions::timeoutMs
 * per server tried (connect and each I/O wait) and a miss; handshakes never fail because of it.
 * After a failure the server is skipped by every thread of the handle for retryMs, then one call
 * probes it again. Each change of state (up -> down, down -> up) is logged once per handle through
 * SDBMemcachedOptions::log.
 *
 * @section threads Threads
 * One handle serves all threads of a process: it keeps a pool of connection sets, claimed with one
 * atomic exchange (no lock); a call that finds every set busy skips memcached (a miss). Open the
 * handle after fork(), like the SDBCache. Close it only when no thread is inside a call.
 */
#ifndef SSLREF_SESSIONDB_MC_H
#define SSLREF_SESSIONDB_MC_H

#include "sslref/sessiondb.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open memcached tier. Opaque; made by SDBMemcachedOpen, destroyed by SDBMemcachedClose. */
typedef struct SDBMemcached SDBMemcached;

/** A log sink: one line, without newline. */
typedef void (*SDBLogFunc)(void *ref, const char *line);

/** Options of SDBMemcachedOpen. Fill with SDBMemcachedDefaultOptions, then change what you need. */
typedef struct SDBMemcachedOptions {
    const char *servers;  /**< "HOST:PORT[,HOST:PORT...]", 1..32 servers (required). Give IP
                               addresses: a host name is resolved by libmemcached at each
                               (re)connect, and name resolution has no timeout */
    const char *keyFile;  /**< cluster key file (required; see Sealing) */
    uint32 timeoutMs;     /**< connect and I/O timeout per server, 1..10000 ms (default 50) */
    uint32 retryMs;       /**< a failed server is skipped this long, then retried (default 1000) */
    uint32 replicas;      /**< extra copies on the next servers of the ring, < servers (default 0) */
    uint32 connections;   /**< pooled connection sets, 1..1024 (default 64); about one per thread */
    const char *prefix;   /**< key namespace, 1..32 printable characters (default "sslref:") */
    SDBLogFunc log;       /**< state-change log (default: a line on stderr) */
    void *logRef;         /**< passed to log */
} SDBMemcachedOptions;

/** Counters of SDBMemcachedGetStats (this handle, since open). */
typedef struct SDBMemcachedStats {
    uint64_t localHits;   /**< gets answered by LMDB */
    uint64_t remoteHits;  /**< gets answered by memcached (then filled into LMDB) */
    uint64_t misses;      /**< gets answered by neither */
    uint64_t stores;      /**< entries stored in memcached (one per server written) */
    uint64_t errors;      /**< server operations that failed (timeout, connection, protocol) */
    uint64_t rejected;    /**< entries from memcached that did not open (key id, tag, expiry) */
    uint64_t skipped;     /**< server operations skipped: server marked down, or pool busy */
    uint32 serversDown;   /**< servers marked down right now */
} SDBMemcachedStats;

/** SDBMemcachedGet's @c level: where the entry was found. */
#define SDBMC_MISS 0
#define SDBMC_LOCAL 1
#define SDBMC_REMOTE 2

/**
 * Fill @p opt with the defaults listed in SDBMemcachedOptions.
 */
void SDBMemcachedDefaultOptions(SDBMemcachedOptions *opt);

/**
 * Open the tier over the LMDB cache @p local (which must stay open while the tier is). Reads the
 * key file and parses the server list; connects lazily (a server that is down is not an error).
 * @param[out] mc receives the handle; NULL on error.
 * @param[in] local the machine's cache.
 * @param[in] opt the options (copied, strings included).
 * @param[out] why receives a message saying what is wrong and how to fix it, on failure; may be
 *             NULL.
 * @param[in] whySize size of @p why.
 * @return SSLNoErr; SSLBadParameterErr (bad options, server list or key file, an unsafe key
 *         file mode); SSLIOErr (the key file cannot be read); SSLMemoryErr.
 */
SSLErr SDBMemcachedOpen(SDBMemcached **mc, SDBCache *local, const SDBMemcachedOptions *opt,
                        char *why, size_t whySize);

/** Close the tier (not the LMDB cache) and wipe its keys. NULL is ignored. */
void SDBMemcachedClose(SDBMemcached *mc);

/**
 * SSLAddSessionFunc: add to LMDB and to memcached (sealed, on the key's server and its replicas).
 * @return SSLNoErr if either level stored it, else LMDB's error.
 */
SSLErr SDBMCAddSession(SSLBuffer sessionKey, SSLBuffer sessionData, void *sessionRef);

/**
 * SSLGetSessionFunc: LMDB, then memcached (filling LMDB on a hit). Memory as SDBGetSession (the
 * LMDB cache's alloc callback).
 * @return SSLNoErr; SSLNoMatchingSessionKeyErr (a miss, whatever memcached did);
 *         SSLBadParameterErr; SSLMemoryErr.
 */
SSLErr SDBMCGetSession(SSLBuffer sessionKey, SSLBuffer *sessionData, void *sessionRef);

/**
 * SSLDeleteSessionFunc: delete from LMDB and memcached.
 * @return SSLNoErr if a live entry was removed from either; SSLNoMatchingSessionKeyErr otherwise;
 *         SSLBadParameterErr.
 */
SSLErr SDBMCDeleteSession(SSLBuffer sessionKey, void *sessionRef);

/**
 * SDBMCGetSession that also says which level answered.
 * @param[out] level SDBMC_LOCAL, SDBMC_REMOTE or SDBMC_MISS; may be NULL.
 */
SSLErr SDBMemcachedGet(SDBMemcached *mc, SSLBuffer sessionKey, SSLBuffer *sessionData,
                       int *level);

/**
 * SDBTicketKey (sessiondb.h) across machines: the ticket-key ring lives in each machine's LMDB and
 * in memcached, so that every machine seals and opens tickets with the same keys. A period's key
 * is taken from LMDB; a machine without it takes memcached's (the first of the key's servers that
 * answers; key prefix "t:" rotate ":" period, sealed with the cluster key), and when memcached has
 * none either, the first machine stores a fresh one there with add, so racing machines converge on
 * one key per period; the result is then stored in LMDB by one write transaction (one key per
 * period per machine). With memcached unreachable a machine makes its own key for the period (its
 * tickets then resume only on itself). Every machine needs the same SDBOptions::ticketRotate and
 * ticketKeep, and clocks within a period of each other.
 * @param[in] ref the SDBMemcached handle. Other parameters and results as SDBTicketKey.
 */
SSLErr SDBMCTicketKey(void *ref, int seal, uint8 name[16], uint8 key[32]);

/** Read the counters. @return SSLNoErr or SSLBadParameterErr. */
SSLErr SDBMemcachedGetStats(SDBMemcached *mc, SDBMemcachedStats *stats);

#ifdef __cplusplus
}
#endif

#endif
