/*
 * test_badinput_tls.c - the bad-input matrix for what TLS added (issue 15 point 8): hello extension
 * blocks with wrong lengths, duplicates, bad signature_algorithms / ALPN / renegotiation_info,
 * extensions the client never offered, ServerHello versions outside the client's range, EMS
 * dropped on the resumption of an EMS session, a TLS 1.2 ServerKeyExchange signed with a scheme the
 * client did not offer, and TLS Finished messages of the wrong length. A man in the middle edits
 * one handshake message of a real TLS pair; each case checks the victim's error, the exact alert
 * it sent (and that the peer received it), and that nothing leaked.
 * Already covered elsewhere (not repeated): FALLBACK_SCSV (test_tls_pair fallback_scsv), disjoint
 * version ranges (test_tls_pair version_negotiation), ALPN without overlap (test_tls_pair
 * alpn_and_sni), GCM tags and every CBC padding byte, with and without EtM (test_record_tls
 * any_flipped_byte_is_bad_record_mac, cbc_padding_checked_every_byte); short GCM and CBC records
 * are added to test_record_tls.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "mitm.h"
#include "record/record_tls.h"

enum { DECODE = 50, DECRYPT = 51, PROTO_VERSION = 70, UNSUPPORTED_EXT = 110 };

/* ---- the hello editor ---- */

enum edop {
    ED_BLOCK,    /* replace the whole extension block (its u16 length included) by bytes */
    ED_APPEND,   /* append bytes (whole extensions) to the list, fixing the block length */
    ED_DROP,     /* remove extension ext_type */
    ED_SET_BODY, /* replace the body of extension ext_type by bytes (its length fixed) */
    ED_VERSION,  /* set the hello's version */
    ED_SKE_SCHEME, /* ServerKeyExchange (DHE, TLS 1.2): set the signature scheme */
    ED_SIGLEN,     /* ServerKeyExchange (DHE, TLS 1.2) or CertificateVerify (TLS 1.2): add value
                      (signed) to the signature's length field */
    ED_TRAIL       /* append bytes to the message (its length fixed) */
};

struct ed {
    int armed;
    int from;
    uint8_t hs_type; /* 1 ClientHello, 2 ServerHello, 12 ServerKeyExchange */
    enum edop op;
    uint8_t bytes[600];
    size_t n;
    uint16_t ext_type, value;
    int hit;
    int ccs[2]; /* the side sent its ChangeCipherSpec */
    struct pair *p;
};

static size_t get16(const uint8_t *b) { return (size_t)b[0] << 8 | b[1]; }
static void put16(uint8_t *b, size_t v) { b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v; }

/* Replace m[off, off + del) by @ins in the handshake message at @m (header included) inside record
 * @r, fixing the message and record lengths. */
static void splice(struct pair_rec *r, uint8_t *m, size_t off, size_t del, const uint8_t *ins, size_t n)
{
    size_t end = r->len;
    cr_assert_leq(r->len - del + n, r->cap, "record too long after the edit");
    uint8_t *at = m + off;
    memmove(at + n, at + del, (size_t)(r->b + end - (at + del)));
    if (n)
        memcpy(at, ins, n);
    r->len = r->len - del + n;
    size_t ml = ((size_t)m[1] << 16 | get16(m + 2)) - del + n;
    m[1] = (uint8_t)(ml >> 16), put16(m + 2, ml);
    put16(r->b + 3, r->len - 5);
}

/* Offset (from the message header) of the extension block of a hello, or 0 if it has none. */
static size_t ext_block(const uint8_t *m)
{
    size_t ml = (size_t)m[1] << 16 | get16(m + 2), o = 4 + 2 + 32;
    o += 1 + m[o];
    if (m[0] == 1) {
        o += 2 + get16(m + o);
        o += 1 + m[o];
    } else {
        o += 3;
    }
    return o < 4 + ml ? o : 0;
}

