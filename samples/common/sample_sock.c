/*
 * sample_sock.c - blocking IPv4 sockets and the SSLIOFunc callbacks of the samples. Interrupted
 * calls are retried; a timeout (SO_RCVTIMEO) is an I/O error, never a would-block, because the
 * samples drive the library in blocking mode.
 */
#include "sample_sock.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int sock_listen(const char *bind_addr, int port, int *bound)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1) {
        fprintf(stderr, "bad --bind address %s (IPv4 only)\n", bind_addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) {
        fprintf(stderr, "cannot listen on %s:%d: %s\n", bind_addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *bound = ntohs(a.sin_port);
    return fd;
}

int sock_accept(int lfd, char *peer, size_t cap, char *peer_ip, size_t ipcap)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = accept4(lfd, (struct sockaddr *)&a, &len, SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    snprintf(peer, cap, "%s:%u", ip, (unsigned)ntohs(a.sin_port));
    snprintf(peer_ip, ipcap, "%s", ip);
    return fd;
}

int sock_connect(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "cannot resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        freeaddrinfo(res);
        return -1;
    }
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        fprintf(stderr, "cannot connect to %s:%d: %s\n", host, port, strerror(errno));
        close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

void sock_set_timeout(int fd, int seconds)
{
    struct timeval tv = {seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

SSLErr sock_read(SSLBuffer data, uint32 *processed, void *ioRef)
{
    int fd = (int)(intptr_t)ioRef;
    *processed = 0;
    if (data.length == 0)
        return SSLNoErr;
    for (;;) {
        ssize_t n = recv(fd, data.data, data.length, 0);
        if (n > 0) {
            *processed = (uint32)n;
            return SSLNoErr;
        }
        if (n == 0)
            return SSLConnectionClosedError;
        if (errno != EINTR)
            return SSLIOErr;
    }
}

SSLErr sock_write(SSLBuffer data, uint32 *processed, void *ioRef)
{
    int fd = (int)(intptr_t)ioRef;
    uint32 done = 0;
    while (done < data.length) {
        ssize_t n = send(fd, data.data + done, data.length - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *processed = done;
            return SSLIOErr;
        }
        done += (uint32)n;
    }
    *processed = done;
    return SSLNoErr;
}
