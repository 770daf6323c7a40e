/*
 * test_api.c - public API semantics (SSLRef 3.0 API, "How This Function Affects the Library"):
 * SSLContextSize/Init/Delete/Duplicate, status getters before and after a handshake,
 * SSLGetPeerCertificate index errors and ownership, SSLGetWritePendingSize/ReadPendingSize telling
 * the truth, SSLRead/SSLWrite handshaking first, SSLClose, sticky errors, the certificate callback.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "state/ctx.h"

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d: blocks freed without wiping", side);
    }
}

static void handshake(struct pair *p, const struct pair_config *c)
{
    cr_assert_eq(pair_init(p, c), SSLNoErr);
    cr_assert_eq(pair_handshake(p), PAIR_OK, "%s / %s", SSLXErrorName(p->s[0].last),
                 SSLXErrorName(p->s[1].last));
}

Test(api, context_size_and_init)
{
    uint32 n = SSLContextSize();
    cr_expect_gt(n, 0);
    cr_expect_eq(SSLContextSize(), n, "constant");
    cr_expect_eq(SSLInitContext(NULL), SSLBadParameterErr);
    SSLContext *ctx = malloc(n);
    memset(ctx, 0xff, n); /* whatever the memory held is ignored */
    cr_assert_eq(SSLInitContext(ctx), SSLNoErr);
    SSLProtocolVersion v = SSL_Version_3_0;
    cr_expect_eq(SSLGetProtocolVersion(ctx, &v), SSLNoErr);
    cr_expect_eq(v, SSL_Version_Undetermined, "the default version setting");
    uint16 suite = 0xffff;
    cr_expect_eq(SSLGetNegotiatedCipher(ctx, &suite), SSLNoErr);
    cr_expect_eq(suite, SSL_NULL_WITH_NULL_NULL);
    int len = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(ctx, &len), SSLNoErr);
    cr_expect_eq(len, 0);
    uint32 pend = 7;
    cr_expect_eq(SSLGetWritePendingSize(ctx, &pend), SSLNoErr);
    cr_expect_eq(pend, 0);
    pend = 7;
    cr_expect_eq(SSLGetReadPendingSize(ctx, &pend), SSLNoErr);
    cr_expect_eq(pend, 0);
    int resumed = -1;
    cr_expect_eq(SSLXGetResumed(ctx, &resumed), SSLNoErr);
    cr_expect_eq(resumed, 0);
    SSLBuffer c = {123, (uint8 *)ctx};
    cr_expect_eq(SSLGetPeerCertificate(ctx, 0, &c), SSLOverflowErr, "no peer chain yet");
    cr_expect_null(c.data);
    cr_expect_eq(c.length, 0);
    /* the default suites: forward-secret AES-GCM first; no NULL, export or anonymous suites */
    uint16 suites[64];
    uint32 ns = 64;
    cr_expect_eq(SSLXGetCipherSuites(ctx, suites, &ns), SSLNoErr);
    cr_assert_gt(ns, 0);
    cr_expect_eq(suites[0], TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    for (uint32 i = 0; i < ns; i++) {
        cr_expect_neq(suites[i], SSL_RSA_WITH_NULL_MD5);
        cr_expect_neq(suites[i], SSL_RSA_WITH_NULL_SHA);
        cr_expect_neq(suites[i], SSL_RSA_EXPORT_WITH_RC4_40_MD5);
        cr_expect(suites[i] < SSL_DH_anon_EXPORT_WITH_RC4_40_MD5 || suites[i] > SSL_DH_anon_WITH_3DES_EDE_CBC_SHA,
                  "anonymous suite %04x enabled by default", suites[i]);
    }
    /* an unknown suite changes nothing */
    const uint16 bad[] = {TLS_RSA_WITH_AES_256_CBC_SHA, 0x1234};
    cr_expect_eq(SSLXSetCipherSuites(ctx, bad, 2), SSLUnsupportedErr);
    uint32 ns2 = 64;
    uint16 suites2[64];
    cr_expect_eq(SSLXGetCipherSuites(ctx, suites2, &ns2), SSLNoErr);
    cr_expect_eq(ns2, ns);
    cr_expect_arr_eq(suites2, suites, ns * sizeof suites[0]);
    /* getters and setters refuse NULL */
    cr_expect_eq(SSLGetProtocolVersion(ctx, NULL), SSLBadParameterErr);
    cr_expect_eq(SSLGetNegotiatedCipher(NULL, &suite), SSLBadParameterErr);
    cr_expect_eq(SSLSetIORef(NULL, NULL), SSLBadParameterErr);
    cr_expect_eq(SSLDeleteContext(ctx), SSLNoErr);
    cr_expect_eq(SSLDeleteContext(NULL), SSLBadParameterErr);
    free(ctx);
}

