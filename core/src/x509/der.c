/*
 * der.c - DER reading (see der.h). Enforces X.690 §10 (DER): definite lengths in the minimal form,
 * minimal INTEGER and OID encodings, no unused bits where octet strings are carried in BIT STRINGs,
 * times only as YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5). Owns no state; never
 * indexes wire bytes except through the reader.
 */
#include "x509/der.h"

int der_peek(const struct rd *r)
{
    if (rd_left(r) == 0)
        return -1;
    struct rd c = *r; /* a copy; reading one available byte cannot fail */
    return rd_u8(&c);
}

/* Length octets (X.690 §8.1.3) in the minimal definite form (§10.1). */
static size_t read_len(struct rd *r)
{
    uint8_t b = rd_u8(r);
    if (b < 0x80)
        return b;
    unsigned n = b & 0x7f;
    if (n == 0 || n > 4) { /* 0x80 is the indefinite form; more than 4 bytes is more than we take */
        rd_fail(r);
        return 0;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t x = rd_u8(r);
        if (i == 0 && x == 0) { /* a leading zero octet is not minimal */
            rd_fail(r);
            return 0;
        }
        v = v << 8 | x;
    }
    if (v < 0x80) /* should have been the short form */
        rd_fail(r);
    return rd_ok(r) ? v : 0;
}

struct rd der_any(struct rd *r, uint8_t *tag)
{
    uint8_t t = rd_u8(r);
    if ((t & 0x1f) == 0x1f) /* high tag numbers: nothing we parse uses them */
        rd_fail(r);
    size_t n = read_len(r);
    struct rd s = rd_sub(r, n);
    *tag = rd_ok(r) ? t : 0;
    return s;
}

struct rd der_tlv(struct rd *r, uint8_t tag)
{
    uint8_t t;
    struct rd s = der_any(r, &t);
    if (t != tag) {
        rd_fail(r);
        s = rd_sub(r, 0);
    }
    return s;
}

struct rd der_tlv_span(struct rd *r, uint8_t tag, const uint8_t **start, uint32_t *len)
{
    struct rd before = *r;
    struct rd s = der_tlv(r, tag);
    size_t used = rd_ok(r) ? r->off - before.off : 0;
    *start = rd_ok(r) ? rd_bytes(&before, used) : NULL;
    *len = (uint32_t)used;
    return s;
}

void der_skip(struct rd *r)
{
    uint8_t t;
    (void)der_any(r, &t);
}

void der_int_raw(struct rd *r, const uint8_t **p, uint32_t *len)
{
    struct rd s = der_tlv(r, DER_INTEGER);
    size_t n = rd_left(&s);
    const uint8_t *q = rd_bytes(&s, n);
    /* X.690 §8.3.2: at least one octet; the first nine bits are not all 0 or all 1 */
    if (q && n == 0)
        rd_fail(r);
    if (rd_ok(r) && n > 1) {
        struct rd c;
        rd_init(&c, q, n);
        uint8_t b0 = rd_u8(&c), b1 = rd_u8(&c);
        if ((b0 == 0x00 && !(b1 & 0x80)) || (b0 == 0xff && (b1 & 0x80)))
            rd_fail(r);
    }
    *p = rd_ok(r) ? q : NULL;
    *len = rd_ok(r) ? (uint32_t)n : 0;
}

SSLErr der_uint(struct rd *r, const uint8_t **p, uint32_t *len, uint32_t max)
{
    const uint8_t *q;
    uint32_t n;
    der_int_raw(r, &q, &n);
    *p = NULL;
    *len = 0;
    if (!rd_ok(r))
        return ASNBadEncodingErr;
    struct rd c;
    rd_init(&c, q, n);
    uint8_t b0 = rd_u8(&c);
    if (b0 & 0x80) {
        rd_fail(r);
        return ASNBadEncodingErr;
    }
    if (b0 == 0) { /* a sign octet (or the value zero): drop it */
        q = rd_bytes(&c, n - 1);
        n--;
    }
    if (n > max)
        return ASNIntegerTooBigErr;
    *p = q;
    *len = n;
    return SSLNoErr;
}

