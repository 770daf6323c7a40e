/*
 * ctx.h - struct SSLContext (opaque to users) and the small internal services every engine file
 * uses: memory through the user's callbacks, randomness, time, the sticky error and the pending
 * alert. Configuration fields are copied by SSLDuplicateContext; connection fields never are.
 */
#ifndef SSLREF_CTX_H
#define SSLREF_CTX_H

#include "sslref/sslx.h"
#include "crypto/crypto_ltc.h"
#include "crypto/hmac.h"
#include "base/err.h"
#include "state/suites.h"

#define SSL3_MAX_PLAIN 16384u                    /* RFC 6101 §5.2.1: 2^14 */
#define SSL3_MAX_CIPHER (SSL3_MAX_PLAIN + 2048u) /* RFC 6101 §5.2.3 */
#define SSL3_HDR 5u
#define SSL3_IN_CAP (SSL3_HDR + SSL3_MAX_CIPHER)
#define HS_MAX_MSG 65536u      /* largest handshake message accepted (certificate chains) */
#define OUT_HIGH_WATER 262144u /* SSLWrite stops queueing past this many pending bytes */
#define SSL3_MASTER_LEN 48
#define SSL3_RANDOM_LEN 32
#define SSL3_SID_MAX 32
#define MAX_CHAIN 10

enum ct_type { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_V2 = 128 };

/* The running handshake hashes: MD5 and SHA-1 (SSL 3.0, TLS 1.0/1.1), SHA-256/384/512 (TLS 1.2).
 * Kept out of SSLContext: an idle connection does not carry them (1.2 KB). */
struct transcript {
    struct cry_hash md5, sha1, sha256, sha384, sha512;
};

struct ssl2_kind;

/* One direction's cipher state (RFC 6101 §5.1). */
struct dirstate {
    const struct suite *suite; /* NULL: SSL_NULL_WITH_NULL_NULL */
    SSLBuffer cipher;          /* cry_cipher state, from the context allocator */
    uint8_t mac_secret[48];    /* SSL 3.0 MAC or TLS HMAC key; AEAD: unused */
    struct cry_hmac_key mac_key; /* TLS HMAC-SHA-1/SHA-256: mac_secret keyed once (record_tls.c);
                                  * unset (zero) for other MACs, which re-key per record */
    uint8_t fixed_iv[12];      /* AEAD: the nonce's fixed part, suite->iv_len bytes (RFC 5288 §3:
                                * GCM's 4-byte salt; RFC 7905 §2: ChaCha20-Poly1305's 12 bytes) */
    uint16_t ver;              /* protocol version of the records this state protects */
    uint8_t etm;               /* RFC 7366 encrypt-then-MAC for this direction */
    uint64_t seq;
};

struct certblock;
/* A list of DER certificates (or names). The peer's chain is a connection's own: the array and each
 * certificate come from the context's allocator. The configured lists (the local chains and the
 * CertificateRequest names) live in one reference-counted block (blk, from malloc like the keys),
 * read-only once made: SSLDuplicateContext shares it instead of copying ~2 KB per connection. */
struct certlist {
    SSLBuffer *certs;
    uint32_t n;
    struct certblock *blk; /* the shared block certs points into (NULL: allocator-owned list) */
};

