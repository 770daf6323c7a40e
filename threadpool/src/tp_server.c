/*
 * tp_server.c - the TPServer object: configuration defaults and checks, the shared listening
 * socket (opened before any fork so every worker process inherits it), the counter map, the stop
 * eventfd, the per-address count (tp_peer.c; each forked process inherits an empty one), and
 * TPServerRun's choice between running in-process and supervising worker processes.
 */
#include "tp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

void TPDefaultConfig(TPConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bindAddr = "127.0.0.1";
    cfg->listenFd = -1;
    cfg->backlog = 1024;
    cfg->threads = 1;
    cfg->processes = 1;
    cfg->maxConnections = 4096;
    cfg->handshakeTimeoutMs = 10000;
    cfg->idleTimeoutMs = 60000;
    cfg->closeTimeoutMs = 5000;
    cfg->shutdownTimeoutMs = 5000;
}

static int server_listen(TPServer *srv)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)srv->cfg.port);
    if (inet_pton(AF_INET, srv->cfg.bindAddr, &sa.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* inherited by accept */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, srv->cfg.backlog) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

SSLErr TPServerCreate(TPServer **out, const TPConfig *cfg)
{
    if (!out || !cfg || !cfg->tmpl || cfg->threads < 1 || cfg->threads > TP_MAX_THREADS ||
        cfg->processes > TP_MAX_PROCESSES || cfg->maxConnections == 0 || cfg->port < 0 ||
        cfg->port > 65535 || (cfg->listenFd < 0 && !cfg->bindAddr))
        return SSLBadParameterErr;
    *out = NULL;
    TPServer *srv = calloc(1, sizeof *srv);
    if (!srv)
        return SSLMemoryErr;
    srv->cfg = *cfg;
    srv->nproc = cfg->processes < 1 ? 1 : cfg->processes;
    srv->stop_fd = -1;
    srv->lfd = -1;
    SSLErr e = tp_stats_map(srv);
    if (e != SSLNoErr)
        goto fail;
    if (cfg->maxConnsPerIp && !(srv->peers = tp_peers_new(cfg->maxConnsPerIp))) {
        e = SSLMemoryErr;
        goto fail;
    }
    srv->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (srv->stop_fd < 0) {
        e = SSLIOErr;
        goto fail;
    }
    if (cfg->listenFd >= 0) {
        srv->lfd = cfg->listenFd;
        int fl = fcntl(srv->lfd, F_GETFL);
        if (fl < 0 || fcntl(srv->lfd, F_SETFL, fl | O_NONBLOCK) < 0) {
            e = SSLIOErr;
            goto fail;
        }
    } else {
        srv->lfd = server_listen(srv);
        if (srv->lfd < 0) {
            e = errno == EINVAL ? SSLBadParameterErr : SSLIOErr;
            goto fail;
        }
        srv->own_lfd = 1;
    }
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (getsockname(srv->lfd, (struct sockaddr *)&sa, &sl) == 0 && sa.sin_family == AF_INET)
        srv->port = ntohs(sa.sin_port);
    int nd = 0;
    socklen_t nl = sizeof nd;
    srv->nodelay_inherited = getsockopt(srv->lfd, IPPROTO_TCP, TCP_NODELAY, &nd, &nl) == 0 && nd;
    *out = srv;
    return SSLNoErr;
fail:
    {
        int err = errno;
        TPServerFree(srv);
        errno = err;
    }
    return e;
}

int TPServerPort(const TPServer *srv) { return srv ? srv->port : -1; }
int TPServerProcesses(const TPServer *srv) { return srv ? srv->nproc : 0; }

SSLErr TPServerRun(TPServer *srv)
{
    if (!srv)
        return SSLBadParameterErr;
    if (srv->cfg.processes <= 1)
        return tp_worker_process(srv, 0, 0) == 0 ? SSLNoErr : SSLIOErr;
    return tp_super_run(srv);
}

void TPServerStop(TPServer *srv)
{
    uint64_t one = 1;
    if (srv && srv->stop_fd >= 0) {
        ssize_t r = write(srv->stop_fd, &one, sizeof one);
        (void)r;
    }
}

SSLErr TPServerGetStats(const TPServer *srv, int process, TPStats *st)
{
    if (!srv || !st || process < -1 || process >= srv->nproc)
        return SSLBadParameterErr;
    tp_stats_sum(srv, process, st);
    return SSLNoErr;
}

void TPServerFree(TPServer *srv)
{
    if (!srv)
        return;
    if (srv->own_lfd && srv->lfd >= 0)
        close(srv->lfd);
    if (srv->stop_fd >= 0)
        close(srv->stop_fd);
    tp_stats_unmap(srv);
    tp_peers_free(srv->peers);
    free(srv);
}