static int ed_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct ed *e = ref;
    (void)index;
    if (r->b[0] == 20) /* ChangeCipherSpec: what follows is encrypted */
        e->ccs[from] = 1;
    if (!e->armed || e->hit || from != e->from || r->b[0] != 22 || e->ccs[from])
        return PAIR_PASS;
    for (size_t o = 5; o + 4 <= r->len;) { /* the plaintext messages of this record */
        uint8_t *m = r->b + o;
        size_t ml = (size_t)m[1] << 16 | get16(m + 2);
        if (m[0] != e->hs_type) {
            o += 4 + ml;
            continue;
        }
        e->hit = 1;
        if (e->op == ED_VERSION) {
            put16(m + 4, e->value);
            return PAIR_PASS;
        }
        if (e->op == ED_SKE_SCHEME || (e->op == ED_SIGLEN && m[0] == 12)) {
            size_t s = 4; /* dh_p, dh_g, dh_Ys, then the scheme and the signature */
            for (int i = 0; i < 3; i++)
                s += 2 + get16(m + s);
            if (e->op == ED_SKE_SCHEME)
                put16(m + s, e->value);
            else
                put16(m + s + 2, get16(m + s + 2) + (int16_t)e->value);
            return PAIR_PASS;
        }
        if (e->op == ED_SIGLEN) { /* CertificateVerify: the scheme, then the signature */
            put16(m + 6, get16(m + 6) + (int16_t)e->value);
            return PAIR_PASS;
        }
        if (e->op == ED_TRAIL) {
            splice(r, m, 4 + ml, 0, e->bytes, e->n);
            return PAIR_PASS;
        }
        size_t b = ext_block(m);
        cr_assert(b, "the hello has an extension block");
        size_t bl = 2 + get16(m + b);
        if (e->op == ED_BLOCK) {
            splice(r, m, b, bl, e->bytes, e->n);
        } else if (e->op == ED_APPEND) {
            splice(r, m, b + bl, 0, e->bytes, e->n);
            put16(m + b, bl - 2 + e->n);
        } else { /* find ext_type */
            size_t x = b + 2;
            while (x < b + bl && get16(m + x) != e->ext_type)
                x += 4 + get16(m + x + 2);
            cr_assert_lt(x, b + bl, "extension %04x is in the hello", e->ext_type);
            size_t xl = get16(m + x + 2);
            if (e->op == ED_DROP) {
                splice(r, m, x, 4 + xl, NULL, 0);
                put16(m + b, bl - 2 - 4 - xl);
            } else {
                splice(r, m, x + 4, xl, e->bytes, e->n);
                put16(m + x + 2, e->n);
                put16(m + b, bl - 2 - xl + e->n);
            }
        }
        return PAIR_PASS;
    }
    return PAIR_PASS;
}

static void tls_config(struct pair_config *c, struct ed *e, const uint16_t *suite)
{
    pair_config_init(c);
    if (suite)
        pair_config_suite(c, suite);
    c->dh_params = "dh1024.pem";
    for (int side = 0; side < 2; side++) {
        c->vmin[side] = kTLSProtocol1;
        c->vmax[side] = kTLSProtocol12;
    }
    c->hook = ed_hook;
    c->hook_ref = e;
}

struct ext_case {
    const char *what;
    int from;        /* whose hello is edited; the other side is the victim */
    enum edop op;
    uint16_t ext_type;
    const char *bytes; /* op's bytes */
    size_t n;
    int alpn;        /* both sides configured with ALPN (client "h2,http/1.1", server "http/1.1") */
    int proto_max;   /* client's maximum (0: TLS 1.2) */
    SSLErr err;
    uint16_t alert;
};

#define B(s) s, sizeof s - 1

