/*
 * test_badinput.c - hostile records between two contexts (mitm.h): a bad MAC, truncated records,
 * records over the length limit, unknown content types and versions, handshake messages whose length
 * lies, an unexpected message in each handshake state (plaintext and, with a NULL-cipher suite whose
 * MAC the test computes, after ChangeCipherSpec), alerts, and records after the handshake. Each must
 * give the right error and alert and leak nothing. Handshake contents: test_badinput_hs.c; generated
 * cases: test_badinput_gen.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "mitm.h"

/* ---- bad MAC ---- */

struct mac_param {
    uint16_t suite;
    int from;
    int last_byte;
};

ParameterizedTestParameters(badinput, bad_mac)
{
    static struct mac_param ps[PAIR_NSUITES * 4];
    for (int i = 0; i < PAIR_NSUITES; i++)
        for (int j = 0; j < 4; j++)
            ps[4 * i + j] = (struct mac_param){pair_suites[i], j & 1, j >> 1};
    return cr_make_param_array(struct mac_param, ps, PAIR_NSUITES * 4);
}

ParameterizedTest(struct mac_param *mp, badinput, bad_mac)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, &mp->suite);
    m->from = mp->from;
    m->appdata = 1;
    m->index = 0;
    m->op = OP_FLIP;
    m->off = mp->last_byte ? -1 : 5;
    m->val = 0x01;
    send_after_handshake(&p, mp->from, 100);
    cr_expect(m->hit);
    expect_failure(&p, PAIR_PEER(mp->from), SSLProtocolErr, FATAL(BAD_MAC), "bad MAC");
    finish(&p);
    free(m);
}

/* The same under would-block before every byte and 3-byte I/O, for a CBC and a stream suite. */
Test(badinput, bad_mac_partial_io)
{
    static const uint16_t suites[] = {SSL_RSA_WITH_3DES_EDE_CBC_SHA, SSL_RSA_WITH_RC4_128_SHA};
    const struct pair_io_cfg ios[] = {{.wb_every_byte = 1}, {.chunk = 3}};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 2; i++)
            for (int from = 0; from < 2; from++) {
                struct mitm *m = calloc(1, sizeof *m);
                struct pair_config c;
                pair_config_init(&c);
                pair_config_suite(&c, &suites[s]);
                c.io[0] = c.io[1] = ios[i];
                c.hook = mitm_hook;
                c.hook_ref = m;
                struct pair p;
                cr_assert_eq(pair_init(&p, &c), SSLNoErr);
                m->p = &p;
                m->from = from;
                m->appdata = 1;
                m->op = OP_FLIP;
                m->off = -2;
                m->val = 0x10;
                send_after_handshake(&p, from, 150);
                cr_expect(m->hit);
                expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(BAD_MAC), "bad MAC, partial I/O");
                finish(&p);
                free(m);
            }
}

/* A changed byte in the encrypted Finished. */
Test(badinput, bad_mac_in_finished)
{
    for (int from = 0; from < 2; from++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = from;
        m->index = from == PAIR_CLIENT ? 3 : 4;
        m->op = OP_FLIP;
        m->off = 10;
        m->val = 0x80;
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(BAD_MAC), "Finished MAC");
        finish(&p);
        free(m);
    }
}

/* ---- truncation ---- */

Test(badinput, truncated_record_after_handshake)
{
    static const size_t keep[] = {0, 3, 5, 6, 20};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_CLIENT;
        m->appdata = 1;
        m->op = OP_TRUNC_CLOSE;
        m->trunc = keep[i];
        send_after_handshake(&p, PAIR_CLIENT, 100);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_SERVER, SSLConnectionClosedError, 0, "truncated");
        finish(&p);
        free(m);
    }
}

Test(badinput, truncated_record_in_handshake)
{
    for (int from = 0; from < 2; from++)
        for (size_t keep = 2; keep < 40; keep += 9) {
            struct mitm *m = calloc(1, sizeof *m);
            struct pair p;
            start(&p, m, NULL);
            m->from = from;
            m->index = 0;
            m->op = OP_TRUNC_CLOSE;
            m->trunc = keep;
            cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
            expect_failure(&p, PAIR_PEER(from), SSLConnectionClosedError, 0, "truncated hello");
            finish(&p);
            free(m);
        }
}

/* ---- record length limits ---- */

