/**
 * @file sessiondb.h
 * @brief A resumable-session cache in LMDB, shared by the threads of a process and by processes.
 *
 * This header is the manual. The cache stores the opaque session blobs that an SSLContext hands
 * to its session callbacks. SDBAddSession, SDBGetSession and SDBDeleteSession have exactly the
 * shapes of SSLAddSessionFunc, SSLGetSessionFunc and SSLDeleteSessionFunc (ssl.h); their
 * @c sessionRef is the SDBCache handle. A server wires the cache into every context with
 *
 * @code
 *     SDBCache *cache;                       // once per process, after fork()
 *     if (SDBOpen(&cache, "/var/cache/myserver/ssl", NULL) != SSLNoErr) ...;
 *     ...
 *     SSLSetAddSessionFunc(ctx, SDBAddSession);    // for every connection
 *     SSLSetGetSessionFunc(ctx, SDBGetSession);
 *     SSLSetDeleteSessionFunc(ctx, SDBDeleteSession);
 *     SSLSetSessionRef(ctx, cache);
 * @endcode
 *
 * A session added by one thread or process is found by every other at once (each call is one
 * short LMDB transaction). Each entry carries its expiry time; expired entries are misses and are
 * removed; when the cache reaches its entry or byte budget, or its trees reach 3/4 of the map (the
 * map guard: LMDB needs free pages even to delete), the entries that expire first are evicted
 * instead of the add failing. The store knows nothing of the protocol.
 *
 * @section files Files
 * The directory holds LMDB's data.mdb and lock.mdb and the cache's write lock, sdb.lock. SDBOpen
 * creates the directory with mode 0700 and the files with mode 0600 (entries hold master
 * secrets), refuses a directory that is not owned by the caller or that group or others can
 * access, and narrows existing files to 0600. SDBOpenDetail says why it refused and how to fix it
 * ("mode 0755 lets other users read master secrets; chmod 700 DIR"): print that, do not retry.
 *
 * @section wlock Bounded writes
 * A session add is an optimisation: every write (add, delete, the removal of a stale entry met by
 * a get, purge, repair) first takes the cache's write lock and gives up after
 * SDBOptions::writeWaitMs (default 5 ms) with SSLIOErr (SDBStats::lastError ETIMEDOUT), so a
 * writer that is stopped (SIGSTOP, a debugger) or hung inside a write costs other processes that
 * much per write, never a blocked handshake; gets take no lock and keep working. A writer that is
 * killed releases the lock (a robust mutex); its transaction is rolled back.
 *
 * @section memory Memory
 * SDBGetSession returns a buffer from the cache's alloc callback (SDBOptions::alloc); ownership
 * passes to the caller, who frees it with the matching free callback. The default pair is
 * malloc()/free(), the same as the default Alloc/Free of SSLInitContext(), so a context with
 * default memory callbacks frees cache buffers correctly. A context with its own Alloc/Free must
 * be given a cache opened with the same pair (and allocRef). SDBFreeBuffer() frees with the pair.
 *
 * @section durability Durability
 * By default the store runs with MDB_NOMETASYNC: data pages are flushed at each commit, the meta
 * page lazily. A killed process loses nothing that was committed; a system crash or power loss may
 * lose the last few entries but leaves the store readable (LMDB keeps the previous meta page).
 * SDB_NOSYNC drops every flush (much faster adds): use it only when the directory is on a tmpfs
 * (a power loss then empties the cache anyway). docs/sessiondb.md gives the reasoning.
 *
 * @section tiers Several machines
 * sessiondb_mc.h puts a memcached pool behind this cache (SDBMCAddSession, SDBMCGetSession,
 * SDBMCDeleteSession: same shapes, the SDBMemcached handle as ref), so sessions resume across
 * machines; SDBTicketKey / SDBMCTicketKey hold the session-ticket key ring.
 *
 * @section caveats Caveats
 * - Open the cache in each process AFTER fork(), never before: an LMDB environment must not cross
 *   a fork. A child that inherited a handle may only SDBClose() it, which then just frees memory.
 * - One handle serves all threads of a process at once; reads take no lock of ours (a small set of
 *   per-handle read transactions is claimed with one atomic exchange). Writes are serialised by
 *   the cache's write lock (see Bounded writes), then LMDB's own.
 * - Do not open the same directory twice in one process (an LMDB rule): share the handle.
 * - SDBClose() only when no thread is inside a call on that handle.
 * - Every process should open with the same mapSize and maxReaders: the first opener sets them.
 * - hits, misses and corrupt in SDBStats count this handle's calls; entries, bytes, evictions and
 *   expired are shared by all processes (they live in the store).
 * - Reader slots left by a killed process are freed by SDBOpen, every few seconds by writes, when
 *   the reader table is full, and by SDBReaderCheck().
 */
