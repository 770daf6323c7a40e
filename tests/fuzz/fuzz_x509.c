/*
 * fuzz_x509.c - libFuzzer harness for the DER/X.509 reader (core/src/x509/x509.h, der.h): x509_parse of
 * the input, then every field it located is read in full (ASan checks each pointer/length pair lies
 * in the input), both Names go through x509_name_string (also with a tiny buffer), a small RSA key
 * or an EC key checks its own signature, and the input is also parsed as a bare Name and by the
 * public SSLX calls.
 */
#include <string.h>

#include "fuzz_common.h"
#include "x509/x509.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init(); /* initialises the crypto layer (RSA verification) once */
    return 0;
}

static unsigned touch(const uint8_t *p, uint32_t n)
{
    unsigned s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

static volatile unsigned sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 20)
        return 0;
    uint32_t len = (uint32_t)size;
    char text[512], tiny[5];
    struct x509_cert c;
    if (x509_parse(data, len, &c) == SSLNoErr) {
        sink += touch(c.der, c.der_len) + touch(c.tbs, c.tbs_len) + touch(c.serial, c.serial_len) +
                touch(c.issuer, c.issuer_len) + touch(c.subject, c.subject_len) +
                touch(c.spki, c.spki_len) + touch(c.sig, c.sig_len);
        if (c.key_type == X509_KEY_RSA)
            sink += touch(c.rsa_n, c.rsa_n_len) + touch(c.rsa_e, c.rsa_e_len);
        if (c.key_type == X509_KEY_EC) /* and its own ECDSA signature (strict DER, point check) */
            sink += touch(c.ec_point, c.ec_point_len) + (unsigned)x509_check_issued(&c, &c);
        if (x509_name_string(c.issuer, c.issuer_len, text, sizeof text) == SSLNoErr)
            sink += (unsigned)strlen(text);
        if (x509_name_string(c.subject, c.subject_len, tiny, sizeof tiny) == SSLNoErr)
            sink += (unsigned)strlen(tiny);
        /* RSA verification costs grow with the modulus: keep it to realistic key sizes */
        if (c.key_type == X509_KEY_RSA && c.rsa_n_len <= 512)
            sink += (unsigned)x509_check_issued(&c, &c);
        SSLBuffer b = {len, (uint8 *)(uintptr_t)data};
        int64_t nb, na;
        sink += (unsigned)SSLXCertificateSubject(b, text, sizeof text) +
                (unsigned)SSLXCertificateValidity(b, &nb, &na);
    }
    if (x509_name_string(data, len, text, sizeof text) == SSLNoErr)
        sink += (unsigned)strlen(text);
    return 0;
}
