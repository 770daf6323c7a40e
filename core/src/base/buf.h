/*
 * buf.h - the one reader and the one writer for wire bytes. No other file shifts wire bytes by hand.
 * A reader has a sticky error shared with its sub-readers: after any failed read every later read
 * returns 0/NULL, so a parser checks once, at the end, with rd_done(). A peer-supplied length can
 * bound a loop or allocation only through rd_sub8/16/24 (a length-prefixed, bounded sub-reader).
 * The writer mirrors it: wr_open/wr_close write a length prefix after the body; overflow is sticky.
 */
#ifndef SSLREF_BUF_H
#define SSLREF_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rd {
    const uint8_t *p;
    size_t len, off;
    int *err;       /* shared with the root reader */
    int own_err;
};

void rd_init(struct rd *r, const uint8_t *p, size_t len);
uint8_t rd_u8(struct rd *r);
uint16_t rd_u16(struct rd *r);
uint32_t rd_u24(struct rd *r);
uint32_t rd_u32(struct rd *r);
/* n bytes in place, or NULL (and the error set) if fewer remain. n == 0 returns a non-NULL pointer. */
const uint8_t *rd_bytes(struct rd *r, size_t n);
/* Copy n bytes out; on failure dst is zeroed. Returns 1 on success. */
int rd_copy(struct rd *r, uint8_t *dst, size_t n);
/* A sub-reader over the next n bytes (rd_sub) or over a 1/2/3-byte length-prefixed field. On
 * failure the sub-reader is empty and the shared error is set. */
struct rd rd_sub(struct rd *r, size_t n);
struct rd rd_sub8(struct rd *r);
struct rd rd_sub16(struct rd *r);
struct rd rd_sub24(struct rd *r);
static inline size_t rd_left(const struct rd *r) { return *r->err ? 0 : r->len - r->off; }
static inline int rd_ok(const struct rd *r) { return !*r->err; }
/* Mark the reader failed (a semantic check on a value read from it failed). */
static inline void rd_fail(struct rd *r) { *r->err = 1; }
/* Skip leading zero bytes (the padding of a big-endian number); returns what follows, as rd_bytes
 * would for the rest of r. */
const uint8_t *rd_skip_zeros(struct rd *r);
/* 1 if no read failed and r is exactly consumed; otherwise sets the error and returns 0. */
int rd_done(struct rd *r);

struct wr {
    uint8_t *p;
    size_t cap, len;
    int err;
};

void wr_init(struct wr *w, uint8_t *p, size_t cap);
void wr_u8(struct wr *w, uint8_t v);
void wr_u16(struct wr *w, uint16_t v);
void wr_u24(struct wr *w, uint32_t v);
void wr_u32(struct wr *w, uint32_t v);
void wr_bytes(struct wr *w, const void *src, size_t n);
/* Reserve n bytes and return where they start (NULL on overflow) for in-place writing. */
uint8_t *wr_reserve(struct wr *w, size_t n);
/* Open a length prefix of nbytes (1..3); returns a mark for wr_close, which fills it in (and fails
 * the writer if the body is too long for the prefix). */
size_t wr_open(struct wr *w, int nbytes);
void wr_close(struct wr *w, size_t mark, int nbytes);
static inline int wr_ok(const struct wr *w) { return !w->err; }

#endif