#ifndef SSLREF_SESSIONDB_H
#define SSLREF_SESSIONDB_H

#include <stddef.h>
#include <stdint.h>
#include "sslref/ssl.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open cache. Opaque; made by SDBOpen, destroyed by SDBClose. */
typedef struct SDBCache SDBCache;

/** SDBOptions::flags: no flushes at all (MDB_NOSYNC). Only for a directory on tmpfs. */
#define SDB_NOSYNC 0x1u

/** Largest session key (LMDB key limit minus the 8-byte expiry prefix of the index). */
#define SDB_MAX_KEY 503u
/** Largest session value accepted by SDBAddSession (also: key + value + 24 <= mapSize / 8). */
#define SDB_MAX_VALUE (1u << 20)

/** Options of SDBOpen. Fill with SDBDefaultOptions, then change what you need. */
typedef struct SDBOptions {
    size_t mapSize;      /**< LMDB map size, >= 1 MiB (default 256 MiB); the file grows to it */
    size_t maxBytes;     /**< byte budget: keys + values + 88 per entry; 0 = 2/5 of mapSize */
    uint32 maxEntries;   /**< entry budget; 0 = none, only the byte budget (default) */
    uint32 lifetime;     /**< seconds an entry lives (default 86400, SSL 3.0's suggested limit) */
    uint32 maxReaders;   /**< LMDB reader slots for all processes together (default 126); a
                              handle uses about one per concurrently reading thread */
    uint32 flags;        /**< 0 or SDB_NOSYNC */
    SSLAllocFunc alloc;  /**< allocates buffers returned by SDBGetSession (default malloc) */
    SSLFreeFunc free;    /**< frees them (default free); used by SDBFreeBuffer */
    void *allocRef;      /**< passed to alloc and free */
    SSLTimeFunc time;    /**< clock, seconds since 1970 (default time()); tests install a fake */
    void *timeRef;       /**< passed to time */
    uint32 writeWaitMs;  /**< how long a write waits for the write lock held by another writer
                              before it fails with SSLIOErr (default 5 ms; 0 = only try). Raise it
                              when commits flush to a slow disk and writers queue (see
                              docs/sessiondb.md); SDBOpen creating the tables waits at least 1 s */
    uint32 ticketRotate; /**< SDBTicketKey: a new session-ticket key every this many seconds
                              (default 3600; 0 = the default). The same on every process and
                              machine: keys are per period floor(time / ticketRotate) */
    uint32 ticketKeep;   /**< SDBTicketKey: previous keys that still open tickets (default 2) */
} SDBOptions;

/** Counters returned by SDBGetStats. */
typedef struct SDBStats {
    uint64_t entries;    /**< stored entries, expired ones not yet removed included (shared) */
    uint64_t bytes;      /**< budgeted bytes: keys + values + 88 per entry (shared) */
    uint64_t evictions;  /**< entries removed to respect a budget or a full map (shared, ever) */
    uint64_t expired;    /**< expired entries removed (shared, ever) */
    uint64_t hits;       /**< SDBGetSession calls that returned an entry (this handle) */
    uint64_t misses;     /**< SDBGetSession calls that missed (this handle) */
    uint64_t corrupt;    /**< corrupt or foreign records met, each a miss (this handle) */
    size_t mapSize;      /**< size of the map */
    size_t mapUsed;      /**< bytes of the map in use (highest page in use x page size) */
    uint32 maxReaders;   /**< reader slots in the lock file */
    uint32 readersUsed;  /**< reader slots ever taken (LMDB's high-water mark) */
    int lastError;       /**< last LMDB/errno code met by this handle (mdb_strerror), or 0 */
} SDBStats;

/** Result of SDBVerify: a full scan of the store. A consistent store has corrupt, dangling and
 *  unindexed all zero. */
