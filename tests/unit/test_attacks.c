/*
 * test_attacks.c - the known SSL 3.0 attacks of docs/security.md ("Known attacks"), part 1: the RSA
 * premaster (Bleichenbacher's oracle, the client_version check), constant-time comparison, FREAK and
 * BEAST. Each test stages the attack through the pair harness (a man in the middle edits records;
 * a scripted peer sends what a real one would not) and checks what the library does on the wire.
 * Renegotiation, close_notify, resumption and RFC 5746: test_attacks_session.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "mitm.h"
#include "pair_kx.h"
#include "crypto/crypto_ltc.h"
#include "base/ct.h"
#include "handshake/hs3.h"
#include "record/kdf3.h"
#include "crypto/pkcs1.h"
#include "state/suites.h"

/* ---- Bleichenbacher: every premaster fault looks the same ---- */

enum bb_case {
    BB_CONTROL,        /* the client's own premaster, freshly padded: taken */
    BB_WRONG_PREMASTER,/* good padding and version, another premaster */
    BB_FIRST_BYTE,     /* 01 02 ... */
    BB_TYPE_1,         /* 00 01 ... (signature block type) */
    BB_TYPE_0,         /* 00 00 ... */
    BB_ZERO_IN_PS,     /* a zero inside the padding: the message would be 53 bytes */
    BB_NO_SEPARATOR,   /* no zero before the premaster */
    BB_LEN_47,         /* separator one byte late: a 47-byte message */
    BB_LEN_49,         /* separator one byte early: a 49-byte message */
    BB_VERSION_0301,   /* premaster version 3.1 (client offered 3.0) */
    BB_VERSION_0200,   /* premaster version 2.0 */
    BB_VERSION_0003,   /* version bytes swapped */
    BB_SHORT,          /* ciphertext one byte short */
    BB_LONG,           /* ciphertext one byte long */
    BB_EMPTY,          /* no ciphertext at all */
    BB_OVER_MODULUS,   /* ciphertext >= n: the RSA operation itself fails */
    BB_N
};

static const char *const bb_names[BB_N] = {
    "control", "wrong premaster", "first byte 01", "block type 01", "block type 00", "zero in padding",
    "no separator", "47-byte premaster", "49-byte premaster", "version 3.1", "version 2.0",
    "version bytes swapped", "ciphertext k-1 bytes", "ciphertext k+1 bytes", "empty ciphertext",
    "ciphertext >= n"};

/* The key the server decrypts ClientKeyExchange with (its temporary key in an export suite). */
static const SSLRSAPrivateKey *server_kx_key(SSLContext *srv)
{
    return hs3_needs_server_kx(srv) ? srv->export_key : srv->key;
}

/* Replace the k-byte RSA ciphertext @body (the client's, encrypted to @key) by case @kase, built
 * from the premaster it carries (returned in pre); @embedded (may be NULL) gets the last 48 bytes
 * of the new block, the premaster a server that skipped a check would use. */
static void bb_make(const SSLRSAPrivateKey *key, int kase, uint8_t *body, size_t *len, uint8_t pre[48],
                    uint8_t *embedded)
{
    size_t k = cry_rsa_key_bytes(key), nl = 1024, el = 16;
    uint8_t blk[1024], n[1024], e[16];
    cr_assert_eq(*len, k, "ClientKeyExchange carries a k-byte ciphertext");
    cr_assert_eq(cry_rsa_private(key, body, k, blk), SSLNoErr);
    cr_assert(blk[0] == 0 && blk[1] == 2 && blk[k - 49] == 0, "the client's block is 00 02 PS 00 P");
    memcpy(pre, blk + k - 48, 48);
    size_t ps = k - 51; /* padding bytes for a 48-byte message */
    blk[0] = 0;
    blk[1] = 2;
    for (size_t i = 0; i < ps; i++)
        blk[2 + i] = (uint8_t)(0x11 + i % 200);
    blk[2 + ps] = 0;
    memcpy(blk + 3 + ps, pre, 48);
    switch (kase) {
    case BB_WRONG_PREMASTER: blk[k - 1] ^= 0x01; break;
    case BB_FIRST_BYTE: blk[0] = 1; break; /* still < n: n's top byte is >= 0x80 */
    case BB_TYPE_1: blk[1] = 1; break;
    case BB_TYPE_0: blk[1] = 0; break;
    case BB_ZERO_IN_PS: blk[2 + ps - 5] = 0; break;
    case BB_NO_SEPARATOR: blk[2 + ps] = 0x22; break;
    case BB_LEN_47: blk[2 + ps] = 0x33, blk[3 + ps] = 0; break;
    case BB_LEN_49: blk[1 + ps] = 0; break;
    case BB_VERSION_0301: blk[k - 47] = 1; break;
    case BB_VERSION_0200: blk[k - 48] = 2; break;
    case BB_VERSION_0003: blk[k - 48] = 0, blk[k - 47] = 3; break;
    default: break;
    }
    if (embedded)
        memcpy(embedded, blk + k - 48, 48);
    cr_assert_eq(cry_rsa_key_public(key, n, &nl, e, &el), SSLNoErr);
    cr_assert_eq(cry_rsa_public(n, nl, e, el, blk, k, body), SSLNoErr);
    switch (kase) {
    case BB_SHORT: *len = k - 1; break;
    case BB_LONG: body[k] = 0, *len = k + 1; break;
    case BB_EMPTY: *len = 0; break;
    case BB_OVER_MODULUS: memset(body, 0xff, k); break;
    default: break;
    }
}

