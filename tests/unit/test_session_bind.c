/*
 * test_session_bind.c - where a cached session may be resumed (issue 13): only by the side that
 * made it, under the same client-certificate policy and the same session context or local chain
 * (a shared cache between servers, or between a client and a server, resumes nothing across them),
 * within the session lifetime by the context's clock, and a session load that fails part-way
 * leaves no peer certificate on the new connection.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "handshake/session.h"

struct conn_result {
    int resumed[2];  /* SSLXGetResumed per side */
    int server_peer; /* certificates the server reports for its peer */
};

struct clock_ref {
    uint32 now;
};

static SSLErr clock_fn(uint32 *t, void *ref)
{
    *t = ((struct clock_ref *)ref)->now;
    return SSLNoErr;
}

typedef void (*tweak_fn)(struct pair *p, void *ref);

/* One connection: build, optionally set each side's clock and tweak the contexts, handshake, report
 * the results, close cleanly, check nothing leaked. */
static void connect_once(struct pair_config *c, struct clock_ref *clk, tweak_fn tweak, void *ref,
                         struct conn_result *out)
{
    struct pair p;
    cr_assert_eq(pair_init(&p, c), SSLNoErr);
    for (int side = 0; clk && side < 2; side++) {
        SSLSetTimeFunc(p.s[side].ctx, clock_fn);
        SSLSetTimeRef(p.s[side].ctx, &clk[side]);
    }
    if (tweak)
        tweak(&p, ref);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        out->resumed[side] = -1;
        cr_assert_eq(SSLXGetResumed(p.s[side].ctx, &out->resumed[side]), SSLNoErr);
    }
    cr_expect_eq(out->resumed[0], out->resumed[1], "both sides agree on resumption");
    out->server_peer = -1;
    cr_assert_eq(SSLGetPeerCertificateChainLength(p.s[PAIR_SERVER].ctx, &out->server_peer), SSLNoErr);
    SSLErr ce;
    cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
    pair_free(&p);
    cr_expect_eq(pair_live_blocks(&p), 0, "nothing leaked");
}

static void caches(struct pair_config *c, struct pair_cache *cc, struct pair_cache *sc)
{
    pair_cache_init(cc);
    pair_cache_init(sc);
    pair_config_init(c);
    c->cache[PAIR_CLIENT] = cc;
    c->cache[PAIR_SERVER] = sc;
}

static void clear(struct pair_cache *cc, struct pair_cache *sc)
{
    pair_cache_clear(cc);
    pair_cache_clear(sc);
}

/* ---- point 1: binding ---- */

/* Server A (server-chain.pem) authenticates a client; server B (another certificate) shares A's
 * cache. Before: B resumed A's session, skipped client authentication and reported A's verified
 * client. Now B makes a full handshake and authenticates the client itself. */
Test(session_bind, servers_with_different_chains_do_not_share_sessions)
{
    struct pair_config c;
    struct pair_cache cc, sc;
    caches(&c, &cc, &sc);
    c.request_client_cert = 1;
    c.client_key = "client-key.pem";
    c.client_chain = "client-cert.pem";
    struct conn_result r;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_assert_eq(r.resumed[PAIR_SERVER], 0);
    c.server_key = "server1024-key.pem"; /* server B, same cache */
    c.server_chain = "server1024-cert.pem";
    c.seed = 2;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 0, "B does not resume A's session");
    cr_expect_eq(r.server_peer, 1, "B authenticated the client in its own handshake");
    cr_expect_geq(sc.hits, 1, "B was handed A's entry");
    clear(&cc, &sc);
}

/* The binding is computed when the identity is set and kept in the context (ctx->bind, copied by
 * SSLDuplicateContext): a later change of the chain or key on a set-up context, as an SNI callback
 * makes, must be seen: a session resumes only under the chain it was made under. */
struct ident {
    const char *key, *chain;
};

static void replace_identity(struct pair *p, void *ref)
{
    const struct ident *id = ref;
    SSLContext *ctx = p->s[PAIR_SERVER].ctx;
    size_t len;
    char *pem = pair_read_data(id->key, &len);
    cr_assert(pem);
    SSLRSAPrivateKey *key = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &key), SSLNoErr);
    free(pem);
    cr_assert_eq(SSLSetPrivateKey(ctx, key), SSLNoErr);
    pem = pair_read_data(id->chain, &len);
    cr_assert(pem);
    cr_assert_eq(SSLXReplaceCertificatesPEM(ctx, pem, len), SSLNoErr);
    free(pem);
}