static const struct ext_case ext_cases[] = {
    /* ClientHello: the server refuses */
    {"CH block length one too long", PAIR_CLIENT, ED_BLOCK, 0, B("\x00\x05\x00\x17\x00\x00"), 0, 0,
     SSLProtocolErr, FATAL(DECODE)},
    {"CH block length one too short", PAIR_CLIENT, ED_BLOCK, 0, B("\x00\x03\x00\x17\x00\x00"), 0, 0,
     SSLProtocolErr, FATAL(DECODE)},
    {"CH extension length past the block", PAIR_CLIENT, ED_BLOCK, 0, B("\x00\x04\x00\x17\x00\x01"), 0, 0,
     SSLProtocolErr, FATAL(DECODE)},
    {"CH extension header cut", PAIR_CLIENT, ED_BLOCK, 0, B("\x00\x03\x00\x17\x00"), 0, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"CH block length byte alone", PAIR_CLIENT, ED_BLOCK, 0, B("\x00"), 0, 0, SSLProtocolErr, FATAL(DECODE)},
    {"CH duplicate extended_master_secret", PAIR_CLIENT, ED_APPEND, 0, B("\x00\x17\x00\x00"), 0, 0,
     SSLProtocolErr, FATAL(ILLEGAL)},
    {"CH duplicate renegotiation_info", PAIR_CLIENT, ED_APPEND, 0, B("\xff\x01\x00\x01\x00"), 0, 0,
     SSLProtocolErr, FATAL(ILLEGAL)},
    {"CH signature_algorithms odd length", PAIR_CLIENT, ED_SET_BODY, 13, B("\x00\x03\x04\x01\x05"), 0, 0,
     SSLProtocolErr, FATAL(DECODE)},
    {"CH signature_algorithms empty list", PAIR_CLIENT, ED_SET_BODY, 13, B("\x00\x00"), 0, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"CH signature_algorithms no body", PAIR_CLIENT, ED_SET_BODY, 13, "", 0, 0, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"CH signature_algorithms list past the body", PAIR_CLIENT, ED_SET_BODY, 13, B("\x00\x08\x04\x01"), 0, 0,
     SSLProtocolErr, FATAL(DECODE)},
    {"CH ALPN empty name", PAIR_CLIENT, ED_SET_BODY, 16, B("\x00\x04\x00\x02h2"), 1, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"CH ALPN empty list", PAIR_CLIENT, ED_SET_BODY, 16, B("\x00\x00"), 1, 0, SSLProtocolErr, FATAL(DECODE)},
    {"CH ALPN name past the list", PAIR_CLIENT, ED_SET_BODY, 16, B("\x00\x03\x05h2"), 1, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"CH renegotiation_info not empty", PAIR_CLIENT, ED_SET_BODY, 0xff01, B("\x0c" "0123456789ab"), 0, 0,
     SSLProtocolErr, FATAL(HS_FAILURE)},
    {"CH extended_master_secret with a body", PAIR_CLIENT, ED_SET_BODY, 23, B("\x00"), 0, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"CH encrypt_then_mac with a body", PAIR_CLIENT, ED_SET_BODY, 22, B("\x00"), 0, 0, SSLProtocolErr,
     FATAL(DECODE)},
    /* ServerHello: the client refuses */
    {"SH block length one too long", PAIR_SERVER, ED_BLOCK, 0, B("\x00\x06\xff\x01\x00\x01\x00"), 0, 0,
     SSLProtocolErr, FATAL(DECODE)},
    {"SH extension length past the block", PAIR_SERVER, ED_BLOCK, 0, B("\x00\x05\xff\x01\x00\x02\x00"), 0, 0,
     SSLProtocolErr, FATAL(DECODE)},
    {"SH duplicate renegotiation_info", PAIR_SERVER, ED_APPEND, 0, B("\xff\x01\x00\x01\x00"), 0, 0,
     SSLProtocolErr, FATAL(ILLEGAL)},
    {"SH duplicate extended_master_secret", PAIR_SERVER, ED_APPEND, 0, B("\x00\x17\x00\x00"), 0, 0,
     SSLProtocolErr, FATAL(ILLEGAL)},
    {"SH renegotiation_info not empty", PAIR_SERVER, ED_SET_BODY, 0xff01, B("\x18" "0123456789abcdefghijklmn"),
     0, 0, SSLProtocolErr, FATAL(HS_FAILURE)},
    {"SH ALPN protocol the client did not offer", PAIR_SERVER, ED_SET_BODY, 16, B("\x00\x07\x06spdy/1"), 1, 0,
     SSLProtocolErr, FATAL(ILLEGAL)},
    {"SH ALPN empty name", PAIR_SERVER, ED_SET_BODY, 16, B("\x00\x01\x00"), 1, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"SH ALPN two names", PAIR_SERVER, ED_SET_BODY, 16, B("\x00\x06\x02h2\x02h2"), 1, 0, SSLProtocolErr,
     FATAL(DECODE)},
    {"SH ALPN the client did not send", PAIR_SERVER, ED_APPEND, 0, B("\x00\x10\x00\x05\x00\x03\x02h2"), 0, 0,
     SSLProtocolErr, FATAL(UNSUPPORTED_EXT)},
    {"SH signature_algorithms", PAIR_SERVER, ED_APPEND, 0, B("\x00\x0d\x00\x04\x00\x02\x04\x01"), 0, 0,
     SSLProtocolErr, FATAL(UNSUPPORTED_EXT)},
    {"SH unknown extension", PAIR_SERVER, ED_APPEND, 0, B("\x3a\x3a\x00\x00"), 0, 0, SSLProtocolErr,
     FATAL(UNSUPPORTED_EXT)},
    /* an SSL 3.0 client sent no extensions: anything but renegotiation_info is unsolicited
     * (unsupported_extension, which SSL 3.0 says as handshake_failure) */
    {"SH EMS to an SSL 3.0 client", PAIR_SERVER, ED_APPEND, 0, B("\x00\x17\x00\x00"), 0, kSSLProtocol3,
     SSLProtocolErr, FATAL(HS_FAILURE)},
    {"SH EtM to an SSL 3.0 client", PAIR_SERVER, ED_APPEND, 0, B("\x00\x16\x00\x00"), 0, kSSLProtocol3,
     SSLProtocolErr, FATAL(HS_FAILURE)},
    /* ServerHello version outside the client's range: protocol_version */
    {"SH version 3.4 to a TLS 1.2 client", PAIR_SERVER, ED_VERSION, 0x0304, NULL, 0, 0, 0, SSLNegotiationErr,
     FATAL(PROTO_VERSION)},
    {"SH version 3.3 to a TLS 1.1 client", PAIR_SERVER, ED_VERSION, 0x0303, NULL, 0, 0, kTLSProtocol11,
     SSLNegotiationErr, FATAL(PROTO_VERSION)},
    {"SH version 3.0 to a TLS 1.0 .. 1.2 client", PAIR_SERVER, ED_VERSION, 0x0300, NULL, 0, 0, 0,
     SSLNegotiationErr, FATAL(PROTO_VERSION)},
    {"SH version 2.0 to a TLS client", PAIR_SERVER, ED_VERSION, 0x0002, NULL, 0, 0, 0, SSLNegotiationErr,
     FATAL(PROTO_VERSION)},
};

