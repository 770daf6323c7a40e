/*
 * test_pair_faults.c - the allocator, the random source, the clock and the I/O callbacks failing at
 * the k-th call, for every k, on either side, in a full and in a resumed connection (handshake, data
 * both ways, close). Each run must end cleanly: either it succeeds (the failure hit a call whose error
 * the spec says to ignore, such as storing or fetching a session) or the failing side reports the
 * callback's error, its peer sees an alert or the end of the stream, nothing crashes, and after
 * SSLDeleteContext nothing is left allocated.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"

struct fault_param {
    uint16_t suite;
    int side;
    int resumed;
    int persistent;
    int wb;          /* would-block before every byte as well */
    SSLErr err;      /* what the failing allocator returns */
    int flow;        /* FLOW_CLIENT_AUTH: the server asks for and gets a client certificate;
                        FLOW_SSL2: both sides speak SSL 2.0 only */
};

enum { FLOW_CLIENT_AUTH = 1, FLOW_SSL2 = 2 };

static void flows(struct pair_config *c, const struct fault_param *fp)
{
    c->export_key = "export512-key.pem";
    c->dh_params = "dh1024.pem";
    if (fp && (fp->flow & FLOW_SSL2))
        c->version[0] = c->version[1] = SSL_Version_2_0;
    if (fp && (fp->flow & FLOW_CLIENT_AUTH)) {
        c->request_client_cert = 1;
        c->client_key = "client-key.pem";
        c->client_chain = "client-cert.pem";
    }
}

/* Run a connection; returns the first error (SSLNoErr when everything worked). */
static SSLErr scenario(struct pair *p)
{
    int r = pair_handshake(p);
    if (r == PAIR_STALL)
        return SSLWouldBlockErr;
    if (r != PAIR_OK)
        return p->s[0].last != SSLNoErr ? p->s[0].last : p->s[1].last;
    uint8_t buf[20000];
    static const size_t sizes[] = {100, sizeof buf};
    for (int i = 0; i < 2; i++)
        for (int from = 0; from < 2; from++) {
            pair_pattern(buf, sizes[i], (uint32_t)(i * 2 + from));
            SSLErr e = pair_exchange(p, from, buf, sizes[i]);
            if (e != SSLNoErr)
                return e;
        }
    SSLErr c;
    SSLErr e = pair_close(p, PAIR_CLIENT, &c);
    if (c != SSLNoErr)
        return c;
    return e == SSLConnectionClosedGraceful ? SSLNoErr : e;
}

/* A cache holding one session from a completed full connection. */
static void prepare_caches(struct pair_cache *cc, struct pair_cache *sc, const uint16_t *fault_suite,
                           int flow)
{
    pair_cache_init(cc);
    pair_cache_init(sc);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, fault_suite);
    struct fault_param fp0 = {.flow = flow};
    flows(&c, &fp0);
    c.cache[0] = cc;
    c.cache[1] = sc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(scenario(&p), SSLNoErr);
    pair_free(&p);
    cr_assert_eq(cc->n, 1);
    cr_assert_eq(sc->n, 1);
}

enum { FAULT_ALLOC, FAULT_RANDOM, FAULT_TIME, FAULT_IO };
static const char *const fault_name[] = {"alloc", "random", "time", "I/O"};

/* Calls of the faulty callback so far. */
static uint64_t fault_calls(struct pair_side *ps, int what)
{
    switch (what) {
    case FAULT_ALLOC: return ps->alloc.calls;
    case FAULT_RANDOM: return ps->rng.calls;
    case FAULT_TIME: return ps->clock.calls;
    default: return ps->end.rd_calls + ps->end.wr_calls;
    }
}

/* One run with the side's allocator (or random source) failing at call k (0: never).
 * Returns the error; *calls gets the number of calls that side made after set-up. */