struct bb_edit_ref {
    int kase;
    uint8_t pre[48];
};

static void bb_edit(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    struct bb_edit_ref *b = ref;
    cr_assert_geq(cap, 1025);
    bb_make(server_kx_key(p->s[PAIR_SERVER].ctx), b->kase, body, len, b->pre, NULL);
    cr_assert(b->pre[0] == 3 && b->pre[1] == 0, "the client's premaster starts with its version 3.0");
}

static const uint16_t bb_suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5,
                                     SSL_RSA_EXPORT_WITH_RC4_40_MD5};

ParameterizedTestParameters(attacks, bleichenbacher_fails_at_finished_alike)
{
    return cr_make_param_array(uint16_t, (void *)bb_suites, sizeof bb_suites / sizeof bb_suites[0]);
}

/* Every fault in the RSA-encrypted premaster (padding, separator, length, version, ciphertext
 * length, the RSA operation) ends the handshake at the same point with the same error and alert as
 * a well-formed block that carries the wrong premaster: the server reads the client's whole flight,
 * answers its Finished with bad_record_mac (the keys differ), and has written the same bytes. The
 * control (the client's own premaster in a fresh block) shows the block was taken: the keys agree
 * and only the Finished hash differs (the server hashed the new ClientKeyExchange). */
ParameterizedTest(uint16_t *suite, attacks, bleichenbacher_fails_at_finished_alike, .timeout = 120)
{
    uint64_t srv_bytes = 0, cli_bytes = 0;
    for (int kase = 0; kase < BB_N; kase++) {
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, suite);
        c.export_key = "export512-key.pem";
        struct pair p;
        struct pkx_mitm m;
        struct bb_edit_ref b = {.kase = kase};
        pkx_mitm_edit(&m, &p, &c, PAIR_CLIENT, 16, bb_edit, &b);
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        cr_assert_eq(m.edited, 1, "%s: ClientKeyExchange was replaced", bb_names[kase]);
        const char *w = bb_names[kase];
        if (kase == BB_CONTROL) {
            /* the right premaster: the keys agree, so the Finished record opens, but the server
             * hashed another ClientKeyExchange than the client did: handshake_failure */
            cr_expect_eq(r, PAIR_FAILED);
            cr_expect_eq(p.s[PAIR_SERVER].last, SSLProtocolErr, "%s", SSLXErrorName(p.s[PAIR_SERVER].last));
            cr_expect_eq(alert_sent(&p, PAIR_SERVER), FATAL(HS_FAILURE), "control: the premaster was taken");
            pair_free(&p);
            expect_no_leaks(&p);
            continue;
        }
        cr_expect_eq(r, PAIR_FAILED, "%s", w);
        cr_expect_eq(p.s[PAIR_SERVER].last, SSLProtocolErr, "%s: server %s", w, SSLXErrorName(p.s[PAIR_SERVER].last));
        cr_expect_eq(alert_sent(&p, PAIR_SERVER), FATAL(BAD_MAC), "%s: server sent %04x", w, alert_sent(&p, PAIR_SERVER));
        cr_expect_eq(p.s[PAIR_CLIENT].last, SSLFatalAlert, "%s: client %s", w, SSLXErrorName(p.s[PAIR_CLIENT].last));
        cr_expect_eq(alert_recv(&p, PAIR_CLIENT), FATAL(BAD_MAC), "%s", w);
        cr_expect_eq(alert_sent(&p, PAIR_CLIENT), 0, "%s: the client found nothing wrong itself", w);
        /* the server read the client's whole flight (CKE, CCS, Finished) before it failed */
        cr_expect_eq(p.pipe[PAIR_CLIENT].consumed, p.pipe[PAIR_CLIENT].total, "%s: failed at the last record", w);
        cr_expect_eq(m.ccs[PAIR_CLIENT], 1, "%s", w);
        /* and wrote the same bytes every time: its flight, then one alert */
        if (kase == BB_WRONG_PREMASTER) {
            srv_bytes = p.pipe[PAIR_SERVER].total;
            cli_bytes = p.pipe[PAIR_CLIENT].total;
        } else {
            cr_expect_eq(p.pipe[PAIR_SERVER].total, srv_bytes, "%s: server wrote %llu bytes, baseline %llu", w,
                         (unsigned long long)p.pipe[PAIR_SERVER].total, (unsigned long long)srv_bytes);
            long d = (long)p.pipe[PAIR_CLIENT].total - (long)cli_bytes; /* only the CKE length differs */
            long want = kase == BB_SHORT ? -1 : kase == BB_LONG ? 1 : 0;
            if (kase == BB_EMPTY)
                want = -(long)cry_rsa_key_bytes(server_kx_key(p.s[PAIR_SERVER].ctx));
            cr_expect_eq(d, want, "%s", w);
        }
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* A scripted client against a real server: the server's state after ClientKeyExchange. */
struct kx_probe {
    SSLErr err;          /* SSLHandshake's result (would-block: waiting for ChangeCipherSpec) */
    size_t out;          /* bytes the server wrote in answer to ClientKeyExchange */
    uint64_t rng_calls;  /* random-source calls made while processing it */
    int master_is_pre;   /* the master secret was derived from our premaster */
    int master_is_embedded; /* ... from the last 48 bytes of the (changed) block */
    uint16_t alert;
};

/* ClientHello from our client (its version bytes set to @version), then the server's flight, then a
 * ClientKeyExchange made by bb_make(@kase) with premaster version bytes @pv (0: the client's). */
static void kx_probe_run(uint16_t suite, uint16_t version, int kase, uint16_t pv, struct kx_probe *out)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &suite);
    c.export_key = "export512-key.pem";
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
    const uint8_t *d;
    uint8_t ch[1024];
    size_t n = pair_pending(&p, PAIR_SERVER, &d);
    cr_assert(n > 11 && n < sizeof ch && d[0] == 22 && d[5] == 1, "a ClientHello");
    memcpy(ch, d, n);
    ch[9] = (uint8_t)(version >> 8), ch[10] = (uint8_t)version;
    pair_drain(&p, PAIR_SERVER);
    pair_inject(&p, PAIR_SERVER, ch, n);
    cr_assert_eq(pair_run_side(&p, PAIR_SERVER), SSLWouldBlockErr);
    SSLContext *srv = p.s[PAIR_SERVER].ctx;
    cr_expect_eq(srv->client_version, version, "the server keeps the version of the ClientHello");
    pair_drain(&p, PAIR_CLIENT); /* the server's flight */
    /* ClientKeyExchange: a fresh k-byte block around a premaster of our own */
    const SSLRSAPrivateKey *key = server_kx_key(srv);
    size_t k = cry_rsa_key_bytes(key), nl = 1024, el = 16;
    uint8_t blk[1024], nn[1024], e[16], pre[48], rec[5 + 4 + 1100];
    pair_pattern(pre, 48, 99);
    pre[0] = 3, pre[1] = 0;
    if (pv)
        pre[0] = (uint8_t)(pv >> 8), pre[1] = (uint8_t)pv;
    blk[0] = 0, blk[1] = 2;
    memset(blk + 2, 0x77, k - 51);
    blk[k - 49] = 0;
    memcpy(blk + k - 48, pre, 48);
    cr_assert_eq(cry_rsa_key_public(key, nn, &nl, e, &el), SSLNoErr);
    cr_assert_eq(cry_rsa_public(nn, nl, e, el, blk, k, rec + 9), SSLNoErr);
    size_t clen = k;
    uint8_t pre_seen[48], embedded[48];
    bb_make(key, kase, rec + 9, &clen, pre_seen, embedded);
    cr_assert(memcmp(pre_seen, pre, 48) == 0);
    rec[0] = 22, rec[1] = 3, rec[2] = 0;
    rec[3] = (uint8_t)((clen + 4) >> 8), rec[4] = (uint8_t)(clen + 4);
    rec[5] = 16, rec[6] = 0, rec[7] = (uint8_t)(clen >> 8), rec[8] = (uint8_t)clen;
    uint64_t calls = p.s[PAIR_SERVER].rng.calls;
    pair_inject(&p, PAIR_SERVER, rec, 9 + clen);
    out->err = pair_run_side(&p, PAIR_SERVER);
    out->rng_calls = p.s[PAIR_SERVER].rng.calls - calls;
    out->out = pair_pending(&p, PAIR_CLIENT, &d);
    out->alert = alert_sent(&p, PAIR_SERVER);
    uint8_t want[48];
    kdf3_master_secret(pre, 48, srv->client_random, srv->server_random, want);
    out->master_is_pre = memcmp(srv->master, want, 48) == 0;
    kdf3_master_secret(embedded, 48, srv->client_random, srv->server_random, want);
    out->master_is_embedded = memcmp(srv->master, want, 48) == 0;
    pair_free(&p);
    expect_no_leaks(&p);
}

