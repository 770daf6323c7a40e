/*
 * x509.h - just enough X.509 (v1-v3) for SSL: locate the signed part, names, validity, the RSA,
 * DSA or EC key and the signature (RSA or ECDSA), and check that one certificate issued another. Parsing points into the
 * caller's DER (no allocation); every read goes through der.h and the bounded reader of buf.h.
 */
#ifndef SSLREF_X509_H
#define SSLREF_X509_H

#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

enum x509_key_type { X509_KEY_OTHER = 0, X509_KEY_RSA = 1, X509_KEY_DSA = 2, X509_KEY_EC = 3 };

struct x509_cert {
    const uint8_t *der;      uint32_t der_len;      /* the whole Certificate */
    const uint8_t *tbs;      uint32_t tbs_len;      /* TBSCertificate TLV (what is signed) */
    int version;                                    /* 1, 2 or 3 */
    const uint8_t *serial;   uint32_t serial_len;   /* INTEGER contents */
    const uint8_t *issuer;   uint32_t issuer_len;   /* Name TLV */
    const uint8_t *subject;  uint32_t subject_len;  /* Name TLV */
    int64_t not_before, not_after;                  /* seconds since 1970-01-01 GMT */
    int key_type;
    const uint8_t *spki;     uint32_t spki_len;     /* SubjectPublicKeyInfo TLV */
    const uint8_t *rsa_n;    uint32_t rsa_n_len;    /* RSA only: big-endian, no leading zero */
    const uint8_t *rsa_e;    uint32_t rsa_e_len;
    const uint8_t *dsa_p;    uint32_t dsa_p_len;    /* DSA only, when the certificate has the */
    const uint8_t *dsa_q;    uint32_t dsa_q_len;    /* parameters (else all lengths are 0): */
    const uint8_t *dsa_g;    uint32_t dsa_g_len;    /* big-endian, no leading zero */
    const uint8_t *dsa_y;    uint32_t dsa_y_len;
    uint16_t ec_group;       /* EC only (id-ecPublicKey): CRY_EC_SECP256R1 / CRY_EC_SECP384R1 for */
                             /* the namedCurve prime256v1 / secp384r1, 0 for any other curve */
    const uint8_t *ec_point; uint32_t ec_point_len; /* EC only: the BIT STRING contents (04 || x || y) */
    int sig_hash;            /* enum cry_hash_alg of the signature, or -1 if unsupported */
    int sig_ecdsa;           /* 1: ecdsa-with-SHA1/256/384/512 (sig is a DER Ecdsa-Sig-Value), */
                             /* 0: sha*WithRSAEncryption / md5WithRSAEncryption */
    const uint8_t *sig;      uint32_t sig_len;      /* BIT STRING contents without the unused-bits byte */
};

/* ASNBadEncodingErr on any malformation (trailing bytes included). */
SSLErr x509_parse(const uint8_t *der, uint32_t len, struct x509_cert *out) SSL_MUST;
/* child.issuer must equal parent.subject byte for byte (X509NamesNotEqualErr) and child's signature
 * must verify with parent's RSA or EC key (X509CertChainInvalidErr). */
SSLErr x509_check_issued(const struct x509_cert *child, const struct x509_cert *parent) SSL_MUST;
/* PKCS#1 v1.5 type 1 verification of a DigestInfo-wrapped digest (X509CertChainInvalidErr). */
SSLErr x509_rsa_verify_digest(const uint8_t *n, uint32_t nlen, const uint8_t *e, uint32_t elen,
                              int hash_alg, const uint8_t *digest, const uint8_t *sig,
                              uint32_t siglen) SSL_MUST;
/* A Name TLV as text, "CN=localhost, O=Example" (most significant RDN last as in RFC 4514 is not
 * required: attributes in certificate order, known short names CN, O, OU, C, ST, L, emailAddress,
 * others as dotted OIDs; non-printable bytes escaped). Truncates to cap-1 chars; NUL-terminated. */
SSLErr x509_name_string(const uint8_t *name, uint32_t len, char *out, size_t cap) SSL_MUST;

#endif
