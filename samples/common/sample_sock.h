/*
 * sample_sock.h - blocking TCP sockets for the sample programs: listen/accept/connect on IPv4
 * and the two SSLIOFunc callbacks (ioRef is the descriptor cast to a pointer, see SOCK_REF).
 * Reads report end of stream as SSLConnectionClosedError, as ssl.h asks.
 */
#ifndef SAMPLE_SOCK_H
#define SAMPLE_SOCK_H

#include <stdint.h>
#include "sslref/ssl.h"

#define SOCK_REF(fd) ((void *)(intptr_t)(fd))

/** Listen on bind:port (port 0 picks a free one); *bound receives the port. -1 on error (printed). */
int sock_listen(const char *bind_addr, int port, int *bound);
/** Accept one connection; fills peer ("a.b.c.d:port", cap bytes) and peer_ip ("a.b.c.d").
 *  Returns -1 with errno set (EINTR when a signal arrived). */
int sock_accept(int lfd, char *peer, size_t cap, char *peer_ip, size_t ipcap);
/** Connect to host:port (IPv4 name or address). -1 on error (printed). */
int sock_connect(const char *host, int port);
/** Give up on a peer that sends nothing for @p seconds (SO_RCVTIMEO/SO_SNDTIMEO). */
void sock_set_timeout(int fd, int seconds);

/** SSLIOFunc over a blocking socket: recv() what is there (at least one byte). */
SSLErr sock_read(SSLBuffer data, uint32 *processed, void *ioRef);
/** SSLIOFunc over a blocking socket: send() everything. */
SSLErr sock_write(SSLBuffer data, uint32 *processed, void *ioRef);

#endif
