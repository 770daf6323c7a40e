/*
 * test_ssl2_bad.c - hostile SSL 2.0 input (issue 5): the rollback attack of RFC 6101 Appendix E.2
 * (a man in the middle turns an SSL 3.0-capable client's hello into a 2.0-only one and the server
 * notices the client's padding mark), and generated malformed input: every truncation, every cut of
 * the stream and every one-byte change of a length field (record header included) of a captured
 * CLIENT-HELLO, SERVER-HELLO and CLIENT-MASTER-KEY must end in an error on the receiving side, with
 * no crash and no leak; damaged encrypted records after the handshake likewise.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "pair_kx.h"

static void expect_no_leaks(const struct pair *p, const char *what)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "%s: side %d leaks %ld blocks", what, side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0, "%s", what);
    }
}

/* Take the bytes @side's peer has written so far out of the pipe into buf (cap bytes). */
static size_t take(struct pair *p, int side, uint8_t *buf, size_t cap)
{
    const uint8_t *d = NULL;
    size_t n = pair_pending(p, side, &d);
    cr_assert_leq(n, cap);
    memcpy(buf, d, n);
    pair_drain(p, side);
    return n;
}

/* ---- rollback ---- */

static const uint16_t mixed[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL2_SUITE_RC4_128_WITH_MD5,
                                 SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5};

/* Rewrite an SSL 2.0 CLIENT-HELLO record (2-byte header) in place: version 0x0002, and only the
 * SSL 2.0 kinds (first byte non-zero) left in CIPHER-SPECS. Returns the new record length. */
static size_t strip_v3(uint8_t *rec, size_t n)
{
    cr_assert(rec[0] & 0x80, "a 2-byte header");
    size_t body = (size_t)(rec[0] & 0x7f) << 8 | rec[1];
    cr_assert_eq(body + 2, n);
    uint8_t *m = rec + 2;
    cr_assert_eq(m[0], 1, "CLIENT-HELLO");
    cr_assert(m[1] == 3 && m[2] == 0, "the client offered 3.0");
    size_t nspec = (size_t)m[3] << 8 | m[4], nsid = (size_t)m[5] << 8 | m[6],
           nch = (size_t)m[7] << 8 | m[8];
    cr_assert_eq(9 + nspec + nsid + nch, body);
    uint8_t out[512];
    size_t o = 9, kept = 0;
    for (size_t i = 0; i < nspec; i += 3)
        if (m[9 + i] != 0) {
            memcpy(out + o, m + 9 + i, 3);
            o += 3;
            kept += 3;
        }
    cr_assert_gt(kept, 0);
    memcpy(out + o, m + 9 + nspec, nsid + nch);
    o += nsid + nch;
    out[0] = 1, out[1] = 0, out[2] = 2;
    out[3] = (uint8_t)(kept >> 8), out[4] = (uint8_t)kept;
    memcpy(out + 5, m + 5, 4);
    memcpy(m, out, o);
    rec[0] = (uint8_t)(0x80 | o >> 8);
    rec[1] = (uint8_t)o;
    return 2 + o;
}

static int run_rollback(struct pair *p, SSLProtocolVersion server_version, int attack)
{
    struct pair_config c;
    pair_config_init(&c);
    c.version[PAIR_CLIENT] = SSL_Version_Undetermined;
    c.version[PAIR_SERVER] = server_version;
    c.suites[0] = c.suites[1] = mixed;
    c.nsuites[0] = c.nsuites[1] = 3;
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(p, PAIR_CLIENT), SSLWouldBlockErr, "the client waits after its hello");
    if (attack) {
        uint8_t rec[1024];
        size_t n = take(p, PAIR_SERVER, rec, sizeof rec);
        n = strip_v3(rec, n);
        pair_inject(p, PAIR_SERVER, rec, n);
    }
    return pair_handshake(p);
}