struct SSLContext {
    /* ---- configuration (copied by SSLDuplicateContext) ---- */
    uint32_t magic;
    SSLProtocolSide side;
    SSLProtocolVersion version_set;  /* as set, reported by SSLGetProtocolVersion */
    SSLProtocolVersion version_mode; /* the SSL 2.0 behaviour the engine follows (2.0 hellos) */
    SSLAllocFunc alloc_fn;
    SSLFreeFunc free_fn;
    SSLReallocFunc realloc_fn;
    void *alloc_ref;
    SSLTimeFunc time_fn;
    SSLConvertTimeFunc convert_time_fn;
    void *time_ref;
    SSLRandomFunc random_fn;
    void *random_ref;
    SSLIOFunc read_fn, write_fn;
    void *io_ref;
    SSLAddSessionFunc add_session_fn;
    SSLGetSessionFunc get_session_fn;
    SSLDeleteSessionFunc delete_session_fn;
    void *session_ref;
    SSLCheckCertificateFunc check_cert_fn;
    void *check_cert_ref;
    SSLXKeyLogFunc keylog_fn;
    void *keylog_ref;
    SSLRSAPrivateKey *key, *export_key;
    SSLRSAPrivateKey *key2;     /* server: a second identity (SSLXAddIdentityPEM): key and chain of */
    struct certlist chain2;     /* the other kind (EC beside RSA/DSA); ctx_use_identity swaps it in */
    int prefer_chacha;          /* SSLXSetChaChaPreference: -1 by CPU, 0 never, 1 always */
    int tickets_enabled;        /* RFC 5077 (SSLXSetSessionTickets, default on) */
    SSLXTicketKeyFunc ticket_fn; /* server: where ticket keys come from (none: no tickets) */
    void *ticket_ref;
    SSLDHParams *dh_params;
    int request_client_cert;
    int cbc_split;
    struct certlist local_chain;
    int chain_complete;
    struct certlist dns; /* distinguished names for CertificateRequest */
    uint16_t suites[SUITES_MAX];
    uint32_t nsuites;
    uint32_t session_lifetime;  /* seconds a cached session stays resumable (SSLXSetSessionLifetime) */
    uint8_t session_ctx[SSLX_MAX_SESSION_CONTEXT]; /* SSLXSetSessionContext; inline: copied as is */
    uint8_t session_ctx_len;    /* 0: sessions are bound to the local chain instead */
    uint8_t bind[32];           /* session.c's binding (SHA-256 of the session context or of the
                                 * local chains), valid while bind_ok: every change of a chain, key
                                 * or the session context clears bind_ok, the setters compute it
                                 * again (session_bind_update), and SSLDuplicateContext keeps it */
    uint8_t bind_ok;
    uint16_t ver_min, ver_max; /* SSL 3.0 family range (V_SSL3 .. V_TLS12) */
    int ems_enabled;         /* RFC 7627: offer / accept extended_master_secret (default on) */
    int send_fallback_scsv;  /* client: RFC 7507 signal (a fallback connection) */
    char server_name[256];   /* client: SNI to send ("" none) */
    uint8_t alpn[256];       /* ALPN protocol list in wire form (1-byte lengths); client offer or
                                server preference */
    uint16_t alpn_len;
    SSLXServerNameFunc sni_fn;
    void *sni_ref;
    uint16_t groups[SSLX_MAX_GROUPS]; /* SSLXSetGroups: client offer / server preference order */
    uint8_t ngroups;

