/*
 * io.h - the stream beneath both handshakes and the data calls; io.c is the only file that calls
 * the Read/Write callbacks. Output is flushed before any read; a would-block at any byte returns
 * with every buffer intact, so the same call resumes exactly.
 * Incoming records are turned into units for the handshake driver: a whole handshake message
 * (reassembled across records, or one of several in a record), a ChangeCipherSpec, or an alert.
 */
#ifndef SSLREF_IO_H
#define SSLREF_IO_H

#include "state/ctx.h"

enum unit_kind { U_HANDSHAKE = 1, U_CCS, U_NO_CERT, U_V2 /* one SSL 2.0 message */ };

struct unit {
    int kind;
    uint8_t hs_type;
    const uint8_t *body; uint32_t len;    /* message body (CCS: the record's bytes) */
    const uint8_t *raw;  uint32_t raw_len; /* handshake: header + body, as hashed */
};

SSLErr io_flush(SSLContext *ctx) SSL_MUST;
/* Next unit of the handshake; reads (after flushing) as needed. */
SSLErr io_next_hs_unit(SSLContext *ctx, struct unit *u) SSL_MUST;
/* Drop the unit returned last (after it was handled). */
void io_consume_unit(SSLContext *ctx, const struct unit *u);
/* Make the next record current, decrypted in place (reads after flushing, as needed). */
SSLErr io_read_record(SSLContext *ctx) SSL_MUST;
/* The current record is used up: the next read starts after it. */
void io_rec_done(SSLContext *ctx);
/* Interpret the current alert record: SSLNoErr for ignored warnings (*no_cert set for
 * no_certificate), or the error that ends the connection (fatal alert, close_notify). */
SSLErr io_alerts(SSLContext *ctx, int *no_cert) SSL_MUST;
/* An idle connection (nothing buffered either way) gives its record buffers back; they are
 * allocated again on demand, so an idle connection costs the context and its cipher states. */
void io_release_idle(SSLContext *ctx);

#endif