Test(badinput, record_over_limit)
{
    /* after the handshake: 2^14 + 2048 + 1 bytes of ciphertext; before it: 2^14 + 1 of plaintext */
    static const struct {
        int after;
        size_t len;
        SSLErr err;
        uint16_t alert;
    } cases[] = {
        {1, 16384 + 2048 + 1, SSLProtocolErr, FATAL(ILLEGAL)},
        {1, 65535, SSLProtocolErr, FATAL(ILLEGAL)},
        {1, 16384 + 2048, SSLProtocolErr, FATAL(BAD_MAC)}, /* at the limit: read, then the MAC fails */
        {0, 16385, SSLProtocolErr, FATAL(ILLEGAL)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_CLIENT;
        m->op = OP_REPLACE;
        uint8_t type = cases[i].after ? 23 : 22;
        memset(m->bytes, 0x42, sizeof m->bytes);
        size_t body = cases[i].len <= sizeof m->bytes - 5 ? cases[i].len : 0; /* a header is enough */
        rec(m->bytes, type, m->bytes + 5, body);
        m->bytes[3] = (uint8_t)(cases[i].len >> 8);
        m->bytes[4] = (uint8_t)cases[i].len;
        m->nbytes = 5 + body;
        if (cases[i].after) {
            m->appdata = 1;
            send_after_handshake(&p, PAIR_CLIENT, 10);
        } else {
            m->index = 0;
            cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        }
        cr_expect(m->hit);
        expect_failure(&p, PAIR_SERVER, cases[i].err, cases[i].alert, "record length");
        finish(&p);
        free(m);
    }
}

/* A NULL-cipher record whose MAC is right but whose plaintext is 2^14 + 1 bytes. */
Test(badinput, plaintext_over_limit_with_good_mac)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, &null_sha);
    m->from = PAIR_CLIENT;
    m->appdata = 1;
    m->op = OP_FORGE;
    m->forge_type = 23;
    m->nbytes = 16385;
    memset(m->bytes, 'x', m->nbytes);
    send_after_handshake(&p, PAIR_CLIENT, 10);
    cr_expect(m->hit);
    expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(ILLEGAL), "plaintext over 2^14");
    finish(&p);
    free(m);
}

/* Control for the forging: a forged record with the right MAC is accepted. */
Test(badinput, forged_record_control)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, &null_sha);
    m->from = PAIR_CLIENT;
    m->appdata = 1;
    m->op = OP_FORGE;
    m->forge_type = 23;
    m->nbytes = 5;
    memcpy(m->bytes, "hello", 5);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    uint8_t buf[3] = {1, 2, 3};
    cr_expect_eq(pair_send(&p, PAIR_CLIENT, buf, 3), SSLNoErr);
    cr_expect_eq(pair_recv_all(&p, PAIR_SERVER, 5), SSLNoErr);
    cr_expect(p.s[PAIR_SERVER].rx_len == 5 && memcmp(p.s[PAIR_SERVER].rx, "hello", 5) == 0);
    finish(&p);
    free(m);
}

/* ---- content type and version ---- */

Test(badinput, unknown_content_type)
{
    static const uint8_t types[] = {0, 19, 24, 100};
    for (int after = 0; after < 2; after++)
        for (size_t i = 0; i < sizeof types; i++) {
            struct mitm *m = calloc(1, sizeof *m);
            struct pair p;
            start(&p, m, NULL);
            m->from = PAIR_CLIENT;
            m->op = OP_SET;
            m->off = 0;
            m->val = types[i];
            if (after) {
                m->appdata = 1;
                send_after_handshake(&p, PAIR_CLIENT, 10);
            } else {
                m->index = 0;
                cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
            }
            cr_expect(m->hit);
            expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(UNEXPECTED), "content type");
            finish(&p);
            free(m);
        }
}

Test(badinput, bad_record_version)
{
    /* major version 2 in the first record from the server; minor 1 once 3.0 is agreed */
    static const struct {
        int from;
        uint32_t index;
        int appdata;
        long off;
        uint8_t val;
    } cases[] = {{PAIR_SERVER, 0, 0, 1, 2}, {PAIR_SERVER, 1, 0, 2, 1}, {PAIR_CLIENT, 1, 0, 2, 1},
                 {PAIR_CLIENT, 0, 1, 1, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = cases[i].from;
        m->index = cases[i].index;
        m->appdata = cases[i].appdata;
        m->op = OP_SET;
        m->off = cases[i].off;
        m->val = cases[i].val;
        if (cases[i].appdata)
            send_after_handshake(&p, cases[i].from, 10);
        else
            cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_PEER(cases[i].from), SSLProtocolErr, FATAL(ILLEGAL), "record version");
        finish(&p);
        free(m);
    }
}