/* At ClientKeyExchange itself nothing shows: for every case the server answers nothing, sends no
 * alert, draws the same random bytes and goes on to wait for ChangeCipherSpec; only a good block
 * gives the premaster it carries. */
ParameterizedTestParameters(attacks, bleichenbacher_no_early_exit)
{
    return cr_make_param_array(uint16_t, (void *)bb_suites, sizeof bb_suites / sizeof bb_suites[0]);
}

ParameterizedTest(uint16_t *suite, attacks, bleichenbacher_no_early_exit, .timeout = 60)
{
    struct kx_probe base;
    kx_probe_run(*suite, 0x0300, BB_CONTROL, 0, &base);
    cr_expect_eq(base.err, SSLWouldBlockErr, "control: %s", SSLXErrorName(base.err));
    cr_expect(base.master_is_pre, "control: the master secret comes from the client's premaster");
    cr_expect_eq(base.out, 0);
    cr_expect_geq(base.rng_calls, 1, "a fallback premaster is drawn even for a good block");
    for (int kase = 1; kase < BB_N; kase++) {
        struct kx_probe r;
        kx_probe_run(*suite, 0x0300, kase, 0, &r);
        cr_expect_eq(r.err, SSLWouldBlockErr, "%s: %s", bb_names[kase], SSLXErrorName(r.err));
        cr_expect_eq(r.out, 0, "%s: the server answered %zu bytes", bb_names[kase], r.out);
        cr_expect_eq(r.alert, 0, "%s: alert %04x", bb_names[kase], r.alert);
        cr_expect_eq(r.rng_calls, base.rng_calls, "%s: %llu random calls, %llu for a good block", bb_names[kase],
                     (unsigned long long)r.rng_calls, (unsigned long long)base.rng_calls);
        cr_expect(!r.master_is_pre, "%s: the client's premaster cannot come out", bb_names[kase]);
        /* only a well-formed block (the wrong premaster) gives what it carries */
        cr_expect_eq(r.master_is_embedded, kase == BB_WRONG_PREMASTER, "%s: the block's bytes %s used",
                     bb_names[kase], r.master_is_embedded ? "were" : "were not");
    }
}

