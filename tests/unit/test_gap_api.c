/*
 * test_gap_api.c - spec rules that other tests reached only indirectly: SSLAddCertificate's parent and
 * complete flags and its two chain errors through the public call; the keys the library hands to the
 * Add/Get/DeleteSession callbacks (client: its peer ID; server: the session ID; the same key deleted
 * after an unclean close); application data cut into records of at most 2^14 bytes (RFC 6101
 * §5.2.1); IDEA (0x0007) with client authentication, full and resumed; the server's suite order
 * (SSLXSetCipherSuites) decides, and the default list prefers AES-128.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
    }
}

static SSLBuffer cert(const char *file, int index)
{
    size_t len;
    char *pem = pair_read_data(file, &len);
    cr_assert(pem, "%s", file);
    size_t pos = 0;
    uint8 *der = NULL;
    uint32 dl = 0;
    for (int i = 0; i <= index; i++) {
        free(der);
        der = NULL;
        cr_assert_eq(SSLXPEMDecode(pem, len, &pos, "CERTIFICATE", &der, &dl), SSLNoErr, "%s #%d", file, i);
    }
    free(pem);
    return (SSLBuffer){dl, der};
}

/* ---- SSLAddCertificate: parent / complete, X509NamesNotEqualErr, X509CertChainInvalidErr ---- */

/* A pair whose server chain is built with SSLAddCertificate calls; the client checks the result. */
static void serve_with_chain(const char *const *files, const int *parent, int n, const char *leaf_file)
{
    struct pair_config c;
    pair_config_init(&c);
    c.server_chain = NULL;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    for (int i = 0; i < n; i++) {
        SSLBuffer b = cert(files[i], 0);
        cr_expect_eq(SSLAddCertificate(p.s[PAIR_SERVER].ctx, b, parent[i], i == n - 1), SSLNoErr,
                     "add %s parent=%d complete=%d", files[i], parent[i], i == n - 1);
        free(b.data);
    }
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    int len = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p.s[PAIR_CLIENT].ctx, &len), SSLNoErr);
    cr_expect_eq(len, n, "the client received %d certificates, want %d", len, n);
    SSLBuffer got = {0, NULL}, want = cert(leaf_file, 0);
    cr_assert_eq(SSLGetPeerCertificate(p.s[PAIR_CLIENT].ctx, 0, &got), SSLNoErr);
    cr_expect(got.length == want.length && !memcmp(got.data, want.data, want.length),
              "the leaf is sent first: %s", leaf_file);
    memset(got.data, 0, got.length);
    pair_free_fn(&got, &p.s[PAIR_CLIENT].alloc);
    free(want.data);
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(gap_api, add_certificate_parent_flag_orders_the_chain)
{
    /* leaf first, then its issuer as a parent of it */
    static const char *const up[] = {"server-cert.pem", "ca-cert.pem"};
    static const int up_parent[] = {0, 1};
    serve_with_chain(up, up_parent, 2, "server-cert.pem");
    /* the CA first, then the leaf as a child (parent = 0) of what was added: the leaf goes in front */
    static const char *const down[] = {"ca-cert.pem", "server-cert.pem"};
    static const int down_parent[] = {0, 0};
    serve_with_chain(down, down_parent, 2, "server-cert.pem");
    /* one self-signed certificate, complete at once */
    static const char *const one[] = {"server-selfsigned.pem"};
    static const int one_parent[] = {0};
    serve_with_chain(one, one_parent, 1, "server-selfsigned.pem");
}

static SSLErr add_two(const char *leaf, const char *parent_file, int complete)
{
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    SSLBuffer a = cert(leaf, 0), b = cert(parent_file, 0);
    cr_expect_eq(SSLAddCertificate(ctx, a, 0, 0), SSLNoErr, "a leaf alone is not verified yet");
    SSLErr e = SSLAddCertificate(ctx, b, 1, complete);
    free(a.data);
    free(b.data);
    SSLXFreeContext(ctx);
    return e;
}

