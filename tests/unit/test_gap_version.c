/*
 * test_gap_version.c - the seven impossible cells of the "Version Handshaking Summary" (SSLRef 3.0
 * API, SSLSetProtocolVersion), one by one: the first bytes each side puts on the wire (SSL 2.0- or
 * 3.0-format hello, SSL 2.0 ERROR or SSL 3.0 fatal alert), the error each side's SSLHandshake
 * returns, that the error is sticky, and the alerts recorded. test_pair.c version_table only checks
 * that these cells fail; this file pins how, against notes (a)-(e) of the spec.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>
#include "pair.h"

#define U SSL_Version_Undetermined
#define H SSL_Version_3_0_With_2_0_Hello
#define O SSL_Version_3_0_Only
#define V2 SSL_Version_2_0

enum hello { HELLO_V2_OFFERS_30, HELLO_V2_ONLY, HELLO_V3 };
enum answer { ANSWER_V3_ALERT, ANSWER_V2_ERROR };

struct cell {
    char note[40]; /* an array: Criterion re-executes the test binary, so pointers in a
                      parameter would point into another address space */
    SSLProtocolVersion client, server;
    enum hello hello;       /* what the client sends first */
    enum answer answer;     /* what the server sends back */
    uint8_t desc;           /* SSL 3.0 alert description, or SSL 2.0 ERROR code */
    SSLErr server_err, client_err;
    uint16_t client_recv;   /* the alert (or SSL 2.0 ERROR code) the client records */
};

static const struct cell cells[] = {
    /* (a) the 3.0-only server does not recognise the SSL 2.0-format hello */
    {"(a) Undetermined -> 3.0 only", U, O, HELLO_V2_OFFERS_30, ANSWER_V3_ALERT, 10, SSLProtocolErr,
     SSLFatalAlert, 0x020a},
    {"(a) 3.0 w/2.0 hello -> 3.0 only", H, O, HELLO_V2_OFFERS_30, ANSWER_V3_ALERT, 10, SSLProtocolErr,
     SSLFatalAlert, 0x020a},
    /* (b) the 2.0 server answers in SSL 2.0 (the client, 3.0 only, offers no SSL 2.0 kind, so the
     * answer is ERROR NO-CIPHER) and the client refuses the SSL 2.0 answer */
    {"(b) 3.0 w/2.0 hello -> 2.0 only", H, V2, HELLO_V2_OFFERS_30, ANSWER_V2_ERROR, 1,
     SSLNegotiationErr, SSLNegotiationErr, 0},
    /* (c) the 2.0 server does not understand an SSL 3.0 hello */
    {"(c) 3.0 only -> 2.0 only", O, V2, HELLO_V3, ANSWER_V3_ALERT, 40, SSLProtocolErr, SSLFatalAlert,
     0x0228},
    /* (d) the server understands the SSL 2.0 hello but will not talk SSL 2.0 */
    {"(d) 2.0 only -> 3.0 w/2.0 hello", V2, H, HELLO_V2_ONLY, ANSWER_V2_ERROR, 1, SSLNegotiationErr,
     SSLFatalAlert, 0x0001},
    /* (e) the 3.0-only server cannot parse the SSL 2.0 hello */
    {"(e) 2.0 only -> 3.0 only", V2, O, HELLO_V2_ONLY, ANSWER_V3_ALERT, 10, SSLProtocolErr,
     SSLFatalAlert, 0x020a},
};

ParameterizedTestParameters(gap_version, impossible_cells)
{
    return cr_make_param_array(struct cell, (void *)cells, sizeof cells / sizeof cells[0]);
}

static void expect_no_leaks(const struct pair *p, const char *what)
{
    for (int side = 0; side < 2; side++)
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "%s: side %d leaks %ld blocks", what, side,
                     p->s[side].alloc.live_blocks);
}

