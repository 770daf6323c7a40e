/*
 * test_tickets.c - session tickets (RFC 5077, issue 17 point 1) between our client and server:
 * a server without a session cache resumes from the ticket alone; a ticket sealed under an older
 * key still opens and is renewed; a ticket whose key is gone, a tampered ticket, or one made for
 * another server identity gives a full handshake (and a new ticket), never an alert; tickets off
 * on either side; a ticket and a session ID together; the extended master secret rule; a client
 * certificate chain carried in the ticket; what SSLXGetResumedVia reports.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include "handshake/session.h"
#include "pair.h"
#include "pair_kx.h"
#include "state/ctx.h"

/* ---- a test key ring: three keys, one current; a key can be dropped ---- */

struct ring {
    uint8_t name[3][16], key[3][32];
    int cur, gone[3];
    unsigned seals, opens, misses;
};

static void ring_init(struct ring *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 3; i++) {
        memset(r->name[i], 'A' + i, 16);
        memset(r->key[i], 0x10 * (i + 1), 32);
    }
}

static SSLErr ring_fn(void *ref, int seal, uint8 name[16], uint8 key[32])
{
    struct ring *r = ref;
    if (seal) {
        r->seals++;
        memcpy(name, r->name[r->cur], 16);
        memcpy(key, r->key[r->cur], 32);
        return SSLNoErr;
    }
    r->opens++;
    for (int i = 0; i < 3; i++)
        if (!r->gone[i] && memcmp(name, r->name[i], 16) == 0) {
            memcpy(key, r->key[i], 32);
            return SSLNoErr;
        }
    r->misses++;
    return SSLNoMatchingSessionKeyErr;
}

struct tk {
    struct pair_cache cc, sc;
    struct pair_config c;
    struct ring ring;
    int server_cache; /* the server also has a session-ID cache */
    uint64_t seed;
};

static void tk_init(struct tk *t, int server_cache)
{
    pair_cache_init(&t->cc);
    pair_cache_init(&t->sc);
    ring_init(&t->ring);
    pair_config_init(&t->c);
    for (int side = 0; side < 2; side++) {
        t->c.vmin[side] = kTLSProtocol1;
        t->c.vmax[side] = kTLSProtocol12;
    }
    t->c.cache[PAIR_CLIENT] = &t->cc;
    t->c.cache[PAIR_SERVER] = server_cache ? &t->sc : NULL;
    t->server_cache = server_cache;
    t->seed = 500;
}

static void tk_done(struct tk *t)
{
    pair_cache_clear(&t->cc);
    pair_cache_clear(&t->sc);
}

struct result {
    int ok, resumed[2], via[2], nst;
    uint32_t ticket_len; /* the ticket in the client's cache entry after the connection */
};

/* One connection; @setup may change the contexts before the handshake. */
static struct result tk_conn(struct tk *t, void (*setup)(struct pair *, void *), void *ref)
{
    struct result res = {0};
    struct pair p;
    t->c.seed = t->seed++;
    cr_assert_eq(pair_init(&p, &t->c), SSLNoErr);
    cr_assert_eq(SSLXSetTicketKeyFunc(p.s[PAIR_SERVER].ctx, ring_fn, &t->ring), SSLNoErr);
    if (setup)
        setup(&p, ref);
    res.ok = pair_handshake(&p) == PAIR_OK;
    res.nst = p.s[PAIR_CLIENT].ctx->nst;
    for (int side = 0; side < 2 && res.ok; side++) {
        cr_assert_eq(SSLXGetResumed(p.s[side].ctx, &res.resumed[side]), SSLNoErr);
        cr_assert_eq(SSLXGetResumedVia(p.s[side].ctx, &res.via[side]), SSLNoErr);
    }
    if (res.ok) {
        static const uint8_t msg[] = "ticket data";
        cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
        cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
    }
    pair_free(&p);
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p.s[side].alloc.live_blocks, 0, "side %d leaks", side);
        cr_expect_eq(p.s[side].alloc.unwiped_frees, 0, "side %d freed unwiped", side);
    }
    struct session_view v;
    if (t->cc.n == 1 && session_decode(t->cc.e[0].data, t->cc.e[0].len, &v) == SSLNoErr)
        res.ticket_len = v.ticket_len;
    return res;
}

static void expect_full(struct result r, const char *what)
{
    cr_expect(r.ok, "%s: handshake failed", what);
    cr_expect_eq(r.resumed[0], 0, "%s: client resumed", what);
    cr_expect_eq(r.resumed[1], 0, "%s: server resumed", what);
    cr_expect_eq(r.via[1], 0, "%s", what);
}