static SSLErr run_once(const struct fault_param *fp, int what, uint64_t k, const struct pair_cache *cc0,
                       const struct pair_cache *sc0, uint64_t *calls, int *resumed)
{
    struct pair_cache cc, sc;
    cr_assert_eq(pair_cache_copy(&cc, cc0), 0);
    cr_assert_eq(pair_cache_copy(&sc, sc0), 0);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &fp->suite);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    c.seed = 99;
    c.io[0].wb_every_byte = c.io[1].wb_every_byte = fp->wb;
    flows(&c, fp);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    struct pair_side *ps = &p.s[fp->side];
    ps->rng.calls = ps->clock.calls = ps->end.rd_calls = ps->end.wr_calls = 0;
    uint64_t start = fault_calls(ps, what);
    ps->alloc.fail_err = fp->err;
    if (k && what == FAULT_ALLOC)
        pair_alloc_fail_in(&ps->alloc, k, fp->persistent);
    if (k && what == FAULT_RANDOM)
        ps->rng.fail_at = k;
    if (k && what == FAULT_TIME)
        ps->clock.fail_at = k;
    if (k && what == FAULT_IO)
        ps->io.fail_call = k;
    SSLErr e = scenario(&p);
    int injected = what == FAULT_ALLOC ? ps->alloc.failures > 0 : (k && fault_calls(ps, what) >= k);
    SSLErr expect = what == FAULT_ALLOC ? fp->err : what == FAULT_IO ? SSLIOErr : SSLUnknownErr;
    *resumed = 0;
    if (e == SSLNoErr) {
        SSLXGetResumed(p.s[0].ctx, resumed);
    } else {
        cr_expect(injected, "k=%llu: failed without an injected fault: %s (client %s, server %s)",
                  (unsigned long long)k, SSLXErrorName(e), SSLXErrorName(p.s[0].last),
                  SSLXErrorName(p.s[1].last));
        cr_expect_eq(ps->last, expect, "k=%llu side %d: the failing side reports %s, got %s",
                     (unsigned long long)k, fp->side, SSLXErrorName(expect), SSLXErrorName(ps->last));
        /* the error is sticky */
        uint8_t b[4];
        uint32 len = sizeof b;
        cr_expect_eq(SSLRead(b, &len, ps->ctx), ps->last, "k=%llu: sticky error", (unsigned long long)k);
        len = sizeof b;
        cr_expect_eq(SSLWrite(b, &len, ps->ctx), ps->last);
        cr_expect_eq(len, 0);
        SSLErr pe = p.s[PAIR_PEER(fp->side)].last;
        cr_expect(pe == SSLFatalAlert || pe == SSLConnectionClosedError || pe == SSLNoErr ||
                      pe == SSLWouldBlockErr,
                  "k=%llu: peer ended with %s", (unsigned long long)k, SSLXErrorName(pe));
        if (pe == SSLFatalAlert) {
            uint16 sent, recv;
            SSLXGetLastAlerts(p.s[PAIR_PEER(fp->side)].ctx, &sent, &recv);
            cr_expect_eq(recv >> 8, 2, "a fatal alert");
        }
    }
    *calls = fault_calls(ps, what) - start;
    pair_free(&p);
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p.s[side].alloc.live_blocks, 0, "k=%llu side %d: %ld blocks leaked",
                     (unsigned long long)k, side, p.s[side].alloc.live_blocks);
        cr_expect_eq(p.s[side].alloc.bad_frees, 0);
        cr_expect_eq(p.s[side].alloc.unwiped_frees, 0, "k=%llu side %d: blocks freed without wiping",
                     (unsigned long long)k, side);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
    return e;
}

static void every_k(const struct fault_param *fp, int what)
{
    struct pair_cache cc0, sc0;
    if (fp->resumed) {
        prepare_caches(&cc0, &sc0, &fp->suite, fp->flow);
    } else {
        pair_cache_init(&cc0);
        pair_cache_init(&sc0);
    }
    uint64_t total;
    int resumed;
    cr_assert_eq(run_once(fp, what, 0, &cc0, &sc0, &total, &resumed), SSLNoErr, "reference run");
    cr_assert_eq(resumed, fp->resumed, "reference run resumed=%d", resumed);
    cr_assert_gt(total, 0, "the side made %llu calls", (unsigned long long)total);
    unsigned failed = 0, survived = 0;
    for (uint64_t k = 1; k <= total + 1; k++) {
        uint64_t calls;
        SSLErr e = run_once(fp, what, k, &cc0, &sc0, &calls, &resumed);
        if (e == SSLNoErr)
            survived++;
        else
            failed++;
        if (k == total + 1)
            cr_expect_eq(e, SSLNoErr, "no call was failed: the run succeeds");
    }
    cr_log_info("suite %04x flow %d side %d resumed %d persistent %d wb %d %s: %llu calls, %u failed "
                "cleanly, %u succeeded", fp->suite, fp->flow, fp->side, fp->resumed, fp->persistent, fp->wb,
                fault_name[what],
                (unsigned long long)total, failed, survived);
    cr_expect_gt(failed, 0);
    pair_cache_clear(&cc0);
    pair_cache_clear(&sc0);
}

ParameterizedTestParameters(faults, alloc_every_k)
{
    static struct fault_param ps[4 * PAIR_NSUITES + 4 + 4 + 2 + 4 * 6];
    int n = 0;
    for (int i = 0; i < PAIR_NSUITES; i++) /* every suite, both sides, full and resumed */
        for (int j = 0; j < 4; j++)
            ps[n++] = (struct fault_param){pair_suites[i], j & 1, j >> 1, 0, 0, SSLMemoryErr, 0};
    for (int j = 0; j < 4; j++) /* every call from k on fails */
        ps[n++] = (struct fault_param){TLS_RSA_WITH_AES_128_CBC_SHA, j & 1, j >> 1, 1, 0, SSLMemoryErr, 0};
    for (int j = 0; j < 4; j++) /* with would-block before every byte */
        ps[n++] = (struct fault_param){SSL_RSA_WITH_3DES_EDE_CBC_SHA, j & 1, j >> 1, 0, 1, SSLMemoryErr, 0};
    for (int j = 0; j < 2; j++) /* the allocator's own error is passed on */
        ps[n++] = (struct fault_param){SSL_RSA_WITH_RC4_128_MD5, j, 0, 0, 0, SSLUnknownErr, 0};
    static const struct {
        uint16_t suite;
        int flow;
    } other[] = {{SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, 0}, {TLS_DHE_RSA_WITH_AES_256_CBC_SHA, 0},
                 {SSL_DH_anon_WITH_3DES_EDE_CBC_SHA, 0}, {SSL_RSA_WITH_RC4_128_SHA, FLOW_CLIENT_AUTH},
                 {SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5, FLOW_SSL2}, {SSL2_SUITE_RC4_128_WITH_MD5, FLOW_SSL2}};
    for (int i = 0; i < 6; i++) /* the other flows: ServerKeyExchange, client auth, SSL 2.0 */
        for (int j = 0; j < 4; j++)
            ps[n++] = (struct fault_param){other[i].suite, j & 1, j >> 1, 0, 0, SSLMemoryErr, other[i].flow};
    return cr_make_param_array(struct fault_param, ps, (size_t)n);
}

