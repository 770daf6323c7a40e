/*
 * pair.h - the in-process pair-test harness: a client and a server SSLContext joined by two in-memory
 * byte pipes and driven alternately in one thread. Pipes can move at most N bytes per call, would-block
 * before every byte, hold a bounded number of bytes, and pass each record through a hook that may
 * change, drop or truncate it. Each side has a counting allocator that can fail its k-th call, a
 * seeded random source and a fixed clock, so every run is reproducible. Built only on the public API.
 */
/*
 * A pair test, in short:
 *
 *     struct pair_config c;
 *     pair_config_init(&c);                 // 3.0 only, default suites, seed 1
 *     pair_config_suite(&c, &suite);        // optional: one suite on both sides
 *     c.io[PAIR_CLIENT].wb_every_byte = 1;  // optional: I/O pattern, hook, caches, client auth...
 *     struct pair p;
 *     cr_assert_eq(pair_init(&p, &c), SSLNoErr);
 *     cr_assert_eq(pair_handshake(&p), PAIR_OK);
 *     cr_assert_eq(pair_exchange(&p, PAIR_CLIENT, buf, len), SSLNoErr);
 *     SSLErr closed;
 *     cr_assert_eq(pair_close(&p, PAIR_CLIENT, &closed), SSLConnectionClosedGraceful);
 *     pair_free(&p);
 *     cr_assert_eq(pair_live_blocks(&p), 0); // nothing leaked through the context allocators
 */
#ifndef SSLREF_TEST_PAIR_H
#define SSLREF_TEST_PAIR_H

#include <stddef.h>
#include <stdint.h>
#include "sslref/sslx.h"

enum { PAIR_CLIENT = 0, PAIR_SERVER = 1 };
#define PAIR_PEER(side) (1 - (side))

/* ---- counting allocator ------------------------------------------------------------------- */

struct pair_alloc {
    uint64_t calls;      /* alloc and realloc calls so far */
    uint64_t fail_at;    /* the call number that fails (0: none) */
    int fail_after;      /* non-zero: every call from fail_at on fails */
    uint64_t failures;   /* calls that were failed */
    SSLErr fail_err;     /* what a failed call returns (0: SSLMemoryErr) */
    long live_blocks, live_bytes, peak_bytes;
    long bad_frees;      /* frees of pointers this allocator did not hand out */
    long unwiped_frees;  /* blocks freed with non-zero contents (DESIGN.md: buffers are wiped) */
};
void pair_alloc_init(struct pair_alloc *a);
/* Fail the k-th call from now (k >= 1); persistent: that one and all later calls. */
void pair_alloc_fail_in(struct pair_alloc *a, uint64_t k, int persistent);
SSLErr pair_alloc_fn(SSLBuffer *b, void *allocRef);
SSLErr pair_free_fn(SSLBuffer *b, void *allocRef);
SSLErr pair_realloc_fn(SSLBuffer *b, uint32 newSize, void *allocRef);

/* ---- deterministic randomness and time ----------------------------------------------------- */

struct pair_rng {
    uint64_t s;
    uint64_t fail_at, calls; /* fail the fail_at-th call (0: never) with SSLUnknownErr */
};
SSLErr pair_random_fn(SSLBuffer buf, void *randomRef);
#define PAIR_TIME 1800000000u /* 2027-01-15, inside the validity of tests/data certificates */
struct pair_clock {
    uint64_t calls, fail_at; /* fail the fail_at-th call (0: never) with SSLUnknownErr */
};
/* Always PAIR_TIME; timeRef may be NULL or a struct pair_clock. */
SSLErr pair_time_fn(uint32 *t, void *timeRef);

/* ---- session cache (the user's Add/Get/DeleteSession callbacks) ---------------------------- */