static void expect_ticket_resume(struct result r, const char *what)
{
    cr_expect(r.ok, "%s: handshake failed", what);
    cr_expect_eq(r.resumed[0], 1, "%s: client not resumed", what);
    cr_expect_eq(r.resumed[1], 1, "%s: server not resumed", what);
    cr_expect_eq(r.via[1], 2, "%s: server via %d", what, r.via[1]);
    cr_expect_eq(r.via[0], 2, "%s: client via %d", what, r.via[0]);
}

/* ---- a server with no session cache resumes from the ticket ---- */

Test(tickets, stateless_resumption, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 0);
    struct result r = tk_conn(&t, NULL, NULL);
    expect_full(r, "first");
    cr_expect(r.nst, "the first handshake issues a ticket");
    cr_expect_gt(r.ticket_len, 44u, "the client keeps it (%u bytes)", r.ticket_len);
    cr_expect_eq(t.ring.seals, 1);
    for (int i = 0; i < 3; i++) {
        r = tk_conn(&t, NULL, NULL);
        expect_ticket_resume(r, "again");
        cr_expect_eq(r.nst, 0, "no new ticket under the same key");
    }
    cr_expect_eq(t.sc.adds, 0, "no server cache was used");
    tk_done(&t);
}

/* ---- key rotation: an older key still opens, and the ticket is renewed ---- */

Test(tickets, rotation_renews, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 0);
    struct result r = tk_conn(&t, NULL, NULL);
    expect_full(r, "first");
    t.ring.cur = 1; /* a new current key; key 0 still opens */
    r = tk_conn(&t, NULL, NULL);
    expect_ticket_resume(r, "old key");
    cr_expect(r.nst, "a ticket under an old key is renewed");
    struct session_view v;
    cr_assert_eq(session_decode(t.cc.e[0].data, t.cc.e[0].len, &v), SSLNoErr);
    cr_assert_gt(v.ticket_len, 16u);
    cr_expect(memcmp(v.ticket, t.ring.name[1], 16) == 0, "the client keeps the renewed ticket");
    t.ring.gone[0] = 1;
    r = tk_conn(&t, NULL, NULL);
    expect_ticket_resume(r, "the renewed ticket");
    t.ring.gone[1] = 1; /* its key gone too: a full handshake and a fresh ticket */
    t.ring.cur = 2;
    r = tk_conn(&t, NULL, NULL);
    expect_full(r, "key gone");
    cr_expect(r.nst);
    cr_expect_gt(t.ring.misses, 0u);
    r = tk_conn(&t, NULL, NULL);
    expect_ticket_resume(r, "the fresh ticket");
    tk_done(&t);
}

/* ---- a tampered ticket: a full handshake, no alert ---- */

static void flip_ticket_byte(uint8_t *d, uint32_t *len, void *ref)
{
    struct session_view v;
    size_t at = *(size_t *)ref;
    if (session_decode(d, *len, &v) == SSLNoErr && v.ticket_len > at)
        d[(size_t)(v.ticket - d) + at] ^= 0x40;
}

ParameterizedTestParameters(tickets, tampered)
{
    static size_t where[] = {0, 15, 16, 27, 28, 60, (size_t)-1};
    return cr_make_param_array(size_t, where, sizeof where / sizeof where[0]);
}

ParameterizedTest(size_t *where, tickets, tampered, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 0);
    struct result r = tk_conn(&t, NULL, NULL);
    expect_full(r, "first");
    size_t at = *where == (size_t)-1 ? r.ticket_len - 1 : *where; /* the tag's last byte */
    t.cc.mangle = flip_ticket_byte;
    t.cc.mangle_ref = &at;
    r = tk_conn(&t, NULL, NULL);
    expect_full(r, "tampered");
    cr_expect(r.nst, "a full handshake brings a new ticket");
    tk_done(&t);
}

/* ---- tickets off ---- */

static void server_off(struct pair *p, void *ref)
{
    (void)ref;
    cr_assert_eq(SSLXSetSessionTickets(p->s[PAIR_SERVER].ctx, 0), SSLNoErr);
}

static void client_off(struct pair *p, void *ref)
{
    (void)ref;
    cr_assert_eq(SSLXSetSessionTickets(p->s[PAIR_CLIENT].ctx, 0), SSLNoErr);
}