/* ---- handshake length fields that lie ---- */

Test(badinput, handshake_length_lies)
{
    static const struct {
        const char *what;
        int from;
        uint32_t index;
        long delta, rec_delta;
        uint16_t alert;
    } cases[] = {
        {"ClientHello shorter", PAIR_CLIENT, 0, -1, 0, FATAL(ILLEGAL)},
        {"ClientHello over the message limit", PAIR_CLIENT, 0, 0xfff000, 0, FATAL(ILLEGAL)},
        {"ClientKeyExchange longer (straddles ChangeCipherSpec)", PAIR_CLIENT, 1, 1, 0, FATAL(UNEXPECTED)},
        {"ClientKeyExchange shorter (a byte left before ChangeCipherSpec)", PAIR_CLIENT, 1, -1, 0,
         FATAL(UNEXPECTED)},
        {"ServerHello shorter", PAIR_SERVER, 0, -2, 0, FATAL(ILLEGAL)},
        {"Certificate shorter", PAIR_SERVER, 1, -1, 0, FATAL(ILLEGAL)},
        {"Certificate longer (swallows ServerHelloDone)", PAIR_SERVER, 1, 4, 0, FATAL(ILLEGAL)},
        {"ServerHelloDone with a body", PAIR_SERVER, 2, 1, 1, FATAL(ILLEGAL)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = cases[i].from;
        m->index = cases[i].index;
        m->op = OP_HSLEN;
        m->delta = cases[i].delta;
        m->rec_delta = cases[i].rec_delta;
        int r = pair_handshake(&p);
        cr_expect_eq(r, PAIR_FAILED, "%s: %d", cases[i].what, r);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_PEER(cases[i].from), SSLProtocolErr, cases[i].alert, cases[i].what);
        finish(&p);
        free(m);
    }
}

/* ---- an unexpected message in each state ---- */

struct unexpected_case {
    char what[48]; /* an array: Criterion re-executes the binary per test, so a pointer parameter
                      would point into another process image when a failure message uses it */
    int from;
    uint32_t index; /* record of @from replaced (full handshake: client CH CKE CCS Fin, server SH
                       Cert SHD CCS Fin) */
    int forged;     /* the replacement is sealed under the new keys (NULL cipher + MAC) */
    uint8_t type;   /* record type */
    int hs_type;    /* handshake type, or -1 */
    size_t len;     /* body length */
};

