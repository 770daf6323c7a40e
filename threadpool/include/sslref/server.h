/**
 * @file server.h
 * @brief The sslref server framework: worker processes x worker threads, each thread an epoll loop
 *        that owns its connections and drives their SSLContexts over non-blocking sockets.
 *
 * This header is the manual. A server is configured once (TPConfig), created (TPServerCreate opens
 * the listening socket, so port 0 can be resolved at once with TPServerPort) and run
 * (TPServerRun blocks until SIGTERM/SIGINT or TPServerStop). The application sees plaintext only,
 * through four handlers; it never sees SSLWouldBlockErr.
 *
 * @code
 *     TPConfig cfg;
 *     TPDefaultConfig(&cfg);
 *     cfg.bindAddr = "127.0.0.1"; cfg.port = 4433;
 *     cfg.tmpl = tmpl;                 // a server-side SSLContext with key and certificates
 *     cfg.threads = 2; cfg.processes = 2; cfg.cacheDir = "/var/cache/myserver/ssl";
 *     cfg.handlers.data = on_data;     // echo: TPConnWrite(c, data, len)
 *     TPServer *srv;
 *     if (TPServerCreate(&srv, &cfg) != SSLNoErr) ...;
 *     TPServerRun(srv);                // returns after SIGTERM, in-flight connections finished
 *     TPServerGetStats(srv, -1, &st);
 *     TPServerFree(srv);
 * @endcode
 *
 * @section model Model
 * - Each connection gets its own context: SSLDuplicateContext(tmpl, ctx, conn) plus a peer ID (the
 *   client's address), which turns on server-side session caching. With TPConfig::cacheDir the
 *   framework opens a sessiondb (LMDB) cache in each worker process after fork and wires
 *   SDBAdd/Get/DeleteSession into every connection; otherwise the template's own session
 *   callbacks (if any) are used.
 * - A connection belongs to exactly one worker thread for its whole life (the thread that accepted
 *   it); all handlers for it run on that thread, so they need no locking for per-connection data.
 *   Nothing on the per-connection path takes a lock of ours, except, when maxConnsPerIp is set,
 *   one short per-process mutex around the per-address count at accept and at close; the shared
 *   counters are per-thread slots in shared memory updated with relaxed atomics.
 * - Deadlines: a handshake must complete within handshakeTimeoutMs of accept; an open connection
 *   lives while it makes progress (idleTimeoutMs); a closing one while its output drains
 *   (closeTimeoutMs). A peer that trickles a partial record, or neither reads nor closes, is
 *   dropped at its deadline and costs no CPU meanwhile.
 * - All threads accept from one shared non-blocking listening socket (EPOLLEXCLUSIVE wakes one).
 *   Sockets get TCP_NODELAY. A thread at TPConfig::maxConnections accepts and immediately closes
 *   further connections (counted as refused) rather than leaving them queued; so does any thread
 *   when the peer's address already has TPConfig::maxConnsPerIp connections open in this process.
 * - processes <= 1 runs the threads in the calling process. processes >= 2 makes TPServerRun a
 *   supervisor: it forks that many worker processes, restarts one that dies (counted in
 *   TPStats::restarts), and on SIGTERM/SIGINT forwards SIGTERM and waits for all of them.
 *
 * @section caveats Caveats
 * - TPServerRun blocks SIGTERM, SIGINT (and, as supervisor, SIGCHLD) in the calling thread and reads
 *   them with signalfd; call it from the main thread before starting other threads, or block those
 *   signals in every thread yourself. SIGPIPE must be ignored by the application (sends use
 *   MSG_NOSIGNAL, but the application's own descriptors may not).
 * - The template context must not be changed or deleted while the server runs; it is only read.
 * - Handlers of one connection run on one thread, but handlers of different connections run on
 *   different threads at once: shared application state needs the application's own locking.
 * - With processes >= 2, worker processes start from fork() of the supervisor: open per-process
 *   resources (databases, log files) in TPHandlers::processInit, never before TPServerRun.
 * - A TPConn pointer is valid from the open handler until the close handler returns.
 */
#ifndef SSLREF_SERVER_H
#define SSLREF_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "sslref/ssl.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A server: configuration, listening socket, shared counters. Opaque. */
typedef struct TPServer TPServer;
/** One accepted connection, owned by one worker thread. Opaque. */
typedef struct TPConn TPConn;