Test(badinput_tls, hello_extensions_and_versions)
{
    for (size_t i = 0; i < sizeof ext_cases / sizeof ext_cases[0]; i++) {
        const struct ext_case *k = &ext_cases[i];
        struct ed e = {.armed = 1, .from = k->from, .hs_type = k->from == PAIR_CLIENT ? 1 : 2, .op = k->op};
        if (k->op == ED_VERSION)
            e.value = k->ext_type;
        else
            e.ext_type = k->ext_type;
        memcpy(e.bytes, k->bytes ? k->bytes : "", k->n);
        e.n = k->n;
        struct pair_config c;
        tls_config(&c, &e, NULL);
        if (k->proto_max) {
            c.vmax[PAIR_CLIENT] = (SSLXProtocol)k->proto_max;
            c.vmin[PAIR_CLIENT] = k->proto_max == kSSLProtocol3 ? kSSLProtocol3 : kTLSProtocol1;
            c.vmin[PAIR_SERVER] = kSSLProtocol3;
        }
        struct pair p;
        e.p = &p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        if (k->alpn) {
            cr_assert_eq(SSLXSetALPN(p.s[PAIR_CLIENT].ctx, "h2,http/1.1"), SSLNoErr);
            cr_assert_eq(SSLXSetALPN(p.s[PAIR_SERVER].ctx, "http/1.1"), SSLNoErr);
        }
        int r = pair_handshake(&p);
        cr_expect(e.hit, "%s: the hello was edited", k->what);
        cr_expect_eq(r, PAIR_FAILED, "%s: the handshake must fail", k->what);
        if (k->op != ED_VERSION) {
            expect_failure(&p, PAIR_PEER(k->from), k->err, k->alert, k->what);
        } else { /* the client refuses before it knows a version: its alert goes out in a 3.1
                    record, which the server, already at its own version, does not read */
            int victim = PAIR_PEER(k->from);
            cr_expect_eq(p.s[victim].last, k->err, "%s: victim got %s", k->what, SSLXErrorName(p.s[victim].last));
            cr_expect_eq(alert_sent(&p, victim), k->alert, "%s: victim sent %04x", k->what, alert_sent(&p, victim));
        }
        finish(&p);
    }
}

