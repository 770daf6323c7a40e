/*
 * fuzz_common.h - shared setup for the libFuzzer harnesses and the seed recorder: in-memory I/O
 * callbacks over byte buffers, a seeded random source and a fixed clock (runs are reproducible),
 * keys and certificates from tests/data loaded once, a tiny session cache, and a one-sided driver
 * that runs a context against a recorded peer byte stream.
 */
#ifndef SSLREF_FUZZ_COMMON_H
#define SSLREF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "sslref/sslx.h"

#ifndef FUZZ_DATA_DIR
#error "FUZZ_DATA_DIR (tests/data) must be defined"
#endif

/* Layout of a handshake-harness input:
 *   byte 0: flags (FZ_*); byte 1: rotation of the suite list (with FZ_ALL_SUITES: the preference
 *   order starts at this index, so a seed can pick the suite) and FZ_ROT_DSA / FZ_ROT_TLS; with
 *   FZ_ROT_TLS, one more byte of TLS options (FZ_TLS_*); then if FZ_TWO_CONNS: 2 bytes big-endian
 *   length L of the first peer stream, then L bytes (connection 1), then the rest (connection 2, same
 *   session cache: resumption); otherwise the rest is the peer stream of a single connection. */
enum {
    FZ_VERSION_MASK = 0x03, /* 0 Undetermined, 1 3.0 with 2.0 hello, 2 3.0 only, 3 2.0 only */
    FZ_CLIENT_AUTH = 0x04,  /* server: request a client certificate; client: have one */
    FZ_ALL_SUITES = 0x08,   /* every implemented suite (export, DHE, anonymous, NULL) */
    FZ_TWO_CONNS = 0x10,    /* two connections sharing a session cache */
    FZ_NO_SPLIT = 0x20,     /* CBC record splitting off */
    FZ_SMALL_READS = 0x40,  /* harness reads deliver 1..7 bytes (partial records) */
    FZ_WOULD_BLOCK = 0x80   /* every other harness read and write would-blocks first */
};

/* Byte 1 (rotation): bit 0x80 gives the server its DSA key and certificate instead of the RSA ones
 * (only DHE-DSS suites can then be chosen); bit 0x40 means a TLS options byte follows (the version
 * range comes from it, FZ_VERSION_MASK is ignored); the low 6 bits are the rotation. */
enum { FZ_ROT_DSA = 0x80, FZ_ROT_TLS = 0x40, FZ_ROT_MASK = 0x3f };

/* With FZ_ROT_TLS the version bits of byte 0 (FZ_VERSION_MASK) are free and mean (issue 16/17):
 * FZ_TICKETS: the server has a ticket key function (fixed test keys) and issues RFC 5077 tickets
 * (a client offers tickets either way: the default); FZ_EC_CLIENT: with FZ_CLIENT_AUTH, the client's
 * certificate and key are the P-256 ones (ec256-chain.pem) instead of the RSA ones. A TLS server
 * without FZ_ROT_DSA always holds the EC identity (ec256) beside its RSA key, so ECDHE_ECDSA suites
 * can be chosen; its ChaCha20 preference is fixed at 0 (the CPU's AES-NI must not change seeds). */
enum { FZ_TICKETS = 0x01, FZ_EC_CLIENT = 0x02 };

/* The TLS options byte (with FZ_ROT_TLS): SSLXSetProtocolVersionRange(min, max) with
 * max = TLS 1.2, 1.1, 1.0, SSL 3.0 for FZ_TLS_MAX 0..3 and min = TLS 1.0, 1.1, 1.2, SSL 3.0 for
 * FZ_TLS_MIN 0..3 (min above max: min = max); the rest switch features on the harness side. */
enum {
    FZ_TLS_MAX = 0x03,
    FZ_TLS_MIN = 0x0c,      /* shifted by 2 */
    FZ_TLS_NO_EMS = 0x10,   /* SSLXSetExtendedMasterSecret(0) */
    FZ_TLS_ALPN = 0x20,     /* client offers "h2,http/1.1"; server selects from "http/1.1,spdy/1" */
    FZ_TLS_SNI = 0x40,      /* client sends server_name "localhost"; server has a name callback */
    FZ_TLS_FALLBACK = 0x80  /* client sends TLS_FALLBACK_SCSV */
};

/* The version range the options byte stands for (SSLXProtocol values). */
void fz_tls_range(unsigned tls, int *min, int *max);

/* Byte 0 of a fuzz_ext input (fuzz_ext.c): the side under test and its configuration. */
enum {
    FZX_CLIENT = 0x01,  /* a client fed a ServerHello (else a server fed a ClientHello) */
    FZX_VERSION = 0x06, /* >> 1: the hello's version and the harness side's maximum: TLS 1.2,
                           1.1, 1.0, SSL 3.0 (minimum SSL 3.0) */
    FZX_ALPN = 0x08,    /* FZ_TLS_ALPN on the harness side */
    FZX_NO_EMS = 0x10,  /* FZ_TLS_NO_EMS */
    FZX_SNI = 0x20,     /* FZ_TLS_SNI (client: sends "localhost"; server: refuses "bad*") */
    FZX_GCM = 0x40,     /* client side: the ServerHello picks AES128-GCM-SHA256, else AES128-SHA */
    FZX_TICKETS = 0x80  /* RFC 5077: a server has ticket keys (FZ_TICKETS); a client offers
                           session_ticket (without it a client's tickets are off) */
};