static SSLProtocolVersion version_of(struct pair *p, int side)
{
    SSLProtocolVersion v = SSL_Version_Undetermined;
    cr_expect_eq(SSLGetProtocolVersion(p->s[side].ctx, &v), SSLNoErr);
    return v;
}

Test(ssl2_bad, rollback_detected)
{
    struct pair p;
    /* without the attacker both sides end in SSL 3.0 (through the SSL 2.0-format hello) */
    int r = run_rollback(&p, SSL_Version_Undetermined, 0);
    cr_assert_eq(r, PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    cr_expect_eq(version_of(&p, PAIR_CLIENT), SSL_Version_3_0);
    cr_expect_eq(version_of(&p, PAIR_SERVER), SSL_Version_3_0);
    pair_free(&p);
    expect_no_leaks(&p, "no attack");

    /* the attacker strips 3.0: the server sees the client's rollback mark and refuses */
    r = run_rollback(&p, SSL_Version_Undetermined, 1);
    cr_expect_eq(r, PAIR_FAILED, "rollback: result %d", r);
    cr_expect_eq(p.s[PAIR_SERVER].last, SSLNegotiationErr, "server: %s",
                 SSLXErrorName(p.s[PAIR_SERVER].last));
    /* the server answered with keys from a random master key: SERVER-VERIFY fails its MAC */
    cr_expect_eq(p.s[PAIR_CLIENT].last, SSLProtocolErr, "client: %s",
                 SSLXErrorName(p.s[PAIR_CLIENT].last));
    cr_expect(!p.s[PAIR_CLIENT].done && !p.s[PAIR_SERVER].done, "neither side completed");
    cr_expect_eq(version_of(&p, PAIR_SERVER), SSL_Version_2_0, "the server had gone to 2.0");
    uint8_t b[4];
    uint32 len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_SERVER].ctx), SSLNegotiationErr, "sticky");
    pair_free(&p);
    expect_no_leaks(&p, "rollback");

    /* a 2.0-only server cannot know about 3.0 and accepts (Appendix E.2 binds 3.0 servers) */
    r = run_rollback(&p, SSL_Version_2_0, 1);
    cr_expect_eq(r, PAIR_OK, "2.0-only server: %s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect_eq(version_of(&p, PAIR_CLIENT), SSL_Version_2_0);
    pair_free(&p);
    expect_no_leaks(&p, "2.0-only server");
}

/* ---- generated malformed handshake messages ---- */

/* T_CH3: the SSL 2.0-format CLIENT-HELLO that offers 3.0, read by a 3.0-capable server. */
enum target { T_CH, T_SH, T_CMK, T_CH3, NTARGETS };
static const char *const target_names[] = {"CLIENT-HELLO", "SERVER-HELLO", "CLIENT-MASTER-KEY",
                                           "CLIENT-HELLO offering 3.0"};
static const uint16_t v2_kind = SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5;

struct capture {
    uint8_t rec[4096];  /* the target record as sent */
    size_t len;
    uint8_t rest[4096]; /* what the sender wrote after it */
    size_t rest_len;
    int victim;         /* the side that reads it */
};

/* A fresh SSL 2.0 pair driven until the target record is in flight; it is taken out of the pipe. */
static void setup(struct pair *p, int target, struct capture *cap)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &v2_kind);
    c.version[0] = c.version[1] = SSL_Version_2_0;
    if (target == T_CH3) {
        c.suites[0] = c.suites[1] = mixed;
        c.nsuites[0] = c.nsuites[1] = 3;
        c.version[0] = c.version[1] = SSL_Version_Undetermined;
    }
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(p, PAIR_CLIENT), SSLWouldBlockErr);
    if (target == T_SH || target == T_CMK)
        cr_assert_eq(pair_run_side(p, PAIR_SERVER), SSLWouldBlockErr);
    if (target == T_CMK)
        cr_assert_eq(pair_run_side(p, PAIR_CLIENT), SSLWouldBlockErr);
    cap->victim = target == T_SH ? PAIR_CLIENT : PAIR_SERVER;
    uint8_t all[8192];
    size_t n = take(p, cap->victim, all, sizeof all), hdr, body, pad;
    size_t rl = pkx_v2_record(all, n, &hdr, &body, &pad);
    cr_assert_gt(rl, 0, "a whole record");
    cr_assert_leq(rl, sizeof cap->rec);
    memcpy(cap->rec, all, rl);
    cap->len = rl;
    cap->rest_len = n - rl;
    memcpy(cap->rest, all + rl, n - rl);
    uint8_t want[] = {1, 4, 2, 1};
    cr_assert_eq(all[hdr], want[target], "%s captured", target_names[target]);
}