/**
 * The application's callbacks. Every one is optional (NULL). Return values: 0 keeps the connection,
 * non-zero closes it at once (abortive: no close_notify, counted as a failure).
 */
typedef struct TPHandlers {
    /** Once per worker process (after fork, before its threads start); @p process is 0..P-1.
     *  Non-zero makes the process exit (the supervisor restarts it). */
    int (*processInit)(int process, void *appRef);
    /** The handshake has completed (the context can be inspected with TPConnContext). */
    int (*open)(TPConn *c, void *appRef);
    /** @p len > 0 bytes of plaintext arrived. The buffer is valid only during the call. */
    int (*data)(TPConn *c, const uint8 *data, size_t len, void *appRef);
    /** Everything written with TPConnWrite (since the last call) has been handed to the kernel:
     *  write the next piece of a long response here (back-pressure). Called once after each
     *  handler that wrote, as soon as the output has drained (at once if the socket took it). */
    int (*writable)(TPConn *c, void *appRef);
    /** A handshake failed or timed out (@p err: the engine's error, SSLIOErr for a timeout).
     *  For logging: TPConnContext and TPConnPeer work; the connection is closed after the call. */
    void (*handshakeFailed)(TPConn *c, SSLErr err, void *appRef);
    /** The connection is going away. @p reason is SSLNoErr after a clean close by either side,
     *  SSLConnectionClosedGraceful when the peer sent close_notify, SSLConnectionClosedError when it
     *  just disconnected, SSLIOErr on a timeout, or the fatal protocol error. Called only for
     *  connections that reached open. Do not call TPConnWrite from here. */
    void (*close)(TPConn *c, SSLErr reason, void *appRef);
} TPHandlers;

/** Counters, summed over threads (and processes). All are totals since TPServerCreate except
 *  active. Restarted workers keep their predecessors' totals. */
typedef struct TPStats {
    uint64_t connections;        /**< accepted and handed to the engine */
    uint64_t full;               /**< completed full handshakes */
    uint64_t resumed;            /**< completed handshakes that resumed a cached session */
    uint64_t failures;           /**< handshake or protocol failures (timeouts included) */
    uint64_t refused;            /**< accepted and closed at once: maxConnections or
                                      maxConnsPerIp reached */
    uint64_t hsTimeouts;         /**< connections closed by the handshake timeout */
    uint64_t idleTimeouts;       /**< connections closed by the idle timeout (closing ones that
                                      run out of closeTimeoutMs are not counted here) */
    uint64_t bytesIn;            /**< plaintext bytes delivered to the data handler */
    uint64_t bytesOut;           /**< plaintext bytes accepted by TPConnWrite */
    uint64_t active;             /**< connections open right now */
    uint64_t restarts;           /**< worker processes restarted after dying (supervisor only) */
} TPStats;

/** Server configuration. Fill with TPDefaultConfig, then change what you need. */
typedef struct TPConfig {
    const char *bindAddr;        /**< IPv4 address to listen on (default "127.0.0.1") */
    int port;                    /**< TCP port; 0 picks a free one (see TPServerPort) */
    int listenFd;                /**< >= 0: use this already listening socket instead (default -1) */
    int backlog;                 /**< listen() backlog (default 1024) */
    SSLContext *tmpl;            /**< server-side template context (required); only read */
    int threads;                 /**< worker threads per process (default 1) */
    int processes;               /**< worker processes; <= 1 runs in the calling process (default 1) */
    const char *cacheDir;        /**< sessiondb directory shared by all processes, or NULL */
    uint32 maxConnections;       /**< open connections per worker thread (default 4096) */
    /** Open connections per peer IPv4 address in each worker process (shared by its threads;
     *  with P processes an address may hold up to P times as many); 0 = no cap (default). */
    uint32 maxConnsPerIp;
    uint32 handshakeTimeoutMs;   /**< accept to handshake complete (default 10000) */
    /** An established connection without progress is closed after this (default 60000).
     *  Progress is plaintext received (a whole record: a partial one does not count) or output
     *  taken by the peer's socket; wake-ups, stray bytes and refused sends do not count. */
    uint32 idleTimeoutMs;
    /** A closing connection (TPConnClose, or close_notify received) that makes no progress
     *  sending what is left and its close_notify is dropped after this (default 5000). Reads
     *  stop when closing; the connection then waits only for its socket to drain. */
    uint32 closeTimeoutMs;
    uint32 shutdownTimeoutMs;    /**< grace for in-flight connections on stop (default 5000) */
    uint32 statsIntervalMs;      /**< call onStats this often while running; 0 = never (default) */
    /** Called in the process that called TPServerRun with the totals, every statsIntervalMs. */
    void (*onStats)(const TPStats *total, void *appRef);
    TPHandlers handlers;         /**< the application's callbacks */
    void *appRef;                /**< passed to every handler */
    /** Seconds an entry of the cacheDir cache lives (SDBOptions::lifetime); 0 = the sessiondb
     *  default (86400). Match it to SSLXSetSessionLifetime on the template. */
    uint32 cacheLifetime;
    /** With cacheDir, the server issues RFC 5077 session tickets sealed under the cache's shared,
     *  rotating key ring (SDBTicketKey: one key per ticketRotate seconds for every process that
     *  opens the cache); 1 turns tickets off. Without cacheDir the template's own
     *  SSLXSetTicketKeyFunc, if any, is used. */
    int noTickets;
    /** Seconds per ticket key (SDBOptions::ticketRotate); 0 = 3600. */
    uint32 ticketRotate;
} TPConfig;

