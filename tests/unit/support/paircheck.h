/*
 * paircheck.h - checks shared by the pair tests (test_pair.c, test_pair_io.c): no leaks and no
 * unwiped frees, the established state of both sides, the server chain seen by the client, clean
 * close both ways (SSL 3.0 close_notify or the SSL 2.0 end of transport), data exchanges, and the
 * two-connection scenario whose transcripts, keys and resumption every I/O pattern must reproduce.
 * Header-only: Criterion asserts.
 */
#ifndef SSLREF_TEST_PAIRCHECK_H
#define SSLREF_TEST_PAIRCHECK_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"

static inline void keylog_cb(const char *line, void *ref)
{
    snprintf(ref, 200, "%s", line);
}

static inline void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks (%ld bytes)", side,
                     p->s[side].alloc.live_blocks, p->s[side].alloc.live_bytes);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0, "side %d freed foreign blocks", side);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d freed %ld blocks without wiping them",
                     side, p->s[side].alloc.unwiped_frees);
    }
}

static inline uint8_t *server_cert_der(uint32_t *len)
{
    size_t n;
    char *pem = pair_read_data("server-cert.pem", &n);
    cr_assert(pem);
    size_t pos = 0;
    uint8 *der = NULL;
    cr_assert_eq(SSLXPEMDecode(pem, n, &pos, "CERTIFICATE", &der, len), SSLNoErr);
    free(pem);
    return der;
}

/* The client sees the server's chain: leaf = server-cert.pem, then the CA. */
static inline void expect_peer_chain(struct pair *p)
{
    int n = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p->s[PAIR_CLIENT].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 2, "peer chain length %d", n);
    SSLBuffer c = {0, NULL};
    cr_assert_eq(SSLGetPeerCertificate(p->s[PAIR_CLIENT].ctx, 0, &c), SSLNoErr);
    uint32_t len;
    uint8_t *der = server_cert_der(&len);
    cr_expect_eq(c.length, len);
    cr_expect(c.length == len && memcmp(c.data, der, len) == 0, "leaf is server-cert.pem");
    free(der);
    memset(c.data, 0, c.length); /* the allocator counts blocks freed unwiped */
    pair_free_fn(&c, &p->s[PAIR_CLIENT].alloc);
    n = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p->s[PAIR_SERVER].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 0, "no client certificate was asked for");
}

static inline void expect_established(struct pair *p, uint16_t suite, int resumed)
{
    for (int side = 0; side < 2; side++) {
        uint16 got = 0xffff;
        SSLProtocolVersion v = SSL_Version_Undetermined;
        int r = -1;
        cr_expect_eq(SSLGetNegotiatedCipher(p->s[side].ctx, &got), SSLNoErr);
        cr_expect_eq(got, suite, "side %d negotiated %04x, want %04x", side, got, suite);
        cr_expect_eq(SSLGetProtocolVersion(p->s[side].ctx, &v), SSLNoErr);
        cr_expect_eq(v, SSL_Version_3_0);
        cr_expect_eq(SSLXGetResumed(p->s[side].ctx, &r), SSLNoErr);
        cr_expect_eq(r, resumed, "side %d resumed=%d, want %d", side, r, resumed);
    }
    uint8 a[32], b[32];
    uint32 al = sizeof a, bl = sizeof b;
    cr_expect_eq(SSLXGetSessionID(p->s[0].ctx, a, &al), SSLNoErr);
    cr_expect_eq(SSLXGetSessionID(p->s[1].ctx, b, &bl), SSLNoErr);
    cr_expect_eq(al, 32, "the server caches, so it issued a 32-byte session ID");
    cr_expect(al == bl && memcmp(a, b, al) == 0, "both sides agree on the session ID");
}

/* Close from @first, then from the other side: each reader sees a graceful close. SSL 2.0 has no
 * close_notify: there SSLClose sends nothing and the end of the transport is the clean end. */
static inline void close_both(struct pair *p, int first)
{
    SSLProtocolVersion v = SSL_Version_3_0;
    SSLGetProtocolVersion(p->s[first].ctx, &v);
    if (v == SSL_Version_2_0) {
        uint64_t before = p->pipe[first].total;
        cr_expect_eq(SSLClose(p->s[first].ctx), SSLNoErr);
        cr_expect_eq(p->pipe[first].total, before, "SSL 2.0: SSLClose sends nothing");
        pair_eof(p, PAIR_CLIENT);
        pair_eof(p, PAIR_SERVER);
        for (int side = 0; side < 2; side++) {
            uint8_t buf[8];
            uint32 len = sizeof buf;
            SSLErr e = SSLRead(buf, &len, p->s[side].ctx);
            cr_expect_eq(e, SSLConnectionClosedGraceful, "SSL 2.0 side %d at the end of the stream: %s",
                         side, SSLXErrorName(e));
        }
        cr_expect_eq(SSLClose(p->s[PAIR_PEER(first)].ctx), SSLNoErr);
        return;
    }
    SSLErr cr = SSLUnknownErr;
    SSLErr r = pair_close(p, first, &cr);
    cr_expect_eq(cr, SSLNoErr, "SSLClose: %s", SSLXErrorName(cr));
    cr_expect_eq(r, SSLConnectionClosedGraceful, "peer read after close: %s", SSLXErrorName(r));
    uint8_t buf[8];
    uint32 len = sizeof buf;
    cr_expect_eq(SSLRead(buf, &len, p->s[PAIR_PEER(first)].ctx), SSLConnectionClosedGraceful,
                 "a closed connection stays closed");
    cr_expect_eq(len, 0);
    r = pair_close(p, PAIR_PEER(first), &cr);
    cr_expect_eq(cr, SSLNoErr, "second SSLClose: %s", SSLXErrorName(cr));
    cr_expect_eq(r, SSLConnectionClosedGraceful, "first closer reads: %s", SSLXErrorName(r));
}