Test(api, getters_after_handshake)
{
    struct pair_config c;
    pair_config_init(&c);
    static const uint16_t s = SSL_RSA_WITH_RC4_128_SHA;
    pair_config_suite(&c, &s);
    struct pair p;
    handshake(&p, &c);
    SSLContext *cl = p.s[PAIR_CLIENT].ctx;
    SSLProtocolVersion v;
    cr_expect_eq(SSLGetProtocolVersion(cl, &v), SSLNoErr);
    cr_expect_eq(v, SSL_Version_3_0);
    uint16 suite;
    cr_expect_eq(SSLGetNegotiatedCipher(cl, &suite), SSLNoErr);
    cr_expect_eq(suite, SSL_RSA_WITH_RC4_128_SHA);
    cr_expect_eq(SSLHandshake(cl), SSLNoErr, "a finished handshake returns at once");
    uint64_t rd = p.s[PAIR_CLIENT].end.rd_calls, wr = p.s[PAIR_CLIENT].end.wr_calls;
    cr_expect_eq(SSLHandshake(cl), SSLNoErr);
    cr_expect_eq(p.s[PAIR_CLIENT].end.rd_calls, rd, "without I/O");
    cr_expect_eq(p.s[PAIR_CLIENT].end.wr_calls, wr);
    /* peer certificates: valid indexes 0 and 1, copies from the context's allocator */
    int n = 0;
    cr_expect_eq(SSLGetPeerCertificateChainLength(cl, &n), SSLNoErr);
    cr_assert_eq(n, 2);
    static const int bad[] = {-1, 2, 3, 1000, -1000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SSLBuffer b = {99, (uint8 *)&n};
        cr_expect_eq(SSLGetPeerCertificate(cl, bad[i], &b), SSLOverflowErr, "index %d", bad[i]);
        cr_expect_null(b.data);
    }
    cr_expect_eq(SSLGetPeerCertificate(cl, 0, NULL), SSLBadParameterErr);
    long live = p.s[PAIR_CLIENT].alloc.live_blocks;
    SSLBuffer c0, c1;
    cr_assert_eq(SSLGetPeerCertificate(cl, 0, &c0), SSLNoErr);
    cr_assert_eq(SSLGetPeerCertificate(cl, 1, &c1), SSLNoErr);
    cr_expect_eq(p.s[PAIR_CLIENT].alloc.live_blocks, live + 2, "copies come from the Alloc callback");
    cr_expect(c0.length > 100 && c0.data[0] == 0x30);
    cr_expect(c1.length > 100 && c1.data[0] == 0x30);
    cr_expect(c0.length != c1.length || memcmp(c0.data, c1.data, c0.length) != 0);
    memset(c0.data, 0, c0.length); /* the copy is ours: the chain is unchanged */
    pair_free_fn(&c0, &p.s[PAIR_CLIENT].alloc);
    cr_assert_eq(SSLGetPeerCertificate(cl, 0, &c0), SSLNoErr);
    cr_expect_eq(c0.data[0], 0x30);
    memset(c0.data, 0, c0.length); /* (the allocator counts blocks freed unwiped) */
    memset(c1.data, 0, c1.length);
    pair_free_fn(&c0, &p.s[PAIR_CLIENT].alloc);
    pair_free_fn(&c1, &p.s[PAIR_CLIENT].alloc);
    /* the allocator's error is passed on */
    pair_alloc_fail_in(&p.s[PAIR_CLIENT].alloc, 1, 0);
    cr_expect_eq(SSLGetPeerCertificate(cl, 0, &c0), SSLMemoryErr);
    cr_expect_null(c0.data);
    /* the server has no peer chain */
    cr_expect_eq(SSLGetPeerCertificateChainLength(p.s[PAIR_SERVER].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 0);
    cr_expect_eq(SSLGetPeerCertificate(p.s[PAIR_SERVER].ctx, 0, &c0), SSLOverflowErr);
    /* session ID buffer too small */
    uint8 sid[32];
    uint32 sl = 4;
    cr_expect_eq(SSLXGetSessionID(cl, sid, &sl), SSLOverflowErr);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* The transcript hashes (1.2 KB) exist only while a handshake runs: an established connection gives
 * them back, with the other handshake-only buffers, so an idle connection is the context and its
 * keys (docs/performance.md, memory per idle connection). SSL 3.0 RC4, TLS 1.0 AES-CBC, TLS 1.2
 * ECDHE-RSA AES-GCM. */
Test(api, handshake_state_released_when_done)
{
    static const uint16_t s3 = SSL_RSA_WITH_RC4_128_SHA, s10 = 0x002f, s12 = 0xc02f;
    for (int i = 0; i < 3; i++) {
        struct pair_config c;
        pair_config_init(&c);
        if (i > 0)
            for (int side = 0; side < 2; side++)
                c.vmin[side] = c.vmax[side] = i == 1 ? kTLSProtocol1 : kTLSProtocol12;
        pair_config_suite(&c, i == 2 ? &s12 : i == 1 ? &s10 : &s3);
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "case %d: %s / %s", i, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        for (int side = 0; side < 2; side++) {
            const SSLContext *ctx = p.s[side].ctx;
            cr_expect_null(ctx->transcript.data, "case %d side %d: transcript kept", i, side);
            cr_expect_null(ctx->scratch.data, "case %d side %d: scratch kept", i, side);
            cr_expect_null(ctx->kx.data, "case %d side %d: key exchange values kept", i, side);
        }
        SSLXProtocol v;
        cr_expect_eq(SSLXGetNegotiatedProtocolVersion(p.s[PAIR_CLIENT].ctx, &v), SSLNoErr);
        cr_expect_eq(v, i == 0 ? kSSLProtocol3 : i == 1 ? kTLSProtocol1 : kTLSProtocol12, "case %d", i);
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* SSLWrite and SSLRead run the handshake first. */
Test(api, read_write_handshake_first)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    uint8_t msg[] = "hello over SSL 3.0";
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
    uint16 s;
    cr_expect_eq(SSLGetNegotiatedCipher(p.s[0].ctx, &s), SSLNoErr);
    cr_expect_eq(s, TLS_RSA_WITH_AES_128_CBC_SHA);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A zero-length SSLRead/SSLWrite is harmless once connected. */
Test(api, zero_length_calls)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    handshake(&p, &c);
    uint32 len = 0;
    cr_expect_eq(SSLWrite(NULL, &len, p.s[0].ctx), SSLNoErr);
    cr_expect_eq(len, 0);
    len = 0;
    uint8_t b[1];
    cr_expect_eq(SSLRead(b, &len, p.s[1].ctx), SSLNoErr);
    cr_expect_eq(len, 0);
    cr_expect_eq(SSLRead(b, NULL, p.s[1].ctx), SSLBadParameterErr);
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(api, write_pending_size_is_true)
{
    struct pair_config c;
    pair_config_init(&c);
    c.pipe_limit = 100; /* the transport takes 100 bytes, then would-block */
    struct pair p;
    handshake(&p, &c);
    SSLContext *cl = p.s[PAIR_CLIENT].ctx;
    uint8_t buf[10000];
    pair_pattern(buf, sizeof buf, 5);
    uint64_t before = p.pipe[PAIR_CLIENT].written;
    uint32 len = sizeof buf;
    cr_expect_eq(SSLWrite(buf, &len, cl), SSLWouldBlockErr);
    cr_expect_eq(len, sizeof buf, "all the data went into the queue");
    uint32 pend = 0;
    cr_expect_eq(SSLGetWritePendingSize(cl, &pend), SSLNoErr);
    uint64_t sent = p.pipe[PAIR_CLIENT].written - before;
    cr_expect_eq(sent, 100);
    cr_expect_gt(pend, sizeof buf - 100, "the rest is pending: %u", pend);
    /* drain step by step: pending + written stays the same total */
    uint64_t total = sent + pend;
    while (pend) {
        pair_drain(&p, PAIR_SERVER); /* the peer took the bytes: room for 100 more */
        SSLErr e = SSLServiceWriteQueue(cl);
        cr_expect(e == SSLNoErr || e == SSLWouldBlockErr);
        cr_expect_eq(SSLGetWritePendingSize(cl, &pend), SSLNoErr);
        cr_expect_eq(p.pipe[PAIR_CLIENT].written - before + pend, total);
        if (e == SSLNoErr)
            cr_expect_eq(pend, 0, "SSLServiceWriteQueue returns SSLNoErr only when the queue is empty");
    }
    cr_expect_eq(SSLServiceWriteQueue(cl), SSLNoErr);
    cr_expect_eq(SSLProcessWriteQueue(cl), SSLNoErr);
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(api, read_pending_size_is_true)
{
    struct pair_config c;
    pair_config_init(&c);
    static const uint16_t s = SSL_RSA_WITH_RC4_128_MD5; /* a stream suite: no 1/n-1 split */
    pair_config_suite(&c, &s);
    struct pair p;
    handshake(&p, &c);
    uint8_t buf[1000];
    pair_pattern(buf, sizeof buf, 9);
    uint32 wl = sizeof buf; /* SSLWrite itself: pair_send would make the server read too */
    cr_assert_eq(SSLWrite(buf, &wl, p.s[PAIR_CLIENT].ctx), SSLNoErr);
    cr_assert_eq(wl, sizeof buf);
    SSLContext *sv = p.s[PAIR_SERVER].ctx;
    uint32 pend = 1;
    uint8_t got[1000];
    uint32 len = 10;
    cr_expect_eq(SSLGetReadPendingSize(sv, &pend), SSLNoErr);
    cr_expect_eq(pend, 0, "nothing decrypted yet");
    cr_expect_eq(SSLRead(got, &len, sv), SSLNoErr);
    cr_expect_eq(len, 10);
    cr_expect_eq(SSLGetReadPendingSize(sv, &pend), SSLNoErr);
    cr_expect_eq(pend, 990);
    len = 500;
    cr_expect_eq(SSLRead(got + 10, &len, sv), SSLNoErr);
    cr_expect_eq(len, 500);
    cr_expect_eq(SSLGetReadPendingSize(sv, &pend), SSLNoErr);
    cr_expect_eq(pend, 490);
    len = 1000;
    cr_expect_eq(SSLRead(got + 510, &len, sv), SSLNoErr);
    cr_expect_eq(len, 490, "one read returns what is buffered");
    cr_expect_eq(SSLGetReadPendingSize(sv, &pend), SSLNoErr);
    cr_expect_eq(pend, 0);
    cr_expect_arr_eq(got, buf, sizeof buf);
    len = 10;
    cr_expect_eq(SSLRead(got, &len, sv), SSLWouldBlockErr, "nothing more");
    cr_expect_eq(len, 0);
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(api, close_semantics)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    /* before any handshake: nothing is written */
    cr_expect_eq(SSLClose(p.s[PAIR_CLIENT].ctx), SSLNoErr);
    cr_expect_eq(p.pipe[PAIR_CLIENT].total, 0, "no close_notify before a connection exists");
    pair_free(&p);
    expect_no_leaks(&p);

    handshake(&p, &c);
    SSLContext *cl = p.s[PAIR_CLIENT].ctx;
    SSLErr ce;
    cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
    cr_expect_eq(ce, SSLNoErr);
    uint16 sent, recv;
    SSLXGetLastAlerts(cl, &sent, &recv);
    cr_expect_eq(sent, 0x0100, "a close_notify warning");
    SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv);
    cr_expect_eq(recv, 0x0100);
    uint64_t total = p.pipe[PAIR_CLIENT].total;
    cr_expect_eq(SSLClose(cl), SSLNoErr, "closing twice is harmless");
    cr_expect_eq(p.pipe[PAIR_CLIENT].total, total, "and sends nothing more");
    uint8_t b[4] = {1, 2, 3, 4};
    uint32 len = 4;
    cr_expect_eq(SSLWrite(b, &len, cl), SSLConnectionClosedError, "no writing after SSLClose");
    cr_expect_eq(len, 0);
    pair_free(&p);
    expect_no_leaks(&p);

    /* SSLClose under would-block: SSLServiceWriteQueue finishes it */
    c.io[0].wb_every_byte = c.io[1].wb_every_byte = 1;
    handshake(&p, &c);
    cl = p.s[PAIR_CLIENT].ctx;
    cr_expect_eq(SSLClose(cl), SSLWouldBlockErr);
    SSLErr e;
    int i = 0;
    while ((e = SSLServiceWriteQueue(cl)) == SSLWouldBlockErr && i++ < 1000)
        ;
    cr_expect_eq(e, SSLNoErr);
    len = 4;
    for (i = 0; i < 1000 && (e = SSLRead(b, &len, p.s[PAIR_SERVER].ctx)) == SSLWouldBlockErr; i++)
        len = 4;
    cr_expect_eq(e, SSLConnectionClosedGraceful);
    pair_free(&p);
    expect_no_leaks(&p);
}

static int flip_first_app(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    (void)index;
    int *done = ref;
    if (from == PAIR_CLIENT && r->b[0] == 23 && !*done) {
        r->b[r->len - 1] ^= 1;
        *done = 1;
    }
    return PAIR_PASS;
}

Test(api, errors_are_sticky)
{
    int done = 0;
    struct pair_config c;
    pair_config_init(&c);
    c.hook = flip_first_app;
    c.hook_ref = &done;
    struct pair p;
    handshake(&p, &c);
    uint8_t b[16] = {0};
    cr_expect_neq(pair_send(&p, PAIR_CLIENT, b, sizeof b), SSLNoErr);
    SSLContext *sv = p.s[PAIR_SERVER].ctx;
    cr_expect_eq(p.s[PAIR_SERVER].last, SSLProtocolErr);
    uint32 len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, sv), SSLProtocolErr);
    cr_expect_eq(len, 0);
    len = sizeof b;
    cr_expect_eq(SSLWrite(b, &len, sv), SSLProtocolErr);
    cr_expect_eq(len, 0);
    cr_expect_eq(SSLHandshake(sv), SSLProtocolErr);
    cr_expect_eq(SSLServiceWriteQueue(sv), SSLProtocolErr);
    cr_expect_eq(SSLClose(sv), SSLProtocolErr);
    /* the client got the alert and is stuck on its own error */
    len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_CLIENT].ctx), SSLFatalAlert);
    len = sizeof b;
    cr_expect_eq(SSLWrite(b, &len, p.s[PAIR_CLIENT].ctx), SSLFatalAlert);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A template server context duplicated per connection, then deleted before the copies are used. */
