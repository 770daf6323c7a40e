/*
 * fuzz_client.c - libFuzzer harness: an sslref client fed the input as the server's flight(s); its
 * own hello and later messages are discarded. Random and time are fixed, so a recorded server stream
 * (gen_seeds.c) answers exactly the hello this client sends and the seeds reach the Finished check,
 * application data and close. The flags byte picks SSL 2.0, 3.0 or negotiation (fuzz_common.h).
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_run_side(SSL_ClientSide, data, size);
    return 0;
}
