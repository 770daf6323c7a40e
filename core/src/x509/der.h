/*
 * der.h - DER (X.690 distinguished encoding) on top of the bounded reader of buf.h: one TLV at a
 * time with an expected tag, definite minimal lengths only (short form, long form of 1-4 bytes),
 * low tag numbers only. Readers are sticky: a malformed element fails the reader (rd_ok() == 0) and
 * later reads return empty results, so a parser checks once, at the end, with rd_done().
 * No allocation; results point into the reader's buffer.
 */
#ifndef SSLREF_DER_H
#define SSLREF_DER_H

#include <stdint.h>
#include "base/buf.h"
#include "base/err.h"

#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_UTF8STRING 0x0c
#define DER_PRINTABLESTRING 0x13
#define DER_T61STRING 0x14
#define DER_IA5STRING 0x16
#define DER_UTCTIME 0x17
#define DER_GENERALIZEDTIME 0x18
#define DER_BMPSTRING 0x1e
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CONTEXT(n) (0xa0 | (n))     /* [n] constructed (EXPLICIT) */
#define DER_CONTEXT_PRIM(n) (0x80 | (n)) /* [n] primitive (IMPLICIT of a primitive type) */

/* Next tag byte without consuming it, or -1 if the reader is empty or failed. */
int der_peek(const struct rd *r);
/* Read any TLV: *tag gets its tag (0 on failure); returns a sub-reader over the contents. */
struct rd der_any(struct rd *r, uint8_t *tag);
/* Read a TLV that must carry @tag; returns a sub-reader over its contents (empty on failure). */
struct rd der_tlv(struct rd *r, uint8_t tag);
/* Like der_tlv, and *start and *len get the whole TLV (header included), e.g. to hash or compare it. */
struct rd der_tlv_span(struct rd *r, uint8_t tag, const uint8_t **start, uint32_t *len);
/* Skip one TLV of any tag. */
void der_skip(struct rd *r);

/* INTEGER contents as-is (minimal two's complement, at least one byte). */
void der_int_raw(struct rd *r, const uint8_t **p, uint32_t *len);
/* A non-negative INTEGER as unsigned big-endian without leading zero bytes (zero has length 0).
 * ASNBadEncodingErr (the reader fails too) if malformed or negative; ASNIntegerTooBigErr if the
 * value needs more than @max bytes (the reader is left past the element, not failed). */
SSLErr der_uint(struct rd *r, const uint8_t **p, uint32_t *len, uint32_t max) SSL_MUST;
/* A small non-negative INTEGER (at most 0x7fffffff) into *v; the reader fails otherwise. */
void der_small_uint(struct rd *r, uint32_t *v);
/* OBJECT IDENTIFIER contents (checked: non-empty, minimal sub-identifiers, last byte ends one). */
void der_oid(struct rd *r, const uint8_t **p, uint32_t *len);
/* 1 if OID contents (p, len) equal @oid (contents bytes, oidlen). */
int der_oid_eq(const uint8_t *p, uint32_t len, const uint8_t *oid, uint32_t oidlen);
/* BIT STRING with no unused bits: *p and *len get the bytes after the unused-bits octet. */
void der_bit_string(struct rd *r, const uint8_t **p, uint32_t *len);
/* NULL (zero-length contents). */
void der_null(struct rd *r);
/* UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ, no fraction),
 * the only forms DER/RFC 5280 allow, into seconds since 1970-01-01 00:00:00 UTC. */
void der_time(struct rd *r, int64_t *t);
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31; not range-checked). */
int64_t der_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
