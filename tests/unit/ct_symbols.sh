#!/bin/sh
# ct_symbols.sh LIB - the private-key path of libsslref_core.a is the constant-time one: bn_ct.c.o
# calls GMP's mpn_sec_powm and mpn_sec_invert and no variable-time exponentiation (mpz_invert runs only on
# a random-blinded value); crypto_ltc.c.o signs and decrypts through bn_ct and no longer calls libtomcrypt's
# dsa_sign_hash_raw / rsa_decrypt* / rsa_sign* (its rsa_exptmod is left for public operations);
# hs3_kx.c.o raises DH values to private exponents through bn_ct_modexp only (no cry_modexp, whose
# libtommath exptmod is variable time, and no mpz_powm). ECDSA signing (issue 16): ecdsa.c.o takes the
# nonce range check and s = k^-1 (e + d r) mod n from bn_ct (bn_ct_ec_scalar, bn_ct_ecdsa_s, on
# mpn_sec_mul / mpn_sec_div_r, k^-1 by mpz_invert on k u for a random u) and calls no GMP or
# libtommath function itself (no mpz_invert, mp_invmod): the only inverse it reaches, through
# libtomcrypt's ltc_mp descriptor, is verification's s^-1, of a public s. P-256 (issue 18): ecdh.c.o
# and ecdsa.c.o multiply through p256.c (cry_p256_mul, cry_p256_base_mul), which is self-contained
# 64-bit limb arithmetic: p256.c.o calls no GMP, libtommath or libtomcrypt function (libtomcrypt's
# ladder is left to P-384 and the tests).
# RSA on AVX-512 IFMA (issue 18): bn_ct.c.o runs the CRT halves through rsa_ifma.c (cry_ifma_powm2,
# and cry_ifma_powm_pub for r^e and the fault check) when the CPU has it, mpn_sec_powm otherwise;
# rsa_ifma.c.o is self-contained limb arithmetic: no GMP, libtommath or libtomcrypt function.
set -eu
lib=$1
syms=$(nm -A "$lib")
fail=0
need() { echo "$syms" | grep -q "$1:.* U $2\$" || { echo "missing: $1 uses $2"; fail=1; }; }
never() { if echo "$syms" | grep -qE "$1:.* U ($2)\$"; then echo "forbidden in $1: $2"; fail=1; fi; }
need bn_ct.c.o __gmpn_sec_powm
need bn_ct.c.o __gmpn_sec_invert
need crypto_ltc.c.o bn_ct_rsa_private
need crypto_ltc.c.o bn_ct_dsa_sign
never bn_ct.c.o '__gmpz_powm.*|__gmpn_powm'
never crypto_ltc.c.o 'dsa_sign_hash.*|rsa_decrypt.*|rsa_sign.*|__gmpz_powm.*|__gmpz_invert'
need bn_ct.c.o __gmpn_sec_mul
need bn_ct.c.o __gmpn_sec_div_r
need ecdsa.c.o bn_ct_ec_scalar
need ecdsa.c.o bn_ct_ecdsa_s
never ecdsa.c.o '__gmpz_.*|__gmpn_.*|mp_invmod|mp_exptmod|mp_mul.*|ecc_sign_hash.*'
need ecdh.c.o cry_p256_mul
need ecdh.c.o cry_p256_base_mul
need ecdh.c.o cry_p256_scalar_ok
need ecdsa.c.o cry_p256_base_mul
never p256.c.o '__gmp.*|mp_.*|ltc_.*|ecc_.*'
need bn_ct.c.o cry_ifma_powm2
need bn_ct.c.o cry_ifma_powm_pub
never rsa_ifma.c.o '__gmp.*|mp_.*|ltc_.*|rsa_.*'
need hs3_kx.c.o bn_ct_modexp
never hs3_kx.c.o 'cry_modexp|__gmpz_powm.*|__gmpn_powm|mp_exptmod'
[ $fail = 0 ] && echo "ok: private-key operations go through mpn_sec_*"
exit $fail