/* RFC 6101 §5.6.7.1: the premaster starts with the version the client offered in its ClientHello,
 * not the negotiated one. A TLS 1.0 client (hello 3.1) talking 3.0 must put 03 01 there; 03 00 from
 * such a client means a rollback and is treated like any other bad premaster. */
Test(attacks, premaster_version_is_the_client_hello_version)
{
    static const struct {
        uint16_t hello, pre;
        int good;
    } cases[] = {
        {0x0300, 0x0300, 1}, {0x0301, 0x0301, 1}, {0x0301, 0x0300, 0}, {0x0300, 0x0301, 0},
        {0x0303, 0x0303, 1}, {0x0303, 0x0301, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kx_probe r;
        kx_probe_run(TLS_RSA_WITH_AES_128_CBC_SHA, cases[i].hello, BB_CONTROL, cases[i].pre, &r);
        cr_expect_eq(r.err, SSLWouldBlockErr, "hello %04x premaster %04x: %s", cases[i].hello, cases[i].pre,
                     SSLXErrorName(r.err));
        cr_expect_eq(r.master_is_pre, cases[i].good, "hello %04x premaster %04x", cases[i].hello, cases[i].pre);
        cr_expect_eq(r.out, 0);
    }
}

/* pkcs1_decrypt_premaster itself: whatever is wrong, the output is the version followed by the 46
 * random bytes it drew before looking at the block; the same number of random bytes every time. */
struct count_rng {
    uint32_t calls, bytes;
};

static SSLErr count_rng_fn(SSLBuffer b, void *ref)
{
    struct count_rng *r = ref;
    r->calls++;
    for (uint32 i = 0; i < b.length; i++)
        b.data[i] = (uint8_t)(0xa0 + r->bytes++ % 50);
    return SSLNoErr;
}

Test(attacks, premaster_decrypt_falls_back_to_random)
{
    size_t len;
    char *pem = pair_read_data("server-key-pkcs8.pem", &len);
    cr_assert(pem);
    SSLRSAPrivateKey *key = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &key), SSLNoErr);
    free(pem);
    SSLContext *ctx = malloc(SSLContextSize());
    cr_assert_eq(SSLInitContext(ctx), SSLNoErr);
    struct count_rng rng = {0, 0};
    cr_assert_eq(SSLSetRandomFunc(ctx, count_rng_fn), SSLNoErr);
    cr_assert_eq(SSLSetRandomRef(ctx, &rng), SSLNoErr);
    size_t k = cry_rsa_key_bytes(key), nl = 1024, el = 16;
    uint8_t blk[1024], n[1024], e[16], ct[1100], pre[48];
    cr_assert_eq(cry_rsa_key_public(key, n, &nl, e, &el), SSLNoErr);
    pair_pattern(pre, 48, 5);
    pre[0] = 3, pre[1] = 0;
    blk[0] = 0, blk[1] = 2;
    memset(blk + 2, 0x42, k - 51);
    blk[k - 49] = 0;
    memcpy(blk + k - 48, pre, 48);
    cr_assert_eq(cry_rsa_public(n, nl, e, el, blk, k, ct), SSLNoErr);
    for (int kase = 0; kase < BB_N; kase++) {
        uint8_t c[1100], pre_seen[48], out[48];
        size_t clen = k;
        memcpy(c, ct, k);
        bb_make(key, kase, c, &clen, pre_seen, NULL);
        rng.calls = rng.bytes = 0;
        cr_assert_eq(pkcs1_decrypt_premaster(ctx_rand_fn, ctx, key, c, (uint32_t)clen, 0x0300, out), SSLNoErr);
        cr_expect_eq(rng.calls, 1, "%s: %u random calls", bb_names[kase], rng.calls);
        cr_expect_eq(rng.bytes, 48, "%s", bb_names[kase]);
        if (kase == BB_CONTROL || kase == BB_WRONG_PREMASTER) { /* well-formed blocks */
            memcpy(pre_seen, pre, 48);
            if (kase == BB_WRONG_PREMASTER)
                pre_seen[47] ^= 0x01;
            cr_expect(memcmp(out, pre_seen, 48) == 0, "%s: the premaster is decrypted", bb_names[kase]);
            continue;
        }
        uint8_t want[48];
        for (int i = 0; i < 48; i++)
            want[i] = (uint8_t)(0xa0 + i % 50);
        want[0] = 3, want[1] = 0;
        cr_expect(memcmp(out, want, 48) == 0, "%s: the output is the version and the random bytes", bb_names[kase]);
    }
    /* the version compared is the caller's: the same good block for a 3.1 hello is a rollback */
    uint8_t out[48];
    cr_assert_eq(pkcs1_decrypt_premaster(ctx_rand_fn, ctx, key, ct, (uint32_t)k, 0x0301, out), SSLNoErr);
    cr_expect(out[0] == 3 && out[1] == 1 && memcmp(out + 2, pre + 2, 46) != 0, "a 3.0 premaster for a 3.1 hello");
    SSLXRSAPrivateKeyFree(key);
    SSLDeleteContext(ctx);
    free(ctx);
}

