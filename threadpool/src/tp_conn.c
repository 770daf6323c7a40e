/*
 * tp_conn.c - one connection: its non-blocking socket I/O callbacks, the state machine that drives
 * its SSLContext (handshake, open, closing), the per-connection plaintext output buffer (allocated
 * only while output is waiting, released once drained) and the TPConn API of server.h. Runs only on
 * the owning worker thread, so nothing is locked. SSLWouldBlockErr stops here: handlers never see it.
 * System calls are saved two ways: the engine's output is gathered and sent once per drive (a
 * resumed handshake's flight, or an answer and its close_notify, leave in one segment), and no
 * recv is tried after one that emptied the socket until epoll reports it readable again.
 * Deadlines move only on progress (plaintext delivered, bytes taken by the socket), never on a
 * mere wake-up, so a peer trickling a partial record is idle; a closing connection stops reading
 * and waits for writability only, so a peer that neither reads nor closes costs no CPU.
 */
#include "tp.h"
#include "sslref/sslx.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Queue n bytes at the end of b, first compacting, then growing (from @p first, doubling). */
static SSLErr bytes_append(struct tp_bytes *b, const void *data, size_t n, size_t first)
{
    if (b->off && b->len + n > b->cap) { /* compact before growing */
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : first;
        while (cap < b->len + n)
            cap *= 2;
        uint8 *p = realloc(b->p, cap);
        if (!p)
            return SSLMemoryErr;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return SSLNoErr;
}

static void bytes_release(struct tp_bytes *b)
{
    free(b->p);
    *b = (struct tp_bytes){0};
}

/* epoll reported the socket readable (or closed): recv may find something again. */
void tp_conn_readable(TPConn *c) { c->rdrained = 0; }

/* SSLIOFunc over a non-blocking socket; end of stream is SSLConnectionClosedError (ssl.h).
 * A short recv (less than asked) or EAGAIN means the socket is empty; anything that arrives later
 * makes the level-triggered epoll report it, so the next recv waits for that. */
static SSLErr conn_read(SSLBuffer data, uint32 *processed, void *ref)
{
    TPConn *c = ref;
    *processed = 0;
    if (c->rdrained)
        return SSLWouldBlockErr;
    for (;;) {
        ssize_t n = recv(c->fd, data.data, data.length, 0);
        if (n > 0) {
            *processed = (uint32)n;
            c->rdrained = (uint32)n < data.length;
            return SSLNoErr;
        }
        if (n == 0)
            return SSLConnectionClosedError;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->rdrained = 1;
            return SSLWouldBlockErr;
        }
        return SSLIOErr;
    }
}

/* Send what is gathered in c->wout. SSLNoErr once it is all gone (the buffer is then released),
 * SSLWouldBlockErr when the socket is full (c->wblocked set), SSLIOErr on a send error. */
static SSLErr conn_push(TPConn *c)
{
    struct tp_bytes *b = &c->wout;
    while (b->off < b->len) {
        ssize_t n = send(c->fd, b->p + b->off, b->len - b->off, MSG_NOSIGNAL);
        if (n > 0) {
            b->off += (size_t)n;
            c->progress = 1;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->wblocked = 1;
            return SSLWouldBlockErr;
        }
        return SSLIOErr;
    }
    bytes_release(b);
    return SSLNoErr;
}

/* The engine's write callback: gather (sent by conn_push at the end of the drive, or here once
 * TP_CORK_MAX bytes are waiting; beyond that the engine is told to wait for EPOLLOUT). */
static SSLErr conn_write(SSLBuffer data, uint32 *processed, void *ref)
{
    TPConn *c = ref;
    *processed = 0;
    struct tp_bytes *b = &c->wout;
    if (b->len - b->off + data.length > TP_CORK_MAX) {
        SSLErr e = conn_push(c);
        if (e == SSLIOErr)
            return e;
        if (e == SSLWouldBlockErr && b->len - b->off + data.length > TP_CORK_MAX)
            return SSLWouldBlockErr;
    }
    SSLErr e = bytes_append(b, data.data, data.length, 2048);
    if (e == SSLNoErr)
        *processed = data.length;
    return e;
}