ParameterizedTest(struct cell *cl, gap_version, impossible_cells)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_ssl2(&c); /* the table's outcomes are those with the kinds enabled */
    c.version[PAIR_CLIENT] = cl->client;
    c.version[PAIR_SERVER] = cl->server;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);

    /* 1. the client's hello, as it reaches the server */
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr, "%s: the client waits", cl->note);
    const uint8_t *d = NULL;
    size_t n = pair_pending(&p, PAIR_SERVER, &d);
    cr_assert_gt(n, 11, "%s: a hello was sent", cl->note);
    if (cl->hello == HELLO_V3) {
        cr_expect(d[0] == 22 && d[1] == 3 && d[2] == 0 && d[5] == 1, "%s: an SSL 3.0 ClientHello",
                  cl->note);
    } else {
        /* SSL 2.0 record, 2-byte header; CLIENT-HELLO (1) with version 3.0 or 2.0 */
        cr_expect(d[0] & 0x80, "%s: an SSL 2.0 record header (%02x)", cl->note, d[0]);
        cr_expect_eq(d[2], 1, "%s: CLIENT-HELLO", cl->note);
        if (cl->hello == HELLO_V2_OFFERS_30)
            cr_expect(d[3] == 3 && d[4] == 0, "%s: the SSL 2.0 hello offers 3.0 (%02x %02x)", cl->note,
                      d[3], d[4]);
        else
            cr_expect(d[3] == 0 && d[4] == 2, "%s: the SSL 2.0 hello offers 2.0 only (%02x %02x)",
                      cl->note, d[3], d[4]);
    }

    /* 2. the server refuses, with the error and the message of the note */
    SSLErr se = pair_run_side(&p, PAIR_SERVER);
    cr_expect_eq(se, cl->server_err, "%s: server returned %s, want %s", cl->note, SSLXErrorName(se),
                 SSLXErrorName(cl->server_err));
    n = pair_pending(&p, PAIR_CLIENT, &d);
    if (cl->answer == ANSWER_V3_ALERT) {
        const uint8_t want[7] = {21, 3, 0, 0, 2, 2, cl->desc};
        cr_expect(n == 7 && memcmp(d, want, 7) == 0,
                  "%s: the server sent an SSL 3.0 fatal alert %u (%zu bytes, first %02x)", cl->note,
                  cl->desc, n, n ? d[0] : 0);
    } else {
        const uint8_t want[5] = {0x80, 3, 0, 0, cl->desc}; /* ERROR, code NO-CIPHER-ERROR */
        cr_expect(n == 5 && memcmp(d, want, 5) == 0,
                  "%s: the server sent SSL 2.0 ERROR %u (%zu bytes, first %02x)", cl->note, cl->desc,
                  n, n ? d[0] : 0);
    }
    uint16 sent = 0, recv = 0;
    SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv);
    cr_expect_eq(sent, cl->answer == ANSWER_V3_ALERT ? (uint16_t)(0x0200 | cl->desc) : 0,
                 "%s: server recorded alert %04x sent", cl->note, sent);
    SSLProtocolVersion v;
    cr_expect_eq(SSLGetProtocolVersion(p.s[PAIR_SERVER].ctx, &v), SSLNoErr);
    cr_expect_neq(v, SSL_Version_3_0, "%s: the server did not settle on 3.0", cl->note);

    /* 3. the client reads the refusal */
    SSLErr ce = pair_run_side(&p, PAIR_CLIENT);
    cr_expect_eq(ce, cl->client_err, "%s: client returned %s, want %s", cl->note, SSLXErrorName(ce),
                 SSLXErrorName(cl->client_err));
    SSLXGetLastAlerts(p.s[PAIR_CLIENT].ctx, &sent, &recv);
    cr_expect_eq(recv, cl->client_recv, "%s: client recorded %04x received", cl->note, recv);
    cr_expect_eq(sent, 0, "%s: the client answers a refusal with nothing", cl->note);
    cr_expect_eq(pair_pending(&p, PAIR_SERVER, NULL), 0, "%s: nothing more from the client", cl->note);

    /* 4. both errors are sticky, and neither side reports a negotiated version of 3.0 */
    uint8_t b[4];
    uint32 len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_SERVER].ctx), cl->server_err, "%s: server sticky", cl->note);
    len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_CLIENT].ctx), cl->client_err, "%s: client sticky", cl->note);
    cr_expect_eq(SSLHandshake(p.s[PAIR_CLIENT].ctx), cl->client_err, "%s: handshake again", cl->note);
    pair_free(&p);
    expect_no_leaks(&p, cl->note);
}

/* The possible cells: the first record of each client setting is the hello the table implies
 * (an SSL 2.0-format hello offering 3.0 for Undetermined and 3.0 w/2.0 hello, an SSL 3.0 hello
 * for 3.0 only, an SSL 2.0 hello offering 2.0 for 2.0 only), whatever the server. */
