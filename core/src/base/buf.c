/*
 * buf.c - bounds-checked reader and writer (see buf.h). Every read is charged against the
 * reader's length; failures are sticky and shared with sub-readers.
 */
#include "base/buf.h"
#include <string.h>

static const uint8_t empty_byte;

void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
    r->p = p ? p : &empty_byte;
    r->len = p ? len : 0;
    r->off = 0;
    r->own_err = 0;
    r->err = &r->own_err;
}

const uint8_t *rd_bytes(struct rd *r, size_t n)
{
    if (*r->err || r->len - r->off < n) {
        *r->err = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->off;
    r->off += n;
    return q;
}

uint8_t rd_u8(struct rd *r)
{
    const uint8_t *q = rd_bytes(r, 1);
    return q ? q[0] : 0;
}

uint16_t rd_u16(struct rd *r)
{
    const uint8_t *q = rd_bytes(r, 2);
    return q ? (uint16_t)(q[0] << 8 | q[1]) : 0;
}

uint32_t rd_u24(struct rd *r)
{
    const uint8_t *q = rd_bytes(r, 3);
    return q ? (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2] : 0;
}

uint32_t rd_u32(struct rd *r)
{
    const uint8_t *q = rd_bytes(r, 4);
    return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3] : 0;
}

int rd_copy(struct rd *r, uint8_t *dst, size_t n)
{
    const uint8_t *q = rd_bytes(r, n);
    if (!q) {
        if (n)
            memset(dst, 0, n);
        return 0;
    }
    if (n)
        memcpy(dst, q, n);
    return 1;
}

struct rd rd_sub(struct rd *r, size_t n)
{
    struct rd s;
    const uint8_t *q = rd_bytes(r, n);
    s.p = q ? q : &empty_byte;
    s.len = q ? n : 0;
    s.off = 0;
    s.own_err = 0;
    s.err = r->err;
    return s;
}

struct rd rd_sub8(struct rd *r) { size_t n = rd_u8(r); return rd_sub(r, n); }
struct rd rd_sub16(struct rd *r) { size_t n = rd_u16(r); return rd_sub(r, n); }
struct rd rd_sub24(struct rd *r) { size_t n = rd_u24(r); return rd_sub(r, n); }

const uint8_t *rd_skip_zeros(struct rd *r)
{
    while (!*r->err && r->off < r->len && r->p[r->off] == 0)
        r->off++;
    return r->p + r->off;
}

int rd_done(struct rd *r)
{
    if (*r->err || r->off != r->len) {
        *r->err = 1;
        return 0;
    }
    return 1;
}

void wr_init(struct wr *w, uint8_t *p, size_t cap)
{
    w->p = p;
    w->cap = p ? cap : 0;
    w->len = 0;
    w->err = 0;
}

uint8_t *wr_reserve(struct wr *w, size_t n)
{
    if (w->err || w->cap - w->len < n) {
        w->err = 1;
        return NULL;
    }
    uint8_t *q = w->p + w->len;
    w->len += n;
    return q;
}

void wr_bytes(struct wr *w, const void *src, size_t n)
{
    uint8_t *q = wr_reserve(w, n);
    if (q && n)
        memcpy(q, src, n);
}

static void put_be(uint8_t *q, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        q[i] = (uint8_t)v;
}

static void wr_be(struct wr *w, uint32_t v, int n)
{
    uint8_t *q = wr_reserve(w, (size_t)n);
    if (q)
        put_be(q, v, n);
}

void wr_u8(struct wr *w, uint8_t v) { wr_be(w, v, 1); }
void wr_u16(struct wr *w, uint16_t v) { wr_be(w, v, 2); }
void wr_u24(struct wr *w, uint32_t v) { wr_be(w, v, 3); }
void wr_u32(struct wr *w, uint32_t v) { wr_be(w, v, 4); }

size_t wr_open(struct wr *w, int nbytes)
{
    size_t mark = w->len;
    wr_reserve(w, (size_t)nbytes);
    return mark;
}

void wr_close(struct wr *w, size_t mark, int nbytes)
{
    if (w->err)
        return;
    size_t body = w->len - mark - (size_t)nbytes;
    if (body >> (8 * nbytes)) {
        w->err = 1;
        return;
    }
    put_be(w->p + mark, (uint32_t)body, nbytes);
}
