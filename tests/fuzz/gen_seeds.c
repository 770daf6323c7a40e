/*
 * gen_seeds.c - seed recorder (not a test): runs real handshakes between two sslref contexts set up
 * exactly as the harnesses set up theirs (fuzz_common.c: same keys, seeds, clock, flags) and writes
 * what each side sent as a harness input for the other: OUT/server/ (client streams), OUT/client/
 * (server streams), OUT/session/ (the session blobs the caches were given).
 * OUT/suites.txt is the suite table they were recorded with (fz_suite_listing): the replay test
 * fails when the library's table differs, and scripts/regen-fuzz-seeds.sh records them again.
 * Usage: fuzz_gen_seeds OUTDIR   (scripts/regen-fuzz-seeds.sh writes tests/fuzz/seeds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static const char *g_out;
static int g_sessions;

static void write_file(const char *sub, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_out, sub);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", g_out, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* One connection between fresh contexts; returns 1 if both finished the handshake. */
static int one_conn(unsigned sf, unsigned cf, unsigned rot, int conn, struct fz_cache *cache,
                    struct fz_bytes *c2s, struct fz_bytes *s2c)
{
    struct fz_io sio = {c2s, c2s->len, s2c, 0, 0, 0}, cio = {s2c, s2c->len, c2s, 0, 0, 0};
    struct fz_rng srng = {fz_seed(SSL_ServerSide, conn)}, crng = {fz_seed(SSL_ClientSide, conn)};
    SSLContext *s = fz_new_context(SSL_ServerSide, sf, rot, &sio, &srng, cache ? &cache[0] : NULL);
    SSLContext *c = fz_new_context(SSL_ClientSide, cf, rot, &cio, &crng, cache ? &cache[1] : NULL);
    if (!s || !c) {
        fprintf(stderr, "context setup failed\n");
        exit(1);
    }
    SSLErr es = SSLWouldBlockErr, ec = SSLWouldBlockErr;
    for (int i = 0; i < 1000 && (es == SSLWouldBlockErr || ec == SSLWouldBlockErr); i++) {
        if (ec == SSLWouldBlockErr)
            ec = SSLHandshake(c);
        if (es == SSLWouldBlockErr)
            es = SSLHandshake(s);
        if ((es != SSLNoErr && es != SSLWouldBlockErr) || (ec != SSLNoErr && ec != SSLWouldBlockErr))
            break;
    }
    int ok = es == SSLNoErr && ec == SSLNoErr;
    if (ok) {
        char req[] = "GET / HTTP/1.0\r\n\r\n", resp[] = "HTTP/1.0 200 OK\r\n\r\nhello from the fuzz seed\n";
        uint32 n = (uint32)strlen(req);
        SSLWrite(req, &n, c);
        n = (uint32)strlen(resp);
        SSLWrite(resp, &n, s);
        uint8_t buf[256];
        n = sizeof buf;
        SSLRead(buf, &n, s);
        n = sizeof buf;
        SSLRead(buf, &n, c);
        SSLClose(c);
        SSLClose(s);
        n = sizeof buf;
        SSLRead(buf, &n, s);
        n = sizeof buf;
        SSLRead(buf, &n, c);
    } else {
        fprintf(stderr, "sf=%02x cf=%02x rot=%u conn %d: server %d client %d\n", sf, cf, rot, conn, (int)es,
                (int)ec);
    }
    fz_free_context(s);
    fz_free_context(c);
    return ok;
}

static void put_input(struct fz_bytes *x, unsigned flags, unsigned rot, const struct fz_bytes *st, int two)
{
    uint8_t h[2] = {(uint8_t)flags, (uint8_t)rot};
    fz_bytes_put(x, h, 2);
    if (two) {
        uint8_t l[2] = {(uint8_t)(st[0].len >> 8), (uint8_t)st[0].len};
        fz_bytes_put(x, l, 2);
    }
    for (int i = 0; i <= two; i++)
        fz_bytes_put(x, st[i].b, st[i].len);
}