Test(api, duplicate_context)
{
    struct pair_config c;
    pair_config_init(&c);
    static const uint16_t s[] = {SSL_RSA_WITH_3DES_EDE_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5};
    c.suites[PAIR_SERVER] = s;
    c.nsuites[PAIR_SERVER] = 2;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    SSLContext *tmpl = p.s[PAIR_SERVER].ctx;
    SSLContext *dup = malloc(SSLContextSize());
    cr_expect_eq(SSLDuplicateContext(tmpl, tmpl, NULL), SSLBadParameterErr);
    cr_expect_eq(SSLDuplicateContext(NULL, dup, NULL), SSLBadParameterErr);
    cr_assert_eq(SSLDuplicateContext(tmpl, dup, &p.s[PAIR_SERVER].end), SSLNoErr);
    uint16 got[8];
    uint32 n = 8;
    cr_expect_eq(SSLXGetCipherSuites(dup, got, &n), SSLNoErr);
    cr_expect_eq(n, 2);
    cr_expect_eq(got[0], SSL_RSA_WITH_3DES_EDE_CBC_SHA);
    SSLDeleteContext(tmpl); /* the key is shared by reference: the copy keeps it alive */
    free(tmpl);
    p.s[PAIR_SERVER].ctx = dup;
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    uint16 suite;
    SSLGetNegotiatedCipher(dup, &suite);
    cr_expect_eq(suite, SSL_RSA_WITH_3DES_EDE_CBC_SHA);
    SSLProtocolVersion v;
    SSLGetProtocolVersion(dup, &v);
    cr_expect_eq(v, SSL_Version_3_0);
    uint8 sid[32];
    uint32 sl = sizeof sid;
    cr_expect_eq(SSLXGetSessionID(dup, sid, &sl), SSLNoErr);
    cr_expect_eq(sl, 0, "the peer ID is not copied, so the copy does not cache");
    uint8_t msg[100];
    pair_pattern(msg, sizeof msg, 2);
    cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
    pair_free(&p);
    expect_no_leaks(&p);

    /* duplicating an active connection gives an inactive one */
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    dup = malloc(SSLContextSize());
    cr_assert_eq(SSLDuplicateContext(p.s[PAIR_CLIENT].ctx, dup, NULL), SSLNoErr);
    cr_expect_eq(SSLGetNegotiatedCipher(dup, &suite), SSLNoErr);
    cr_expect_eq(suite, SSL_NULL_WITH_NULL_NULL);
    int len = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(dup, &len), SSLNoErr);
    cr_expect_eq(len, 0);
    SSLDeleteContext(dup);
    free(dup);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* The configured chain is one read-only block shared by reference: a duplicate allocates nothing for
 * it, sees the same bytes, and a certificate added to the duplicate changes only the duplicate. */