typedef struct SDBVerifyReport {
    uint64_t entries;    /**< records in the session table */
    uint64_t valid;      /**< records whose header, length and checksum are correct */
    uint64_t expired;    /**< valid records whose expiry has passed */
    uint64_t corrupt;    /**< records that fail the checks */
    uint64_t indexed;    /**< entries in the expiry index */
    uint64_t dangling;   /**< index entries with no matching record */
    uint64_t unindexed;  /**< valid records with no index entry */
} SDBVerifyReport;

/**
 * Fill @p opt with the defaults listed in SDBOptions.
 * @param[out] opt the options to fill.
 */
void SDBDefaultOptions(SDBOptions *opt);

/**
 * Open (creating if needed) the cache in directory @p dir. Runs a stale-reader check.
 * @param[out] cache receives the handle; NULL on error.
 * @param[in] dir the directory; created 0700 if missing. Must be owned by the caller and not
 *            accessible to group or others.
 * @param[in] opt options, or NULL for the defaults. Copied; the caller keeps ownership.
 * @return SSLNoErr; SSLBadParameterErr (NULL argument, mapSize < 1 MiB, alloc or free NULL,
 *         unsafe directory); SSLMemoryErr; SSLIOErr (the directory or LMDB files could not be
 *         created or opened, e.g. a foreign or damaged file).
 */
SSLErr SDBOpen(SDBCache **cache, const char *dir, const SDBOptions *opt);

/**
 * SDBOpen that also says why it failed, in words a user can act on: what is wrong and how to fix
 * it, e.g. "/var/cache/ssl: mode 0755 lets other users read master secrets; chmod 700
 * /var/cache/ssl". Covers options, a missing parent, a path that is not a directory, a directory
 * of another owner or open to others, foreign files, LMDB errors. Thread-safe: the text goes only
 * to the caller's buffer.
 * @param[out] cache, dir, opt as for SDBOpen.
 * @param[out] why receives a NUL-terminated message on failure (truncated to @p whySize), an empty
 *             string on success; may be NULL.
 * @param[in] whySize size of @p why in bytes (256 is plenty for a short path).
 * @return as SDBOpen.
 */
SSLErr SDBOpenDetail(SDBCache **cache, const char *dir, const SDBOptions *opt, char *why,
                     size_t whySize);

/**
 * Close the cache and free the handle. NULL is ignored. In a process that did not open the
 * handle (a fork child) only memory is freed; the parent's store is not touched.
 * @param[in] cache the handle.
 */
void SDBClose(SDBCache *cache);

/**
 * SSLAddSessionFunc: store a copy of @p sessionData under @p sessionKey, replacing any entry,
 * to expire after SDBOptions::lifetime seconds. Evicts the entries that expire first when a budget
 * or the map would be exceeded, and removes a few expired entries on the way.
 * @param[in] sessionKey 1..SDB_MAX_KEY bytes; not kept.
 * @param[in] sessionData 0..SDB_MAX_VALUE bytes; copied.
 * @param[in] sessionRef the SDBCache handle.
 * @return SSLNoErr; SSLBadParameterErr (NULL handle or data, bad length); SSLMemoryErr (key +
 *         value + 24 exceeds mapSize / 8, or the map stayed full after evictions); SSLIOErr (the
 *         write lock stayed taken for SDBOptions::writeWaitMs: lastError ETIMEDOUT; or an LMDB
 *         failure) or SSLUnknownErr (SDBStats::lastError has the code).
 */
SSLErr SDBAddSession(SSLBuffer sessionKey, SSLBuffer sessionData, void *sessionRef);

/**
 * SSLGetSessionFunc: look up @p sessionKey. A hit fills @p sessionData with a fresh buffer from
 * SDBOptions::alloc (length set, data owned by the caller). A missing, expired or corrupt entry is
 * a miss; expired and corrupt entries are then removed. The value is copied out of the read
 * transaction before the alloc callback runs, so a slow alloc callback holds back no writer.
 * @param[in] sessionKey the key.
 * @param[out] sessionData receives the copy; {0, NULL} on any error.
 * @param[in] sessionRef the SDBCache handle.
 * @return SSLNoErr; SSLNoMatchingSessionKeyErr (miss); SSLBadParameterErr; SSLMemoryErr (or the
 *         alloc callback's error); SSLIOErr or SSLUnknownErr (an LMDB failure, e.g. the reader
 *         table stayed full for 2 s: a get waits for a free slot; see SDBOptions::maxReaders).
 */
