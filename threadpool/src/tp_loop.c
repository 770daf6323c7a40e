/*
 * tp_loop.c - one worker thread: its epoll set (the shared listening socket with EPOLLEXCLUSIVE,
 * a wake-up eventfd, its own connections), accepting with the per-thread connection limit and the
 * per-address cap, the handshake, idle and closing deadline lists, and the stop sequence (stop
 * accepting, let in-flight connections finish until the grace period ends, then close_notify and
 * close the rest).
 */
#include "tp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOOP_EVENTS 64
#define LOOP_ACCEPT_BURST 32

void tp_list_init(struct tp_link *l) { l->prev = l->next = l; }

void tp_list_remove(struct tp_link *e)
{
    if (e->next) {
        e->prev->next = e->next;
        e->next->prev = e->prev;
    }
    e->prev = e->next = NULL;
}

void tp_list_append(struct tp_link *l, struct tp_link *e)
{
    e->prev = l->prev;
    e->next = l;
    l->prev->next = e;
    l->prev = e;
}

SSLErr tp_loop_init(struct tp_worker *w, TPServer *srv, int index)
{
    w->srv = srv;
    w->index = index;
    w->slot = tp_stats_slot(srv, srv->process, index);
    tp_list_init(&w->hs_list);
    tp_list_init(&w->idle_list);
    tp_list_init(&w->close_list);
    atomic_init(&w->stopping, 0);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->wake_fd < 0)
        return SSLIOErr;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->wake_fd};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) != 0)
        return SSLIOErr;
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.ptr = &srv->lfd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) != 0)
        return SSLIOErr;
    return SSLNoErr;
}

void tp_loop_fini(struct tp_worker *w)
{
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    w->epfd = w->wake_fd = -1;
}

void tp_loop_stop(struct tp_worker *w)
{
    uint64_t one = 1;
    atomic_store(&w->stopping, 1);
    ssize_t r = write(w->wake_fd, &one, sizeof one);
    (void)r;
}

void tp_loop_interest(TPConn *c)
{
    struct epoll_event ev = {.events = (c->want_in ? EPOLLIN : 0) | (c->want_out ? EPOLLOUT : 0),
                             .data.ptr = c};
    (void)epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Decimal digits of v at p; returns the end. */
static char *loop_dec(char *p, unsigned v)
{
    char d[5];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < 5);
    while (n)
        *p++ = d[--n];
    return p;
}

/* "a.b.c.d" into ip and "a.b.c.d:port" into peer: what inet_ntop and "%s:%u" make, without the
 * printf machinery (a few percent of the user-space work of a resumed handshake). */
static void loop_peer(const struct sockaddr_in *sa, char ip[INET_ADDRSTRLEN], char peer[32])
{
    const uint8_t *a = (const uint8_t *)&sa->sin_addr.s_addr; /* network order */
    char *p = ip;
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = loop_dec(p, a[i]);
    }
    *p = 0;
    size_t n = (size_t)(p - ip); /* <= 15 */
    memcpy(peer, ip, n);
    p = peer + n;
    *p++ = ':';
    p = loop_dec(p, ntohs(sa->sin_port));
    *p = 0;
}

