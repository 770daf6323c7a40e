/*
 * pem.c - PEM armour (RFC 7468: "-----BEGIN label-----", strict base64, "-----END label-----"),
 * and the sslx.h constructors built on it: private keys (RSA PKCS#1, DSA, EC SEC 1 or PKCS#8, via the crypto
 * adapter) and PKCS#3 DH parameters (struct SSLDHParams, dhparams.h). Decoded key bytes are wiped
 * before they are freed. Certificates into a context are certchain.c's (SSLXAddCertificatesPEM).
 */
#include "sslref/sslx.h"
#include "crypto/crypto_ltc.h"
#include "x509/der.h"
#include "crypto/dhparams.h"
#include <stdlib.h>
#include <string.h>

#define DH_MAX_P_BYTES 1024 /* 8192-bit groups at most */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * Strict base64 (RFC 4648 §4) of s[0..n): only the alphabet, whitespace between characters, a
 * multiple of four characters, '=' only as the last one or two, and zero bits where padding cuts
 * the last character. Writes a malloc'd buffer.
 */
static SSLErr b64_decode(const char *s, size_t n, uint8_t **out, uint32_t *outlen)
{
    size_t chars = 0, pads = 0;
    int last = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(s[i]))
            continue;
        if (s[i] == '=') {
            SSL_ENSURE(chars % 4 >= 2 && pads < 2, ASNBadEncodingErr);
            pads++;
        } else {
            SSL_ENSURE(pads == 0, ASNBadEncodingErr); /* data after padding */
            last = b64_value(s[i]);
            SSL_ENSURE(last >= 0, ASNBadEncodingErr);
        }
        chars++;
    }
    SSL_ENSURE(chars > 0 && chars % 4 == 0, ASNBadEncodingErr);
    /* the bits padding leaves over in the last character must be zero (RFC 4648 §3.5) */
    SSL_ENSURE(!(pads == 1 && (last & 3)) && !(pads == 2 && (last & 15)), ASNBadEncodingErr);
    size_t len = chars / 4 * 3 - pads;
    SSL_ENSURE(len <= UINT32_MAX, ASNBadEncodingErr);
    uint8_t *buf = malloc(len ? len : 1);
    SSL_ENSURE(buf, SSLMemoryErr);
    struct wr w;
    wr_init(&w, buf, len);
    uint32_t acc = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(s[i]) || s[i] == '=')
            continue;
        acc = acc << 6 | (uint32_t)b64_value(s[i]);
        if (++k % 4 == 0) {
            wr_u8(&w, (uint8_t)(acc >> 16));
            wr_u8(&w, (uint8_t)(acc >> 8));
            wr_u8(&w, (uint8_t)acc);
            acc = 0;
        }
    }
    if (k % 4 == 3) { /* one '=' */
        wr_u8(&w, (uint8_t)(acc >> 10));
        wr_u8(&w, (uint8_t)(acc >> 2));
    } else if (k % 4 == 2) { /* two '=' */
        wr_u8(&w, (uint8_t)(acc >> 4));
    }
    if (!wr_ok(&w) || w.len != len) { /* cannot happen: the first pass sized it */
        free(buf);
        return ASNBadEncodingErr;
    }
    *out = buf;
    *outlen = (uint32_t)len;
    return SSLNoErr;
}

/* Position of needle in s[from..n), or n if absent. */
static size_t find(const char *s, size_t n, size_t from, const char *needle, size_t nlen)
{
    if (from > n)
        return n;
    const char *q = memmem(s + from, n - from, needle, nlen);
    return q ? (size_t)(q - s) : n;
}

static int at_line_start(const char *s, size_t i) { return i == 0 || s[i - 1] == '\n'; }

/* Index just past the end of the line holding s[i] if only blanks remain on it, else n + 1. */
static size_t end_of_line(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] != '\n') {
        if (!is_space(s[i]))
            return n + 1;
        i++;
    }
    return i < n ? i + 1 : n;
}