/* ---- constant-time comparison ---- */

Test(attacks, ct_helpers)
{
    uint8_t a[64], b[64];
    pair_pattern(a, sizeof a, 3);
    memcpy(b, a, sizeof b);
    cr_expect_eq(ct_memeq(a, b, sizeof a), 1);
    cr_expect_eq(ct_memeq(a, b, 0), 1);
    for (size_t i = 0; i < sizeof a; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1 << bit);
            cr_expect_eq(ct_memeq(a, b, sizeof a), 0, "byte %zu bit %d", i, bit);
            b[i] ^= (uint8_t)(1 << bit);
        }
    static const uint32_t v[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fffffff, 0x80000000u, 0xffffffffu};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
            cr_expect_eq(ct_eq32(v[i], v[j]), i == j ? 0xffffffffu : 0u, "%x %x", v[i], v[j]);
            if (v[i] < 0x80000000u && v[j] < 0x80000000u)
                cr_expect_eq(ct_lt32(v[i], v[j]), v[i] < v[j] ? 0xffffffffu : 0u, "%x < %x", v[i], v[j]);
        }
    cr_expect_eq(ct_sel8(0xffffffffu, 0x12, 0x34), 0x12);
    cr_expect_eq(ct_sel8(0, 0x12, 0x34), 0x34);
}