static void record(unsigned sf, unsigned cf, unsigned rot, int all_modes)
{
    int two = (sf & FZ_TWO_CONNS) != 0;
    struct fz_cache cache[2];
    struct fz_bytes blobs = {0};
    memset(cache, 0, sizeof cache);
    cache[0].record = cache[1].record = &blobs;
    struct fz_bytes c2s[2] = {{0}}, s2c[2] = {{0}};
    int ok = 1;
    for (int conn = 0; conn <= two && ok; conn++)
        ok = one_conn(sf, cf, rot, conn, two ? cache : NULL, &c2s[conn], &s2c[conn]);
    char name[64];
    snprintf(name, sizeof name, "seed-s%02x-c%02x-r%03u%s", sf, cf, rot, ok ? "" : "-fail");
    struct fz_bytes in = {0};
    /* the same streams read in small pieces and with would-blocks (harness side only) */
    static const unsigned io_modes[] = {0, FZ_SMALL_READS, FZ_WOULD_BLOCK, FZ_SMALL_READS | FZ_WOULD_BLOCK};
    for (size_t m = 0; m < sizeof io_modes / sizeof io_modes[0]; m += all_modes ? 1 : 3) {
        char mname[80];
        snprintf(mname, sizeof mname, "%s%s", name, m ? (m == 1 ? "-small" : m == 2 ? "-wb" : "-small-wb") : "");
        in.len = 0;
        put_input(&in, sf | io_modes[m], rot, c2s, two);
        write_file("server", mname, in.b, in.len);
        in.len = 0;
        put_input(&in, cf | io_modes[m], rot, s2c, two);
        write_file("client", mname, in.b, in.len);
    }
    free(in.b);
    for (size_t off = 0; off + 4 <= blobs.len;) {
        size_t l = (size_t)blobs.b[off] << 24 | (size_t)blobs.b[off + 1] << 16 | (size_t)blobs.b[off + 2] << 8 |
                   blobs.b[off + 3];
        snprintf(name, sizeof name, "blob-%03d", g_sessions++);
        write_file("session", name, blobs.b + off + 4, l);
        off += 4 + l;
    }
    for (int i = 0; i < 2; i++) {
        free(c2s[i].b);
        free(s2c[i].b);
        fz_cache_free(&cache[i]);
    }
    free(blobs.b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    g_out = argv[1];
    mkdir(g_out, 0755);
    fz_init();
    /* {server, client} versions (the server harness mostly runs Undetermined) */
    static const unsigned pairs[][2] = {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 1}, {2, 2}, {3, 3}, {2, 0}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
        for (unsigned extra = 0; extra < 4; extra++) {
            unsigned x = (extra & 1 ? FZ_CLIENT_AUTH : 0) | (extra & 2 ? FZ_TWO_CONNS : 0);
            /* SSL 2.0 needs its kinds, which are off by default: every suite then */
            if ((pairs[p][0] & FZ_VERSION_MASK) == 3 || (pairs[p][1] & FZ_VERSION_MASK) == 3)
                x |= FZ_ALL_SUITES;
            record(pairs[p][0] | x, pairs[p][1] | x, 0, 1);
        }
    /* every suite: both sides enable all, rotated so the server's first choice differs; with
     * FZ_ROT_DSA the server has its DSA key, so the DHE-DSS suites are chosen */
    uint32 n = SSLXSupportedCipherSuites(NULL, 0) + 7;
    for (unsigned rot = 0; rot < n && rot <= FZ_ROT_MASK; rot++) {
        record(0 | FZ_ALL_SUITES, 0 | FZ_ALL_SUITES, rot, 0);
        record(2 | FZ_ALL_SUITES | FZ_NO_SPLIT, 2 | FZ_ALL_SUITES | FZ_NO_SPLIT, rot, 0);
        record(0 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH, 3 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH,
               rot, 0);
        record(2 | FZ_ALL_SUITES, 2 | FZ_ALL_SUITES, rot | FZ_ROT_DSA, 0);
        record(0 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH, 0 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH,
               rot | FZ_ROT_DSA, 0);
    }
    struct fz_bytes list = {0};
    if (fz_suite_listing(&list) != 0) {
        fprintf(stderr, "suite listing failed\n");
        return 1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/suites.txt", g_out);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(list.b, 1, list.len, f) != list.len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    free(list.b);
    return 0;
}