/* Deliver bytes to the victim (then, with @cut, end the stream) and run it. With @may_wait the
 * victim may wait for more bytes (a record header that claims more than was sent): the stream then
 * ends and it runs again. */
static SSLErr deliver(struct pair *p, const struct capture *cap, const uint8_t *rec, size_t n,
                      int with_rest, int cut, int may_wait)
{
    pair_inject(p, cap->victim, rec, n);
    if (with_rest)
        pair_inject(p, cap->victim, cap->rest, cap->rest_len);
    if (cut)
        pair_eof(p, cap->victim);
    SSLErr e = pair_run_side(p, cap->victim);
    if (e == SSLWouldBlockErr && may_wait) {
        pair_eof(p, cap->victim);
        e = pair_run_side(p, cap->victim);
    }
    return e;
}

/* Offsets (in the record, header included) of the length bytes of each message. */
static int length_offsets(int target, const struct capture *cap, size_t *off)
{
    size_t hdr = cap->rec[0] & 0x80 ? 2 : 3;
    int n = 0;
    for (size_t i = 0; i < hdr; i++) /* the record header: length (and padding) */
        off[n++] = i;
    static const size_t fields[NTARGETS][3] = {{3, 5, 7}, {5, 7, 9}, {4, 6, 8}, {3, 5, 7}};
    for (int f = 0; f < 3; f++) {
        off[n++] = hdr + fields[target][f];
        off[n++] = hdr + fields[target][f] + 1;
    }
    return n;
}

/* The victim refused: an error (not would-block), and nothing on the wire from it but at most an
 * SSL 2.0 ERROR message in the clear or an SSL 3.0 fatal alert (no SERVER-HELLO, no
 * CLIENT-MASTER-KEY, no SERVER-VERIFY). */
static void expect_clean_failure(struct pair *p, const struct capture *cap, SSLErr e,
                                 const char *what)
{
    cr_expect(e != SSLNoErr && e != SSLWouldBlockErr, "%s: the victim returned %s", what,
              SSLXErrorName(e));
    const uint8_t *out = NULL;
    size_t n = pair_pending(p, PAIR_PEER(cap->victim), &out), hdr = 0, body = 0, pad = 0;
    if (n == 7 && out[0] == 21) {
        /* a first record whose header does not look like SSL 2.0 is read as SSL 3.0 */
        cr_expect(out[1] == 3 && out[2] == 0 && out[5] == 2, "%s: a fatal SSL 3.0 alert", what);
    } else if (n) {
        size_t rl = pkx_v2_record(out, n, &hdr, &body, &pad);
        cr_expect(rl == n && body == 3 && out[hdr] == 0, "%s: the victim sent %zu bytes, not an ERROR",
                  what, n);
    }
    pair_free(p);
    expect_no_leaks(p, what);
}

ParameterizedTestParameters(ssl2_bad, malformed_message)
{
    static int ts[NTARGETS] = {T_CH, T_SH, T_CMK, T_CH3};
    return cr_make_param_array(int, ts, NTARGETS);
}