/*
 * The next block at or after *pos whose label is one of @labels (others are skipped): decode it
 * into a malloc'd *der and put its label's index in *which. X509DataNotFoundErr if there is none,
 * ASNBadEncodingErr if it has no matching END line or bad base64, SSLUnsupportedErr if encrypted.
 */
static SSLErr pem_next(const char *pem, size_t len, size_t *pos, const char *const *labels,
                       int nlabels, int *which, uint8_t **der, uint32_t *derlen)
{
    static const char begin[] = "-----BEGIN ", endm[] = "-----END ", dashes[] = "-----";
    size_t at = *pos;
    for (;;) {
        size_t b = find(pem, len, at, begin, sizeof begin - 1);
        if (b == len)
            return X509DataNotFoundErr;
        at = b + 1;
        if (!at_line_start(pem, b))
            continue;
        size_t lab = b + sizeof begin - 1;
        size_t d = find(pem, len, lab, dashes, sizeof dashes - 1);
        size_t nl = find(pem, len, lab, "\n", 1);
        if (d == len || d > nl)
            continue;
        size_t body = end_of_line(pem, len, d + sizeof dashes - 1);
        if (body > len)
            continue;
        int k = -1;
        for (int i = 0; i < nlabels && k < 0; i++)
            if (strlen(labels[i]) == d - lab && memcmp(pem + lab, labels[i], d - lab) == 0)
                k = i;
        if (k < 0)
            continue;
        /* the matching END line: "-----END " label "-----" at the start of a line */
        size_t e = body;
        for (;;) {
            e = find(pem, len, e, endm, sizeof endm - 1);
            if (e == len)
                return ASNBadEncodingErr;
            size_t el = e + sizeof endm - 1, ll = d - lab;
            if (at_line_start(pem, e) && len - el >= ll + sizeof dashes - 1 &&
                memcmp(pem + el, pem + lab, ll) == 0 &&
                memcmp(pem + el + ll, dashes, sizeof dashes - 1) == 0)
                break;
            e++;
        }
        size_t after = end_of_line(pem, len, e + sizeof endm - 1 + (d - lab) + sizeof dashes - 1);
        SSL_ENSURE(after <= len, ASNBadEncodingErr);
        if (find(pem, e, body, "Proc-Type:", 10) != e) /* RFC 1421 encryption headers */
            return SSLUnsupportedErr;
        SSL_TRY(b64_decode(pem + body, e - body, der, derlen));
        *which = k;
        *pos = after;
        return SSLNoErr;
    }
}

SSLErr SSLXPEMDecode(const char *pem, size_t len, size_t *pos, const char *label, uint8 **der,
                     uint32 *derLen)
{
    SSL_ENSURE(pem && pos && label && *label && der && derLen, SSLBadParameterErr);
    int which;
    return pem_next(pem, len, pos, &label, 1, &which, der, derLen);
}

/* ---- RSA private keys ---------------------------------------------------------------------- */

SSLErr SSLXRSAPrivateKeyFromDER(const uint8 *der, size_t len, SSLRSAPrivateKey **out)
{
    SSL_ENSURE(der && len && out, SSLBadParameterErr);
    *out = NULL;
    SSL_TRY(cry_init());
    return cry_rsa_key_from_der(der, len, out);
}

SSLErr SSLXRSAPrivateKeyFromPEM(const char *pem, size_t len, SSLRSAPrivateKey **out)
{
    /* other blocks are skipped: the "EC PARAMETERS" that `openssl ecparam -genkey` writes first */
    static const char *const labels[] = {"RSA PRIVATE KEY", "PRIVATE KEY", "DSA PRIVATE KEY",
                                         "EC PRIVATE KEY"};
    SSL_ENSURE(pem && out, SSLBadParameterErr);
    *out = NULL;
    size_t pos = 0;
    int which;
    uint8_t *der = NULL;
    uint32_t derlen = 0;
    SSL_TRY(pem_next(pem, len, &pos, labels, 4, &which, &der, &derlen));
    SSLErr e = SSLXRSAPrivateKeyFromDER(der, derlen, out);
    cry_wipe(der, derlen);
    free(der);
    return e;
}