Test(gap_api, add_certificate_complete_verifies_the_chain)
{
    cr_expect_eq(add_two("server-cert.pem", "ca-cert.pem", 1), SSLNoErr);
    cr_expect_eq(add_two("client-cert.pem", "ca-cert.pem", 1), SSLNoErr);
    /* the issuer name of the leaf is not the subject of its parent */
    cr_expect_eq(add_two("server-cert.pem", "server-selfsigned.pem", 1), X509NamesNotEqualErr);
    cr_expect_eq(add_two("ca-cert.pem", "server-cert.pem", 1), X509NamesNotEqualErr);
    /* the names match (CN=localhost) but the parent's key did not sign the leaf */
    cr_expect_eq(add_two("server-selfsigned.pem", "server1024-cert.pem", 1), X509CertChainInvalidErr);
    /* without complete nothing is checked yet */
    cr_expect_eq(add_two("server-cert.pem", "server-selfsigned.pem", 0), SSLNoErr);
    /* three certificates, the wrong one last: the error comes with complete */
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    SSLBuffer l = cert("server-cert.pem", 0), ca = cert("ca-cert.pem", 0);
    SSLBuffer x = cert("server1024-cert.pem", 0);
    cr_expect_eq(SSLAddCertificate(ctx, l, 0, 0), SSLNoErr);
    cr_expect_eq(SSLAddCertificate(ctx, ca, 1, 0), SSLNoErr);
    cr_expect_eq(SSLAddCertificate(ctx, x, 1, 1), X509NamesNotEqualErr,
                 "CN=localhost did not issue the CA");
    free(l.data), free(ca.data), free(x.data);
    SSLXFreeContext(ctx);
    /* not a certificate, and bad parameters */
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    uint8 junk[40];
    memset(junk, 0x30, sizeof junk);
    cr_expect_neq(SSLAddCertificate(ctx, (SSLBuffer){sizeof junk, junk}, 0, 1), SSLNoErr);
    cr_expect_eq(SSLAddCertificate(ctx, (SSLBuffer){0, NULL}, 0, 1), SSLBadParameterErr);
    cr_expect_eq(SSLAddCertificate(NULL, (SSLBuffer){sizeof junk, junk}, 0, 1), SSLBadParameterErr);
    SSLXFreeContext(ctx);
}

/* ---- the keys given to the session callbacks ---- */

struct keyrec {
    struct pair_cache c; /* first: the ref pair_cache_* expects */
    uint8_t add_key[64], get_key[64], del_key[64];
    uint32_t add_len, get_len, del_len;
    unsigned adds, gets, dels;
};

static void keep(uint8_t *dst, uint32_t *len, SSLBuffer k)
{
    cr_assert_leq(k.length, 64);
    memcpy(dst, k.data, k.length);
    *len = k.length;
}

static SSLErr rec_add(SSLBuffer k, SSLBuffer d, void *ref)
{
    struct keyrec *r = ref;
    keep(r->add_key, &r->add_len, k);
    r->adds++;
    return pair_cache_add(k, d, &r->c);
}

static SSLErr rec_get(SSLBuffer k, SSLBuffer *d, void *ref)
{
    struct keyrec *r = ref;
    keep(r->get_key, &r->get_len, k);
    r->gets++;
    return pair_cache_get(k, d, &r->c);
}

static SSLErr rec_del(SSLBuffer k, void *ref)
{
    struct keyrec *r = ref;
    keep(r->del_key, &r->del_len, k);
    r->dels++;
    return pair_cache_delete(k, &r->c);
}

static void connect_recording(struct pair *p, struct keyrec *kr, uint64_t seed)
{
    struct pair_config c;
    pair_config_init(&c);
    c.cache[PAIR_CLIENT] = &kr[PAIR_CLIENT].c;
    c.cache[PAIR_SERVER] = &kr[PAIR_SERVER].c;
    c.seed = seed;
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    for (int side = 0; side < 2; side++) {
        SSLSetAddSessionFunc(p->s[side].ctx, rec_add);
        SSLSetGetSessionFunc(p->s[side].ctx, rec_get);
        SSLSetDeleteSessionFunc(p->s[side].ctx, rec_del);
        SSLSetSessionRef(p->s[side].ctx, &kr[side]);
    }
    cr_assert_eq(pair_handshake(p), PAIR_OK, "%s / %s", SSLXErrorName(p->s[0].last),
                 SSLXErrorName(p->s[1].last));
}

#define CLIENT_PEER_ID "localhost:4433" /* what pair.c gives the client with SSLSetPeerID */

/* Keys carry the role byte first (sslx.h, SSLX_SESSION_KEY_CLIENT / _SERVER). */
static int is_peer_id(const uint8_t *key, uint32_t len)
{
    return len == 1 + strlen(CLIENT_PEER_ID) && key[0] == SSLX_SESSION_KEY_CLIENT &&
           !memcmp(key + 1, CLIENT_PEER_ID, len - 1);
}

static int is_sid(const uint8_t *key, uint32_t len, const uint8 *sid)
{
    return len == 33 && key[0] == SSLX_SESSION_KEY_SERVER && !memcmp(key + 1, sid, 32);
}