/* The control for the editor: an edit that changes nothing on the wire's meaning (the same
 * block written again) still fails only at the Finished check, never at parsing. */
Test(badinput_tls, editor_control)
{
    struct ed e = {.armed = 1, .from = PAIR_SERVER, .hs_type = 2, .op = ED_SET_BODY, .ext_type = 0xff01};
    e.bytes[0] = 0;
    e.n = 1;
    struct pair_config c;
    tls_config(&c, &e, NULL);
    struct pair p;
    e.p = &p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    cr_expect(e.hit);
    finish(&p);
}

/* RFC 7627 §5.3: resuming an EMS session, the ServerHello must carry EMS again (client:
 * handshake_failure); a ClientHello that offers the EMS session without EMS is refused too
 * (server: handshake_failure). */
Test(badinput_tls, ems_missing_on_resumption)
{
    for (int victim = 0; victim < 2; victim++) {
        struct pair_cache cc, sc;
        pair_cache_init(&cc);
        pair_cache_init(&sc);
        struct ed e = {.armed = 0, .from = PAIR_SERVER, .hs_type = 2, .op = ED_DROP, .ext_type = 23};
        struct pair_config c;
        tls_config(&c, &e, NULL);
        c.cache[0] = &cc;
        c.cache[1] = &sc;
        struct pair p;
        e.p = &p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        int ems = 0;
        SSLXGetExtendedMasterSecret(p.s[PAIR_CLIENT].ctx, &ems);
        cr_assert_eq(ems, 1, "the first session uses EMS");
        finish(&p);
        c.seed = 7;
        e.ccs[0] = e.ccs[1] = 0;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        if (victim == PAIR_CLIENT) { /* the server resumes, its hello without EMS */
            e.armed = 1;
            int r = pair_handshake(&p);
            int resumed = -1;
            SSLXGetResumed(p.s[PAIR_CLIENT].ctx, &resumed);
            cr_assert_eq(r, PAIR_FAILED, "hit %d resumed %d", e.hit, resumed);
            cr_expect(e.hit);
            expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(HS_FAILURE), "resumed SH without EMS");
        } else { /* the client offers the EMS session without EMS: the server refuses */
            cr_assert_eq(SSLXSetExtendedMasterSecret(p.s[PAIR_CLIENT].ctx, 0), SSLNoErr);
            cr_assert_eq(pair_handshake(&p), PAIR_FAILED);
            expect_failure(&p, PAIR_SERVER, SSLNegotiationErr, FATAL(HS_FAILURE),
                           "EMS session offered without EMS");
        }
        finish(&p);
        pair_cache_clear(&cc);
        pair_cache_clear(&sc);
    }
}

