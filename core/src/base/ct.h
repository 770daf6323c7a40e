/*
 * ct.h - constant-time helpers for comparing MACs, Finished values and padding (no early exit,
 * no secret-dependent branch).
 */
#ifndef SSLREF_CT_H
#define SSLREF_CT_H

#include <stddef.h>
#include <stdint.h>

/* 1 if equal, 0 otherwise; time depends only on n. */
static inline int ct_memeq(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(x[i] ^ y[i]);
    return ((uint32_t)d - 1) >> 31;
}
/* all-ones if a == b else 0 */
static inline uint32_t ct_eq32(uint32_t a, uint32_t b)
{
    uint32_t x = a ^ b;
    return (uint32_t)(((uint64_t)x - 1) >> 63) * 0xffffffffu;
}
/* all-ones if a < b else 0 (a, b < 2^31) */
static inline uint32_t ct_lt32(uint32_t a, uint32_t b)
{
    return (uint32_t)(((uint64_t)a - (uint64_t)b) >> 63) * 0xffffffffu;
}
static inline uint8_t ct_sel8(uint32_t mask, uint8_t a, uint8_t b)
{
    return (uint8_t)((a & mask) | (b & ~mask));
}

#endif