/* ct_memeq (MACs, Finished, signatures) reads every byte even when the first differs: the last
 * byte sits on a page we protect, and the fault handler records the access and opens the page. */
static volatile uint8_t *guard_page;
static volatile int guard_hits;
static long guard_size;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    uint8_t *a = si->si_addr;
    if (a >= (uint8_t *)guard_page && a < (uint8_t *)guard_page + guard_size) {
        guard_hits++;
        mprotect((void *)guard_page, (size_t)guard_size, PROT_READ | PROT_WRITE);
        return;
    }
    signal(SIGSEGV, SIG_DFL); /* a real crash */
}

static int early_exit_eq(const volatile uint8_t *x, const volatile uint8_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

Test(attacks, ct_memeq_has_no_early_exit)
{
    guard_size = sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, (size_t)(2 * guard_size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(m, MAP_FAILED);
    guard_page = m + guard_size;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = guard_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGSEGV, &sa, &old), 0);
    static const size_t lens[] = {16, 20, 36};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        uint8_t *a = m + guard_size - (n - 1), *b = m; /* a's last byte is the guard page's first */
        memset(m, 0x5a, (size_t)(2 * guard_size));
        a[0] = 0x00; /* differs at the first byte */
        b[0] = 0xff;
        guard_hits = 0;
        cr_assert_eq(mprotect((void *)guard_page, (size_t)guard_size, PROT_NONE), 0);
        int eq = ct_memeq(b, a, n);
        cr_expect_eq(eq, 0);
        cr_expect_eq(guard_hits, 1, "%zu bytes, first byte differs: the last byte was %sread", n,
                     guard_hits ? "" : "not ");
        mprotect((void *)guard_page, (size_t)guard_size, PROT_READ | PROT_WRITE);
    }
    /* the control: an early-exit comparison (memcmp-like) never touches the guarded byte */
    uint8_t *a = m + guard_size - 19;
    memset(m, 0x5a, (size_t)(2 * guard_size));
    a[0] = 0;
    guard_hits = 0;
    cr_assert_eq(mprotect((void *)guard_page, (size_t)guard_size, PROT_NONE), 0);
    cr_expect_eq(early_exit_eq(m, a, 20), 0);
    cr_expect_eq(guard_hits, 0, "the probe tells an early exit apart");
    mprotect((void *)guard_page, (size_t)guard_size, PROT_READ | PROT_WRITE);
    sigaction(SIGSEGV, &old, NULL);
    munmap(m, (size_t)(2 * guard_size));
}

/* A padding error and a MAC error give the same error and alert (bad_record_mac), in both
 * directions: the last ciphertext byte of the block before the last changes the padding length
 * byte (xor 0x80: out of range) or a byte of the MAC / data (xor 0x01 on another byte). */
Test(attacks, padding_and_mac_errors_look_alike)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_3DES_EDE_CBC_SHA};
    for (int s = 0; s < 2; s++) {
        long bs = s == 0 ? 16 : 8;
        const struct {
            long off;
            uint8_t val;
        } flips[] = {{-bs - 1, 0x80}, {-bs - 1, 0x01}, {5, 0x01}, {-1, 0x01}};
        for (int from = 0; from < 2; from++)
            for (size_t f = 0; f < sizeof flips / sizeof flips[0]; f++) {
                struct mitm *m = calloc(1, sizeof *m);
                struct pair p;
                start(&p, m, &suites[s]);
                m->from = from;
                m->appdata = 1;
                m->op = OP_FLIP;
                m->off = flips[f].off;
                m->val = flips[f].val;
                send_after_handshake(&p, from, 1); /* one byte: one record, not split */
                cr_expect(m->hit);
                expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(BAD_MAC), "padding or MAC");
                finish(&p);
                free(m);
            }
    }
}

/* ---- FREAK: the export-RSA downgrade ---- */

/* The man in the middle of FREAK: the client offers only strong RSA suites; the attacker replaces
 * them in ClientHello by an export suite, so the server sends a 512-bit temporary key in
 * ServerKeyExchange, and (optionally) puts the client's suite back into ServerHello. */
