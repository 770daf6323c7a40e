/*
 * fuzz_ext.c - libFuzzer harness for the hello extension parsers (core/src/handshake/hs_ext.c)
 * through a real context: the input's extension block is put behind a fixed, valid ClientHello
 * (server side) or ServerHello (client side, after the client sent its own hello) and the context
 * runs SSLHandshake on it. The harness side's output is kept (not sent anywhere), so a hello the
 * context accepted leaves it waiting for more input; a refused one ends the handshake with an error
 * and the alert the context sent.
 *
 * Input layout:
 *   byte 0: FZX_* options (side, version, what the harness side is configured with)
 *   rest:   the extension block exactly as it goes on the wire, its own u16 length included (so
 *           wrong lengths can be expressed); empty: a hello without any extension block.
 *
 * Replay (replay_main.c, ctest fuzz_replay_ext): every input counts as "accepted" or "refused"
 * (checked against corpus/ext.min); a file whose name starts "accept-" must be accepted and one
 * starting "refuse-NNN-" must be refused with the fatal alert NNN (decimal) - seeds/ext is written
 * that way by gen_seeds.c; any other outcome counts as "mismatched", which fails the replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the replay driver's current file name (replay_main.c); absent under libFuzzer */
extern const char *replay_current_file __attribute__((weak));

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

static const uint16_t hello_versions[4] = {0x0303, 0x0302, 0x0301, 0x0300};

/* A handshake message of @type (@pre then @ext as its body) in records of at most 2^14 bytes */
static int put_records(struct fz_bytes *out, uint8_t type, uint16_t rec_ver, const uint8_t *pre, size_t pre_len,
                       const uint8_t *ext, size_t ext_len)
{
    size_t body = pre_len + ext_len;
    uint8_t hh[4] = {type, (uint8_t)(body >> 16), (uint8_t)(body >> 8), (uint8_t)body};
    struct fz_bytes msg = {0};
    int rc = fz_bytes_put(&msg, hh, 4) || fz_bytes_put(&msg, pre, pre_len) || fz_bytes_put(&msg, ext, ext_len);
    for (size_t off = 0; !rc && off < msg.len;) {
        size_t n = msg.len - off > 16384 ? 16384 : msg.len - off;
        uint8_t rh[5] = {22, (uint8_t)(rec_ver >> 8), (uint8_t)rec_ver, (uint8_t)(n >> 8), (uint8_t)n};
        rc = fz_bytes_put(out, rh, 5) || fz_bytes_put(out, msg.b + off, n);
        off += n;
    }
    free(msg.b);
    return rc ? -1 : 0;
}

/* Handshake until an error, or until nothing moves (waiting for the peer's next flight) */
static SSLErr run(SSLContext *ctx, struct fz_io *io)
{
    SSLErr e = SSLWouldBlockErr;
    size_t last_rx = (size_t)-1, last_tx = (size_t)-1;
    for (int i = 0; i < 64; i++) {
        e = SSLHandshake(ctx);
        if (e != SSLWouldBlockErr)
            break;
        if (io->rx_off == last_rx && io->tx->len == last_tx)
            break;
        last_rx = io->rx_off;
        last_tx = io->tx->len;
    }
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 20000)
        return 0;
    unsigned opt = data[0];
    const uint8_t *ext = data + 1;
    size_t ext_len = size - 1;
    int side = opt & FZX_CLIENT ? SSL_ClientSide : SSL_ServerSide;
    unsigned vcode = (opt & FZX_VERSION) >> 1;
    /* the harness side's range: up to the version of the hello, from SSL 3.0 */
    unsigned tls = vcode | (3u << 2);
    if (opt & FZX_ALPN)
        tls |= FZ_TLS_ALPN;
    if (opt & FZX_NO_EMS)
        tls |= FZ_TLS_NO_EMS;
    if (opt & FZX_SNI)
        tls |= FZ_TLS_SNI;
    struct fz_bytes rx = {0}, tx = {0};
    struct fz_io io = {&rx, 0, &tx, 0, 0, 0};
    struct fz_rng rng = {fz_seed(side, 0)};
    SSLContext *ctx = fz_new_context(side, opt & FZX_TICKETS ? FZ_TICKETS : 0, FZ_ROT_TLS, tls, &io, &rng, NULL);
    if (!ctx)
        abort();
    if (side == SSL_ClientSide && !(opt & FZX_TICKETS) && SSLXSetSessionTickets(ctx, 0) != SSLNoErr)
        abort();
    uint16_t v = hello_versions[vcode];
    SSLErr e;
    if (side == SSL_ServerSide) {
        /* ClientHello: version, random, empty session ID, AES128-SHA and AES128-GCM-SHA256 */
        uint8_t pre[2 + 32 + 1 + 2 + 4 + 2];
        size_t k = 0;
        pre[k++] = (uint8_t)(v >> 8);
        pre[k++] = (uint8_t)v;
        for (int i = 0; i < 32; i++)
            pre[k++] = (uint8_t)(0xc0 + i);
        pre[k++] = 0;
        static const uint8_t suites[] = {0x00, 0x04, 0x00, 0x9c, 0x00, 0x2f, 0x01, 0x00};
        memcpy(pre + k, suites, sizeof suites);
        k += sizeof suites;
        if (put_records(&rx, 1, v == 0x0300 ? 0x0300 : 0x0301, pre, k, ext, ext_len) != 0)
            abort();
        e = run(ctx, &io);
    } else {
        e = run(ctx, &io); /* the client's hello */
        if (e == SSLWouldBlockErr) {
            uint8_t pre[2 + 32 + 1 + 2 + 1];
            size_t k = 0;
            uint16_t suite = (opt & FZX_GCM) ? 0x009c : 0x002f;
            pre[k++] = (uint8_t)(v >> 8);
            pre[k++] = (uint8_t)v;
            for (int i = 0; i < 32; i++)
                pre[k++] = (uint8_t)(0x40 + i);
            pre[k++] = 0;
            pre[k++] = (uint8_t)(suite >> 8);
            pre[k++] = (uint8_t)suite;
            pre[k++] = 0;
            if (put_records(&rx, 2, v, pre, k, ext, ext_len) != 0)
                abort();
            e = run(ctx, &io);
        }
    }
    uint16 sent = 0, recv = 0;
    SSLXGetLastAlerts(ctx, &sent, &recv);
    int accepted = e == SSLWouldBlockErr && io.rx_off == rx.len && sent == 0;
    fz_count(accepted ? "accepted" : "refused");
    const char *path = &replay_current_file ? replay_current_file : NULL;
    const char *name = path ? strrchr(path, '/') : NULL;
    name = name ? name + 1 : path;
    if (name && !strncmp(name, "accept-", 7) && !accepted) {
        fprintf(stderr, "fuzz_ext: %s: refused (%s, alert %04x), expected accepted\n", name, SSLXErrorName(e), sent);
        fz_count("mismatched");
    }
    if (name && !strncmp(name, "refuse-", 7)) {
        unsigned want = (unsigned)atoi(name + 7);
        if (accepted || sent != (0x0200 | want)) {
            fprintf(stderr, "fuzz_ext: %s: %s (%s, alert %04x), expected refused with fatal alert %u\n", name,
                    accepted ? "accepted" : "refused", SSLXErrorName(e), sent, want);
            fz_count("mismatched");
        }
    }
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_ext: %s: %s (%s, alert %04x)\n", name ? name : "-", accepted ? "accepted" : "refused",
                SSLXErrorName(e), sent);
    fz_free_context(ctx);
    free(rx.b);
    free(tx.b);
    return 0;
}
