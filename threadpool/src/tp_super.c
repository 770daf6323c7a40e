/*
 * tp_super.c - the supervisor (processes >= 2): forks P worker processes that share the listening
 * socket and the counter map, restarts a worker that dies (after a short pause if it died right
 * after starting, so a crash loop cannot spin; after 5 such deaths in a row it gives up and stops
 * the server with SSLIOErr), and on SIGTERM/SIGINT/TPServerStop sends SIGTERM
 * to every worker and waits for them (SIGKILL after the grace period plus 3 s). Single-threaded.
 */
#include "tp.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct super_child {
    pid_t pid;
    int64_t started;
    int quick_deaths; /* consecutive deaths within 1 s of starting */
};

#define SUPER_GIVE_UP 5   /* that many quick deaths in a row: the worker cannot start */

static pid_t super_spawn(TPServer *srv, int p, int sfd)
{
    fflush(NULL); /* no stdio buffer may be written twice */
    pid_t pid = fork();
    if (pid == 0) {
        close(sfd);
        _exit(tp_worker_process(srv, p, 1));
    }
    return pid;
}

static int super_alive(const struct super_child *ch, int n)
{
    int alive = 0;
    for (int i = 0; i < n; i++)
        alive += ch[i].pid > 0;
    return alive;
}

SSLErr tp_super_run(TPServer *srv)
{
    const TPConfig *cfg = &srv->cfg;
    struct super_child ch[TP_MAX_PROCESSES] = {{0, 0, 0}};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return SSLIOErr;
    SSLErr result = SSLNoErr;
    for (int p = 0; p < srv->nproc; p++) {
        ch[p].pid = super_spawn(srv, p, sfd);
        ch[p].started = tp_now_ms();
        if (ch[p].pid < 0) {
            result = SSLIOErr;
            break;
        }
    }
    int stopping = result != SSLNoErr;
    int64_t kill_at = 0, next_stats = cfg->statsIntervalMs ? tp_now_ms() + cfg->statsIntervalMs : 0;
    if (stopping) {
        for (int p = 0; p < srv->nproc; p++)
            if (ch[p].pid > 0)
                kill(ch[p].pid, SIGTERM);
        kill_at = tp_now_ms() + cfg->shutdownTimeoutMs + 3000;
    }
    while (!stopping || super_alive(ch, srv->nproc)) {
        struct pollfd pf[2] = {{sfd, POLLIN, 0}, {srv->stop_fd, POLLIN, 0}};
        int n = poll(pf, 2, 200);
        if (n < 0 && errno != EINTR)
            break;
        struct signalfd_siginfo si;
        int stop_now = pf[1].revents != 0;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
                stop_now = 1;
        /* reap every dead worker (SIGCHLD coalesces, so always poll waitpid) */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int p = 0; p < srv->nproc; p++) {
                if (ch[p].pid != pid)
                    continue;
                ch[p].pid = 0;
                if (stopping)
                    break;
                if (WIFSIGNALED(status))
                    fprintf(stderr, "sslref: worker %d (pid %d) killed by signal %d; restarting\n",
                            p, (int)pid, WTERMSIG(status));
                else
                    fprintf(stderr, "sslref: worker %d (pid %d) exited with %d; restarting\n", p,
                            (int)pid, WEXITSTATUS(status));
                if (tp_now_ms() - ch[p].started < 1000) {
                    if (++ch[p].quick_deaths >= SUPER_GIVE_UP) {
                        fprintf(stderr, "sslref: worker %d keeps dying at start; stopping\n", p);
                        result = SSLIOErr;
                        stop_now = 1;
                        break;
                    }
                    struct timespec ts = {0, 500 * 1000000L};
                    nanosleep(&ts, NULL); /* crash loop guard */
                } else {
                    ch[p].quick_deaths = 0;
                }
                atomic_fetch_add(&srv->shared->restarts, 1);
                tp_stats_reset_active(srv, p);
                ch[p].pid = super_spawn(srv, p, sfd);
                ch[p].started = tp_now_ms();
            }
        }
        if (stop_now && !stopping) {
            stopping = 1;
            for (int p = 0; p < srv->nproc; p++)
                if (ch[p].pid > 0)
                    kill(ch[p].pid, SIGTERM);
            kill_at = tp_now_ms() + cfg->shutdownTimeoutMs + 3000;
        }
        if (stopping && tp_now_ms() > kill_at) {
            for (int p = 0; p < srv->nproc; p++)
                if (ch[p].pid > 0)
                    kill(ch[p].pid, SIGKILL);
            kill_at = tp_now_ms() + 1000;
        }
        if (!stopping && next_stats && tp_now_ms() >= next_stats) {
            TPStats st;
            tp_stats_sum(srv, -1, &st);
            if (cfg->onStats)
                cfg->onStats(&st, cfg->appRef);
            next_stats += cfg->statsIntervalMs;
        }
    }
    close(sfd); /* the signals stay blocked (server.h): one arriving now must not kill us */
    return result;
}