    /* ---- connection (reset by init, never copied) ---- */
    SSLBuffer peer_id;
    SSLErr sticky;           /* first fatal error; returned by every later call */
    int alert_pending;       /* an alert to send before reporting the error (-1: none) */
    uint16_t last_alert_sent, last_alert_recv;
    int hs_step;             /* index into the flow table; -1 before start */
    int hs_done;             /* handshake complete and flushed */
    int closed_sent, closed_recv;
    SSLProtocolVersion negotiated; /* SSL_Version_3_0 / SSL_Version_2_0 once known */
    uint16_t ver;            /* negotiated wire version (V_SSL3 .. V_TLS12, V_SSL2), 0 before */
    uint16_t rec_ver;        /* version in the headers of records we send (ClientHello: V_TLS10) */
    const struct suite *suite;
    int resumed;
    int cert_requested;      /* client: got CertificateRequest; server: sent one */
    int cert_rsa_asked;      /* client: that request listed rsa_sign */
    int cert_ec_asked;       /* client: that request listed ecdsa_sign */
    int sess_stored;         /* session_store() ran (the session may be in the cache) */
    int client_cert_sent;    /* client: sent a Certificate; server: received one */
    uint16_t client_version; /* from ClientHello, for the premaster check */
    uint8_t client_random[SSL3_RANDOM_LEN], server_random[SSL3_RANDOM_LEN];
    uint8_t session_id[SSL3_SID_MAX];
    uint8_t sid_len;
    uint8_t offered_sid_len;                /* client: the session ID it offered */
    uint8_t offered_sid[SSL3_SID_MAX];
    uint16_t offered_suite;                 /* client: the cached session's suite */
    uint16_t offered_version;               /* client: its version, 0 if none */
    uint8_t offered_ems;                    /* client: the cached session used EMS */
    uint8_t master[SSL3_MASTER_LEN];
    SSLBuffer transcript;       /* struct transcript: allocated when the handshake starts
                                 * (hs_transcript_init), wiped and freed when it ends */
    struct certlist peer_chain;
    SSLBuffer kx;               /* key-exchange values: see hs3_kx.c */
    uint32_t peer_key_bits;     /* modulus bits of the peer's leaf certificate */
    SSLBuffer cached_session;   /* client: the cache entry offered in ClientHello */
    int secure_reneg;           /* RFC 5746: the peer signalled it (SCSV or empty renegotiation_info) */
    int hs_skip_msg;            /* a send handler produced no message (client: no certificate) */
    int ems;                    /* extended master secret: offered (client) / negotiated */
    int peer_ems;               /* the peer's hello carried extended_master_secret */
    int etm_offered;            /* RFC 7366: the client offered encrypt_then_mac / server agreed */
    int ext_sent;               /* client: its hello carried an extension block (TLS maximum) */
    int fallback_seen;          /* server: the ClientHello carried TLS_FALLBACK_SCSV */
    uint32_t peer_sigalgs;      /* TLS 1.2: bit per SIG_* the peer accepts (0: none said) */
    uint16_t sigalg;            /* TLS 1.2: the scheme we sign with this handshake */
    char sni[256];              /* server: the host name the client asked for ("" none) */
    uint8_t alpn_sel[256];      /* the negotiated protocol */
    uint8_t alpn_sel_len;
    SSLBuffer pending_pre;      /* TLS: premaster kept until ClientKeyExchange is hashed */
    uint8_t peer_ffdhe;         /* server: bit i: the client listed ffdhe_groups[i] */
    uint8_t peer_ffdhe_any;     /* server: the client listed some FFDHE group (RFC 7919 §4) */
    uint16_t group;             /* the group of this key exchange: FFDHE (0: custom or none) or
                                   EC (ECDHE suites: always named) */
    uint8_t peer_ec;            /* server: bit g - 23 for each EC group 23..30 the client listed */
    uint8_t peer_groups_sent;   /* server: the ClientHello carried supported_groups */
    uint8_t peer_pf;            /* server: ec_point_formats: 0 absent, 1 lists uncompressed, 2 not */
    uint8_t ec_offered;         /* client: the hello offered an ECDHE suite (EC groups, formats) */
    uint8_t resumed_via;        /* 1: by session ID, 2: by ticket (client: it offered one) */
    uint8_t peer_ticket_ext;    /* server: the ClientHello carried session_ticket */
    uint8_t nst;                /* a NewSessionTicket follows (server: it sends one; client: the
                                   ServerHello acknowledged session_ticket) */
    SSLBuffer peer_ticket;      /* server: the client's ticket (empty: none) */
    const uint8_t *offered_ticket; /* client: the cached session's ticket (in cached_session) */
    uint32_t offered_ticket_len;
    SSLBuffer new_ticket;       /* client: the ticket of the last NewSessionTicket */
    uint32_t sess_created;      /* a resumed session's creation time (0: now), kept on renewal */

    /* record layer */
    struct dirstate rd_cur, rd_pend, wr_cur, wr_pend;
    SSLBuffer in;           /* raw records from the peer; decrypted in place */
    uint32_t in_start, in_end;
    uint32_t in_used;       /* the highest in_end since in was allocated: only in[0, in_used) was
                             * ever written, and only that is wiped when in is freed (a resumed
                             * handshake fills ~500 of its 18 KB) */
    int rec_type;           /* current decrypted record: 0 if none */
    uint32_t rec_off, rec_len; /* unread plaintext at in.data + rec_off, rec_len bytes left */
    uint32_t rec_next;      /* offset where the next raw record begins */
    SSLBuffer hs;           /* handshake message assembly: unread bytes are hs[hs_off, hs_off + hs_len) */
    uint32_t hs_off;
    uint32_t hs_len;
    uint64_t hs_moved;      /* bytes moved compacting hs (a cost the tests bound) */
    SSLBuffer out;          /* the write queue: sealed records */
    uint32_t out_off, out_len;
    SSLBuffer scratch;      /* outgoing handshake message body */