Test(session_bind, identity_replaced_after_setup)
{
    struct pair_config c;
    struct pair_cache cc, sc;
    caches(&c, &cc, &sc);
    struct ident other = {"server1024-key.pem", "server1024-cert.pem"};
    struct ident same = {"server-key-pkcs8.pem", "server-chain.pem"};
    struct conn_result r;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_assert_eq(r.resumed[PAIR_SERVER], 0);
    c.seed = 2;
    connect_once(&c, NULL, replace_identity, &other, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 0, "another certificate set after set-up: full handshake");
    c.seed = 3; /* the client now holds the session made under the other certificate */
    connect_once(&c, NULL, replace_identity, &other, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 1, "the same certificate set again: resumed");
    c.seed = 4;
    connect_once(&c, NULL, replace_identity, &same, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 0, "back to the first certificate: full handshake");
    c.seed = 5;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 1, "as set up (the same chain): resumed");
    clear(&cc, &sc);
}

/* A duplicate starts with its template's binding, and its own changes do not reach the template. */
Test(session_bind, duplicate_keeps_binding)
{
    SSLContext *t, *d;
    cr_assert_eq(SSLXNewContext(&t), SSLNoErr);
    size_t len;
    char *pem = pair_read_data("server-chain.pem", &len);
    cr_assert(pem);
    cr_assert_eq(SSLXAddCertificatesPEM(t, pem, len), SSLNoErr);
    free(pem);
    cr_assert(t->bind_ok, "the setter computed the binding");
    uint8_t first[SESSION_BIND_LEN];
    memcpy(first, t->bind, sizeof first);
    cr_assert_eq(SSLXSetSessionContext(t, (const uint8 *)"shop", 4), SSLNoErr);
    cr_assert(t->bind_ok);
    cr_expect_neq(memcmp(first, t->bind, sizeof first), 0, "a session context changes it");
    d = malloc(SSLContextSize());
    cr_assert(d);
    cr_assert_eq(SSLDuplicateContext(t, d, NULL), SSLNoErr);
    cr_expect(d->bind_ok, "the duplicate keeps the template's binding");
    cr_expect_eq(memcmp(d->bind, t->bind, sizeof first), 0);
    cr_assert_eq(SSLXSetSessionContext(d, NULL, 0), SSLNoErr);
    cr_expect_eq(memcmp(d->bind, first, sizeof first), 0, "back to the chain's binding");
    cr_expect_neq(memcmp(t->bind, first, sizeof first), 0, "the template keeps its own");
    SSLDeleteContext(d);
    free(d);
    SSLXFreeContext(t);
}

/* A session made while the server did not ask for client certificates is not resumed once it
 * does: the client would skip the authentication the server now asks for. */
Test(session_bind, client_auth_policy_change_means_full_handshake)
{
    struct pair_config c;
    struct pair_cache cc, sc;
    caches(&c, &cc, &sc);
    c.client_key = "client-key.pem";
    c.client_chain = "client-cert.pem";
    struct conn_result r;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_assert_eq(r.server_peer, 0, "no client authentication asked");
    c.request_client_cert = 1;
    c.seed = 2;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 0, "not resumed under a stricter policy");
    cr_expect_eq(r.server_peer, 1, "the client was authenticated");
    c.seed = 3; /* the session made under the policy resumes under it */
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 1);
    cr_expect_eq(r.server_peer, 1, "the resumed session keeps its client chain");
    clear(&cc, &sc);
}

/* A hostile server picks a session ID equal to our client's peer ID; our client stores the session
 * under its peer ID in a cache our server shares. A client offering that ID to our server must not
 * resume it (before: the server found the client's entry under that key and resumed a session
 * whose master secret the hostile server knows). */
Test(session_bind, client_entry_never_resumes_at_the_server)
{
    struct pair_config c;
    struct pair_cache cc, sc;
    caches(&c, &cc, &sc);
    static const char peer_id[] = "localhost:4433"; /* pair.c's client peer ID */
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    SSLContext *cl = p.s[PAIR_CLIENT].ctx; /* the session as the hostile server made it */
    cl->negotiated = SSL_Version_3_0;
    cl->suite = suite_find(TLS_RSA_WITH_AES_128_CBC_SHA);
    cl->sid_len = (uint8_t)strlen(peer_id);
    memcpy(cl->session_id, peer_id, cl->sid_len);
    memset(cl->master, 0x5a, sizeof cl->master);
    session_store(cl);
    cr_assert_eq(cc.adds, 1);
    pair_free(&p);
    cr_assert_eq(pair_cache_copy(&sc, &cc), 0); /* one cache, shared */
    c.seed = 2;
    struct conn_result r;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 0, "the client's entry is not a server session");
    for (uint32_t i = 0; i < cc.n; i++)
        cr_expect_eq(cc.e[i].key[0], SSLX_SESSION_KEY_CLIENT, "client keys carry the client role byte");
    for (uint32_t i = 0; i < sc.n; i++)
        if (sc.e[i].keylen == 33)
            cr_expect_eq(sc.e[i].key[0], SSLX_SESSION_KEY_SERVER, "server keys carry the server role byte");
    clear(&cc, &sc);
}