/** Fill @p cfg with the defaults listed in TPConfig. */
void TPDefaultConfig(TPConfig *cfg);

/**
 * Create a server: check @p cfg (copied; strings must outlive the server), open the listening
 * socket (unless cfg->listenFd >= 0) and map the shared counters.
 * @param[out] srv the new server.
 * @return SSLNoErr; SSLBadParameterErr (no template, threads < 1, bad address); SSLIOErr (socket,
 *         bind or listen failed: errno tells why); SSLMemoryErr.
 */
SSLErr TPServerCreate(TPServer **srv, const TPConfig *cfg);

/** The port the server listens on (the chosen one when cfg.port was 0). */
int TPServerPort(const TPServer *srv);

/**
 * Run until SIGTERM/SIGINT or TPServerStop, then stop accepting, give in-flight connections
 * shutdownTimeoutMs to finish, send close_notify to the rest and return. May be called once.
 * @return SSLNoErr; SSLIOErr if the cache could not be opened, a thread or process could not be
 *         started, a signal descriptor could not be made, or (processes >= 2) a worker died
 *         within a second of starting five times in a row (e.g. processInit or the cache fails).
 */
SSLErr TPServerRun(TPServer *srv);

/** Ask a running server to stop, from any thread (not from a signal handler). */
void TPServerStop(TPServer *srv);

/**
 * Read the counters.
 * @param[in] process -1 for the sum over all processes, else one worker process index 0..P-1.
 * @param[out] st the counters.
 * @return SSLNoErr or SSLBadParameterErr (process out of range).
 */
SSLErr TPServerGetStats(const TPServer *srv, int process, TPStats *st);

/** Number of worker processes (1 when running in-process). */
int TPServerProcesses(const TPServer *srv);

/** Close the listening socket (if the server opened it) and free the server. NULL is ignored. */
void TPServerFree(TPServer *srv);

/* ---- Connection API: only from a handler running for @p c (its owning thread) ------------- */

/**
 * Send @p len bytes of plaintext. The bytes are copied (what the engine cannot take at once is
 * buffered per connection and flushed as the socket drains), so the call never blocks and never
 * reports would-block. @return SSLNoErr; SSLMemoryErr; SSLOverflowErr when more than 1 MiB is
 * already waiting (slow reader: stop writing until the writable handler); the connection's fatal error.
 */
SSLErr TPConnWrite(TPConn *c, const void *data, size_t len);

/** Close cleanly: flush what was written, send close_notify, then close the socket. Data arriving
 *  afterwards is dropped. */
void TPConnClose(TPConn *c);

/** The connection's SSLContext, for inspection (SSLGetNegotiatedCipher, SSLXGetResumed, ...).
 *  Do not call SSLRead, SSLWrite, SSLClose or SSLHandshake on it. */
SSLContext *TPConnContext(TPConn *c);

/** The peer's address as "a.b.c.d:port". */
const char *TPConnPeer(const TPConn *c);

/** Application data attached to the connection (NULL at open). */
void TPConnSetUserData(TPConn *c, void *data);
void *TPConnUserData(const TPConn *c);

/** Worker process index (0..P-1) and thread index (0..T-1) that own @p c. */
int TPConnProcess(const TPConn *c);
int TPConnThread(const TPConn *c);

#ifdef __cplusplus
}
#endif
#endif
