/*
 * test_pair_io.c - the same two connections (full, then resumed, with data and a clean close) under
 * every I/O pattern: would-block before every byte, would-block returned with data, partial I/O of
 * 1..7 bytes, small pipes (back-pressure on SSLWrite's queue), random sizes and would-blocks, in every
 * flow (RSA, export, DHE, anonymous DH, client auth, SSL 2.0-format hello). Each must reproduce the
 * plain run's transcripts, keys and resumption byte for byte.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "paircheck.h"

ParameterizedTestParameters(pair_io, would_block_every_byte)
{
    return cr_make_param_array(uint16_t, (void *)pair_suites, PAIR_NSUITES);
}

ParameterizedTest(uint16_t *suite, pair_io, would_block_every_byte, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, wb = {.wb_every_byte = 1},
                       wbd = {.wb_every_byte = 1, .wb_with_data = 1};
    run_scenario(*suite, &plain, 0, 16385, &ref);
    run_scenario(*suite, &wb, 0, 16385, &got);
    expect_same(&ref, &got, "would-block before every byte");
    cr_expect_gt(got.wouldblocks, 2 * (ref.hs_bytes[0][0] + ref.hs_bytes[0][1]),
                 "every byte was preceded by a would-block");
    run_scenario(*suite, &wbd, 0, 16385, &got);
    expect_same(&ref, &got, "would-block returned with each byte");
}

struct io_param {
    uint16_t suite;
    uint32_t chunk;
};

ParameterizedTestParameters(pair_io, partial_io)
{
    static struct io_param ps[PAIR_NSUITES * 7];
    for (int i = 0; i < PAIR_NSUITES; i++)
        for (uint32_t k = 1; k <= 7; k++)
            ps[i * 7 + (int)k - 1] = (struct io_param){pair_suites[i], k};
    return cr_make_param_array(struct io_param, ps, PAIR_NSUITES * 7);
}

ParameterizedTest(struct io_param *ip, pair_io, partial_io, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, part = {.chunk = ip->chunk};
    run_scenario(ip->suite, &plain, 0, 4099, &ref);
    run_scenario(ip->suite, &part, 0, 4099, &got);
    expect_same(&ref, &got, "partial I/O");
}

/* A slow reader: the pipe holds at most a few bytes, so SSLWrite must queue and report progress. */
Test(pair_io, backpressure_1mib, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, part = {.chunk = 7};
    run_scenario(0x002f, &plain, 0, 1u << 20, &ref);
    run_scenario(0x002f, &part, 4096, 1u << 20, &got);
    expect_same(&ref, &got, "chunk 7, pipe limit 4096");
    run_scenario(0x0004, &plain, 0, 100000, &ref);
    run_scenario(0x0004, &part, 3, 100000, &got);
    expect_same(&ref, &got, "chunk 7, pipe limit 3");
}

/* Would-block at every byte and 3-byte I/O in the other flows: ServerKeyExchange (export RSA, DHE,
 * anonymous DH) and client authentication (CertificateRequest, Certificate, CertificateVerify). */
struct flow_param {
    uint16_t suite;
    int flags;
};

ParameterizedTestParameters(pair_io, would_block_other_flows)
{
    static struct flow_param ps[] = {
        {SSL_RSA_EXPORT_WITH_RC4_40_MD5, 0},
        {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, 0},
        {SSL_DH_anon_WITH_RC4_128_MD5, 0},
        {TLS_RSA_WITH_AES_128_CBC_SHA, SC_CLIENT_AUTH},
        {SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, SC_CLIENT_AUTH},
        {TLS_RSA_WITH_AES_256_CBC_SHA, SC_V2HELLO},
        {SSL_RSA_WITH_RC4_128_MD5, SC_V2HELLO | SC_CLIENT_AUTH},
    };
    return cr_make_param_array(struct flow_param, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct flow_param *fp, pair_io, would_block_other_flows, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, wb = {.wb_every_byte = 1}, part = {.chunk = 3};
    run_scenario_f(fp->suite, &plain, 0, 5000, &ref, fp->flags);
    run_scenario_f(fp->suite, &wb, 0, 5000, &got, fp->flags);
    expect_same(&ref, &got, "would-block before every byte");
    run_scenario_f(fp->suite, &part, 0, 5000, &got, fp->flags);
    expect_same(&ref, &got, "3-byte I/O");
}

/* Random I/O: every call moves a random number of bytes and some would-block, with a different
 * pattern per seed; transcripts, keys and data must be those of the plain run. */
struct random_param {
    uint16_t suite;
    uint64_t seed;
};

ParameterizedTestParameters(pair_io, random_io)
{
    static struct random_param ps[4 * 12];
    static const uint16_t suites[4] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5,
                                       SSL_RSA_WITH_3DES_EDE_CBC_SHA, SSL_RSA_WITH_NULL_SHA};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 12; j++)
            ps[i * 12 + j] = (struct random_param){suites[i], (uint64_t)j + 1};
    return cr_make_param_array(struct random_param, ps, 4 * 12);
}

ParameterizedTest(struct random_param *rp, pair_io, random_io, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, rnd = {.random_io = rp->seed};
    run_scenario(rp->suite, &plain, 0, 40000, &ref);
    run_scenario(rp->suite, &rnd, rp->seed % 3 ? 0 : 700, 40000, &got);
    expect_same(&ref, &got, "random I/O");
}