Test(gap_api, session_callback_keys)
{
    struct keyrec kr[2];
    memset(kr, 0, sizeof kr);
    pair_cache_init(&kr[0].c);
    pair_cache_init(&kr[1].c);
    struct pair p;
    uint8 sid[32];
    uint32 sl = sizeof sid;

    /* full handshake: the client looks up and stores under its peer ID, the server stores under the
     * session ID it chose (and has nothing to look up: the client offered no session) */
    connect_recording(&p, kr, 1);
    cr_assert_eq(SSLXGetSessionID(p.s[PAIR_SERVER].ctx, sid, &sl), SSLNoErr);
    cr_assert_eq(sl, 32);
    cr_expect_eq(kr[0].gets, 1, "the client looked for a session");
    cr_expect(is_peer_id(kr[0].get_key, kr[0].get_len), "client lookup key is C | its peer ID");
    cr_expect_eq(kr[0].adds, 1);
    cr_expect(is_peer_id(kr[0].add_key, kr[0].add_len), "client stores under C | its peer ID");
    cr_expect_eq(kr[1].gets, 0, "the server had no session ID to look up");
    cr_expect_eq(kr[1].adds, 1);
    cr_expect(is_sid(kr[1].add_key, kr[1].add_len, sid), "the server stores under S | the session ID");
    SSLErr ce;
    cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
    pair_free(&p);
    expect_no_leaks(&p);
    cr_expect_eq(kr[0].dels + kr[1].dels, 0, "a clean close deletes nothing");

    /* resumed: the client's lookup key is again its peer ID, the server's is the offered session ID */
    memset(kr[1].get_key, 0, sizeof kr[1].get_key);
    connect_recording(&p, kr, 2);
    int r = -1;
    SSLXGetResumed(p.s[PAIR_SERVER].ctx, &r);
    cr_expect_eq(r, 1, "resumed");
    cr_expect_eq(kr[0].gets, 2);
    cr_expect(is_peer_id(kr[0].get_key, kr[0].get_len), "client lookup key is C | its peer ID");
    cr_expect_eq(kr[1].gets, 1, "the server looked the offered session up once");
    cr_expect(is_sid(kr[1].get_key, kr[1].get_len, sid), "server lookup key is S | the session ID");

    /* an unclean end: each side deletes its entry under the key it stored it with */
    pair_eof(&p, PAIR_CLIENT);
    pair_eof(&p, PAIR_SERVER);
    for (int side = 0; side < 2; side++) {
        uint8_t b[4];
        uint32 len = sizeof b;
        cr_expect_eq(SSLRead(b, &len, p.s[side].ctx), SSLConnectionClosedError);
    }
    cr_expect_eq(kr[0].dels, 1);
    cr_expect(is_peer_id(kr[0].del_key, kr[0].del_len), "the client deletes under its peer ID");
    cr_expect_eq(kr[1].dels, 1);
    cr_expect(is_sid(kr[1].del_key, kr[1].del_len, sid), "the server deletes under the session ID");
    cr_expect_eq(kr[0].c.n + kr[1].c.n, 0, "both entries are gone");
    pair_free(&p);
    expect_no_leaks(&p);
    pair_cache_clear(&kr[0].c);
    pair_cache_clear(&kr[1].c);
}

/* ---- application data is cut into records of at most 2^14 bytes (RFC 6101 §5.2.1) ---- */

struct lens {
    size_t len[2][16];
    int n[2];
};

static int len_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    (void)index;
    struct lens *l = ref;
    if (r->b[0] == 23 && l->n[from] < 16)
        l->len[from][l->n[from]++] = r->len - 5;
    return PAIR_PASS;
}

