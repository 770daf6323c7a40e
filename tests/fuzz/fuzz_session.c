/*
 * fuzz_session.c - libFuzzer harness for the session blob decoder (session_decode, core/src/
 * session.h): whatever a session cache returns is hostile. Every field the decoder located is read
 * in full (ASan checks the bounds); then the input is handed to a client as its cached session
 * through the GetSession callback, and the client sends its hello (a resumption offer) from it.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "handshake/session.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

static unsigned touch(const uint8_t *p, uint32_t n)
{
    unsigned s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

struct blob {
    const uint8_t *p;
    size_t n;
};

static SSLErr get_blob(SSLBuffer key, SSLBuffer *data, void *ref)
{
    const struct blob *b = ref;
    (void)key;
    data->data = malloc(b->n ? b->n : 1); /* freed by the library with the default Free (free) */
    if (!data->data)
        return SSLMemoryErr;
    if (b->n)
        memcpy(data->data, b->p, b->n);
    data->length = (uint32)b->n;
    return SSLNoErr;
}

static SSLErr add_blob(SSLBuffer key, SSLBuffer data, void *ref)
{
    (void)key, (void)data, (void)ref;
    return SSLNoErr;
}

static SSLErr del_blob(SSLBuffer key, void *ref)
{
    (void)key, (void)ref;
    return SSLNoErr;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 20)
        return 0;
    struct session_view v;
    if (session_decode(data, (uint32_t)size, &v) == SSLNoErr) {
        unsigned s = v.version + v.suite + v.created;
        s += touch(v.sid, v.sid_len) + touch(v.master, v.master_len) + touch(v.key_arg, v.key_arg_len);
        if (v.ncerts > MAX_CHAIN)
            abort(); /* the view cannot hold more */
        for (uint32_t i = 0; i < v.ncerts; i++)
            s += touch(v.cert[i], v.cert_len[i]);
        sink += s;
    }
    /* the same bytes as a client's cached session: lookup, hello, then the stream ends. The client
     * speaks SSL 3.0 .. TLS 1.2, so blobs of every version reach the resumption offer. */
    struct blob b = {data, size};
    struct fz_io io = {NULL, 0, NULL, 0, 0, 0};
    struct fz_rng rng = {fz_seed(SSL_ClientSide, 0)};
    SSLContext *ctx = fz_new_context(SSL_ClientSide, 0, FZ_ROT_TLS, 3u << 2, &io, &rng, NULL);
    if (!ctx)
        abort();
    SSLSetAddSessionFunc(ctx, add_blob);
    SSLSetGetSessionFunc(ctx, get_blob);
    SSLSetDeleteSessionFunc(ctx, del_blob);
    SSLSetSessionRef(ctx, &b);
    SSLBuffer id = {4, malloc(4)};
    if (!id.data)
        abort();
    memcpy(id.data, "peer", 4);
    SSLSetPeerID(ctx, id);
    sink += (unsigned)SSLHandshake(ctx);
    fz_free_context(ctx);
    return 0;
}