#define PAIR_CACHE_MAX 16
struct pair_cache {
    struct pair_cache_entry {
        uint8_t key[64];
        uint32_t keylen;
        uint8_t *data; /* malloc */
        uint32_t len;
    } e[PAIR_CACHE_MAX];
    uint32_t n;
    struct pair_alloc *alloc; /* the current context's allocator: GetSession hands out its buffers */
    unsigned adds, gets, hits, deletes;
    /* Optional: change the blob handed out by GetSession (after copying), e.g. corrupt it. */
    void (*mangle)(uint8_t *data, uint32_t *len, void *ref);
    void *mangle_ref;
};
void pair_cache_init(struct pair_cache *c);
void pair_cache_clear(struct pair_cache *c);
/* Deep copy of the entries (counters start at zero); 0 on success. */
int pair_cache_copy(struct pair_cache *dst, const struct pair_cache *src);
SSLErr pair_cache_add(SSLBuffer key, SSLBuffer data, void *ref);
SSLErr pair_cache_get(SSLBuffer key, SSLBuffer *data, void *ref);
SSLErr pair_cache_delete(SSLBuffer key, void *ref);

/* ---- pipes and the record hook ------------------------------------------------------------- */

struct pair_io_cfg {
    uint32_t chunk;      /* at most this many bytes per read or write call; 0: no limit */
    int wb_every_byte;   /* would-block before every byte: a call that could move a byte instead
                            returns SSLWouldBlockErr with nothing done, the next moves one byte */
    int wb_with_data;    /* a call that moved bytes returns SSLWouldBlockErr instead of SSLNoErr */
    uint64_t random_io;  /* non-zero: a seed; each call then moves 1..300 bytes at random and one
                            call in four would-blocks first (on top of chunk/wb_every_byte) */
    uint64_t fail_call;  /* the n-th Read or Write call of this side fails (0: none) ... */
    SSLErr fail_err;     /* ... with this error (0: SSLIOErr) */
    int eof_noerr;       /* at end of stream, return SSLNoErr with 0 bytes (else
                            SSLConnectionClosedError) */
};

struct pair_pipe {
    uint8_t *buf;          /* unread bytes are buf[off, len) */
    size_t off, len, cap;
    size_t limit;          /* the writer would-blocks while this many bytes are unread (0: no limit) */
    int eof;               /* the writer closed: the reader sees end of stream once drained */
    uint64_t total;        /* bytes delivered into the pipe */
    uint64_t written;      /* bytes the writer handed to its Write callback */
    uint64_t consumed;     /* bytes the reader took */
    uint64_t hash;         /* FNV-1a of every byte delivered, to compare transcripts */
    uint8_t *stage;        /* with a hook: bytes of a record not yet complete */
    size_t stage_len;
    uint32_t records;      /* records passed through the hook */
};

struct pair_rec {
    uint8_t *b;  /* one record (header and body) as written; the hook may edit it in place */
    size_t len;  /* may be changed, up to cap (0 drops the record) */
    size_t cap;
};
enum { PAIR_PASS = 0, PAIR_CLOSE = 1 /* deliver r->len bytes, then end the stream */ };
/* Called for every complete record side @from writes; @index counts that side's records from 0. */
typedef int (*pair_hook_fn)(int from, uint32_t index, struct pair_rec *r, void *ref);

/* ---- the pair ------------------------------------------------------------------------------ */

struct pair;
struct pair_end {
    struct pair *p;
    int side;
    int wb_rd, wb_wr;      /* would-block toggles */
    uint64_t rnd;          /* random_io state */
    uint64_t rd_calls, wr_calls, wouldblocks;
};

struct pair_side {
    SSLContext *ctx;
    struct pair_alloc alloc;
    struct pair_rng rng;
    struct pair_clock clock;
    struct pair_end end;
    struct pair_io_cfg io;
    struct pair_cache *cache;
    uint8_t *rx;            /* application data received */
    size_t rx_len, rx_cap;
    SSLErr last;            /* last result of SSLHandshake/SSLRead/SSLWrite that ended a loop */
    int done;               /* SSLHandshake returned SSLNoErr */
};

struct pair_config {
    const uint16_t *suites[2]; /* per side; NULL: library default */
    uint32_t nsuites[2];
    SSLProtocolVersion version[2]; /* default SSL_Version_3_0_Only */
    SSLXProtocol vmin[2], vmax[2]; /* if vmax is set: SSLXSetProtocolVersionRange instead */
    int lib_default[2];            /* set neither: the library's default range (TLS 1.0-1.2) */
    struct pair_cache *cache[2];   /* NULL: no session callbacks */
    int peer_id[2];                /* set a peer ID (default 1 on both sides) */
    int cbc_split;                 /* -1: library default, 0 off, 1 on */
    const char *server_key, *server_chain; /* file names in tests/data */
    const char *server_key2, *server_chain2; /* server: optional second identity (the other kind) */
    const char *export_key, *dh_params;    /* server: optional (export RSA, DHE and anonymous DH) */
    const char *client_key, *client_chain; /* client: optional certificate for client auth */
    int request_client_cert;               /* server: SSLSetRequestClientCert */
    uint64_t seed;
    struct pair_io_cfg io[2];
    size_t pipe_limit;             /* bytes each pipe holds (0: unlimited) */
    pair_hook_fn hook;
    void *hook_ref;
};