static const struct unexpected_case unexpected_cases[] = {
    /* the server waits for ClientHello */
    {"app data before ClientHello", PAIR_CLIENT, 0, 0, 23, -1, 1},
    {"CCS before ClientHello", PAIR_CLIENT, 0, 0, 20, -1, 1},
    {"ServerHello to a server", PAIR_CLIENT, 0, 0, 22, 2, 70},
    {"Finished before ClientHello", PAIR_CLIENT, 0, 0, 22, 20, 36},
    {"HelloRequest to a server", PAIR_CLIENT, 0, 0, 22, 0, 0},
    {"ClientKeyExchange before ClientHello", PAIR_CLIENT, 0, 0, 22, 16, 256},
    {"no_certificate before ClientHello", PAIR_CLIENT, 0, 0, 21, -2, 2},
    /* the server waits for ClientKeyExchange */
    {"CCS instead of ClientKeyExchange", PAIR_CLIENT, 1, 0, 20, -1, 1},
    {"Finished instead of ClientKeyExchange", PAIR_CLIENT, 1, 0, 22, 20, 36},
    {"second ClientHello", PAIR_CLIENT, 1, 0, 22, 1, 41},
    {"ServerHelloDone to a server", PAIR_CLIENT, 1, 0, 22, 14, 0},
    {"unrequested client Certificate", PAIR_CLIENT, 1, 0, 22, 11, 3},
    {"app data instead of ClientKeyExchange", PAIR_CLIENT, 1, 0, 23, -1, 4},
    /* the server waits for the client's ChangeCipherSpec */
    {"plaintext Finished instead of CCS", PAIR_CLIENT, 2, 0, 22, 20, 36},
    {"app data instead of CCS", PAIR_CLIENT, 2, 0, 23, -1, 4},
    {"second ClientKeyExchange", PAIR_CLIENT, 2, 0, 22, 16, 256},
    /* the server waits for the client's Finished (encrypted) */
    {"app data instead of client Finished", PAIR_CLIENT, 3, 1, 23, -1, 4},
    {"second CCS instead of client Finished", PAIR_CLIENT, 3, 1, 20, -1, 1},
    {"ClientHello instead of client Finished", PAIR_CLIENT, 3, 1, 22, 1, 41},
    /* the client waits for ServerHello */
    {"Certificate before ServerHello", PAIR_SERVER, 0, 0, 22, 11, 3},
    {"ServerHelloDone before ServerHello", PAIR_SERVER, 0, 0, 22, 14, 0},
    {"Finished before ServerHello", PAIR_SERVER, 0, 0, 22, 20, 36},
    {"ClientHello to a client", PAIR_SERVER, 0, 0, 22, 1, 41},
    {"CCS before ServerHello", PAIR_SERVER, 0, 0, 20, -1, 1},
    {"app data before ServerHello", PAIR_SERVER, 0, 0, 23, -1, 4},
    /* the client waits for Certificate */
    {"ServerHelloDone without Certificate", PAIR_SERVER, 1, 0, 22, 14, 0},
    {"second ServerHello", PAIR_SERVER, 1, 0, 22, 2, 70},
    {"ServerKeyExchange in an RSA suite", PAIR_SERVER, 1, 0, 22, 12, 10},
    {"CCS instead of Certificate", PAIR_SERVER, 1, 0, 20, -1, 1},
    /* the client waits for ServerHelloDone */
    {"CCS instead of ServerHelloDone", PAIR_SERVER, 2, 0, 20, -1, 1},
    {"Finished instead of ServerHelloDone", PAIR_SERVER, 2, 0, 22, 20, 36},
    {"second Certificate", PAIR_SERVER, 2, 0, 22, 11, 3},
    /* the client waits for the server's ChangeCipherSpec */
    {"plaintext Finished instead of server CCS", PAIR_SERVER, 3, 0, 22, 20, 36},
    {"app data instead of server CCS", PAIR_SERVER, 3, 0, 23, -1, 4},
    /* the client waits for the server's Finished (encrypted) */
    {"app data instead of server Finished", PAIR_SERVER, 4, 1, 23, -1, 4},
    {"CCS instead of server Finished", PAIR_SERVER, 4, 1, 20, -1, 1},
    {"ServerHelloDone instead of server Finished", PAIR_SERVER, 4, 1, 22, 14, 0},
};

ParameterizedTestParameters(badinput, unexpected_message)
{
    return cr_make_param_array(struct unexpected_case, (void *)unexpected_cases,
                               sizeof unexpected_cases / sizeof unexpected_cases[0]);
}

/* One case; with @io the pipes would-block or move few bytes, and the alert must still arrive whole. */
static void run_unexpected(const struct unexpected_case *uc, const struct pair_io_cfg *io)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &null_sha);
    c.hook = mitm_hook;
    c.hook_ref = m;
    if (io)
        c.io[0] = c.io[1] = *io;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    m->p = &p;
    m->from = uc->from;
    m->index = uc->index;
    uint8_t body[400];
    size_t n;
    if (uc->hs_type >= 0) {
        n = hs_body(body, (uint8_t)uc->hs_type, uc->len);
    } else if (uc->hs_type == -2) {
        body[0] = 1; /* warning no_certificate */
        body[1] = 41;
        n = 2;
    } else {
        memset(body, 1, uc->len);
        n = uc->len;
    }
    if (uc->forged) {
        m->op = OP_FORGE;
        m->forge_type = uc->type;
        memcpy(m->bytes, body, n);
        m->nbytes = n;
    } else {
        m->op = OP_REPLACE;
        m->nbytes = rec(m->bytes, uc->type, body, n);
    }
    int r = pair_handshake(&p);
    cr_expect_eq(r, PAIR_FAILED, "%s: %d", uc->what, r);
    cr_expect(m->hit, "%s: the record was replaced", uc->what);
    expect_failure(&p, PAIR_PEER(uc->from), SSLProtocolErr, FATAL(UNEXPECTED), uc->what);
    finish(&p);
    free(m);
}