TPConn *tp_conn_new(struct tp_worker *w, int fd, const char *peer, const char *peer_ip)
{
    TPServer *srv = w->srv;
    TPConn *c = calloc(1, sizeof *c);
    SSLContext *ctx = c ? malloc(SSLContextSize()) : NULL;
    if (!ctx) {
        free(c);
        return NULL;
    }
    c->w = w;
    c->fd = fd;
    c->ctx = ctx;
    c->state = TP_HANDSHAKE;
    c->want_in = 1; /* as tp_loop.c registers it */
    size_t pl = strnlen(peer, sizeof c->peer - 1);
    memcpy(c->peer, peer, pl); /* c is zeroed: NUL-terminated */
    SSLErr e = SSLDuplicateContext(srv->cfg.tmpl, ctx, c);
    if (e == SSLNoErr) {
        SSLSetReadFunc(ctx, conn_read);
        SSLSetWriteFunc(ctx, conn_write);
        if (srv->cache) {
            SSLSetAddSessionFunc(ctx, SDBAddSession);
            SSLSetGetSessionFunc(ctx, SDBGetSession);
            SSLSetDeleteSessionFunc(ctx, SDBDeleteSession);
            SSLSetSessionRef(ctx, srv->cache);
            if (!srv->cfg.noTickets) /* RFC 5077 keys from the cache's shared ring */
                SSLXSetTicketKeyFunc(ctx, SDBTicketKey, srv->cache);
        }
        /* Any peer ID turns on server-side caching; the context frees it (default Free = free). */
        size_t n = strlen(peer_ip);
        SSLBuffer id = {(uint32)n, malloc(n ? n : 1)};
        if (!id.data)
            e = SSLMemoryErr;
        else {
            memcpy(id.data, peer_ip, n);
            e = SSLSetPeerID(ctx, id);
        }
    }
    if (e != SSLNoErr) {
        SSLDeleteContext(ctx);
        free(ctx);
        free(c);
        return NULL;
    }
    c->deadline = tp_now_ms() + srv->cfg.handshakeTimeoutMs;
    tp_list_append(&w->hs_list, &c->link);
    w->nconn++;
    tp_stats_add(w->slot, TP_C_ACTIVE, 1); /* before connections: see --once in sslref-server */
    tp_stats_add(w->slot, TP_C_CONNECTIONS, 1);
    return c;
}

void tp_conn_free(TPConn *c)
{
    struct tp_worker *w = c->w;
    tp_list_remove(&c->link);
    (void)conn_push(c); /* best effort: a last alert or close_notify still gathered */
    SSLDeleteContext(c->ctx);
    free(c->ctx);
    bytes_release(&c->pend);
    bytes_release(&c->wout);
    close(c->fd); /* also removes it from the epoll set */
    if (c->peer_counted)
        tp_peers_release(w->srv->peers, c->peer_addr);
    w->nconn--;
    tp_stats_sub(w->slot, TP_C_ACTIVE, 1);
    free(c);
}

/* The end of a connection: tell the application (if it saw open), then free everything. */
static void conn_finish(TPConn *c, SSLErr reason, int failure)
{
    const TPConfig *cfg = &c->w->srv->cfg;
    if (failure)
        tp_stats_add(c->w->slot, TP_C_FAILURES, 1);
    if (!c->opened && c->state == TP_HANDSHAKE && cfg->handlers.handshakeFailed)
        cfg->handlers.handshakeFailed(c, reason, cfg->appRef);
    c->state = TP_DEAD;
    if (c->opened && cfg->handlers.close)
        cfg->handlers.close(c, reason, cfg->appRef);
    tp_conn_free(c);
}

/* Move plaintext from the pending buffer into the engine and the engine's queue to the socket. */
static SSLErr conn_flush(TPConn *c)
{
    struct tp_bytes *b = &c->pend;
    while (b->off < b->len) {
        size_t left = b->len - b->off;
        uint32 n = left > TP_READ_CHUNK ? TP_READ_CHUNK : (uint32)left;
        SSLErr e = SSLWrite(b->p + b->off, &n, c->ctx);
        b->off += n;
        if (e == SSLWouldBlockErr)
            return e; /* what was consumed is queued; wait for EPOLLOUT before queueing more */
        if (e != SSLNoErr)
            return e;
    }
    bytes_release(b); /* drained: bounded memory for idle connections */
    return SSLServiceWriteQueue(c->ctx);
}

