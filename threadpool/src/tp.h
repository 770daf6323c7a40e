/*
 * tp.h - internals of the server framework (server.h): the server object, the per-thread worker
 * with its epoll loop, the connection, and the shared-memory counters. Ownership: a TPServer owns
 * the listening socket and the counter map; a worker process owns its cache handle and threads;
 * a worker thread owns its epoll descriptor and every connection it accepted (no other thread
 * ever touches them, so nothing here is locked).
 */
#ifndef TP_H
#define TP_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include "sslref/server.h"
#include "sslref/sessiondb.h"

#define TP_MAX_PROCESSES 64
#define TP_MAX_THREADS 64
#define TP_READ_CHUNK 16384
#define TP_MAX_PENDING (1u << 20)
#define TP_CORK_MAX 65536 /* engine output gathered per connection before a send is forced */

/* A byte queue: bytes [off, len) of p wait; allocated on demand and released once drained, so an
 * idle connection holds none. */
struct tp_bytes {
    uint8 *p;
    size_t len, off, cap;
};

/* One counter slot per worker thread, one writer each; padded to its own cache lines. */
enum tp_counter {
    TP_C_CONNECTIONS, TP_C_FULL, TP_C_RESUMED, TP_C_FAILURES, TP_C_REFUSED, TP_C_HS_TIMEOUTS,
    TP_C_IDLE_TIMEOUTS, TP_C_BYTES_IN, TP_C_BYTES_OUT, TP_C_ACTIVE, TP_C_COUNT
};
struct tp_slot {
    _Atomic uint64_t v[TP_C_COUNT];
    char pad[128 - (TP_C_COUNT * 8) % 128];
};
struct tp_shared {
    _Atomic uint64_t restarts;
    char pad[120];
    struct tp_slot slots[]; /* processes x threads */
};

struct TPServer {
    TPConfig cfg;
    int lfd, own_lfd, port, nproc;
    int nodelay_inherited; /* the listening socket has TCP_NODELAY: accepted ones inherit it */
    struct tp_shared *shared;
    size_t shared_len;
    int stop_fd;      /* eventfd: TPServerStop */
    int process;      /* index of this worker process (0 in-process) */
    SDBCache *cache;  /* this process's cache handle, opened after fork */
    struct tp_peers *peers; /* connections per peer address (maxConnsPerIp > 0), per process */
};

/* An intrusive deadline list (sorted by construction: every entry of a list uses the same
 * timeout, and a deadline only moves by going to the tail). */
struct tp_link {
    struct tp_link *prev, *next;
};

struct tp_worker;

enum tp_state { TP_HANDSHAKE, TP_OPEN, TP_CLOSING, TP_DEAD };

struct TPConn {
    struct tp_link link;  /* in the worker's handshake, idle or closing list; first member */
    int64_t deadline;     /* ms, monotonic */
    struct tp_worker *w;
    SSLContext *ctx;
    int fd;
    enum tp_state state;
    int opened;           /* open handler was called */
    int want_in;          /* EPOLLIN currently registered (not while closing) */
    int want_out;         /* EPOLLOUT currently registered */
    int wblocked;         /* the write callback met EAGAIN */
    int notify_writable;  /* a TPConnWrite could not complete: call writable when drained */
    int close_sent;       /* SSLClose has been called */
    int rdrained;         /* the last recv emptied the socket: no recv until the next EPOLLIN */
    int progress;         /* this drive delivered plaintext or sent bytes: the deadline moves */
    int peer_counted;     /* holds one of peer_addr's places in srv->peers */
    uint32_t peer_addr;   /* IPv4, network order */
    SSLErr reason;
    struct tp_bytes pend; /* plaintext not yet taken by SSLWrite */
    struct tp_bytes wout; /* engine output not yet sent: one send per drive */
    void *user;
    char peer[32];
};

struct tp_worker {
    TPServer *srv;
    int index;            /* thread index */
    int epfd, wake_fd;    /* wake_fd: eventfd, written to stop */
    _Atomic int stopping;
    int64_t stop_deadline;
    int64_t accept_resume;  /* accepting paused (EMFILE) until then; 0 = not paused */
    uint32 nconn;
    struct tp_link hs_list, idle_list, close_list;
    struct tp_slot *slot;
    uint8 rbuf[TP_READ_CHUNK];
};

/* tp_stats.c */
SSLErr tp_stats_map(TPServer *srv);
void tp_stats_unmap(TPServer *srv);
struct tp_slot *tp_stats_slot(TPServer *srv, int process, int thread);
void tp_stats_add(struct tp_slot *s, enum tp_counter c, uint64_t n);
void tp_stats_sub(struct tp_slot *s, enum tp_counter c, uint64_t n);
void tp_stats_sum(const TPServer *srv, int process, TPStats *st);
void tp_stats_reset_active(TPServer *srv, int process);

/* tp_time: monotonic milliseconds (tp_stats.c) */
int64_t tp_now_ms(void);

/* tp_loop.c */
SSLErr tp_loop_init(struct tp_worker *w, TPServer *srv, int index);
void tp_loop_fini(struct tp_worker *w);
void *tp_loop_run(void *arg);
void tp_loop_stop(struct tp_worker *w);
void tp_list_init(struct tp_link *l);
void tp_list_remove(struct tp_link *e);
void tp_list_append(struct tp_link *l, struct tp_link *e);
void tp_loop_interest(TPConn *c);

/* tp_conn.c */
TPConn *tp_conn_new(struct tp_worker *w, int fd, const char *peer, const char *peer_ip);
void tp_conn_drive(TPConn *c);
void tp_conn_readable(TPConn *c);
void tp_conn_timeout(TPConn *c);
void tp_conn_shutdown(TPConn *c);
void tp_conn_free(TPConn *c);

/* tp_peer.c: the per-address connection count of one process */
struct tp_peers *tp_peers_new(uint32 cap);
void tp_peers_free(struct tp_peers *p);
int tp_peers_take(struct tp_peers *p, uint32_t addr); /* 0, or -1: refuse the connection */
void tp_peers_release(struct tp_peers *p, uint32_t addr);

/* tp_worker.c: one worker process (its cache, its threads, its signals) */
int tp_worker_process(TPServer *srv, int process, int forked);

/* tp_super.c: the supervisor of forked worker processes */
SSLErr tp_super_run(TPServer *srv);

#endif
