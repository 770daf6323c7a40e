/*
 * keylog.c - SSLXKeyLogToFile, the ready-made SSLXKeyLogFunc of sslx.h: appends one NSS key-log
 * line ("CLIENT_RANDOM <hex> <hex>") and a newline to the file named by the ref. The file is
 * opened per call (O_APPEND, created 0600 since the lines are secrets), so several processes can
 * share one log; every error is ignored, as a key log must never break a connection.
 */
#include "sslref/sslx.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void SSLXKeyLogToFile(const char *line, void *ref)
{
    const char *path = ref;
    if (!line || !path || !*path)
        return;
    size_t len = strlen(line);
    char buf[256];
    if (len + 1 > sizeof buf)
        return; /* an NSS line is 14 + 64 + 1 + 96 bytes; anything longer is not ours */
    memcpy(buf, line, len);
    buf[len] = '\n';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    /* One write() keeps the line whole even when several processes append at once. */
    ssize_t n;
    do
        n = write(fd, buf, len + 1);
    while (n < 0 && errno == EINTR);
    (void)n;
    memset(buf, 0, sizeof buf);
    close(fd);
}