static void loop_accept(struct tp_worker *w)
{
    TPServer *srv = w->srv;
    for (int i = 0; i < LOOP_ACCEPT_BURST; i++) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(srv->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: the level-triggered listener would wake us at once and
                 * forever. Leave the set for 100 ms; the backlog waits (or overflows). */
                (void)epoll_ctl(w->epfd, EPOLL_CTL_DEL, srv->lfd, NULL);
                w->accept_resume = tp_now_ms() + 100;
            }
            return; /* EAGAIN: another thread took it */
        }
        if (w->nconn >= srv->cfg.maxConnections ||
            (srv->peers && tp_peers_take(srv->peers, sa.sin_addr.s_addr) != 0)) {
            tp_stats_add(w->slot, TP_C_REFUSED, 1); /* refused, not queued */
            close(fd);
            continue;
        }
        int one = 1;
        if (!srv->nodelay_inherited)
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char ip[INET_ADDRSTRLEN], peer[32];
        loop_peer(&sa, ip, peer);
        TPConn *c = tp_conn_new(w, fd, peer, ip);
        if (!c) {
            if (srv->peers)
                tp_peers_release(srv->peers, sa.sin_addr.s_addr);
            tp_stats_add(w->slot, TP_C_FAILURES, 1);
            close(fd);
            continue;
        }
        c->peer_addr = sa.sin_addr.s_addr;
        c->peer_counted = srv->peers != NULL; /* given back by tp_conn_free */
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            tp_conn_shutdown(c);
            continue;
        }
        tp_conn_drive(c); /* the ClientHello may already be there */
    }
}

/* Close connections whose deadline has passed (each list is sorted by deadline). */
static void loop_expire(struct tp_link *l, int64_t now)
{
    while (l->next != l) {
        TPConn *c = (TPConn *)l->next;
        if (c->deadline > now)
            break;
        tp_conn_timeout(c);
    }
}

static int64_t loop_first(const struct tp_link *l, int64_t next)
{
    if (l->next != l && ((const TPConn *)l->next)->deadline < next)
        return ((const TPConn *)l->next)->deadline;
    return next;
}

static int loop_timeout(struct tp_worker *w, int64_t now)
{
    int64_t next = now + 1000;
    next = loop_first(&w->hs_list, next);
    next = loop_first(&w->idle_list, next);
    next = loop_first(&w->close_list, next);
    if (w->stop_deadline && w->stop_deadline < next)
        next = w->stop_deadline;
    if (w->accept_resume && w->accept_resume < next)
        next = w->accept_resume;
    return next <= now ? 0 : (int)(next - now);
}

static void loop_begin_stop(struct tp_worker *w)
{
    if (w->stop_deadline)
        return;
    (void)epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->srv->lfd, NULL);
    w->stop_deadline = tp_now_ms() + w->srv->cfg.shutdownTimeoutMs;
    if (w->stop_deadline == 0)
        w->stop_deadline = 1;
}

void *tp_loop_run(void *arg)
{
    struct tp_worker *w = arg;
    struct epoll_event evs[LOOP_EVENTS];
    for (;;) {
        int n = epoll_wait(w->epfd, evs, LOOP_EVENTS, loop_timeout(w, tp_now_ms()));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &w->wake_fd) {
                uint64_t v;
                ssize_t r = read(w->wake_fd, &v, sizeof v);
                (void)r;
                if (atomic_load(&w->stopping))
                    loop_begin_stop(w);
            } else if (p == &w->srv->lfd) {
                if (!w->stop_deadline)
                    loop_accept(w);
            } else {
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
                    tp_conn_readable(p);
                tp_conn_drive(p);
            }
        }
        int64_t now = tp_now_ms();
        if (w->accept_resume && now >= w->accept_resume) {
            w->accept_resume = 0;
            struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &w->srv->lfd};
            if (!w->stop_deadline)
                (void)epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->srv->lfd, &ev);
        }
        loop_expire(&w->hs_list, now);
        loop_expire(&w->idle_list, now);
        loop_expire(&w->close_list, now);
        if (w->stop_deadline) {
            if (w->nconn == 0)
                break;
            if (now >= w->stop_deadline) {
                while (w->hs_list.next != &w->hs_list)
                    tp_conn_shutdown((TPConn *)w->hs_list.next);
                while (w->idle_list.next != &w->idle_list)
                    tp_conn_shutdown((TPConn *)w->idle_list.next);
                while (w->close_list.next != &w->close_list)
                    tp_conn_shutdown((TPConn *)w->close_list.next);
                break;
            }
        }
    }
    return NULL;
}