ParameterizedTest(struct fault_param *fp, faults, alloc_every_k, .timeout = 120)
{
    every_k(fp, FAULT_ALLOC);
}

ParameterizedTestParameters(faults, random_every_k)
{
    static struct fault_param ps[4];
    for (int i = 0; i < 4; i++)
        ps[i] = (struct fault_param){TLS_RSA_WITH_AES_256_CBC_SHA, i & 1, (i >> 1) & 1, 0, 0, SSLMemoryErr, 0};
    return cr_make_param_array(struct fault_param, ps, 4);
}

ParameterizedTest(struct fault_param *fp, faults, random_every_k, .timeout = 120)
{
    every_k(fp, FAULT_RANDOM);
}

ParameterizedTestParameters(faults, time_every_k)
{
    static struct fault_param ps[4];
    for (int i = 0; i < 4; i++)
        ps[i] = (struct fault_param){TLS_RSA_WITH_AES_128_CBC_SHA, i & 1, (i >> 1) & 1, 0, 0, SSLMemoryErr, 0};
    return cr_make_param_array(struct fault_param, ps, 4);
}

ParameterizedTest(struct fault_param *fp, faults, time_every_k, .timeout = 120)
{
    every_k(fp, FAULT_TIME);
}

/* The Read or Write callback fails (SSLIOErr) at its k-th call: the side reports SSLIOErr and sends
 * no alert. With would-block at every byte there are many more calls, so many more fault points. */
ParameterizedTestParameters(faults, io_every_k)
{
    static struct fault_param ps[8];
    for (int i = 0; i < 8; i++)
        ps[i] = (struct fault_param){i & 4 ? SSL_RSA_WITH_RC4_128_MD5 : TLS_RSA_WITH_AES_256_CBC_SHA, i & 1,
                                     (i >> 1) & 1, 0, 0, SSLMemoryErr, 0};
    return cr_make_param_array(struct fault_param, ps, 8);
}

ParameterizedTest(struct fault_param *fp, faults, io_every_k, .timeout = 120)
{
    every_k(fp, FAULT_IO);
}

/* Configuration calls that allocate (the local chain) fail cleanly too. */
Test(faults, add_certificates_every_k)
{
    size_t len;
    char *pem = pair_read_data("server-chain.pem", &len);
    cr_assert(pem);
    for (uint64_t k = 1; k < 64; k++) {
        struct pair_alloc a;
        pair_alloc_init(&a);
        SSLContext *ctx = malloc(SSLContextSize());
        cr_assert_eq(SSLInitContext(ctx), SSLNoErr);
        SSLSetAllocFunc(ctx, pair_alloc_fn);
        SSLSetFreeFunc(ctx, pair_free_fn);
        SSLSetReallocFunc(ctx, pair_realloc_fn);
        SSLSetAllocRef(ctx, &a);
        pair_alloc_fail_in(&a, k, 0);
        SSLErr e = SSLXAddCertificatesPEM(ctx, pem, len);
        int add_failed = a.failures > 0;
        if (add_failed)
            cr_expect_eq(e, SSLMemoryErr, "k=%llu: %s", (unsigned long long)k, SSLXErrorName(e));
        else
            cr_expect_eq(e, SSLNoErr);
        SSLContext *dup = malloc(SSLContextSize());
        pair_alloc_fail_in(&a, 1, 0);
        SSLErr d = SSLDuplicateContext(ctx, dup, NULL);
        if (a.failures > (uint64_t)add_failed)
            cr_expect_eq(d, SSLMemoryErr, "k=%llu: duplicate: %s", (unsigned long long)k, SSLXErrorName(d));
        else
            cr_expect_eq(d, SSLNoErr);
        cr_expect_eq(SSLDeleteContext(dup), SSLNoErr, "a failed duplicate is deletable");
        cr_expect_eq(SSLDeleteContext(ctx), SSLNoErr);
        cr_expect_eq(a.live_blocks, 0, "k=%llu: %ld blocks leaked", (unsigned long long)k, a.live_blocks);
        free(dup);
        free(ctx);
        if (!add_failed)
            break;
    }
    free(pem);
}
