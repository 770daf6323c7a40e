/*
 * fuzz_pem.c - libFuzzer harness for the PEM/DER loaders of sslx.h: the input is taken both as PEM
 * text (SSLXPEMDecode for each label until no block is left, SSLXRSAPrivateKeyFromPEM,
 * SSLXDHParamsFromPEM, SSLXAddCertificatesPEM into a fresh context) and as DER
 * (SSLXRSAPrivateKeyFromDER, SSLXDHParamsFromDER). Objects made are used and released (leaks fail);
 * an EC key that loads must sign, and its signature must verify under its own point (else abort).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init(); /* also initialises the crypto layer once */
    return 0;
}

static volatile unsigned sink;

/* deterministic bytes for an EC signature (the nonce): every run is reproducible */
static SSLErr fixed_rnd(void *ref, uint8_t *out, size_t n)
{
    (void)ref;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(0x5a + 7 * i);
    return SSLNoErr;
}

/* An EC key that loaded signs, and its signature verifies under its own public point. */
static void use_ec_key(SSLRSAPrivateKey *k)
{
    uint16_t g = cry_key_ec_group(k);
    if (!g)
        return;
    uint8_t pub[CRY_ECDH_MAX_PUB], sig[CRY_ECDSA_MAX_SIG], h[48] = {1, 2, 3};
    size_t pl = sizeof pub, sl = sizeof sig;
    if (cry_ec_key_public(k, pub, &pl) != SSLNoErr ||
        cry_ecdsa_sign(k, h, sizeof h, sig, &sl, fixed_rnd, NULL) != SSLNoErr ||
        cry_ecdsa_verify(g, pub, pl, h, sizeof h, sig, sl) != 1)
        abort();
}

static void use_key(SSLErr e, SSLRSAPrivateKey *k)
{
    if (e == SSLNoErr) {
        use_ec_key(k);
        sink += SSLXRSAPrivateKeyBits(k);
        SSLXRSAPrivateKeyFree(k);
    } else if (k) {
        abort(); /* a failed load must not hand out a key */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 20)
        return 0;
    const char *pem = (const char *)data;
    static const char *const labels[] = {"CERTIFICATE",   "RSA PRIVATE KEY", "PRIVATE KEY",
                                         "DH PARAMETERS", "EC PRIVATE KEY",  "EC PARAMETERS"};
    for (size_t l = 0; l < sizeof labels / sizeof labels[0]; l++) {
        size_t pos = 0;
        for (int i = 0; i < 64; i++) {
            uint8 *der = NULL;
            uint32 dlen = 0;
            size_t before = pos;
            if (SSLXPEMDecode(pem, size, &pos, labels[l], &der, &dlen) != SSLNoErr)
                break;
            for (uint32 j = 0; j < dlen; j++)
                sink += der[j];
            free(der);
            if (pos <= before || pos > size)
                abort(); /* the position must advance and stay inside the text */
        }
    }
    SSLRSAPrivateKey *k = NULL;
    SSLErr e = SSLXRSAPrivateKeyFromPEM(pem, size, &k);
    use_key(e, k);
    k = NULL;
    e = SSLXRSAPrivateKeyFromDER(data, size, &k);
    use_key(e, k);
    SSLDHParams *dh = NULL;
    if (SSLXDHParamsFromPEM(pem, size, &dh) == SSLNoErr)
        SSLXDHParamsFree(dh);
    dh = NULL;
    if (SSLXDHParamsFromDER(data, size, &dh) == SSLNoErr)
        SSLXDHParamsFree(dh);
    SSLContext *ctx = NULL;
    if (SSLXNewContext(&ctx) != SSLNoErr)
        abort();
    sink += (unsigned)SSLXAddCertificatesPEM(ctx, pem, size);
    SSLXFreeContext(ctx);
    return 0;
}