ParameterizedTest(struct unexpected_case *uc, badinput, unexpected_message)
{
    run_unexpected(uc, NULL);
}

/* The same with would-block before every byte and with 2-byte I/O. */
Test(badinput, unexpected_message_partial_io)
{
    const struct pair_io_cfg wb = {.wb_every_byte = 1}, two = {.chunk = 2};
    for (size_t i = 0; i < sizeof unexpected_cases / sizeof unexpected_cases[0]; i++) {
        run_unexpected(&unexpected_cases[i], &wb);
        run_unexpected(&unexpected_cases[i], &two);
    }
}

/* The resumed flow: unexpected messages where ChangeCipherSpec must come. */
Test(badinput, unexpected_in_resumed_handshake)
{
    for (int from = 0; from < 2; from++) {
        struct pair_cache cc, sc;
        pair_cache_init(&cc);
        pair_cache_init(&sc);
        struct pair_config c;
        pair_config_init(&c);
        c.cache[0] = &cc;
        c.cache[1] = &sc;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        pair_free(&p);
        struct mitm *m = calloc(1, sizeof *m);
        c.hook = mitm_hook;
        c.hook_ref = m;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        m->p = &p;
        m->from = from;
        m->index = 1; /* resumed: client CH CCS Fin; server SH CCS Fin */
        m->op = OP_REPLACE;
        uint8_t body[64];
        size_t n = from == PAIR_SERVER ? hs_body(body, 11, 3) : hs_body(body, 16, 40);
        m->nbytes = rec(m->bytes, 22, body, n);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        int resumed = 0;
        SSLXGetResumed(p.s[PAIR_PEER(from)].ctx, &resumed);
        cr_expect(resumed, "the victim was resuming");
        expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(UNEXPECTED), "resumed flow");
        finish(&p);
        cr_expect_eq(cc.n, 0, "a fatal error forgets the session (client)");
        cr_expect_eq(sc.n, 0, "a fatal error forgets the session (server)");
        free(m);
        pair_cache_clear(&cc);
        pair_cache_clear(&sc);
    }
}

/* ---- alerts ---- */

Test(badinput, fatal_alert_from_peer)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, NULL);
    m->from = PAIR_SERVER;
    m->index = 1;
    m->op = OP_REPLACE;
    const uint8_t al[2] = {2, HS_FAILURE};
    m->nbytes = rec(m->bytes, 21, al, 2);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect_eq(p.s[PAIR_CLIENT].last, SSLFatalAlert);
    cr_expect_eq(alert_recv(&p, PAIR_CLIENT), FATAL(HS_FAILURE));
    cr_expect_eq(alert_sent(&p, PAIR_CLIENT), 0, "no alert is sent back for a fatal alert");
    finish(&p);
    free(m);
}

Test(badinput, warning_alerts_are_ignored)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, NULL);
    m->from = PAIR_SERVER;
    m->index = 1;
    m->op = OP_PREPEND;
    const uint8_t al[4] = {1, 42, 1, 46}; /* warning bad_certificate, certificate_unknown */
    m->nbytes = rec(m->bytes, 21, al, 4);
    cr_expect_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect(m->hit);
    cr_expect_eq(alert_recv(&p, PAIR_CLIENT), AL(1, 46));
    finish(&p);
    free(m);
}

Test(badinput, malformed_alert_record)
{
    static const size_t lens[] = {0, 1, 3};
    for (size_t i = 0; i < 3; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_SERVER;
        m->index = 1;
        m->op = OP_REPLACE;
        const uint8_t al[3] = {1, 42, 1};
        m->nbytes = rec(m->bytes, 21, al, lens[i]);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(UNEXPECTED), "alert length");
        finish(&p);
        free(m);
    }
}

/* ---- after the handshake (NULL-cipher suite, records forged with the right MAC) ---- */
Test(badinput, hello_request_is_ignored_by_a_client)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    const uint8_t hr[4] = {0, 0, 0, 0};
    cr_expect_eq(forge_after(&p, m, PAIR_SERVER, 22, hr, 4), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_SERVER, "b", 1), SSLNoErr, "the next record is read");
    cr_expect_eq(p.s[PAIR_CLIENT].rx_len, 1);
    finish(&p);
    free(m);
}

/* A record full of empty HelloRequests (4096 in 16 KiB) is consumed with a read offset: no byte of
 * the handshake buffer moves per message (before: the rest of the record moved for each one, ~32 MB
 * per record). After the handshake, and before the server's Certificate during one. */
