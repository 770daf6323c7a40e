/*
 * tcp_ceiling.c - the ceiling for tests/bench/compare-nss: plain TCP with no SSL at all.
 *   tcp_ceiling serve PORT THREADS          accept, write one short HTTP answer, close (until SIGTERM)
 *   tcp_ceiling client PORT CONNS THREADS   connect (TCP_NODELAY), send a request, read to EOF, close;
 *                                           prints "connections=N errors=E elapsed=S per_second=R"
 * Loopback only (127.0.0.1). Build: cc -O2 -std=c11 -D_GNU_SOURCE -pthread tcp_ceiling.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char answer[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char request[] = "GET / HTTP/1.0\r\n\r\n";

struct job {
    struct sockaddr_in addr;
    int lfd;
    long conns;
    _Atomic long next, errors;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *serve_thread(void *arg)
{
    struct job *j = arg;
    char buf[512];
    for (;;) {
        int fd = accept4(j->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        (void)read(fd, buf, sizeof buf); /* the request (one short segment) */
        (void)write(fd, answer, sizeof answer - 1);
        close(fd);
    }
    return NULL;
}

static void *client_thread(void *arg)
{
    struct job *j = arg;
    char buf[512];
    while (atomic_fetch_add(&j->next, 1) < j->conns) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ok = 0;
        if (fd >= 0) {
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (connect(fd, (struct sockaddr *)&j->addr, sizeof j->addr) == 0 &&
                write(fd, request, sizeof request - 1) == (ssize_t)sizeof request - 1) {
                ssize_t n, got = 0;
                while ((n = read(fd, buf, sizeof buf)) > 0)
                    got += n;
                ok = n == 0 && got == (ssize_t)sizeof answer - 1;
            }
            close(fd);
        }
        if (!ok)
            atomic_fetch_add(&j->errors, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static struct job j;
    int serve = argc == 4 && strcmp(argv[1], "serve") == 0;
    if (!serve && !(argc == 5 && strcmp(argv[1], "client") == 0)) {
        fprintf(stderr, "usage: tcp_ceiling serve PORT THREADS | client PORT CONNS THREADS\n");
        return 2;
    }
    int threads = atoi(argv[argc - 1]);
    if (threads < 1 || threads > 256)
        threads = 1;
    j.addr.sin_family = AF_INET;
    j.addr.sin_port = htons((uint16_t)atoi(argv[2]));
    j.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    signal(SIGPIPE, SIG_IGN);
    pthread_t tid[256];
    if (serve) {
        int one = 1;
        j.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        setsockopt(j.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (j.lfd < 0 || bind(j.lfd, (struct sockaddr *)&j.addr, sizeof j.addr) != 0 ||
            listen(j.lfd, 1024) != 0) {
            perror("tcp_ceiling: listen");
            return 1;
        }
        fprintf(stderr, "listening on 127.0.0.1:%s\n", argv[2]);
        for (int i = 1; i < threads; i++)
            pthread_create(&tid[i], NULL, serve_thread, &j);
        serve_thread(&j); /* SIGTERM ends the process */
        return 0;
    }
    j.conns = atol(argv[3]);
    double t0 = now_s();
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, client_thread, &j) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    double el = now_s() - t0;
    long errors = atomic_load(&j.errors);
    printf("connections=%ld errors=%ld elapsed=%.3f per_second=%.1f\n", j.conns, errors, el,
           (j.conns - errors) / (el > 0 ? el : 1e-9));
    return errors ? 1 : 0;
}
