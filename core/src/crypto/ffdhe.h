/*
 * ffdhe.h - the RFC 7919 finite-field Diffie-Hellman groups built into the library (Appendix A:
 * ffdhe2048, ffdhe3072, ffdhe4096; g = 2, safe primes p = 2q + 1), their supported_groups
 * codepoints, and the private-exponent length each group wants (§5.2). The tables are constant
 * data: any number of threads may read them.
 */
#ifndef SSLREF_FFDHE_H
#define SSLREF_FFDHE_H

#include <stddef.h>
#include <stdint.h>

/* NamedGroup codepoints (RFC 7919 §6; 256..511 is the FFDHE range). */
enum {
    FFDHE2048 = 0x0100, FFDHE3072 = 0x0101, FFDHE4096 = 0x0102, FFDHE6144 = 0x0103,
    FFDHE8192 = 0x0104
};
#define FFDHE_RANGE_MIN 0x0100u
#define FFDHE_RANGE_MAX 0x01ffu
#define FFDHE_NBUILTIN 3

struct ffdhe_group {
    uint16_t id;         /* NamedGroup */
    uint16_t bits;       /* of p */
    uint32_t plen;       /* bytes of p (bits / 8) */
    const uint8_t *p;    /* big-endian, no leading zero */
};

/* The built-in groups, cheapest first (the server's preference order). */
extern const struct ffdhe_group ffdhe_groups[FFDHE_NBUILTIN];
/* The generator of every FFDHE group. */
extern const uint8_t ffdhe_g[1];

/* The built-in group with this codepoint, or NULL. */
const struct ffdhe_group *ffdhe_find(uint16_t id);
/* The built-in group whose p and g these are (both without leading zeros), or NULL: how a client
 * recognises a named group in a ServerKeyExchange, which does not name it (RFC 7919 §3). */
const struct ffdhe_group *ffdhe_match(const uint8_t *p, size_t plen, const uint8_t *g, size_t glen);
/* Private-exponent bytes for a p of plen bytes: at least twice the group's security level in bits
 * (RFC 7919 §5.2: 225, 275, 325, 400 bits for 2048, 3072, 4096, 8192-bit p); 32 up to 2048 bits. */
size_t ffdhe_exponent_len(size_t plen);

#endif