struct fz_bytes {
    uint8_t *b;
    size_t len, cap;
};
int fz_bytes_put(struct fz_bytes *x, const void *p, size_t n); /* 0 on success */

/* One end of a connection: reads rx[rx_off..len), writes to tx. tx NULL: output is discarded and
 * the end of rx is the end of the stream (SSLConnectionClosedError); else it would-blocks there. */
struct fz_io {
    struct fz_bytes *rx;
    size_t rx_off;
    struct fz_bytes *tx;
    unsigned mode;      /* FZ_SMALL_READS | FZ_WOULD_BLOCK (harness side only) */
    int wb_rd, wb_wr;   /* would-block toggles */
};

#define FZ_CACHE_MAX 4
struct fz_cache {
    int tickets_stored; /* client blobs added with a non-empty RFC 5077 ticket */
    struct { uint8_t key[64]; uint32_t keylen; uint8_t *data; uint32_t len; } e[FZ_CACHE_MAX];
    uint32_t n;
    struct fz_bytes *record; /* recorder: every added blob is appended here as one file's worth */
    int record_count;
};
void fz_cache_free(struct fz_cache *c);

struct fz_rng { uint64_t s; };

/* Keys and chains loaded once (abort on failure: the harness would be useless). */
void fz_init(void);

/* A context for @side (SSL_ClientSide / SSL_ServerSide) with @flags, suite rotation @rot,
 * TLS options @tls (only with rot & FZ_ROT_TLS), I/O @io, random @rng,
 * cache @cache (NULL: none; a client then has no peer ID). NULL on failure. */
SSLContext *fz_new_context(int side, unsigned flags, unsigned rot, unsigned tls, struct fz_io *io,
                           struct fz_rng *rng, struct fz_cache *cache);
void fz_free_context(SSLContext *ctx);

/* Seeds of the random source: connection @conn (0 or 1) of @side. */
uint64_t fz_seed(int side, int conn);

/* Drive one side against the bytes in io->rx: handshake, then write a line, read until the
 * stream ends, close. Returns the last SSLHandshake result. */
SSLErr fz_drive(SSLContext *ctx, struct fz_io *io);

/* Parse a harness input (see above); returns the number of streams (1 or 2), 0 if too short. */
int fz_split(const uint8_t *data, size_t size, unsigned *flags, unsigned *rot, unsigned *tls,
             const uint8_t *s[2], size_t n[2]);

/* Run the whole handshake harness for @side on one input. */
void fz_run_side(int side, const uint8_t *data, size_t size);

/* ---- replay checks (replay_main.c) ----
 * Every input whose handshake passed the Finished check (SSLHandshake returned SSLNoErr) is counted
 * in its families: SSL 3.0 by key exchange (RSA, DHE_RSA, DHE_DSS, DH_anon, RSA_EXPORT), SSL2, and
 * TLS by version and key exchange (TLS1.2_RSA, TLS1.2_DHE_RSA, TLS1.2_DH_anon, TLS1.2_ECDHE_RSA,
 * TLS1.2_ECDHE_ECDSA, TLS1.1, TLS1.0 and TLS1.1_DHE_DSS, TLS1.0_DHE_DSS: DHE-DSS stops at 1.1,
 * TLS1.1_ECDHE_ECDSA, TLS1.0_ECDHE_ECDSA), by record protection (TLS_GCM, TLS_CHACHA,
 * TLS_CBC_SHA256, TLS_CBC_SHA384, TLS_CBC_SHA: encrypt-then-MAC, which sslref peers always agree
 * on for CBC) and by feature (TLS_RESUMED, TLS_RESUMED_TICKET: SSLXGetResumedVia says 2,
 * TLS_TICKET_ISSUED: a full handshake in which the server sealed a ticket (server: its key
 * function was asked for the sealing key; client: it stored a session with a ticket),
 * TLS_CLIENT_AUTH: a full handshake with FZ_CLIENT_AUTH, TLS_CLIENT_AUTH_EC: the same with
 * FZ_EC_CLIENT, TLS_EMS, TLS_NO_EMS, TLS_ALPN: a protocol was agreed). @issued: a ticket was
 * sealed / stored during this connection. */
void fz_count_completed(SSLContext *ctx, unsigned flags, unsigned rot, int issued);
/* Replay only: an input whose file name starts "refuse-NNN-" must end its (last) connection's
 * handshake with an error after sending the fatal alert NNN (decimal): counted as "named_ok", else
 * as "mismatched" (which fails the replay). Other names are not checked. */
void fz_check_named_outcome(SSLContext *ctx, SSLErr e);
/* Count one named outcome (other harnesses: "accepted", "refused"); unknown names are ignored. */
void fz_count(const char *family);
/* Print the counts; fail (non-zero) if a family listed in @min_file ("FAMILY MINIMUM" lines, '#'
 * comments) completed fewer times than its minimum. */
int fz_check_minimums(const char *min_file);
/* The suite table as the seeds were recorded with: one line per suite (id, name, "default" when in
 * a new context's list), then the SSL 2.0 kinds. */
int fz_suite_listing(struct fz_bytes *out);
/* Non-zero (and "seeds are stale") if @file differs from fz_suite_listing. */
int fz_check_suites(const char *file);

#endif