Test(gap_api, records_at_most_2_14)
{
    static const uint16_t suites[] = {SSL_RSA_WITH_NULL_SHA, SSL_RSA_WITH_NULL_MD5};
    static const size_t mac_len[] = {20, 16};
    for (int s = 0; s < 2; s++) {
        struct lens l;
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, &suites[s]);
        c.hook = len_hook;
        c.hook_ref = &l;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        static uint8_t buf[3 * 16384 + 5];
        pair_pattern(buf, sizeof buf, 3);
        static const size_t sizes[] = {16384, 16385, 3 * 16384 + 5};
        for (int i = 0; i < 3; i++)
            for (int from = 0; from < 2; from++) {
                memset(&l, 0, sizeof l);
                cr_expect_eq(pair_exchange(&p, from, buf, sizes[i]), SSLNoErr);
                /* NULL cipher: record body = plaintext + MAC, so the plaintext sizes are exact */
                size_t total = 0;
                for (int k = 0; k < l.n[from]; k++) {
                    cr_expect_geq(l.len[from][k], mac_len[s]);
                    size_t pt = l.len[from][k] - mac_len[s];
                    cr_expect_leq(pt, 16384, "%04x: record %d carries %zu bytes", suites[s], k, pt);
                    if (k + 1 < l.n[from])
                        cr_expect_eq(pt, 16384, "%04x: only the last record is short", suites[s]);
                    total += pt;
                }
                cr_expect_eq(total, sizes[i]);
                cr_expect_eq(l.n[from], (int)((sizes[i] + 16383) / 16384), "%04x: %zu bytes in %d records",
                             suites[s], sizes[i], l.n[from]);
            }
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* ---- IDEA with client authentication, full and resumed ---- */

Test(gap_api, idea_with_client_auth_full_and_resumed)
{
    static const uint16_t idea = SSL_RSA_WITH_IDEA_CBC_SHA;
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &idea);
    c.request_client_cert = 1;
    c.client_key = "client-key.pem";
    c.client_chain = "client-cert.pem";
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    SSLBuffer want = cert("client-cert.pem", 0);
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 40 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "conn %d: %s / %s", conn, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        for (int side = 0; side < 2; side++) {
            uint16 got = 0;
            int r = -1;
            SSLGetNegotiatedCipher(p.s[side].ctx, &got);
            SSLXGetResumed(p.s[side].ctx, &r);
            cr_expect_eq(got, idea, "side %d: %04x", side, got);
            cr_expect_eq(r, conn, "side %d conn %d resumed=%d", side, conn, r);
        }
        int n = -1;
        cr_expect_eq(SSLGetPeerCertificateChainLength(p.s[PAIR_SERVER].ctx, &n), SSLNoErr);
        cr_expect_eq(n, 1, "conn %d: the server holds the client's certificate", conn);
        SSLBuffer der = {0, NULL};
        cr_assert_eq(SSLGetPeerCertificate(p.s[PAIR_SERVER].ctx, 0, &der), SSLNoErr);
        cr_expect(der.length == want.length && !memcmp(der.data, want.data, want.length),
                  "conn %d: it is client-cert.pem", conn);
        memset(der.data, 0, der.length);
        pair_free_fn(&der, &p.s[PAIR_SERVER].alloc);
        uint8_t msg[20000];
        pair_pattern(msg, sizeof msg, 9);
        cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
        cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        cr_expect_eq(ce, SSLNoErr);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    free(want.data);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- the server's preference order decides (SSLXSetCipherSuites), AES-128 first by default ---- */

static uint16_t negotiate(const uint16_t *cli, uint32_t ncli, const uint16_t *srv, uint32_t nsrv)
{
    struct pair_config c;
    pair_config_init(&c);
    c.suites[PAIR_CLIENT] = cli;
    c.nsuites[PAIR_CLIENT] = ncli;
    c.suites[PAIR_SERVER] = srv; /* NULL: the library's default list */
    c.nsuites[PAIR_SERVER] = nsrv;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    uint16 s[2] = {0, 0};
    SSLGetNegotiatedCipher(p.s[PAIR_CLIENT].ctx, &s[0]);
    SSLGetNegotiatedCipher(p.s[PAIR_SERVER].ctx, &s[1]);
    cr_expect_eq(s[0], s[1]);
    pair_free(&p);
    expect_no_leaks(&p);
    return s[1];
}

Test(gap_api, server_preference_order)
{
    static const uint16_t cli[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_SHA,
                                   SSL_RSA_WITH_3DES_EDE_CBC_SHA};
    static const uint16_t cli_rev[] = {SSL_RSA_WITH_3DES_EDE_CBC_SHA, SSL_RSA_WITH_RC4_128_SHA,
                                       TLS_RSA_WITH_AES_128_CBC_SHA};
    static const uint16_t srv_a[] = {SSL_RSA_WITH_3DES_EDE_CBC_SHA, SSL_RSA_WITH_RC4_128_SHA};
    static const uint16_t srv_b[] = {SSL_RSA_WITH_RC4_128_SHA, SSL_RSA_WITH_3DES_EDE_CBC_SHA};
    /* the server's first suite that the client offers, whatever the client's order */
    cr_expect_eq(negotiate(cli, 3, srv_a, 2), SSL_RSA_WITH_3DES_EDE_CBC_SHA);
    cr_expect_eq(negotiate(cli_rev, 3, srv_a, 2), SSL_RSA_WITH_3DES_EDE_CBC_SHA);
    cr_expect_eq(negotiate(cli, 3, srv_b, 2), SSL_RSA_WITH_RC4_128_SHA);
    cr_expect_eq(negotiate(cli_rev, 3, srv_b, 2), SSL_RSA_WITH_RC4_128_SHA);
    /* the default server list puts AES-128 before RC4 and 3DES even for a client that prefers them */
    cr_expect_eq(negotiate(cli_rev, 3, NULL, 0), TLS_RSA_WITH_AES_128_CBC_SHA);
    static const uint16_t rc4_aes256[] = {SSL_RSA_WITH_RC4_128_MD5, TLS_RSA_WITH_AES_256_CBC_SHA};
    cr_expect_eq(negotiate(rc4_aes256, 2, NULL, 0), TLS_RSA_WITH_AES_256_CBC_SHA);
}
