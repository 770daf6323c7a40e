/*
 * p256_adx.c - p256.c compiled a second time with its field multiplication, squaring, addition and
 * subtraction in MULX/ADX assembly (the P256_ADX branch there): p256_mul_adx and p256_base_mul_adx,
 * which cry_p256_mul and
 * cry_p256_base_mul call on CPUs with BMI2 and ADX. Built only where p256.c would call it
 * (MULX4_BUILD: GCC 12 or later on x86-64); elsewhere this file is empty.
 */
#include "crypto/mulx4.h"
#if MULX4_BUILD
#define P256_ADX 1
#include "crypto/p256.c"
#else
typedef int p256_adx_unused; /* ISO C wants something in every file */
#endif