SSLRSAPrivateKey *SSLXRSAPrivateKeyRetain(SSLRSAPrivateKey *key)
{
    return key ? cry_rsa_key_retain(key) : NULL;
}

void SSLXRSAPrivateKeyFree(SSLRSAPrivateKey *key)
{
    if (key)
        cry_rsa_key_release(key);
}

uint32 SSLXRSAPrivateKeyBits(const SSLRSAPrivateKey *key)
{
    return key ? cry_rsa_key_bits(key) : 0;
}

/* ---- Diffie-Hellman parameters --------------------------------------------------------------- */

static uint8_t *dup_bytes(const uint8_t *p, uint32_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

/* DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER, privateValueLength INTEGER OPTIONAL }
 * (PKCS#3 §9). p must be odd and above 3, and 1 < g < p. */
SSLErr SSLXDHParamsFromDER(const uint8 *der, size_t len, SSLDHParams **out)
{
    static const uint8_t one[] = {1}, three[] = {3};
    SSL_ENSURE(der && len && out, SSLBadParameterErr);
    *out = NULL;
    struct rd r, seq;
    const uint8_t *p, *g, *l;
    uint32_t plen, glen, llen;
    rd_init(&r, der, len);
    seq = der_tlv(&r, DER_SEQUENCE);
    SSLErr ep = der_uint(&seq, &p, &plen, DH_MAX_P_BYTES);
    SSLErr eg = der_uint(&seq, &g, &glen, DH_MAX_P_BYTES);
    if (rd_left(&seq))
        der_int_raw(&seq, &l, &llen);
    if (!rd_done(&seq) || !rd_done(&r))
        return ASNBadEncodingErr;
    SSL_TRY(ep);
    SSL_TRY(eg);
    SSL_ENSURE(plen > 0 && cry_bn_cmp(p, plen, three, 1) > 0, ASNBadEncodingErr);
    struct rd last;
    rd_init(&last, p, plen);
    (void)rd_bytes(&last, plen - 1);
    SSL_ENSURE(rd_u8(&last) & 1, ASNBadEncodingErr);
    SSL_ENSURE(cry_bn_cmp(g, glen, one, 1) > 0 && cry_bn_cmp(g, glen, p, plen) < 0,
               ASNBadEncodingErr);

    SSLDHParams *dh = calloc(1, sizeof *dh);
    if (dh) {
        dh->p = dup_bytes(p, plen);
        dh->g = dup_bytes(g, glen);
    }
    if (!dh || !dh->p || !dh->g) {
        if (dh) {
            free(dh->p);
            free(dh->g);
        }
        free(dh);
        return SSLMemoryErr;
    }
    dh->plen = plen;
    dh->glen = glen;
    atomic_init(&dh->refcount, 1);
    *out = dh;
    return SSLNoErr;
}

SSLErr SSLXDHParamsFromPEM(const char *pem, size_t len, SSLDHParams **out)
{
    static const char *const label = "DH PARAMETERS";
    SSL_ENSURE(pem && out, SSLBadParameterErr);
    *out = NULL;
    size_t pos = 0;
    int which;
    uint8_t *der = NULL;
    uint32_t derlen = 0;
    SSL_TRY(pem_next(pem, len, &pos, &label, 1, &which, &der, &derlen));
    SSLErr e = SSLXDHParamsFromDER(der, derlen, out);
    free(der);
    return e;
}

SSLDHParams *SSLXDHParamsRetain(SSLDHParams *params)
{
    if (params)
        atomic_fetch_add(&params->refcount, 1);
    return params;
}

void SSLXDHParamsFree(SSLDHParams *params)
{
    if (!params || atomic_fetch_sub(&params->refcount, 1) != 1)
        return;
    free(params->p);
    free(params->g);
    free(params);
}