void der_small_uint(struct rd *r, uint32_t *v)
{
    const uint8_t *q;
    uint32_t n;
    *v = 0;
    if (der_uint(r, &q, &n, 4) != SSLNoErr || (n == 4 && (q[0] & 0x80))) {
        rd_fail(r);
        return;
    }
    struct rd c;
    rd_init(&c, q, n);
    uint32_t x = 0;
    while (rd_left(&c))
        x = x << 8 | rd_u8(&c);
    *v = x;
}

void der_oid(struct rd *r, const uint8_t **p, uint32_t *len)
{
    struct rd s = der_tlv(r, DER_OID);
    size_t n = rd_left(&s);
    const uint8_t *q = rd_bytes(&s, n);
    if (q && n == 0)
        rd_fail(r);
    /* X.690 §8.19.2: each sub-identifier is minimal (no leading 0x80) and the last ends (bit 8 clear) */
    if (rd_ok(r)) {
        struct rd c;
        int start = 1;
        uint8_t b = 0;
        rd_init(&c, q, n);
        while (rd_left(&c)) {
            b = rd_u8(&c);
            if (start && b == 0x80)
                rd_fail(r);
            start = !(b & 0x80);
        }
        if (b & 0x80)
            rd_fail(r);
    }
    *p = rd_ok(r) ? q : NULL;
    *len = rd_ok(r) ? (uint32_t)n : 0;
}

int der_oid_eq(const uint8_t *p, uint32_t len, const uint8_t *oid, uint32_t oidlen)
{
    if (!p || len != oidlen)
        return 0;
    for (uint32_t i = 0; i < len; i++)
        if (p[i] != oid[i])
            return 0;
    return 1;
}

void der_bit_string(struct rd *r, const uint8_t **p, uint32_t *len)
{
    struct rd s = der_tlv(r, DER_BIT_STRING);
    uint8_t unused = rd_u8(&s);
    if (unused != 0)
        rd_fail(r);
    size_t n = rd_left(&s);
    const uint8_t *q = rd_bytes(&s, n);
    *p = rd_ok(r) ? q : NULL;
    *len = rd_ok(r) ? (uint32_t)n : 0;
}

void der_null(struct rd *r)
{
    struct rd s = der_tlv(r, DER_NULL);
    rd_done(&s);
}

int64_t der_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    static const uint16_t before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    /* leap years in [1, y-1] minus those in [1, 1969] (both counts for y >= 1) */
    int64_t p = y - 1;
    int64_t leaps = (p / 4 - p / 100 + p / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return 365 * (y - 1970) + leaps + before_month[(m - 1) % 12] + (m > 2 && leap) + (int64_t)d - 1;
}

/* @n decimal digits from s into *v; fails the reader on a non-digit. */
static unsigned digits(struct rd *s, int n)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        uint8_t c = rd_u8(s);
        if (c < '0' || c > '9')
            rd_fail(s);
        v = v * 10 + (unsigned)(c - '0');
    }
    return v;
}

void der_time(struct rd *r, int64_t *t)
{
    static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    uint8_t tag;
    struct rd s = der_any(r, &tag);
    unsigned y;
    *t = 0;
    if (tag == DER_UTCTIME) {
        y = digits(&s, 2);
        y += y >= 50 ? 1900 : 2000; /* RFC 5280 §4.1.2.5.1 */
    } else if (tag == DER_GENERALIZEDTIME) {
        y = digits(&s, 4);
    } else {
        rd_fail(r);
        return;
    }
    unsigned mo = digits(&s, 2), d = digits(&s, 2), h = digits(&s, 2), mi = digits(&s, 2),
             sec = digits(&s, 2);
    if (rd_u8(&s) != 'Z') /* RFC 5280 §4.1.2.5: GMT, seconds, no fraction */
        rd_fail(&s);
    if (!rd_done(&s))
        return;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y == 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 59) {
        rd_fail(r);
        return;
    }
    *t = der_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + sec;
}