/* Set the epoll interest: EPOLLOUT only while the socket refused bytes; EPOLLIN except while
 * closing (nothing more is read then, and a peer's pending bytes or end of stream would wake us
 * at once, forever). Errors and hang-ups are always reported. */
static void conn_interest(TPConn *c)
{
    int in = c->state != TP_CLOSING;
    if (c->wblocked != c->want_out || in != c->want_in) {
        c->want_out = c->wblocked;
        c->want_in = in;
        tp_loop_interest(c);
    }
}

/* Move c to the tail of @p l with a deadline @p ms from now (the list stays sorted). */
static void conn_deadline(TPConn *c, struct tp_link *l, uint32 ms)
{
    tp_list_remove(&c->link);
    c->deadline = tp_now_ms() + ms;
    tp_list_append(l, &c->link);
}

/* Progress was made: push the open or closing deadline forward (not while stopping: the stop
 * grace period rules then). Handshakes keep their deadline from accept. */
static void conn_touch(TPConn *c)
{
    struct tp_worker *w = c->w;
    c->progress = 0;
    if (atomic_load_explicit(&w->stopping, memory_order_relaxed))
        return;
    if (c->state == TP_OPEN)
        conn_deadline(c, &w->idle_list, w->srv->cfg.idleTimeoutMs);
    else if (c->state == TP_CLOSING)
        conn_deadline(c, &w->close_list, w->srv->cfg.closeTimeoutMs);
}

/* Start closing: reads stop (conn_interest), and the closing deadline starts. */
static void conn_begin_close(TPConn *c, SSLErr reason)
{
    c->state = TP_CLOSING;
    c->reason = reason;
    conn_deadline(c, &c->w->close_list, c->w->srv->cfg.closeTimeoutMs);
}

static void conn_established(TPConn *c)
{
    struct tp_worker *w = c->w;
    const TPConfig *cfg = &w->srv->cfg;
    int resumed = 0;
    (void)SSLXGetResumed(c->ctx, &resumed);
    tp_stats_add(w->slot, resumed ? TP_C_RESUMED : TP_C_FULL, 1);
    c->state = TP_OPEN;
    c->opened = 1;
    conn_deadline(c, &w->idle_list, cfg->idleTimeoutMs);
}

/* Read everything available and hand it to the data handler. 0 to go on, -1 if c was freed. */
static int conn_read_all(TPConn *c)
{
    struct tp_worker *w = c->w;
    const TPConfig *cfg = &w->srv->cfg;
    while (c->state == TP_OPEN) {
        uint32 n = TP_READ_CHUNK;
        SSLErr e = SSLRead(w->rbuf, &n, c->ctx);
        if (n > 0) { /* a whole record's plaintext (or part of one already decrypted) */
            c->progress = 1;
            tp_stats_add(w->slot, TP_C_BYTES_IN, n);
            if (cfg->handlers.data && cfg->handlers.data(c, w->rbuf, n, cfg->appRef)) {
                conn_finish(c, SSLIOErr, 1);
                return -1;
            }
        }
        if (e == SSLNoErr)
            continue;
        if (e == SSLWouldBlockErr)
            break;
        if (e == SSLConnectionClosedGraceful) { /* close_notify: answer with ours, then close */
            conn_begin_close(c, e);
            break;
        }
        /* A peer that disconnects without close_notify after the handshake is not a failure of
         * ours (many clients do it); everything else is. */
        conn_finish(c, e, e != SSLConnectionClosedError);
        return -1;
    }
    return 0;
}

