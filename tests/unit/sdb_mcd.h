/*
 * sdb_mcd.h - real memcached daemons for the memcached tier tests (tests/unit/sdb_mc.c,
 * sdb_ticket.c): started on a free loopback port, waited for, killed by PID (and by
 * PR_SET_PDEATHSIG if the test process dies first). Header-only: only sdb_*.c are tests.
 */
#ifndef SDB_MCD_H
#define SDB_MCD_H

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static inline int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &l) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

static inline int can_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

struct daemon {
    pid_t pid;
    int port;
};

/* Start memcached on a free loopback port; retry with another port if it did not come up. */
static inline struct daemon start_memcached(void)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = free_port();
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            char p[16];
            snprintf(p, sizeof p, "%d", port);
            execlp("memcached", "memcached", "-u", "root", "-l", "127.0.0.1", "-p", p, "-U", "0",
                   "-m", "16", (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 200; i++) {
            if (can_connect(port))
                return (struct daemon){pid, port};
            if (waitpid(pid, NULL, WNOHANG) == pid)
                break;
            usleep(10000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    cr_assert_fail("memcached did not start (is it installed? scripts/install-deps.sh)");
    return (struct daemon){0, 0};
}

/* SIGSTOP the daemon and return once it is stopped: the signal is asynchronous, and a memcached thread
 * still running on the other core could otherwise answer the next request. */
static inline void pause_daemon(struct daemon *d)
{
    int st;
    cr_assert_eq(kill(d->pid, SIGSTOP), 0);
    cr_assert_eq(waitpid(d->pid, &st, WUNTRACED), d->pid);
    cr_assert(WIFSTOPPED(st), "memcached exited instead of stopping");
}

static inline void stop_daemon(struct daemon *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGCONT);
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
}


#endif