static void set_ctx(struct pair *p, void *ref)
{
    const char *const *names = ref;
    for (int side = 0; side < 2; side++)
        if (names[side])
            cr_assert_eq(SSLXSetSessionContext(p->s[side].ctx, (const uint8 *)names[side],
                                               (uint32)strlen(names[side])),
                         SSLNoErr);
}

/* An application session context replaces the chain: servers with different certificates and the
 * same context share sessions; the same certificate under different contexts does not. */
Test(session_bind, session_context)
{
    struct pair_config c;
    struct pair_cache cc, sc;
    caches(&c, &cc, &sc);
    const char *shop[2] = {NULL, "shop"}, *admin[2] = {NULL, "admin"};
    struct conn_result r;
    connect_once(&c, NULL, set_ctx, shop, &r);
    c.server_key = "server1024-key.pem";
    c.server_chain = "server1024-cert.pem";
    c.seed = 2;
    connect_once(&c, NULL, set_ctx, shop, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 1, "same context, other certificate: resumed");
    c.seed = 3;
    connect_once(&c, NULL, set_ctx, admin, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 0, "other context, same certificate: full handshake");
    c.seed = 4;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_expect_eq(r.resumed[PAIR_SERVER], 0, "a context-bound session is not bound to the chain");
    clear(&cc, &sc);

    SSLContext *ctx;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    uint8 big[SSLX_MAX_SESSION_CONTEXT + 1] = {0};
    cr_expect_eq(SSLXSetSessionContext(ctx, big, sizeof big), SSLBadParameterErr);
    cr_expect_eq(SSLXSetSessionContext(ctx, NULL, 1), SSLBadParameterErr);
    cr_expect_eq(SSLXSetSessionContext(ctx, big, SSLX_MAX_SESSION_CONTEXT), SSLNoErr);
    cr_expect_eq(SSLXSetSessionContext(ctx, NULL, 0), SSLNoErr);
    cr_expect_eq(SSLXSetSessionLifetime(ctx, 0), SSLBadParameterErr);
    cr_expect_eq(SSLXSetSessionLifetime(NULL, 10), SSLBadParameterErr);
    SSLXFreeContext(ctx);
}

/* ---- point 2: lifetime ---- */

struct life {
    uint32 seconds[2]; /* 0: the default */
};

static void set_life(struct pair *p, void *ref)
{
    struct life *l = ref;
    for (int side = 0; side < 2; side++)
        if (l->seconds[side])
            cr_assert_eq(SSLXSetSessionLifetime(p->s[side].ctx, l->seconds[side]), SSLNoErr);
}

/* Connect at PAIR_TIME, then again with each side's clock at the given offset: resumed or not. */
static int resumed_after(int64_t client_off, int64_t server_off, struct life *l)
{
    struct pair_config c;
    struct pair_cache cc, sc;
    caches(&c, &cc, &sc);
    struct clock_ref clk[2] = {{PAIR_TIME}, {PAIR_TIME}};
    struct conn_result r;
    connect_once(&c, clk, set_life, l, &r);
    cr_assert_eq(r.resumed[PAIR_SERVER], 0);
    clk[PAIR_CLIENT].now = (uint32)(PAIR_TIME + client_off);
    clk[PAIR_SERVER].now = (uint32)(PAIR_TIME + server_off);
    c.seed = 2;
    connect_once(&c, clk, set_life, l, &r);
    clear(&cc, &sc);
    return r.resumed[PAIR_SERVER];
}

Test(session_lifetime, default_is_24_hours_on_both_sides)
{
    struct life dflt = {{0, 0}};
    cr_expect_eq(resumed_after(86400, 86400, &dflt), 1, "exactly 24 h old: resumed");
    cr_expect_eq(resumed_after(0, 86401, &dflt), 0, "the server refuses an expired session");
    cr_expect_eq(resumed_after(86401, 0, &dflt), 0, "the client does not offer an expired session");
    cr_expect_eq(resumed_after(86401, 86401, &dflt), 0);
}

Test(session_lifetime, set_lifetime)
{
    struct life ten = {{10, 10}};
    cr_expect_eq(resumed_after(10, 10, &ten), 1);
    cr_expect_eq(resumed_after(11, 11, &ten), 0);
    struct life server_only = {{0, 10}}, client_only = {{10, 0}};
    cr_expect_eq(resumed_after(11, 11, &server_only), 0, "the server's lifetime is enforced");
    cr_expect_eq(resumed_after(11, 11, &client_only), 0, "the client's lifetime is enforced");
    cr_expect_eq(resumed_after(5, 5, &server_only), 1);
}