Test(api, duplicates_share_the_chain)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    SSLContext *tmpl = p.s[PAIR_SERVER].ctx;
    cr_assert_eq(tmpl->local_chain.n, 2);
    long blocks = p.s[PAIR_SERVER].alloc.live_blocks;
    SSLContext *dup[3];
    for (int i = 0; i < 3; i++) {
        dup[i] = malloc(SSLContextSize());
        cr_assert_eq(SSLDuplicateContext(tmpl, dup[i], NULL), SSLNoErr);
        cr_expect_eq(dup[i]->local_chain.certs, tmpl->local_chain.certs, "copy %d shares the chain", i);
        cr_expect_eq(dup[i]->local_chain.n, 2);
    }
    cr_expect_eq(p.s[PAIR_SERVER].alloc.live_blocks, blocks, "duplicates allocate nothing for the chain");
    /* the duplicate's own addition: a copy-on-write block, the template and the others unchanged */
    SSLBuffer extra = tmpl->local_chain.certs[1];
    uint8_t *keep = malloc(extra.length);
    memcpy(keep, extra.data, extra.length);
    cr_assert_eq(SSLAddCertificate(dup[0], (SSLBuffer){extra.length, keep}, 1, 0), SSLNoErr);
    cr_expect_eq(dup[0]->local_chain.n, 3);
    cr_expect_neq(dup[0]->local_chain.certs, tmpl->local_chain.certs);
    cr_expect_eq(tmpl->local_chain.n, 2);
    cr_expect_eq(dup[1]->local_chain.n, 2);
    cr_expect(memcmp(dup[0]->local_chain.certs[2].data, keep, extra.length) == 0);
    free(keep);
    /* the template goes first; the others still hold the block */
    SSLDeleteContext(tmpl);
    free(tmpl);
    for (int i = 1; i < 3; i++)
        cr_expect_eq(dup[i]->local_chain.certs[0].data[0], 0x30, "copy %d: the leaf is still there", i);
    p.s[PAIR_SERVER].ctx = dup[1];
    SSLSetIORef(dup[1], &p.s[PAIR_SERVER].end);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    int n = 0;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p.s[PAIR_CLIENT].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 2, "the client got the shared chain");
    for (int i = 0; i < 3; i += 2) {
        SSLDeleteContext(dup[i]);
        free(dup[i]);
    }
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(api, set_peer_id_takes_ownership)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    struct pair_alloc *a = &p.s[PAIR_CLIENT].alloc;
    long live = a->live_blocks;
    SSLBuffer id = {5, NULL};
    cr_assert_eq(pair_alloc_fn(&id, a), SSLNoErr);
    memcpy(id.data, "peer2", 5);
    cr_expect_eq(SSLSetPeerID(p.s[PAIR_CLIENT].ctx, id), SSLNoErr);
    cr_expect_eq(a->live_blocks, live, "the replaced peer ID was freed");
    cr_expect_eq(SSLSetPeerID(p.s[PAIR_CLIENT].ctx, id), SSLNoErr);
    cr_expect_eq(a->live_blocks, live, "setting the same buffer again frees nothing");
    pair_free(&p);
    expect_no_leaks(&p);
}