ParameterizedTest(int *target, ssl2_bad, malformed_message, .timeout = 300)
{
    struct pair p;
    struct capture cap;
    char what[96];
    /* control: the captured record, unchanged, is accepted: the victim answers and then waits for a
     * next message that never comes; with CLIENT-MASTER-KEY and CLIENT-FINISHED the server is done */
    setup(&p, *target, &cap);
    SSLErr e = deliver(&p, &cap, cap.rec, cap.len, 1, 0, 1);
    cr_assert(*target == T_CMK ? e == SSLNoErr : e == SSLConnectionClosedError,
              "%s unchanged: %s", target_names[*target], SSLXErrorName(e));
    cr_expect_eq(pair_pending(&p, PAIR_PEER(cap.victim), NULL) > 0, 1, "the victim answered");
    pair_free(&p);
    expect_no_leaks(&p, "control");
    size_t hdr = cap.rec[0] & 0x80 ? 2 : 3, body = cap.len - hdr;
    cr_assert_eq(hdr, 2, "handshake records in the clear have no padding");

    /* every truncation of the message, the record header telling the truth */
    for (size_t k = 0; k < body; k++) {
        setup(&p, *target, &cap);
        uint8_t rec[4096];
        rec[0] = (uint8_t)(0x80 | k >> 8);
        rec[1] = (uint8_t)k;
        memcpy(rec + 2, cap.rec + 2, k);
        snprintf(what, sizeof what, "%s truncated to %zu of %zu", target_names[*target], k, body);
        /* (an empty first record: the format is told from its third byte, which never comes) */
        expect_clean_failure(&p, &cap, deliver(&p, &cap, rec, 2 + k, 0, 0, k == 0), what);
    }
    /* every cut of the stream inside the record */
    for (size_t k = 1; k < cap.len; k++) {
        setup(&p, *target, &cap);
        snprintf(what, sizeof what, "%s stream cut after %zu of %zu", target_names[*target], k, cap.len);
        expect_clean_failure(&p, &cap, deliver(&p, &cap, cap.rec, k, 0, 1, 0), what);
    }
    /* every one-byte change of every length byte (header, then the message's length fields) */
    size_t offs[16];
    int noff = length_offsets(*target, &cap, offs);
    static const int deltas[] = {1, -1, 0x10, -0x10, 0x80};
    for (int i = 0; i < noff; i++) {
        uint8_t vals[8];
        int nv = 0;
        uint8_t orig = cap.rec[offs[i]];
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++)
            vals[nv++] = (uint8_t)(orig + deltas[d]);
        vals[nv++] = 0x00;
        vals[nv++] = 0xff;
        for (int v = 0; v < nv; v++) {
            if (vals[v] == orig)
                continue;
            setup(&p, *target, &cap);
            uint8_t rec[4096];
            memcpy(rec, cap.rec, cap.len);
            rec[offs[i]] = vals[v];
            snprintf(what, sizeof what, "%s byte %zu %02x -> %02x", target_names[*target], offs[i],
                     orig, vals[v]);
            /* only a changed record header may leave the victim waiting for more */
            SSLErr e2 = deliver(&p, &cap, rec, cap.len, 1, 0, offs[i] < hdr);
            expect_clean_failure(&p, &cap, e2, what);
        }
    }
}

/* ---- damaged records after the handshake ---- */

struct bad_record {
    uint8_t b[64];
    size_t n;
    const char *what;
};

ParameterizedTestParameters(ssl2_bad, damaged_record)
{
    static const uint16_t ks[] = {SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5, SSL2_SUITE_RC4_128_WITH_MD5};
    return cr_make_param_array(uint16_t, (void *)ks, 2);
}