Test(session_lifetime, creation_time_in_the_future)
{
    struct life dflt = {{0, 0}};
    cr_expect_eq(resumed_after(-60, -60, &dflt), 1, "60 s of clock skew is tolerated");
    cr_expect_eq(resumed_after(-61, -61, &dflt), 0, "a session from the future is not");
    cr_expect_eq(resumed_after(0, -100000, &dflt), 0);
}

/* ---- point 3: a failed load leaves no peer chain ---- */

/* The server's entry holds a two-certificate client chain (the client presents server-chain.pem);
 * looking it up again with the allocator failing at each call in turn either resumes with the
 * whole chain or fails with no chain at all (before: the first certificate stayed). */
Test(session_load, failed_server_load_leaves_no_peer_chain)
{
    struct pair_config c;
    struct pair_cache cc, sc;
    caches(&c, &cc, &sc);
    c.request_client_cert = 1;
    c.client_key = "server-key-pkcs8.pem";
    c.client_chain = "server-chain.pem";
    struct conn_result r;
    connect_once(&c, NULL, NULL, NULL, &r);
    cr_assert_eq(r.server_peer, 2);
    cr_assert_geq(sc.n, 1);
    uint8_t sid[32];
    uint32_t sidlen = sc.e[0].keylen > 32 ? 32 : sc.e[0].keylen;
    memcpy(sid, sc.e[0].key + sc.e[0].keylen - sidlen, sidlen); /* the key ends with the ID */
    static const uint8_t offer[] = {0x00, 0x2f}; /* TLS_RSA_WITH_AES_128_CBC_SHA, the default */
    int saw_fail = 0, saw_ok = 0;
    for (uint64_t k = 1; k <= 8; k++) {
        c.seed = 10 + k;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        SSLContext *s = p.s[PAIR_SERVER].ctx;
        pair_alloc_fail_in(&p.s[PAIR_SERVER].alloc, k, 0);
        int ok = session_server_lookup(s, sid, sidlen, offer, 1);
        pair_alloc_fail_in(&p.s[PAIR_SERVER].alloc, 0, 0);
        if (ok) {
            saw_ok = 1;
            cr_expect_eq(s->peer_chain.n, 2, "k=%u: resumed with the whole chain", (unsigned)k);
        } else {
            saw_fail = 1;
            cr_expect_eq(s->peer_chain.n, 0, "k=%u: a failed load leaves no peer certificate",
                         (unsigned)k);
        }
        pair_free(&p);
        cr_expect_eq(pair_live_blocks(&p), 0);
    }
    cr_expect(saw_fail && saw_ok);
    clear(&cc, &sc);
}

struct arm {
    struct pair_alloc *server;
    uint64_t k;
};

/* GetSession's mangle hook runs after the blob is copied: arm the server's allocator there, so
 * the k-th allocation of the load fails. */
static void arm_alloc(uint8_t *data, uint32_t *len, void *ref)
{
    (void)data, (void)len;
    struct arm *a = ref;
    if (a->server && a->k)
        pair_alloc_fail_in(a->server, a->k, 0);
    a->k = 0; /* once */
}

static void tweak_arm(struct pair *p, void *ref)
{
    static const char *const both[2] = {"app", "app"};
    set_ctx(p, (void *)both);
    struct arm *a = ref;
    a->server = &p->s[PAIR_SERVER].alloc;
}

/* The same end to end: the session was made with a two-certificate client chain; a client without
 * a certificate (same session context) offers it; the server's load fails part-way, so it makes a
 * full handshake in which the client sends no certificate: it must report no peer certificate. */
Test(session_load, failed_load_then_full_handshake_reports_no_peer)
{
    int saw_full = 0;
    for (uint64_t k = 1; k <= 3; k++) { /* the load: chain array, certificate 1, certificate 2 */
        struct pair_config c;
        struct pair_cache cc, sc;
        caches(&c, &cc, &sc);
        c.request_client_cert = 1;
        c.client_key = "server-key-pkcs8.pem";
        c.client_chain = "server-chain.pem";
        struct arm a = {NULL, 0};
        struct conn_result r;
        connect_once(&c, NULL, tweak_arm, &a, &r);
        cr_assert_eq(r.server_peer, 2);
        c.client_key = c.client_chain = NULL; /* another client, same session context */
        c.seed = 20 + k;
        sc.mangle = arm_alloc;
        sc.mangle_ref = &a;
        a.k = k;
        connect_once(&c, NULL, tweak_arm, &a, &r);
        if (r.resumed[PAIR_SERVER]) {
            cr_expect_eq(r.server_peer, 2, "k=%u: resumed with the session's chain", (unsigned)k);
        } else {
            saw_full = 1;
            cr_expect_eq(r.server_peer, 0, "k=%u: full handshake without a client certificate "
                                           "reports no peer certificate", (unsigned)k);
        }
        clear(&cc, &sc);
    }
    cr_expect(saw_full, "some allocation of the load failed");
}