static SSLErr refuse_cert(int count, SSLBuffer *certs, void *ref)
{
    int *seen = ref;
    *seen = count;
    cr_expect(count > 0 && certs[0].length > 100 && certs[0].data[0] == 0x30);
    return X509CertChainInvalidErr;
}

static SSLErr accept_cert(int count, SSLBuffer *certs, void *ref)
{
    (void)certs;
    *(int *)ref = count;
    return SSLNoErr;
}

Test(api, check_certificate_callback)
{
    for (int refuse = 0; refuse < 2; refuse++) {
        struct pair_config c;
        pair_config_init(&c);
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int seen = 0;
        SSLSetCheckCertificateFunc(p.s[PAIR_CLIENT].ctx, refuse ? refuse_cert : accept_cert);
        SSLSetCheckCertificateRef(p.s[PAIR_CLIENT].ctx, &seen);
        int r = pair_handshake(&p);
        cr_expect_eq(seen, 2, "the callback saw the chain (leaf and CA)");
        if (refuse) {
            cr_expect_eq(r, PAIR_FAILED);
            cr_expect_eq(p.s[PAIR_CLIENT].last, X509CertChainInvalidErr, "the callback's error: %s",
                         SSLXErrorName(p.s[PAIR_CLIENT].last));
            uint16 sent, recv;
            SSLXGetLastAlerts(p.s[PAIR_CLIENT].ctx, &sent, &recv);
            cr_expect_eq(sent, 0x022a, "bad_certificate: %04x", sent);
            cr_expect_eq(p.s[PAIR_SERVER].last, SSLFatalAlert);
        } else {
            cr_expect_eq(r, PAIR_OK);
        }
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* Full duplex over a small transport: both sides have more queued than the pipes hold. SSLRead must
 * still read what the peer sent, or two peers that both write before reading never progress.
 * Disabled until the engine fix (notes/bugs.md, "Full-duplex deadlock"). */
Test(api, full_duplex_small_pipes)
{
    struct pair_config c;
    pair_config_init(&c);
    c.pipe_limit = 4096;
    struct pair p;
    handshake(&p, &c);
    enum { N = 100000 };
    uint8_t *out[2], *in[2];
    size_t sent[2] = {0, 0}, got[2] = {0, 0};
    for (int s = 0; s < 2; s++) {
        out[s] = malloc(N);
        in[s] = malloc(N);
        pair_pattern(out[s], N, (uint32_t)s + 40);
    }
    int rounds = 0, stall = 0;
    while ((got[0] < N || got[1] < N) && stall < 50 && rounds++ < 1000000) {
        size_t before = sent[0] + sent[1] + got[0] + got[1];
        for (int s = 0; s < 2; s++) {
            SSLContext *ctx = p.s[s].ctx;
            if (sent[s] < N) {
                uint32 len = (uint32)(N - sent[s]);
                SSLErr e = SSLWrite(out[s] + sent[s], &len, ctx);
                cr_assert(e == SSLNoErr || e == SSLWouldBlockErr, "write: %s", SSLXErrorName(e));
                sent[s] += len;
            } else {
                SSLErr e = SSLServiceWriteQueue(ctx);
                cr_assert(e == SSLNoErr || e == SSLWouldBlockErr);
            }
            uint32 len = (uint32)(N - got[s]);
            if (len) {
                SSLErr e = SSLRead(in[s] + got[s], &len, ctx);
                cr_assert(e == SSLNoErr || e == SSLWouldBlockErr, "read: %s", SSLXErrorName(e));
                got[s] += len;
            }
        }
        stall = sent[0] + sent[1] + got[0] + got[1] == before ? stall + 1 : 0;
    }
    cr_expect_eq(got[0], N, "client received %zu of %d (sent %zu/%zu)", got[0], N, sent[0], sent[1]);
    cr_expect_eq(got[1], N, "server received %zu of %d", got[1], N);
    cr_expect(got[0] == N && memcmp(in[0], out[1], N) == 0);
    cr_expect(got[1] == N && memcmp(in[1], out[0], N) == 0);
    for (int s = 0; s < 2; s++) {
        free(out[s]);
        free(in[s]);
    }
    pair_free(&p);
    expect_no_leaks(&p);
}

/* Reading one byte at a time returns every byte in order. */
Test(api, read_one_byte_at_a_time)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    handshake(&p, &c);
    enum { N = 16385 };
    uint8_t *buf = malloc(N), *got = malloc(N);
    pair_pattern(buf, N, 77);
    uint32 wl = N;
    cr_assert_eq(SSLWrite(buf, &wl, p.s[PAIR_CLIENT].ctx), SSLNoErr);
    cr_assert_eq(wl, N);
    for (size_t i = 0; i < N; i++) {
        uint32 len = 1;
        SSLErr e = SSLRead(got + i, &len, p.s[PAIR_SERVER].ctx);
        cr_assert(e == SSLNoErr && len == 1, "byte %zu: %s len %u", i, SSLXErrorName(e), len);
    }
    cr_expect_arr_eq(got, buf, N);
    free(buf);
    free(got);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* Both sides close at once: the close_notify alerts cross and each side reads the other's. */
Test(api, simultaneous_close)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    handshake(&p, &c);
    cr_expect_eq(SSLClose(p.s[0].ctx), SSLNoErr);
    cr_expect_eq(SSLClose(p.s[1].ctx), SSLNoErr);
    for (int side = 0; side < 2; side++) {
        uint8_t b[4];
        uint32 len = sizeof b;
        cr_expect_eq(SSLRead(b, &len, p.s[side].ctx), SSLConnectionClosedGraceful, "side %d", side);
    }
    pair_free(&p);
    expect_no_leaks(&p);
}

/* After sending close_notify a side still reads what the peer sent before the peer's own close. */
Test(api, half_close)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    handshake(&p, &c);
    cr_expect_eq(SSLClose(p.s[PAIR_CLIENT].ctx), SSLNoErr);
    uint32 len = 5;
    cr_expect_eq(SSLWrite("late!", &len, p.s[PAIR_SERVER].ctx), SSLNoErr);
    cr_expect_eq(len, 5);
    uint8_t b[8];
    len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_SERVER].ctx), SSLConnectionClosedGraceful);
    cr_expect_eq(SSLClose(p.s[PAIR_SERVER].ctx), SSLNoErr);
    len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_CLIENT].ctx), SSLNoErr);
    cr_expect(len == 5 && memcmp(b, "late!", 5) == 0, "the data sent before the peer's close");
    len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_CLIENT].ctx), SSLConnectionClosedGraceful);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A resumed handshake driven only by SSLWrite (client) and SSLRead (server): the client's data follows
 * its Finished in the same flight and waits in the server's buffer. */