ParameterizedTest(uint16_t *kind, ssl2_bad, damaged_record, .timeout = 60)
{
    int block = *kind != SSL2_SUITE_RC4_128_WITH_MD5;
    struct bad_record cases[] = {
        {{0x80, 0x00}, 2, "zero length"},
        {{0x80, 0x08, 1, 2, 3, 4, 5, 6, 7, 8}, 10, "shorter than the MAC"},
        {{0x80, 0x11}, 2 + 17, "17 bytes"},
        {{0x00, 0x18, 0x19}, 3 + 24, "padding longer than the record"},
        {{0x40, 0x18, 0x00}, 3 + 24, "security escape"},
        {{0x80, 0x20}, 2 + 32, "MAC does not match"},
        {{0x00, 0x20, 0x08}, 3 + 32, "MAC does not match, padded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!block && i == 2)
            continue; /* 17 bytes is a fine length for RC4: covered by the MAC cases */
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, kind);
        c.version[0] = c.version[1] = SSL_Version_2_0;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        for (size_t j = 2; j < cases[i].n; j++)
            if (!cases[i].b[j] && j >= 3)
                cases[i].b[j] = (uint8_t)(0x5a + j);
        pair_inject(&p, PAIR_SERVER, cases[i].b, cases[i].n);
        uint8_t buf[64];
        uint32 len = sizeof buf;
        SSLErr e = SSLRead(buf, &len, p.s[PAIR_SERVER].ctx);
        cr_expect_eq(e, SSLProtocolErr, "%04x %s: %s", *kind, cases[i].what, SSLXErrorName(e));
        cr_expect_eq(len, 0, "%s: nothing delivered", cases[i].what);
        len = sizeof buf;
        cr_expect_eq(SSLRead(buf, &len, p.s[PAIR_SERVER].ctx), e, "%s: sticky", cases[i].what);
        pair_free(&p);
        expect_no_leaks(&p, cases[i].what);
    }
}


/* ---- an SSL 2.0-format hello as large as a 2-byte header allows ---- */

/* A 3.0-capable server takes an SSL 2.0-format hello of up to 32767 bytes; with more SSL 3.0 specs
 * than any real client sends (10900, in a 32741-byte record) it still answers with a ServerHello
 * (choosing the one suite it knows) or refuses cleanly: no overflow, no crash. */
Test(ssl2_bad, v2_hello_many_v3_specs)
{
    struct pair_config c;
    pair_config_init(&c);
    c.version[0] = c.version[1] = SSL_Version_Undetermined;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    size_t nspec = 3 * 10900, nch = 32, body = 9 + nspec + nch;
    uint8_t *rec = calloc(1, 2 + body);
    cr_assert(rec);
    rec[0] = (uint8_t)(0x80 | body >> 8);
    rec[1] = (uint8_t)body;
    uint8_t *m = rec + 2;
    m[0] = 1, m[1] = 3, m[2] = 0;
    m[3] = (uint8_t)(nspec >> 8), m[4] = (uint8_t)nspec;
    m[5] = 0, m[6] = 0, m[7] = 0, m[8] = (uint8_t)nch;
    for (size_t i = 0; i < nspec; i += 3) /* 00 00 01 .. : ids the server does not know, then 002f */
        m[9 + i] = 0, m[10 + i] = (uint8_t)(i / 3 >> 8), m[11 + i] = (uint8_t)(i / 3);
    m[9 + nspec - 3] = 0, m[9 + nspec - 2] = 0x00, m[9 + nspec - 1] = 0x2f;
    memset(m + 9 + nspec, 0x11, nch);
    pair_inject(&p, PAIR_SERVER, rec, 2 + body);
    free(rec);
    SSLErr e = pair_run_side(&p, PAIR_SERVER);
    const uint8_t *out = NULL;
    size_t n = pair_pending(&p, PAIR_CLIENT, &out);
    if (e == SSLWouldBlockErr) {
        cr_assert_gt(n, 5 + 4 + 2 + 32 + 1 + 32 + 2);
        cr_expect(out[0] == 22 && out[5] == 2, "a ServerHello");
        size_t at = 44 + out[43]; /* after the session ID */
        cr_expect(out[at] == 0x00 && out[at + 1] == 0x2f, "suite 002f chosen");
    } else {
        cr_expect_neq(e, SSLNoErr, "%s", SSLXErrorName(e));
    }
    pair_free(&p);
    expect_no_leaks(&p, "many specs");
}