struct pair {
    struct pair_side s[2];
    struct pair_pipe pipe[2];      /* pipe[d] carries what side d writes */
    pair_hook_fn hook;
    void *hook_ref;
    uint64_t rounds;
};

/* Defaults: 3.0 only on both sides, library default suites, seed 1, peer IDs set, no caches. */
void pair_config_init(struct pair_config *c);
/* Convenience: the same single suite on both sides. */
void pair_config_suite(struct pair_config *c, const uint16_t *suite);
/* Both sides: the library defaults plus the non-export SSL 2.0 kinds (off by default). */
void pair_config_ssl2(struct pair_config *c);

/* Build both contexts (public API only). On failure everything is released and the error is
 * returned. Allocations made here count in the allocators: arm failures after pair_init. */
SSLErr pair_init(struct pair *p, const struct pair_config *c);
/* SSLDeleteContext both sides and free the harness; the allocator counters stay readable. */
void pair_free(struct pair *p);
/* Delete one side's context now (idempotent); pair_free does it for the rest. */
void pair_delete_side(struct pair *p, int side);
/* Bytes still allocated by both sides (after pair_free: leaks). */
long pair_live_blocks(const struct pair *p);

/* Results of the drivers. */
enum { PAIR_OK = 0, PAIR_FAILED = 1, PAIR_STALL = 2 };

/* Call SSLHandshake on both sides alternately until both return SSLNoErr (PAIR_OK), or every side
 * has either finished or failed with an error (PAIR_FAILED; a failed side's outgoing stream is then
 * closed, as an application closes its socket), or nothing moves any more (PAIR_STALL). Each side's
 * last result is in p->s[side].last. */
int pair_handshake(struct pair *p);
/* Drive one side only (the other is scripted through pair_inject): SSLHandshake until it returns
 * something other than would-block, or nothing moves. Returns the last result. */
SSLErr pair_run_side(struct pair *p, int side);

/* Write n bytes from @from with SSLWrite (resuming after would-block and partial progress) while
 * the peer reads into its rx buffer, until everything is written and flushed. */
SSLErr pair_send(struct pair *p, int from, const void *data, size_t n);
/* Read on @side (the peer's write queue serviced meanwhile) until its rx buffer holds >= n bytes. */
SSLErr pair_recv_all(struct pair *p, int side, size_t n);
/* pair_send then pair_recv_all of the peer, and a byte-for-byte comparison (SSLUnknownErr if it
 * differs). The peer's rx buffer is emptied first. */
SSLErr pair_exchange(struct pair *p, int from, const void *data, size_t n);
/* SSLClose on @side (queue serviced until flushed); then SSLRead on the peer until it returns
 * something other than would-block, which is returned (SSLConnectionClosedGraceful expected).
 * With SSL 2.0 (no close_notify) the closing side's stream is ended after SSLClose. */
SSLErr pair_close(struct pair *p, int side, SSLErr *close_result);

/* Scripted peer: put raw bytes into the pipe @side reads from (bypassing the hook) / end it. */
void pair_inject(struct pair *p, int side, const void *data, size_t n);
void pair_eof(struct pair *p, int side);
/* Bytes waiting in the pipe that @side reads from (written by its peer). */
size_t pair_pending(const struct pair *p, int side, const uint8_t **data);
void pair_drain(struct pair *p, int side);

/* Read a file of tests/data into a NUL-terminated malloc'd buffer (NULL on failure). */
char *pair_read_data(const char *name, size_t *len);
/* Deterministic test pattern. */
void pair_pattern(uint8_t *buf, size_t n, uint32_t seed);
/* The harness's pseudo-random step (splitmix64). */
uint64_t pair_splitmix(uint64_t *state);

/* Suites of issue 2. */
extern const uint16_t pair_suites[8];
#define PAIR_NSUITES 8

#endif