Test(badinput, hello_request_flood_moves_nothing)
{
    for (int during = 0; during < 2; during++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        uint8_t flood[16384];
        memset(flood, 0, sizeof flood); /* 4096 x {0, 0, 0, 0} */
        if (!during) {
            cr_expect_eq(forge_after(&p, m, PAIR_SERVER, 22, flood, sizeof flood), SSLNoErr);
        } else {
            start(&p, m, NULL);
            m->from = PAIR_SERVER;
            m->index = 1;
            m->op = OP_PREPEND;
            m->nbytes = rec(m->bytes, 22, flood, sizeof flood);
            cr_expect_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                         SSLXErrorName(p.s[1].last));
            cr_expect(m->hit);
        }
        cr_expect_eq(pair_exchange(&p, PAIR_SERVER, "b", 1), SSLNoErr, "during %d: data after the flood", during);
        cr_expect_eq(p.s[PAIR_CLIENT].ctx->hs_moved, 0, "during %d: %llu handshake bytes moved", during,
                     (unsigned long long)p.s[PAIR_CLIENT].ctx->hs_moved);
        finish(&p);
        free(m);
    }
}

Test(badinput, zero_length_app_data_is_skipped)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    cr_expect_eq(forge_after(&p, m, PAIR_CLIENT, 23, (const uint8_t *)"", 0), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "b", 1), SSLNoErr);
    cr_expect(p.s[PAIR_SERVER].rx_len == 1 && p.s[PAIR_SERVER].rx[0] == 'b');
    finish(&p);
    free(m);
}

Test(badinput, renegotiation_is_refused)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    uint8_t ch[64];
    size_t n = hs_body(ch, 1, 41);
    cr_expect_eq(forge_after(&p, m, PAIR_CLIENT, 22, ch, n), SSLProtocolErr);
    cr_expect_eq(p.s[PAIR_SERVER].last, SSLProtocolErr, "%s", SSLXErrorName(p.s[PAIR_SERVER].last));
    expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(HS_FAILURE), "ClientHello after the handshake");
    finish(&p);
    free(m);
}

Test(badinput, ccs_after_handshake)
{
    for (int from = 0; from < 2; from++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        const uint8_t one = 1;
        cr_expect_eq(forge_after(&p, m, from, 20, &one, 1), SSLProtocolErr);
        if (p.s[PAIR_PEER(from)].last == SSLNoErr) { /* pair_send stopped before the peer read */
            uint8_t b[4];
            uint32 len = sizeof b;
            p.s[PAIR_PEER(from)].last = SSLRead(b, &len, p.s[PAIR_PEER(from)].ctx);
        }
        expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(UNEXPECTED), "CCS after the handshake");
        finish(&p);
        free(m);
    }
}

Test(badinput, alerts_after_handshake)
{
    /* a warning is ignored; a fatal alert ends the connection without an answer */
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    const uint8_t warn[2] = {1, 41};
    cr_expect_eq(forge_after(&p, m, PAIR_CLIENT, 21, warn, 2), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "b", 1), SSLNoErr, "warning ignored");
    finish(&p);
    memset(m, 0, sizeof *m);
    const uint8_t fatal[2] = {2, 20};
    SSLErr e = forge_after(&p, m, PAIR_CLIENT, 21, fatal, 2);
    cr_expect_eq(e, SSLFatalAlert, "%s", SSLXErrorName(e));
    cr_expect_eq(alert_recv(&p, PAIR_SERVER), FATAL(BAD_MAC));
    cr_expect_eq(alert_sent(&p, PAIR_SERVER), 0);
    finish(&p);
    free(m);
}

Test(badinput, hello_request_during_handshake_is_ignored)
{
    for (uint32_t index = 0; index < 3; index++) { /* before ServerHello, Certificate, ServerHelloDone */
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_SERVER;
        m->index = index;
        m->op = OP_PREPEND;
        uint8_t hr[4];
        m->nbytes = rec(m->bytes, 22, hr, hs_body(hr, 0, 0));
        int r = pair_handshake(&p);
        cr_expect_eq(r, PAIR_OK, "HelloRequest before server record %u: %s / %s (client sent %04x)", index,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last), alert_sent(&p, PAIR_CLIENT));
        cr_expect(m->hit);
        finish(&p);
        free(m);
    }
}