Test(api, resumed_handshake_through_read_write)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        uint8_t msg[5000];
        pair_pattern(msg, sizeof msg, 8);
        cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr, "conn %d", conn);
        cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
        int r = -1;
        SSLXGetResumed(p.s[PAIR_SERVER].ctx, &r);
        cr_expect_eq(r, conn);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_SERVER, &ce), SSLConnectionClosedGraceful);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* The usual server: one configured template, a duplicate per connection with its own peer ID; the
 * session cache makes the second connection resume across duplicates. */
Test(api, duplicates_share_the_session_cache)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    c.peer_id[PAIR_SERVER] = 0; /* the template has none; each duplicate gets one */
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 90 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        SSLContext *tmpl = p.s[PAIR_SERVER].ctx, *dup = malloc(SSLContextSize());
        cr_assert_eq(SSLDuplicateContext(tmpl, dup, &p.s[PAIR_SERVER].end), SSLNoErr);
        SSLBuffer id = {4, NULL};
        cr_assert_eq(pair_alloc_fn(&id, &p.s[PAIR_SERVER].alloc), SSLNoErr);
        memcpy(id.data, "conn", 4);
        cr_expect_eq(SSLSetPeerID(dup, id), SSLNoErr);
        p.s[PAIR_SERVER].ctx = dup;
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "conn %d: %s / %s", conn, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        int r0 = -1, r1 = -1;
        SSLXGetResumed(p.s[0].ctx, &r0);
        SSLXGetResumed(dup, &r1);
        cr_expect_eq(r0, conn, "client resumed=%d on connection %d", r0, conn);
        cr_expect_eq(r1, conn, "server resumed=%d on connection %d", r1, conn);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        cr_expect_eq(SSLDeleteContext(tmpl), SSLNoErr);
        free(tmpl);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    cr_expect_eq(sc.adds, 1);
    cr_expect_eq(sc.hits, 1);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* SSLDeleteContext leaves no secret in the caller's memory: the whole context is wiped. */
Test(api, delete_wipes_the_context)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    handshake(&p, &c);
    uint8_t msg[64] = {1};
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
    for (int side = 0; side < 2; side++) {
        SSLContext *ctx = p.s[side].ctx;
        cr_assert_eq(SSLDeleteContext(ctx), SSLNoErr);
        const uint8_t *b = (const uint8_t *)ctx;
        size_t nonzero = 0;
        for (uint32 i = 0; i < SSLContextSize(); i++)
            nonzero += b[i] != 0;
        cr_expect_eq(nonzero, 0, "side %d: %zu bytes of the deleted context are not zero", side, nonzero);
        free(ctx);
        p.s[side].ctx = NULL;
    }
    pair_free(&p);
    expect_no_leaks(&p);
}
