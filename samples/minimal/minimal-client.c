/*
 * minimal-client.c - the smallest complete sslref client (docs/embedding.md): blocking socket,
 * SSL 3.0, one HTTP/1.0 request, the answer to stdout. Only the public API (ssl.h, sslx.h).
 * Build: cc minimal-client.c $(pkg-config --cflags --libs --static sslref) -o minimal-client
 * Run:   ./minimal-client 127.0.0.1 4433
 */
#include <sslref/ssl.h>
#include <sslref/sslx.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* SSLIOFunc: the ioRef is the socket descriptor. End of stream is SSLConnectionClosedError. */
static SSLErr sock_read(SSLBuffer data, uint32 *processed, void *ioRef)
{
    ssize_t n = recv((int)(intptr_t)ioRef, data.data, data.length, 0);
    *processed = n > 0 ? (uint32)n : 0;
    return n > 0 ? SSLNoErr : n == 0 ? SSLConnectionClosedError : SSLIOErr;
}

static SSLErr sock_write(SSLBuffer data, uint32 *processed, void *ioRef)
{
    ssize_t n = send((int)(intptr_t)ioRef, data.data, data.length, MSG_NOSIGNAL);
    *processed = n > 0 ? (uint32)n : 0; /* a short write is fine: the library calls again */
    return n >= 0 ? SSLNoErr : SSLIOErr;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IPv4-ADDRESS PORT\n", argv[0]);
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        return 1;
    }

    SSLContext *ctx = malloc(SSLContextSize());      /* the context is opaque: size it at run time */
    SSLErr err = SSLInitContext(ctx);                /* defaults: malloc, getrandom(), time() */
    if (err == SSLNoErr) err = SSLSetProtocolSide(ctx, SSL_ClientSide);
    if (err == SSLNoErr) err = SSLSetReadFunc(ctx, sock_read);
    if (err == SSLNoErr) err = SSLSetWriteFunc(ctx, sock_write);
    if (err == SSLNoErr) err = SSLSetIORef(ctx, (void *)(intptr_t)fd);
    /* No SSLCheckCertificateFunc: every server certificate is accepted. A real client installs
     * one (SSLSetCheckCertificateFunc) and checks the chain against its trust anchors. */
    if (err == SSLNoErr) err = SSLHandshake(ctx);

    char request[] = "GET / HTTP/1.0\r\n\r\n";
    uint32 len = sizeof request - 1;
    if (err == SSLNoErr) err = SSLWrite(request, &len, ctx); /* blocking: all of it is sent */

    while (err == SSLNoErr) {                        /* read until the server closes */
        char buf[4096];
        len = sizeof buf;
        err = SSLRead(buf, &len, ctx);
        fwrite(buf, 1, len, stdout);
    }
    if (err == SSLConnectionClosedGraceful)          /* the server sent close_notify */
        err = SSLClose(ctx);                         /* answer it; the session stays resumable */
    if (err != SSLNoErr)
        fprintf(stderr, "error: %s\n", SSLXErrorName(err));

    SSLDeleteContext(ctx);                           /* wipes secrets, frees buffers */
    free(ctx);
    close(fd);
    return err == SSLNoErr ? 0 : 1;
}
