/*
 * sdb_mckey.c - the cluster key ring of the memcached tier and the sealed entry format (sdb_mc.h):
 * a key file checked like the cache directory (owner, mode 0600), parsed strictly, each key kept
 * only as a keyed AES-256-GCM state of the core's constant-time GCM (crypto/crypto_ltc.h); seal
 * with the first key and a random nonce, open with the key named in the entry.
 */
#include "sdb_mc.h"
#include "crypto/crypto_ltc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAX 8192

static SSLErr why_(char *why, size_t n, SSLErr err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static SSLErr why_(char *why, size_t n, SSLErr err, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return err;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void sdbmc_ring_free(struct sdbmc_ring *r)
{
    for (unsigned i = 0; i < r->n; i++) {
        cry_cipher_wipe(r->gcm[i]);
        free(r->gcm[i]);
        r->gcm[i] = NULL;
    }
    r->n = 0;
}

static SSLErr add_key(struct sdbmc_ring *r, uint32 id, const uint8 key[32])
{
    size_t sz = cry_cipher_state_size(CRY_C_AES_GCM);
    void *st = sz ? calloc(1, sz) : NULL;
    if (!st)
        return SSLMemoryErr;
    SSLErr e = cry_cipher_init(st, CRY_C_AES_GCM, 1, key, 32, NULL);
    if (e != SSLNoErr) {
        free(st);
        return e;
    }
    r->id[r->n] = id;
    r->gcm[r->n++] = st;
    return SSLNoErr;
}

/* Parse the text (NUL-terminated) into the ring. */
static SSLErr parse(struct sdbmc_ring *r, const char *path, char *text, char *why, size_t n)
{
    unsigned line = 0;
    uint8 key[32];
    SSLErr e = SSLNoErr;
    for (char *p = text, *next; p && *p && e == SSLNoErr; p = next) {
        line++;
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(p);
        while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
            p[--len] = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *end;
        errno = 0;
        unsigned long id = strtoul(p, &end, 10);
        if (end == p || errno || id == 0 || id > 0xffffffffUL || (*end != ' ' && *end != '\t') ||
            *p == '-' || *p == '+') {
            e = why_(why, n, SSLBadParameterErr,
                     "%s:%u: expected \"ID HEXKEY\" with ID 1..4294967295", path, line);
            break;
        }
        while (*end == ' ' || *end == '\t')
            end++;
        size_t hl = strlen(end);
        if (hl != 64) {
            e = why_(why, n, SSLBadParameterErr,
                     "%s:%u: the key must be 64 hex digits (32 bytes), not %zu characters "
                     "(make one with: openssl rand -hex 32)", path, line, hl);
            break;
        }
        for (size_t i = 0; i < 32; i++) {
            int hi = hexval(end[2 * i]), lo = hexval(end[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                e = why_(why, n, SSLBadParameterErr, "%s:%u: the key is not hex", path, line);
                break;
            }
            key[i] = (uint8)(hi << 4 | lo);
        }
        if (e)
            break;
        for (unsigned i = 0; i < r->n; i++)
            if (r->id[i] == id)
                e = why_(why, n, SSLBadParameterErr, "%s:%u: key id %lu appears twice", path,
                         line, id);
        if (e)
            break;
        if (r->n == SDBMC_MAX_KEYS) {
            e = why_(why, n, SSLBadParameterErr, "%s: more than %d keys", path, SDBMC_MAX_KEYS);
            break;
        }
        if ((e = add_key(r, (uint32)id, key)) != SSLNoErr)
            why_(why, n, e, "%s: cannot key AES-GCM", path);
        cry_wipe(end, hl);
    }
    cry_wipe(key, sizeof key);
    if (e == SSLNoErr && r->n == 0)
        e = why_(why, n, SSLBadParameterErr, "%s: no key (one line \"ID HEXKEY\" is needed)",
                 path);
    return e;
}

SSLErr sdbmc_ring_load(struct sdbmc_ring *r, const char *path, char *why, size_t n)
{
    memset(r, 0, sizeof *r);
    if (why && n)
        why[0] = '\0';
    if (!path)
        return why_(why, n, SSLBadParameterErr, "no cluster key file given");
    if (cry_init() != SSLNoErr)
        return why_(why, n, SSLUnknownErr, "the crypto library failed to start");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return why_(why, n, SSLIOErr, "%s: %s", path, strerror(errno));
    struct stat st;
    SSLErr e = SSLNoErr;
    if (fstat(fd, &st) != 0)
        e = why_(why, n, SSLIOErr, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        e = why_(why, n, SSLBadParameterErr, "%s: not a regular file", path);
    else if (st.st_uid != geteuid())
        e = why_(why, n, SSLBadParameterErr,
                 "%s: owned by uid %u, not by uid %u that reads it, and its owner can change the "
                 "cluster key; use a file of your own (or chown %u %s)", path,
                 (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
    else if ((st.st_mode & 077) != 0)
        e = why_(why, n, SSLBadParameterErr,
                 "%s: mode %04o lets %s read the cluster key; chmod 600 %s", path,
                 (unsigned)(st.st_mode & 07777),
                 (st.st_mode & 007) ? "other users" : "the group", path);
    else if (st.st_size > KEYFILE_MAX)
        e = why_(why, n, SSLBadParameterErr, "%s: larger than %d bytes: not a key file", path,
                 KEYFILE_MAX);
    if (e) {
        close(fd);
        return e;
    }
    char *text = malloc(KEYFILE_MAX + 1);
    if (!text) {
        close(fd);
        return SSLMemoryErr;
    }
    size_t got = 0;
    for (;;) {
        ssize_t k = read(fd, text + got, KEYFILE_MAX - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            e = why_(why, n, SSLIOErr, "%s: %s", path, strerror(errno));
            break;
        }
        if (k == 0)
            break;
        got += (size_t)k;
        if (got == KEYFILE_MAX) {
            e = why_(why, n, SSLBadParameterErr, "%s: too large", path);
            break;
        }
    }
    close(fd);
    text[got] = '\0';
    if (e == SSLNoErr && memchr(text, '\0', got))
        e = why_(why, n, SSLBadParameterErr, "%s: binary data, not a key file", path);
    if (e == SSLNoErr)
        e = parse(r, path, text, why, n);
    cry_wipe(text, KEYFILE_MAX + 1);
    free(text);
    if (e)
        sdbmc_ring_free(r);
    return e;
}

static void put32(uint8 *p, uint32 v)
{
    p[0] = (uint8)(v >> 24);
    p[1] = (uint8)(v >> 16);
    p[2] = (uint8)(v >> 8);
    p[3] = (uint8)v;
}

static void put64(uint8 *p, uint64_t v)
{
    put32(p, (uint32)(v >> 32));
    put32(p + 4, (uint32)v);
}

static uint64_t get64(const uint8 *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* AAD = version, key id (the first 5 header bytes) || the memcached key */
static size_t make_aad(uint8 *aad, const uint8 *hdr, const char *mckey, size_t mlen)
{
    memcpy(aad, hdr, 5);
    memcpy(aad + 5, mckey, mlen);
    return 5 + mlen;
}

SSLErr sdbmc_seal(const struct sdbmc_ring *r, const char *mckey, size_t mlen, uint64_t expiry,
                  const uint8 *data, size_t len, uint8 *out)
{
    uint8 aad[5 + SDBMC_MAX_MCKEY];
    if (!r || r->n == 0 || !mckey || mlen > SDBMC_MAX_MCKEY || (len && !data) || !out ||
        len > (1u << 24))
        return SSLBadParameterErr;
    out[0] = SDBMC_VERSION;
    put32(out + 1, r->id[0]);
    uint8 *nonce = out + 5;
    size_t got = 0;
    while (got < 12) {
        ssize_t k = getrandom(nonce + got, 12 - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return SSLUnknownErr;
        got += (size_t)k;
    }
    uint8 *body = out + SDBMC_HDR;
    put64(body, expiry);
    if (len)
        memcpy(body + 8, data, len);
    size_t alen = make_aad(aad, out, mckey, mlen);
    return cry_aead_seal(r->gcm[0], nonce, 12, aad, alen, body, body, len + 8,
                         body + len + 8);
}

SSLErr sdbmc_open(const struct sdbmc_ring *r, const char *mckey, size_t mlen, const uint8 *in,
                  size_t len, uint8 *out, size_t *outLen, uint64_t *expiry)
{
    uint8 aad[5 + SDBMC_MAX_MCKEY];
    if (!r || !mckey || mlen > SDBMC_MAX_MCKEY || !in || !out || !outLen || !expiry)
        return SSLBadParameterErr;
    *outLen = 0;
    if (len < SDBMC_OVERHEAD || in[0] != SDBMC_VERSION)
        return SSLProtocolErr;
    uint32 id = (uint32)in[1] << 24 | (uint32)in[2] << 16 | (uint32)in[3] << 8 | in[4];
    unsigned k = 0;
    while (k < r->n && r->id[k] != id)
        k++;
    if (k == r->n)
        return SSLNoMatchingSessionKeyErr;
    size_t blen = len - SDBMC_HDR - SDBMC_TAG;  /* expiry + data */
    size_t alen = make_aad(aad, in, mckey, mlen);
    uint8 stackbuf[2048], *body = blen <= sizeof stackbuf ? stackbuf : malloc(blen);
    if (!body)
        return SSLMemoryErr;
    SSLErr e = cry_aead_open(r->gcm[k], in + 5, 12, aad, alen, in + SDBMC_HDR, body, blen,
                             in + len - SDBMC_TAG);
    if (e == SSLNoErr) {
        *expiry = get64(body);
        memcpy(out, body + 8, blen - 8);
        *outLen = blen - 8;
    } else if (e != SSLMemoryErr) {
        e = SSLProtocolErr;
    }
    cry_wipe(body, blen);
    if (body != stackbuf)
        free(body);
    return e;
}

size_t sdbmc_key(const char *prefix, const uint8 *key, size_t klen, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t pl = strlen(prefix);
    uint8 digest[32];
    const uint8 *src = key;
    size_t slen = klen;
    char kind = 's';
    if (pl + 2 + 2 * klen > SDBMC_MAX_MCKEY) {
        cry_hash_once(CRY_SHA256, key, klen, digest);
        src = digest;
        slen = sizeof digest;
        kind = 'h';
    }
    size_t total = pl + 2 + 2 * slen;
    if (total > SDBMC_MAX_MCKEY || total + 1 > n)
        return 0;
    memcpy(out, prefix, pl);
    out[pl] = kind;
    out[pl + 1] = ':';
    for (size_t i = 0; i < slen; i++) {
        out[pl + 2 + 2 * i] = hex[src[i] >> 4];
        out[pl + 3 + 2 * i] = hex[src[i] & 15];
    }
    out[total] = '\0';
    return total;
}