SSLErr SDBGetSession(SSLBuffer sessionKey, SSLBuffer *sessionData, void *sessionRef);

/**
 * SSLDeleteSessionFunc: remove the entry for @p sessionKey.
 * @param[in] sessionKey the key.
 * @param[in] sessionRef the SDBCache handle.
 * @return SSLNoErr (a live entry was removed); SSLNoMatchingSessionKeyErr (no entry, or only an
 *         expired or corrupt one, which is removed too); SSLBadParameterErr; SSLIOErr (as for
 *         SDBAddSession: the write lock, or LMDB) or SSLUnknownErr.
 */
SSLErr SDBDeleteSession(SSLBuffer sessionKey, void *sessionRef);

/**
 * Free a buffer returned by SDBGetSession with the cache's free callback.
 * @param[in] cache the handle that returned it.
 * @param[in,out] buf the buffer; data is set to NULL and length to 0.
 * @return the free callback's result; SSLBadParameterErr for NULL arguments.
 */
SSLErr SDBFreeBuffer(SDBCache *cache, SSLBuffer *buf);

/**
 * Remove every expired entry (and any index entry without a record).
 * @param[in] cache the handle.
 * @param[out] removed if not NULL, receives the number of entries removed.
 * @return SSLNoErr; SSLBadParameterErr; SSLIOErr or SSLUnknownErr.
 */
SSLErr SDBPurge(SDBCache *cache, uint64_t *removed);

/**
 * Read the counters described in SDBStats.
 * @param[in] cache the handle.
 * @param[out] stats receives them.
 * @return SSLNoErr; SSLBadParameterErr; SSLIOErr or SSLUnknownErr.
 */
SSLErr SDBGetStats(SDBCache *cache, SDBStats *stats);

/**
 * Scan every record and index entry in one read transaction and check their consistency.
 * With @p repair non-zero the scan runs in a write transaction and removes corrupt records and
 * index entries that do not match a valid record (the report describes the store before repair).
 * @param[in] cache the handle.
 * @param[out] report receives the counts.
 * @param[in] repair 0 to only look, 1 to repair.
 * @return SSLNoErr (even if the report shows problems); SSLBadParameterErr; SSLIOErr or
 *         SSLUnknownErr.
 */
SSLErr SDBVerify(SDBCache *cache, SDBVerifyReport *report, int repair);

/**
 * Free reader slots held by processes that died (mdb_reader_check). Done automatically on open,
 * periodically and when the reader table is full; exposed for supervisors that reap workers.
 * @param[in] cache the handle.
 * @param[out] cleared if not NULL, receives the number of slots freed.
 * @return SSLNoErr; SSLBadParameterErr; SSLIOErr.
 */
SSLErr SDBReaderCheck(SDBCache *cache, int *cleared);

/** Size of a session-ticket key name (SDBTicketKey). */
#define SDB_TICKET_NAME 16
/** Size of a session-ticket key (SDBTicketKey). */
#define SDB_TICKET_KEY 32

/**
 * The session-ticket key ring (RFC 5077 keys), shared by every process that opens the cache.
 * Time is cut into periods of SDBOptions::ticketRotate seconds; each period has one key, made by
 * the first caller that needs it inside one LMDB write transaction, so that exactly one key per
 * period exists even when many processes race. The name is the period (8 bytes, big-endian) then
 * 8 random bytes. Keys live in the cache's LMDB file: put the cache directory on a tmpfs (see
 * docs/sessiondb.md) so that they never reach a disk.
 * @param[in] ref the SDBCache handle.
 * @param[in] seal 1: return the current period's key and its name (creating it if needed);
 *            0: return the key named @p name if it is the current one, one of the
 *            SDBOptions::ticketKeep previous ones, or the next period's (clock skew).
 * @param[in,out] name the 16-byte key name: written when @p seal, read otherwise.
 * @param[out] key the 32-byte key.
 * @return SSLNoErr; SSLNoMatchingSessionKeyErr (seal = 0: no such key in the ring, e.g. too
 *         old); SSLBadParameterErr; SSLIOErr (the write lock stayed taken for
 *         max(writeWaitMs, 100 ms), or LMDB failed) or SSLMemoryErr / SSLUnknownErr.
 */
SSLErr SDBTicketKey(void *ref, int seal, uint8 name[16], uint8 key[32]);

#ifdef __cplusplus
}
#endif

#endif