Test(gap_version, first_hello_format_per_client_setting)
{
    static const struct {
        SSLProtocolVersion v;
        enum hello hello;
    } clients[] = {{U, HELLO_V2_OFFERS_30}, {H, HELLO_V2_OFFERS_30}, {O, HELLO_V3}, {V2, HELLO_V2_ONLY}};
    for (size_t i = 0; i < 4; i++) {
        struct pair_config c;
        pair_config_init(&c);
        pair_config_ssl2(&c); /* the table's outcomes are those with the kinds enabled */
        c.version[PAIR_CLIENT] = clients[i].v;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
        const uint8_t *d = NULL;
        size_t n = pair_pending(&p, PAIR_SERVER, &d);
        cr_assert_gt(n, 11);
        if (clients[i].hello == HELLO_V3)
            cr_expect(d[0] == 22 && d[1] == 3 && d[2] == 0, "client %d: SSL 3.0 record", clients[i].v);
        else
            cr_expect((d[0] & 0x80) && d[2] == 1 &&
                          (clients[i].hello == HELLO_V2_OFFERS_30 ? d[3] == 3 && d[4] == 0
                                                                  : d[3] == 0 && d[4] == 2),
                      "client %d: SSL 2.0 CLIENT-HELLO version %02x %02x", clients[i].v, d[3], d[4]);
        SSLProtocolVersion v;
        cr_expect_eq(SSLGetProtocolVersion(p.s[PAIR_CLIENT].ctx, &v), SSLNoErr);
        cr_expect_eq(v, clients[i].v, "before negotiation the set value is reported");
        pair_free(&p);
        expect_no_leaks(&p, "hello format");
    }
}

/* ---- the default suite list (issue 13 point 10, docs/suites.md "Defaults") ---- */

/* Exactly these, in this order (TLS 1.2 AEAD and SHA-256 rows first): no SSL 2.0 kind (0xFFxx), no single DES (0009, 0015, 0012, 001a),
 * no export, NULL-cipher or anonymous DH suite. */
Test(gap_version, default_suite_list_exact)
{
    static const uint16_t want[] = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e,
                                    0x009f, 0xccaa, 0x009c, 0x009d, 0xc023, 0xc024, 0xc027,
                                    0xc028, 0xc009, 0xc00a, 0xc013, 0xc014, 0x0067, 0x006b,
                                    0x003c, 0x003d, 0x002f, 0x0035, 0x000a, 0x0005, 0x0004,
                                    0x0033, 0x0039, 0x0016, 0x0032, 0x0038, 0x0013};
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    uint16 got[96];
    uint32 n = 96;
    cr_assert_eq(SSLXGetCipherSuites(ctx, got, &n), SSLNoErr);
    cr_expect_eq(n, sizeof want / sizeof want[0], "%u suites enabled by default", n);
    for (uint32 i = 0; i < n; i++) {
        const char *name = SSLXCipherSuiteName(got[i]);
        cr_assert(name, "%04x has no name", got[i]);
        cr_expect(i < sizeof want / sizeof want[0] && got[i] == want[i], "default %u: %04x %s", i, got[i], name);
        cr_expect((got[i] & 0xff00) != 0xff00, "SSL 2.0 kind %s on by default", name);
        cr_expect(got[i] != 0x0009 && got[i] != 0x0015 && got[i] != 0x0012 && got[i] != 0x001a,
                  "single DES %s on by default", name);
        cr_expect(!strstr(name, "EXPORT") && !strstr(name, "NULL") && !strstr(name, "anon") &&
                      !strstr(name, "_DES_CBC_") && !strstr(name, "DES_64"),
                  "weak %s on by default", name);
    }
    SSLXFreeContext(ctx);
}

/* Without SSL 2.0 kinds (the default) an Undetermined client still sends its SSL 2.0-format hello,
 * offering SSL 3.0 only: a 3.0 server (Undetermined or 3.0 with 2.0 hello) answers in 3.0, a
 * 2.0-only server has nothing in common with it and the handshake fails. A 2.0-only client without
 * kinds fails at once. Each kind stays available: enabled, the 4x4 table above holds. */
Test(gap_version, default_suites_without_ssl2_kinds)
{
    static const struct {
        SSLProtocolVersion client, server;
        int ok;
    } rows[] = {{U, U, 1}, {U, H, 1}, {U, O, 0}, {U, V2, 0}, {H, U, 1}, {V2, U, 0}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct pair_config c;
        pair_config_init(&c);
        c.version[PAIR_CLIENT] = rows[i].client;
        c.version[PAIR_SERVER] = rows[i].server;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        cr_expect_eq(r, rows[i].ok ? PAIR_OK : PAIR_FAILED, "client %d server %d: %s / %s", rows[i].client,
                     rows[i].server, SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        if (rows[i].ok) {
            SSLProtocolVersion v;
            cr_expect_eq(SSLGetProtocolVersion(p.s[PAIR_CLIENT].ctx, &v), SSLNoErr);
            cr_expect_eq(v, SSL_Version_3_0, "client %d server %d: version %d", rows[i].client, rows[i].server, v);
        }
        pair_free(&p);
        expect_no_leaks(&p, "defaults without kinds");
    }
}