Test(tickets, off_on_either_side, .timeout = 60)
{
    void (*off[2])(struct pair *, void *) = {server_off, client_off};
    for (int i = 0; i < 2; i++) {
        struct tk t;
        tk_init(&t, 1);
        struct result r = tk_conn(&t, off[i], NULL);
        expect_full(r, "first");
        cr_expect_eq(r.nst, 0, "case %d: no ticket", i);
        cr_expect_eq(r.ticket_len, 0u);
        cr_expect_eq(t.ring.seals, 0u);
        r = tk_conn(&t, off[i], NULL);
        cr_expect(r.ok && r.resumed[1] && r.via[1] == 1, "case %d: resumed by session ID", i);
        cr_expect_eq(r.via[0], 1);
        tk_done(&t);
    }
}

/* ---- a ticket and a session ID: the ID still resumes when the ticket cannot ---- */

Test(tickets, session_id_behind_the_ticket, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 1);
    struct result r = tk_conn(&t, NULL, NULL);
    expect_full(r, "first");
    cr_expect_gt(r.ticket_len, 0u);
    cr_expect_eq(t.sc.adds, 1u, "the server caches by ID as well");
    r = tk_conn(&t, NULL, NULL);
    expect_ticket_resume(r, "ticket first");
    t.ring.gone[0] = 1;
    r = tk_conn(&t, NULL, NULL);
    cr_expect(r.ok && r.resumed[1], "resumed by ID");
    cr_expect_eq(r.via[1], 1, "server via %d", r.via[1]);
    tk_done(&t);
}

/* ---- another server identity: the ticket does not resume there ---- */

static void other_identity(struct pair *p, void *ref)
{
    (void)ref;
    static const uint8_t sc[] = "another service";
    cr_assert_eq(SSLXSetSessionContext(p->s[PAIR_SERVER].ctx, sc, sizeof sc), SSLNoErr);
}

Test(tickets, bound_to_the_server, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 0);
    expect_full(tk_conn(&t, NULL, NULL), "first");
    struct result r = tk_conn(&t, other_identity, NULL);
    expect_full(r, "another session context, same ticket key");
    tk_done(&t);
}

/* ---- RFC 7627 §5.3 through a ticket ---- */

static void client_no_ems(struct pair *p, void *ref)
{
    (void)ref;
    cr_assert_eq(SSLXSetExtendedMasterSecret(p->s[PAIR_CLIENT].ctx, 0), SSLNoErr);
}

Test(tickets, ems_rule, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 0);
    expect_full(tk_conn(&t, NULL, NULL), "first");
    struct result r = tk_conn(&t, client_no_ems, NULL);
    cr_expect_eq(r.ok, 0, "an EMS session offered without EMS is refused");
    tk_done(&t);
}

/* ---- a client certificate travels in the ticket ---- */

Test(tickets, client_chain_in_the_ticket, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 0);
    t.c.client_key = "client-key.pem";
    t.c.client_chain = "client-cert.pem";
    t.c.request_client_cert = 1;
    struct result r = tk_conn(&t, NULL, NULL);
    expect_full(r, "first");
    cr_expect_gt(r.ticket_len, 600u, "the ticket holds the client's certificate (%u)", r.ticket_len);
    struct pair p;
    t.c.seed = t.seed++;
    cr_assert_eq(pair_init(&p, &t.c), SSLNoErr);
    cr_assert_eq(SSLXSetTicketKeyFunc(p.s[PAIR_SERVER].ctx, ring_fn, &t.ring), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    int via = 0, n = 0;
    cr_expect_eq(SSLXGetResumedVia(p.s[PAIR_SERVER].ctx, &via), SSLNoErr);
    cr_expect_eq(via, 2);
    cr_expect_eq(SSLGetPeerCertificateChainLength(p.s[PAIR_SERVER].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 1, "the resumed server knows the client's chain");
    pair_free(&p);
    tk_done(&t);
}

/* ---- SSL 3.0 has no extensions: no tickets ---- */

static void ssl3_both(struct pair *p, void *ref)
{
    (void)ref;
    for (int side = 0; side < 2; side++)
        cr_assert_eq(SSLXSetProtocolVersionRange(p->s[side].ctx, kSSLProtocol3, kSSLProtocol3),
                     SSLNoErr);
}

Test(tickets, not_in_ssl3, .timeout = 60)
{
    struct tk t;
    tk_init(&t, 1);
    struct result r = tk_conn(&t, ssl3_both, NULL);
    expect_full(r, "first");
    cr_expect_eq(r.nst, 0);
    cr_expect_eq(t.ring.seals, 0u);
    tk_done(&t);
}