    /* SSL 2.0 (ssl2_*.c) */
    int v2_records;          /* records are in SSL 2.0 format */
    int first_record_seen;   /* the SSL 2.0 / 3.0 record format is recognised only on the first */
    int hs2_step;            /* index into the SSL 2.0 flow; -1 before it starts */
    const struct ssl2_kind *kind2;
    struct ssl2_dir {
        SSLBuffer cipher;
        uint8_t secret[24];
        uint32_t seq;
        int on;
    } rd2, wr2;
    uint8_t challenge[32], challenge_len;
    uint8_t conn_id[32], conn_id_len;
    uint8_t key_arg[8], key_arg_len;
    uint8_t master_len;      /* SSL 2.0 master key length (<= 24) */
    uint8_t v2_offer[3 * 16]; /* SSL 2.0 kinds the peer offered / the server listed */
    uint8_t v2_offer_len;
    uint32_t rollback;       /* all-ones: an SSL 3.0 client's rollback mark was seen */
};

#define CTX_MAGIC 0x53534c33u

/* The version a TLS-family handshake is at: the negotiated one, else the highest we may speak. */
static inline int ctx_is_tls(const SSLContext *ctx) { return ctx->ver >= V_TLS10; }

/* Memory through the context's callbacks. ctx_free wipes before freeing and leaves {0, NULL}. */
SSLErr ctx_alloc(SSLContext *ctx, SSLBuffer *b, uint32_t len) SSL_MUST;
void ctx_free(SSLContext *ctx, SSLBuffer *b);
/* ctx_free for a buffer of which only the first used bytes were ever written: wipes those only. */
void ctx_free_used(SSLContext *ctx, SSLBuffer *b, uint32_t used);
/* Grow b to at least len bytes, keeping its first keep bytes. */
SSLErr ctx_grow(SSLContext *ctx, SSLBuffer *b, uint32_t len, uint32_t keep) SSL_MUST;
SSLErr ctx_random(SSLContext *ctx, void *p, uint32_t len) SSL_MUST;
SSLErr ctx_time(SSLContext *ctx, uint32_t *now) SSL_MUST;
/* ctx_random as a cry_rand_fn (ref: the SSLContext), for the crypto layer. */
SSLErr ctx_rand_fn(void *ctx, uint8_t *out, size_t n) SSL_MUST;
void certlist_free(SSLContext *ctx, struct certlist *l);
/* A configured list: a new block with @p added (at the front or the end) replaces the list's; the
 * old block is released (a duplicate holding it keeps its own reference). SSLMemoryErr,
 * SSLOverflowErr (MAX_CHAIN) leave the list as it was. */
SSLErr certlist_add_shared(struct certlist *l, const uint8_t *p, uint32_t len, int at_front) SSL_MUST;
/* @p to shares @p from's block (one more reference); an allocator-owned list is not shareable. */
void certlist_share(struct certlist *to, const struct certlist *from);
SSLErr certlist_add(SSLContext *ctx, struct certlist *l, const uint8_t *p, uint32_t len,
                    int at_front) SSL_MUST;

/* Server: make the identity whose key is EC (ec = 1) or not (ec = 0) the one in key / local_chain,
 * swapping it with the second identity if that is the one; 0 if neither identity is of that kind. */
int ctx_use_identity(SSLContext *ctx, int ec);
/* The kind of a key; the values are the session blob's certificate type (session.c). */
enum key_kind { KEY_NONE = 0, KEY_RSA = 1, KEY_DSA = 2, KEY_EC = 3 };
uint8_t ctx_key_kind(const SSLRSAPrivateKey *k);

/* Record a fatal protocol failure: the alert to send and the error to return. */
SSLErr ctx_fail(SSLContext *ctx, uint8_t alert, SSLErr err) SSL_MUST;
/* Release connection state (buffers, cipher states, secrets, peer chain). */
void ctx_reset_connection(SSLContext *ctx);

#endif
