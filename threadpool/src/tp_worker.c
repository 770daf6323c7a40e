/*
 * tp_worker.c - one worker process (the calling process when processes <= 1, else a child forked
 * by the supervisor): opens its own session cache handle (after fork, as LMDB requires), runs the
 * application's processInit, starts T worker threads and waits on a signalfd (SIGTERM/SIGINT) and
 * the stop eventfd; then stops every thread and waits for them to drain.
 */
#include "tp.h"
#include "sslref/sslx.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Wait for a stop request; calls onStats meanwhile (in-process mode only). */
static void worker_wait(TPServer *srv, int sfd, int forked)
{
    const TPConfig *cfg = &srv->cfg;
    int64_t next_stats = cfg->statsIntervalMs ? tp_now_ms() + cfg->statsIntervalMs : 0;
    for (;;) {
        struct pollfd pf[2] = {{sfd, POLLIN, 0}, {srv->stop_fd, POLLIN, 0}};
        int timeout = -1;
        if (!forked && next_stats) {
            int64_t d = next_stats - tp_now_ms();
            timeout = d < 0 ? 0 : (int)d;
        }
        int n = poll(pf, forked ? 1 : 2, timeout);
        if (n < 0 && errno != EINTR)
            return;
        if (n > 0 && (pf[0].revents || (!forked && pf[1].revents)))
            return;
        if (!forked && next_stats && tp_now_ms() >= next_stats) {
            TPStats st;
            tp_stats_sum(srv, -1, &st);
            if (cfg->onStats)
                cfg->onStats(&st, cfg->appRef);
            next_stats += cfg->statsIntervalMs;
        }
    }
}

int tp_worker_process(TPServer *srv, int process, int forked)
{
    const TPConfig *cfg = &srv->cfg;
    srv->process = process;
    if (forked) {
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM); /* a killed supervisor takes its workers along */
        tp_stats_reset_active(srv, process);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit the mask: only sfd sees them */
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        return 1;
    int rc = 1;
    struct tp_worker *ws = NULL;
    pthread_t *tids = NULL;
    int started = 0;
    if (cfg->cacheDir) {
        SDBOptions opt;
        SDBDefaultOptions(&opt);
        if (cfg->cacheLifetime)
            opt.lifetime = cfg->cacheLifetime;
        if (cfg->ticketRotate)
            opt.ticketRotate = cfg->ticketRotate;
        SSLErr e = SDBOpen(&srv->cache, cfg->cacheDir, &opt);
        if (e != SSLNoErr) {
            fprintf(stderr, "sslref: worker %d: cannot open session cache %s: %s\n", process,
                    cfg->cacheDir, SSLXErrorName(e));
            goto out;
        }
    }
    if (cfg->handlers.processInit && cfg->handlers.processInit(process, cfg->appRef))
        goto out;
    ws = calloc((size_t)cfg->threads, sizeof *ws);
    tids = calloc((size_t)cfg->threads, sizeof *tids);
    if (!ws || !tids)
        goto out;
    for (int t = 0; t < cfg->threads; t++)
        ws[t].epfd = ws[t].wake_fd = -1;
    for (; started < cfg->threads; started++) {
        if (tp_loop_init(&ws[started], srv, started) != SSLNoErr ||
            pthread_create(&tids[started], NULL, tp_loop_run, &ws[started]) != 0) {
            tp_loop_fini(&ws[started]);
            goto stop;
        }
    }
    worker_wait(srv, sfd, forked);
    rc = 0;
stop:
    for (int t = 0; t < started; t++)
        tp_loop_stop(&ws[t]);
    for (int t = 0; t < started; t++) {
        pthread_join(tids[t], NULL);
        tp_loop_fini(&ws[t]);
    }
out:
    free(ws);
    free(tids);
    SDBClose(srv->cache);
    srv->cache = NULL;
    close(sfd);
    return rc;
}