/* RFC 5246 §7.4.3: the ServerKeyExchange's scheme must be one the client listed in
 * signature_algorithms (ours: ecdsa and rsa_pkcs1 with SHA-256, SHA-384, SHA-512, SHA-1) and of the
 * certificate's key type (an ecdsa scheme from an RSA certificate: illegal_parameter). */
Test(badinput_tls, server_kx_scheme_not_offered)
{
    static const uint16_t dhe = TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
    static const struct {
        uint16_t scheme;
        uint16_t alert;
    } cases[] = {
        {0x0101, FATAL(ILLEGAL)}, /* rsa with MD5 */
        {0x0402, FATAL(ILLEGAL)}, /* dsa_sha256 */
        {0x0403, FATAL(ILLEGAL)}, /* ecdsa_secp256r1_sha256: offered, but not an RSA scheme */
        {0x0203, FATAL(ILLEGAL)}, /* ecdsa_sha1: the same */
        {0x0804, FATAL(ILLEGAL)}, /* rsa_pss_rsae_sha256 */
        {0x0501, FATAL(DECRYPT)}, /* offered (SHA-384), but the signature is SHA-256's */
        {0x0601, FATAL(DECRYPT)}, /* offered (SHA-512), but the signature is SHA-256's */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ed e = {.armed = 1, .from = PAIR_SERVER, .hs_type = 12, .op = ED_SKE_SCHEME, .value = cases[i].scheme};
        struct pair_config c;
        tls_config(&c, &e, &dhe);
        struct pair p;
        e.p = &p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_FAILED, "scheme %04x", cases[i].scheme);
        cr_expect(e.hit);
        expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, cases[i].alert, "ServerKeyExchange scheme");
        finish(&p);
    }
}

/* RFC 5246 §7.2.2: a signature length past the end of its message, or bytes after the signature,
 * is decode_error (the message's length is wrong), not decrypt_error or illegal_parameter; at
 * SSL 3.0, which has no decode_error, the same bytes answer illegal_parameter. The server's DHE
 * ServerKeyExchange (client victim) and the client's CertificateVerify (server victim). */
Test(badinput_tls, signature_lengths)
{
    static const uint16_t dhe = TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
    static const struct {
        const char *what;
        int from;
        uint8_t hs_type;
        enum edop op;
        int16_t delta;
        int ssl3;
        uint16_t alert;
    } cases[] = {
        {"SKE signature length + 1", PAIR_SERVER, 12, ED_SIGLEN, 1, 0, FATAL(DECODE)},
        {"SKE signature length + 300", PAIR_SERVER, 12, ED_SIGLEN, 300, 0, FATAL(DECODE)},
        {"SKE signature length - 1 (a byte after it)", PAIR_SERVER, 12, ED_SIGLEN, -1, 0, FATAL(DECODE)},
        {"SKE byte after the signature", PAIR_SERVER, 12, ED_TRAIL, 0, 0, FATAL(DECODE)},
        {"CertificateVerify signature length + 1", PAIR_CLIENT, 15, ED_SIGLEN, 1, 0, FATAL(DECODE)},
        {"CertificateVerify signature length - 1", PAIR_CLIENT, 15, ED_SIGLEN, -1, 0, FATAL(DECODE)},
        {"CertificateVerify byte after the signature", PAIR_CLIENT, 15, ED_TRAIL, 0, 0, FATAL(DECODE)},
        {"SSL 3.0 SKE byte after the signature", PAIR_SERVER, 12, ED_TRAIL, 0, 1, FATAL(ILLEGAL)},
        {"SSL 3.0 CertificateVerify byte after it", PAIR_CLIENT, 15, ED_TRAIL, 0, 1, FATAL(ILLEGAL)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ed e = {.armed = 1, .from = cases[i].from, .hs_type = cases[i].hs_type,
                       .op = cases[i].op, .value = (uint16_t)cases[i].delta, .bytes = {0x00}, .n = 1};
        struct pair_config c;
        tls_config(&c, &e, &dhe);
        if (cases[i].ssl3) {
            static const uint16_t dhe3 = SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA;
            pair_config_suite(&c, &dhe3);
            for (int side = 0; side < 2; side++)
                c.vmin[side] = c.vmax[side] = kSSLProtocol3;
        }
        c.client_key = "client-key.pem";
        c.client_chain = "client-cert.pem";
        c.request_client_cert = 1;
        struct pair p;
        e.p = &p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr, "%s", cases[i].what);
        cr_assert_eq(pair_handshake(&p), PAIR_FAILED, "%s", cases[i].what);
        cr_expect(e.hit, "%s: the message was edited", cases[i].what);
        expect_failure(&p, PAIR_PEER(cases[i].from), SSLProtocolErr, cases[i].alert, cases[i].what);
        finish(&p);
    }
}