static inline void exchange_sizes(struct pair *p, const size_t *sizes, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t *buf = malloc(sizes[i]);
        cr_assert(buf);
        for (int from = 0; from < 2; from++) {
            pair_pattern(buf, sizes[i], (uint32_t)(sizes[i] * 2 + (size_t)from));
            SSLErr e = pair_exchange(p, from, buf, sizes[i]);
            cr_expect_eq(e, SSLNoErr, "%zu bytes from side %d: %s", sizes[i], from, SSLXErrorName(e));
            uint32 pend = 1;
            cr_expect_eq(SSLGetReadPendingSize(p->s[PAIR_PEER(from)].ctx, &pend), SSLNoErr);
            cr_expect_eq(pend, 0, "everything was read");
        }
        free(buf);
    }
}

/* ---- the same connection under every I/O pattern ---- */

struct summary {
    char keylog[2][2][200];   /* [connection][side] */
    uint64_t hs_hash[2][2];   /* [connection][pipe]: transcript hash once the handshake is done */
    uint64_t hs_bytes[2][2];
    int resumed[2];
    uint64_t wouldblocks;
};

/* Two connections (full, then resumed), each with data both ways and a clean close. */
enum { SC_CLIENT_AUTH = 1, SC_SSL2 = 2, SC_V2HELLO = 4 };

static inline void run_scenario_f(uint16_t suite, const struct pair_io_cfg *io, size_t limit, size_t datalen,
                           struct summary *out, int flags)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    memset(out, 0, sizeof *out);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &suite);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    c.io[0] = c.io[1] = *io;
    c.pipe_limit = limit;
    c.export_key = "export512-key.pem";
    c.dh_params = "dh1024.pem";
    if (flags & SC_SSL2)
        c.version[0] = c.version[1] = SSL_Version_2_0;
    if (flags & SC_V2HELLO) /* SSL 3.0 negotiated through an SSL 2.0-format hello */
        c.version[0] = c.version[1] = SSL_Version_Undetermined;
    if (flags & SC_CLIENT_AUTH) {
        c.request_client_cert = 1;
        c.client_key = "client-key.pem";
        c.client_chain = "client-cert.pem";
    }
    /* CBC splitting stays on: the transcripts compared are the handshakes', which it does not touch */
    uint8_t *buf = malloc(datalen);
    cr_assert(buf);
    for (int conn = 0; conn < 2; conn++) {
        c.seed = 10 + (uint64_t)conn;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        for (int side = 0; side < 2; side++)
            SSLXSetKeyLogFunc(p.s[side].ctx, keylog_cb, out->keylog[conn][side]);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "suite %04x chunk %u wb %d/%d limit %zu conn %d: %s / %s", suite,
                     io->chunk, io->wb_every_byte, io->wb_with_data, limit, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        for (int d = 0; d < 2; d++) {
            out->hs_hash[conn][d] = p.pipe[d].hash;
            out->hs_bytes[conn][d] = p.pipe[d].total;
        }
        cr_expect_eq(SSLXGetResumed(p.s[0].ctx, &out->resumed[conn]), SSLNoErr);
        int sr = -1;
        cr_expect_eq(SSLXGetResumed(p.s[1].ctx, &sr), SSLNoErr);
        cr_expect_eq(sr, out->resumed[conn]);
        for (int from = 0; from < 2; from++) {
            pair_pattern(buf, datalen, (uint32_t)(conn * 2 + from));
            SSLErr e = pair_exchange(&p, from, buf, datalen);
            cr_expect_eq(e, SSLNoErr, "data from %d: %s", from, SSLXErrorName(e));
        }
        close_both(&p, conn ? PAIR_SERVER : PAIR_CLIENT);
        out->wouldblocks += p.s[0].end.wouldblocks + p.s[1].end.wouldblocks;
        pair_free(&p);
        expect_no_leaks(&p);
    }
    free(buf);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

static inline void run_scenario(uint16_t suite, const struct pair_io_cfg *io, size_t limit, size_t datalen,
                         struct summary *out)
{
    run_scenario_f(suite, io, limit, datalen, out, 0);
}

static inline void expect_same(const struct summary *a, const struct summary *b, const char *what)
{
    for (int conn = 0; conn < 2; conn++) {
        for (int side = 0; side < 2; side++) {
            cr_expect_str_eq(a->keylog[conn][side], b->keylog[conn][side], "%s: keys differ", what);
            cr_expect_str_neq(b->keylog[conn][side], "", "%s: key log line written", what);
            cr_expect_str_eq(b->keylog[conn][side], b->keylog[conn][0], "%s: both sides agree", what);
            cr_expect(strlen(b->keylog[conn][side]) == 14 + 64 + 1 + 96 &&
                          strncmp(b->keylog[conn][side], "CLIENT_RANDOM ", 14) == 0 &&
                          strspn(b->keylog[conn][side] + 14, "0123456789abcdef") == 64 &&
                          strspn(b->keylog[conn][side] + 79, "0123456789abcdef") == 96,
                      "%s: NSS key-log format: %s", what, b->keylog[conn][side]);
            cr_expect_eq(a->hs_hash[conn][side], b->hs_hash[conn][side], "%s: transcript differs", what);
            cr_expect_eq(a->hs_bytes[conn][side], b->hs_bytes[conn][side]);
        }
        cr_expect_eq(a->resumed[conn], b->resumed[conn], "%s", what);
    }
    cr_expect_eq(b->resumed[0], 0);
    cr_expect_eq(b->resumed[1], 1, "%s: second connection resumed", what);
}

#endif
