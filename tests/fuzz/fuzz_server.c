/*
 * fuzz_server.c - libFuzzer harness: an sslref server (SSL_Version_Undetermined unless the input's
 * flags byte says otherwise, so both the SSL 2.0-format and the SSL 3.0 ClientHello are reachable)
 * fed the input as the client's byte stream; its output is discarded. Input layout in fuzz_common.h.
 * Seeds are recorded client streams (gen_seeds.c, NSS tstclnt) that take it through whole handshakes.
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
    fz_run_side(SSL_ServerSide, data, size);
    return 0;
}