struct freak {
    int attack;            /* downgrade the ClientHello */
    int rewrite_sh;
    int ch_edited, sh_edited;
    int ske_seen;          /* the server sent ServerKeyExchange */
    int client_kx_sent;    /* the client sent ClientKeyExchange */
};

static size_t hello_suite_off(const uint8_t *r)
{
    size_t o = 5 + 4 + 2 + 32;
    return o + 1 + r[o]; /* after the session ID */
}

static int freak_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct freak *f = ref;
    if (r->b[0] != 22 || r->len < 9)
        return PAIR_PASS;
    if (f->attack && from == PAIR_CLIENT && index == 0 && r->b[5] == 1) {
        size_t o = hello_suite_off(r->b);
        size_t n = (size_t)r->b[o] << 8 | r->b[o + 1];
        for (size_t i = o + 2; i < o + 2 + n; i += 2)
            if (r->b[i] == 0 && r->b[i + 1] == 0x04) { /* RC4_128_MD5 -> RSA_EXPORT_WITH_RC4_40_MD5 */
                r->b[i + 1] = 0x03;
                f->ch_edited = 1;
            }
    }
    for (size_t o = 5; o + 4 <= r->len;) { /* handshake messages of this record */
        uint8_t type = r->b[o];
        size_t mlen = (size_t)r->b[o + 1] << 16 | (size_t)r->b[o + 2] << 8 | r->b[o + 3];
        if (from == PAIR_SERVER && type == 2 && f->rewrite_sh) {
            size_t so = o + 4 + 2 + 32;
            so += 1 + r->b[so];
            if (r->b[so] == 0 && r->b[so + 1] == 0x03) {
                r->b[so + 1] = 0x04;
                f->sh_edited = 1;
            }
        }
        f->ske_seen |= from == PAIR_SERVER && type == 12;
        f->client_kx_sent |= from == PAIR_CLIENT && type == 16;
        o += 4 + mlen;
    }
    return PAIR_PASS;
}

static int freak_run(const uint16_t *client_suites, uint32_t nclient, struct freak *f, struct pair *p)
{
    static const uint16_t server_suites[] = {SSL_RSA_EXPORT_WITH_RC4_40_MD5, SSL_RSA_WITH_RC4_128_MD5};
    struct pair_config c;
    pair_config_init(&c);
    c.suites[PAIR_CLIENT] = client_suites;
    c.nsuites[PAIR_CLIENT] = nclient;
    c.suites[PAIR_SERVER] = server_suites;
    c.nsuites[PAIR_SERVER] = 2;
    c.export_key = "export512-key.pem";
    c.hook = freak_hook;
    c.hook_ref = f;
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    return pair_handshake(p);
}

Test(attacks, freak_downgrade_refused)
{
    static const uint16_t strong[] = {SSL_RSA_WITH_RC4_128_MD5};
    for (int rewrite = 0; rewrite < 2; rewrite++) {
        struct freak f = {.attack = 1, .rewrite_sh = rewrite};
        struct pair p;
        int r = freak_run(strong, 1, &f, &p);
        cr_expect(f.ch_edited, "the ClientHello was downgraded");
        cr_expect(f.ske_seen, "the server sent its 512-bit key");
        cr_expect_eq(f.sh_edited, rewrite);
        cr_expect_eq(r, PAIR_FAILED);
        cr_expect_eq(p.s[PAIR_CLIENT].last, SSLProtocolErr, "%s", SSLXErrorName(p.s[PAIR_CLIENT].last));
        /* without the rewrite the client sees a suite it never offered; with it, a
         * ServerKeyExchange its RSA suite does not have */
        uint16_t want = rewrite ? FATAL(UNEXPECTED) : FATAL(ILLEGAL);
        cr_expect_eq(alert_sent(&p, PAIR_CLIENT), want, "rewrite %d: client sent %04x", rewrite,
                     alert_sent(&p, PAIR_CLIENT));
        cr_expect(!f.client_kx_sent, "nothing was encrypted to the 512-bit key");
        pair_free(&p);
        expect_no_leaks(&p);
    }
    /* control: a client that offers the export suite takes the server's temporary key */
    static const uint16_t both[] = {SSL_RSA_EXPORT_WITH_RC4_40_MD5, SSL_RSA_WITH_RC4_128_MD5};
    struct freak f = {0};
    struct pair p;
    cr_expect_eq(freak_run(both, 2, &f, &p), PAIR_OK);
    cr_expect(f.ske_seen && f.client_kx_sent);
    uint16 s = 0;
    SSLGetNegotiatedCipher(p.s[PAIR_CLIENT].ctx, &s);
    cr_expect_eq(s, SSL_RSA_EXPORT_WITH_RC4_40_MD5);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- BEAST: 1/n-1 record splitting of CBC application data ---- */

/* Decrypts on the side what @from sends after the handshake, with a copy of the receiver's read
 * state, and lists each application record's plaintext length and first byte. */
struct tap {
    struct pair *p;
    int from;
    uint8_t *st;
    const struct suite *suite;
    int n;
    size_t plain[16];
    uint8_t first[16];
};

static int tap_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    (void)index;
    struct tap *t = ref;
    if (!t->p || from != t->from || !t->p->s[0].done || !t->p->s[1].done)
        return PAIR_PASS;
    if (!t->suite) {
        const struct dirstate *d = &t->p->s[PAIR_PEER(from)].ctx->rd_cur;
        t->suite = d->suite;
        t->st = malloc(d->cipher.length);
        cr_assert(t->st);
        memcpy(t->st, d->cipher.data, d->cipher.length);
    }
    uint8_t buf[16384 + 2048];
    size_t n = r->len - 5;
    memcpy(buf, r->b + 5, n);
    cr_assert_eq(cry_cipher_run(t->st, buf, buf, n), SSLNoErr);
    size_t pad = t->suite->iv_len ? (size_t)buf[n - 1] + 1 : 0;
    cr_assert_geq(n, pad + t->suite->mac_len);
    if (r->b[0] == 23 && t->n < 16) {
        t->plain[t->n] = n - pad - t->suite->mac_len;
        t->first[t->n] = buf[0];
        t->n++;
    }
    return PAIR_PASS;
}

