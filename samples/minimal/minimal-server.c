/*
 * minimal-server.c - the smallest complete sslref server (docs/embedding.md): blocking sockets,
 * SSL 3.0, one connection at a time; reads one request line and answers it. Only the public API.
 * Build: cc minimal-server.c $(pkg-config --cflags --libs --static sslref) -o minimal-server
 * Run:   ./minimal-server 4433 server-chain.pem server-key.pem [count]
 *        (serves `count` connections, default 1, then exits)
 */
#include <sslref/ssl.h>
#include <sslref/sslx.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static SSLErr sock_read(SSLBuffer data, uint32 *processed, void *ioRef)
{
    ssize_t n = recv((int)(intptr_t)ioRef, data.data, data.length, 0);
    *processed = n > 0 ? (uint32)n : 0;
    return n > 0 ? SSLNoErr : n == 0 ? SSLConnectionClosedError : SSLIOErr;
}

static SSLErr sock_write(SSLBuffer data, uint32 *processed, void *ioRef)
{
    ssize_t n = send((int)(intptr_t)ioRef, data.data, data.length, MSG_NOSIGNAL);
    *processed = n > 0 ? (uint32)n : 0;
    return n >= 0 ? SSLNoErr : SSLIOErr;
}

/* Read a whole (small) file into a NUL-terminated malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(1 << 16) : NULL;
    *len = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    if (buf)
        buf[*len] = 0;
    if (f)
        fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORT CHAIN.pem KEY.pem [COUNT]\n", argv[0]);
        return 2;
    }
    int count = argc > 4 ? atoi(argv[4]) : 1;

    /* One template context holds the configuration: side, key, certificate chain. */
    SSLContext *tmpl = malloc(SSLContextSize());
    SSLRSAPrivateKey *key = NULL;
    size_t keylen, certlen;
    char *keypem = slurp(argv[3], &keylen), *certpem = slurp(argv[2], &certlen);
    SSLErr err = keypem && certpem ? SSLInitContext(tmpl) : SSLIOErr;
    if (err == SSLNoErr) err = SSLSetProtocolSide(tmpl, SSL_ServerSide);
    if (err == SSLNoErr) err = SSLXRSAPrivateKeyFromPEM(keypem, keylen, &key);
    if (err == SSLNoErr) err = SSLSetPrivateKey(tmpl, key);  /* the context owns the key now */
    if (err == SSLNoErr) err = SSLXAddCertificatesPEM(tmpl, certpem, certlen);  /* leaf first */
    if (err == SSLNoErr) err = SSLSetReadFunc(tmpl, sock_read);
    if (err == SSLNoErr) err = SSLSetWriteFunc(tmpl, sock_write);
    free(keypem);
    free(certpem);
    if (err != SSLNoErr) {
        fprintf(stderr, "setup: %s\n", SSLXErrorName(err));
        return 1;
    }

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 16) != 0) {
        perror("listen");
        return 1;
    }

    int failures = 0;
    for (int i = 0; i < count; i++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        /* Each connection: a copy of the template bound to this socket. */
        SSLContext *ctx = malloc(SSLContextSize());
        err = SSLDuplicateContext(tmpl, ctx, (void *)(intptr_t)fd);
        if (err == SSLNoErr) err = SSLHandshake(ctx);

        char req[1024];
        uint32 len = sizeof req - 1;
        if (err == SSLNoErr) err = SSLRead(req, &len, ctx);  /* the first bytes of the request */

        static const char head[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from sslref\r\n";
        uint32 hlen = sizeof head - 1;
        if (err == SSLNoErr) err = SSLWrite((void *)head, &hlen, ctx);
        if (err == SSLNoErr) err = SSLClose(ctx);            /* close_notify */
        if (err != SSLNoErr) {
            fprintf(stderr, "connection %d: %s\n", i, SSLXErrorName(err));
            failures++;
        }
        SSLDeleteContext(ctx);
        free(ctx);
        close(fd);
    }
    close(lfd);
    SSLDeleteContext(tmpl);  /* releases the key and the chain */
    free(tmpl);
    return failures ? 1 : 0;
}