void tp_conn_drive(TPConn *c)
{
    struct tp_worker *w = c->w;
    const TPConfig *cfg = &w->srv->cfg;
    c->wblocked = 0;
    c->progress = 0;
    if (c->state == TP_HANDSHAKE) {
        SSLErr e = SSLHandshake(c->ctx);
        if (e == SSLWouldBlockErr) {
            if (conn_push(c) == SSLIOErr) {
                conn_finish(c, SSLIOErr, 1);
                return;
            }
            conn_interest(c);
            return;
        }
        if (e != SSLNoErr) {
            conn_finish(c, e, 1);
            return;
        }
        conn_established(c);
        if (cfg->handlers.open && cfg->handlers.open(c, cfg->appRef)) {
            conn_finish(c, SSLIOErr, 1);
            return;
        }
    }
    if (c->state == TP_OPEN && conn_read_all(c) < 0)
        return;
    for (int round = 0;; round++) {
        SSLErr e = conn_flush(c);
        if (e == SSLWouldBlockErr)
            break;
        if (e != SSLNoErr) {
            conn_finish(c, e, 1);
            return;
        }
        if (c->state == TP_CLOSING) {
            e = c->close_sent ? SSLServiceWriteQueue(c->ctx) : SSLClose(c->ctx);
            c->close_sent = 1;
            if (e == SSLNoErr)
                e = conn_push(c); /* the answer and close_notify leave together */
            if (e == SSLWouldBlockErr)
                break;
            conn_finish(c, c->reason, 0);
            return;
        }
        if (!c->notify_writable || !cfg->handlers.writable || c->state != TP_OPEN)
            break;
        if (round == 16) { /* fairness: come back through epoll (the socket is writable) */
            c->wblocked = 1;
            break;
        }
        c->notify_writable = 0; /* the handler may write again: flush that too */
        if (cfg->handlers.writable(c, cfg->appRef)) {
            conn_finish(c, SSLIOErr, 1);
            return;
        }
    }
    if (conn_push(c) == SSLIOErr) {
        conn_finish(c, SSLIOErr, 1);
        return;
    }
    if (c->progress)
        conn_touch(c);
    conn_interest(c);
}

void tp_conn_timeout(TPConn *c)
{
    if (c->state == TP_HANDSHAKE) {
        tp_stats_add(c->w->slot, TP_C_HS_TIMEOUTS, 1);
        conn_finish(c, SSLIOErr, 1);
        return;
    }
    if (c->state == TP_OPEN) {
        tp_stats_add(c->w->slot, TP_C_IDLE_TIMEOUTS, 1);
        (void)SSLClose(c->ctx); /* best effort close_notify; the socket is closed anyway */
    }
    conn_finish(c, SSLIOErr, 0);
}

/* The stop grace period is over: close_notify to open connections, close everything. */
void tp_conn_shutdown(TPConn *c)
{
    if (c->state == TP_HANDSHAKE) {
        conn_finish(c, SSLIOErr, 1);
        return;
    }
    if (!c->close_sent)
        (void)SSLClose(c->ctx);
    conn_finish(c, SSLNoErr, 0);
}

/* ---- server.h connection API ---------------------------------------------------------------- */

SSLErr TPConnWrite(TPConn *c, const void *data, size_t len)
{
    if (!c || (!data && len))
        return SSLBadParameterErr;
    if (c->state != TP_OPEN)
        return SSLConnectionClosedError;
    if (len == 0)
        return SSLNoErr;
    if (c->pend.len - c->pend.off + len > TP_MAX_PENDING)
        return SSLOverflowErr;
    SSLErr e = bytes_append(&c->pend, data, len, 4096);
    if (e != SSLNoErr)
        return e;
    tp_stats_add(c->w->slot, TP_C_BYTES_OUT, len);
    c->notify_writable = 1; /* the writable handler runs once this has gone to the kernel */
    /* Sealed after the handler returns (tp_conn_drive): writes of one handler call share
     * records and one send. A fatal error then ends the connection. */
    return SSLNoErr;
}

void TPConnClose(TPConn *c)
{
    if (c && c->state == TP_OPEN)
        conn_begin_close(c, SSLNoErr);
}

SSLContext *TPConnContext(TPConn *c) { return c ? c->ctx : NULL; }
const char *TPConnPeer(const TPConn *c) { return c ? c->peer : ""; }
void TPConnSetUserData(TPConn *c, void *data) { if (c) c->user = data; }
void *TPConnUserData(const TPConn *c) { return c ? c->user : NULL; }
int TPConnProcess(const TPConn *c) { return c ? c->w->srv->process : -1; }
int TPConnThread(const TPConn *c) { return c ? c->w->index : -1; }