struct split_case {
    uint16_t suite;
    int split; /* -1: the library default */
};

ParameterizedTestParameters(attacks, beast_record_splitting)
{
    static struct split_case cs[] = {
        {TLS_RSA_WITH_AES_128_CBC_SHA, -1}, {TLS_RSA_WITH_AES_128_CBC_SHA, 0}, {TLS_RSA_WITH_AES_128_CBC_SHA, 1},
        {SSL_RSA_WITH_3DES_EDE_CBC_SHA, -1}, {SSL_RSA_WITH_3DES_EDE_CBC_SHA, 0},
        {SSL_RSA_WITH_RC4_128_SHA, -1}, {SSL_RSA_WITH_RC4_128_SHA, 1},
    };
    return cr_make_param_array(struct split_case, cs, sizeof cs / sizeof cs[0]);
}

/* Each SSLWrite of more than one byte under a CBC suite goes out as a 1-byte record first, then
 * the rest (records of at most 2^14), on by default as in NSS; SSLXSetCBCRecordSplitting(ctx, 0)
 * turns it off; stream ciphers are never split. Seen on the wire, decrypted, both directions. */
ParameterizedTest(struct split_case *sc, attacks, beast_record_splitting, .timeout = 60)
{
    int cbc = sc->suite != SSL_RSA_WITH_RC4_128_SHA, split = cbc && sc->split != 0;
    static const size_t sizes[] = {100, 2, 1, 40000};
    uint8_t *buf = malloc(40000);
    cr_assert(buf);
    for (int from = 0; from < 2; from++) {
        struct tap t = {.from = from};
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, &sc->suite);
        c.cbc_split = sc->split;
        c.hook = tap_hook;
        c.hook_ref = &t;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        t.p = &p;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t n = sizes[i];
            pair_pattern(buf, n, (uint32_t)(i + 1));
            t.n = 0;
            cr_assert_eq(pair_exchange(&p, from, buf, n), SSLNoErr);
            size_t want[8];
            int nw = 0;
            size_t rest = n;
            if (split && n > 1)
                want[nw++] = 1, rest--;
            while (rest) {
                size_t k = rest > 16384 ? 16384 : rest;
                want[nw++] = k;
                rest -= k;
            }
            cr_expect_eq(t.n, nw, "suite %04x split %d from %d: %zu bytes in %d records, want %d", sc->suite,
                         sc->split, from, n, t.n, nw);
            size_t off = 0;
            for (int j = 0; j < nw && j < t.n; j++) {
                cr_expect_eq(t.plain[j], want[j], "suite %04x split %d, %zu bytes: record %d holds %zu, want %zu",
                             sc->suite, sc->split, n, j, t.plain[j], want[j]);
                cr_expect_eq(t.first[j], buf[off], "record %d starts at byte %zu", j, off);
                off += want[j];
            }
        }
        free(t.st);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    free(buf);
}