/* ---- TLS Finished of the wrong length (NULL-SHA at TLS 1.2: the records are forged with the
 * sender's real MAC key, so only the length is wrong) ---- */

struct fin {
    struct pair *p;
    int from;
    long delta; /* added to the 12 bytes */
    int hit;
};

static int fin_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct fin *f = ref;
    (void)index;
    const struct dirstate *d = &f->p->s[from].ctx->wr_cur;
    /* the Finished: 14 00 00 0c <12 bytes> then HMAC-SHA1 (20), the first record under the keys */
    if (from != f->from || f->hit || r->b[0] != 22 || !d->suite || r->len != 5 + 16 + 20 || r->b[5] != 20)
        return PAIR_PASS;
    uint8_t body[64];
    size_t fl = (size_t)(12 + f->delta);
    memcpy(body, r->b + 5, 16);
    memset(body + 16, 0, sizeof body - 16);
    body[3] = (uint8_t)fl;
    size_t n = 4 + fl;
    memcpy(r->b + 5, body, n);
    rectls_mac(d->suite->mac, d->mac_secret, d->seq - 1, 22, d->ver, r->b + 5, n, r->b + 5 + n);
    put16(r->b + 3, n + 20);
    r->len = 5 + n + 20;
    f->hit = 1;
    return PAIR_PASS;
}

Test(badinput_tls, finished_lengths)
{
    static const struct {
        long delta;
        uint16_t alert;
    } cases[] = {{-1, FATAL(DECODE)}, {1, FATAL(DECODE)}, {-12, FATAL(DECODE)}, {24, FATAL(DECODE)}, {0, 0}};
    for (int from = 0; from < 2; from++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct fin f = {NULL, from, cases[i].delta, 0};
            struct pair_config c;
            tls_config(&c, NULL, &null_sha);
            c.hook = fin_hook;
            c.hook_ref = &f;
            struct pair p;
            f.p = &p;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            int r = pair_handshake(&p);
            cr_expect(f.hit, "side %d's Finished was rewritten", from);
            if (!cases[i].alert) { /* control: forged again unchanged, it is taken */
                cr_expect_eq(r, PAIR_OK, "control: %s / %s", SSLXErrorName(p.s[0].last),
                             SSLXErrorName(p.s[1].last));
                SSLXProtocol v = kSSLProtocolUnknown;
                SSLXGetNegotiatedProtocolVersion(p.s[0].ctx, &v);
                cr_expect_eq(v, kTLSProtocol12);
            } else {
                cr_expect_eq(r, PAIR_FAILED);
                expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, cases[i].alert, "TLS Finished length");
            }
            finish(&p);
        }
}
