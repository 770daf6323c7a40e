/*
 * sdb_ticket.c - the session-ticket key ring (SDBTicketKey, sessiondb.h) in the cache's meta
 * table: one key per period of ticketRotate seconds under "tk" || period (8 bytes, big-endian),
 * created by the first caller inside one LMDB write transaction (under the cache's write lock, so
 * racing processes agree: the transaction re-reads before it writes), and keys older than
 * ticketKeep periods removed by the same transaction. The key name starts with its period, so a
 * lookup is one get, and a name from outside the ring is refused without a lookup.
 */
#include "sdb.h"
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define TK_KEYLEN 10

static void tk_key(uint8 out[TK_KEYLEN], uint64_t period, MDB_val *v)
{
    out[0] = 't';
    out[1] = 'k';
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8)(period >> (56 - 8 * i));
    v->mv_size = TK_KEYLEN;
    v->mv_data = out;
}

uint64_t sdb_tk_name_period(const uint8 name[SDB_TICKET_NAME])
{
    uint64_t p = 0;
    for (int i = 0; i < 8; i++)
        p = p << 8 | name[i];
    return p;
}

SSLErr sdb_tk_now(SDBCache *c, struct sdb_tk_now *t)
{
    uint64_t now;
    SSLErr e = sdb_env_now(c, &now);
    if (e)
        return e;
    t->rotate = c->opt.ticketRotate ? c->opt.ticketRotate : 3600;
    t->keep = c->opt.ticketKeep;
    t->period = now / t->rotate;
    return SSLNoErr;
}

SSLErr sdb_tk_make(uint64_t period, uint8 rec[SDB_TK_REC])
{
    for (int i = 0; i < 8; i++)
        rec[i] = (uint8)(period >> (56 - 8 * i));
    size_t got = 8;
    while (got < SDB_TK_REC) {
        ssize_t k = getrandom(rec + got, SDB_TK_REC - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return SSLUnknownErr;
        got += (size_t)k;
    }
    return SSLNoErr;
}

int sdb_tk_get(SDBCache *c, uint64_t period, uint8 rec[SDB_TK_REC])
{
    struct sdb_slot *slot;
    MDB_txn *txn;
    MDB_val k, v;
    uint8 kb[TK_KEYLEN];
    tk_key(kb, period, &k);
    int rc = sdb_env_read_begin(c, &slot, &txn);
    if (rc)
        return rc;
    rc = mdb_get(txn, c->meta, &k, &v);
    if (rc == 0 && v.mv_size != SDB_TK_REC)
        rc = MDB_NOTFOUND;             /* not ours: treated as absent, replaced by a put */
    if (rc == 0)
        memcpy(rec, v.mv_data, SDB_TK_REC);
    sdb_env_read_end(c, slot, txn);
    return rc;
}

int sdb_tk_put(SDBCache *c, uint64_t period, const uint8 cand[SDB_TK_REC],
               uint8 out[SDB_TK_REC], uint64_t oldest)
{
    MDB_txn *txn;
    MDB_val k, v;
    uint8 kb[TK_KEYLEN];
    unsigned wait = c->opt.writeWaitMs > SDB_TK_WAIT_MS ? c->opt.writeWaitMs : SDB_TK_WAIT_MS;
    int rc = sdb_env_write_begin(c, wait, &txn);
    if (rc)
        return rc;
    tk_key(kb, period, &k);
    rc = mdb_get(txn, c->meta, &k, &v);
    if (rc == 0 && v.mv_size == SDB_TK_REC) {
        memcpy(out, v.mv_data, SDB_TK_REC);   /* another process was first */
    } else if (rc == 0 || rc == MDB_NOTFOUND) {
        v.mv_size = SDB_TK_REC;
        v.mv_data = (void *)cand;
        rc = mdb_put(txn, c->meta, &k, &v, 0);
        if (rc == 0)
            memcpy(out, cand, SDB_TK_REC);
    }
    if (rc == 0) {                    /* prune: every "tk" key of a period before oldest */
        MDB_cursor *cur;
        uint8 lo[TK_KEYLEN];
        uint64_t old[64];
        unsigned n = 0;
        MDB_val ck;
        tk_key(lo, 0, &ck);
        if ((rc = mdb_cursor_open(txn, c->meta, &cur)) == 0) {
            int r = mdb_cursor_get(cur, &ck, &v, MDB_SET_RANGE);
            while (r == 0 && n < 64 && ck.mv_size == TK_KEYLEN &&
                   memcmp(ck.mv_data, "tk", 2) == 0 &&
                   sdb_tk_name_period((const uint8 *)ck.mv_data + 2) < oldest) {
                old[n++] = sdb_tk_name_period((const uint8 *)ck.mv_data + 2);
                r = mdb_cursor_get(cur, &ck, &v, MDB_NEXT);
            }
            mdb_cursor_close(cur);
            if (r != 0 && r != MDB_NOTFOUND)
                rc = r;
        }
        for (unsigned i = 0; i < n && rc == 0; i++) {
            tk_key(lo, old[i], &ck);
            rc = mdb_del(txn, c->meta, &ck, NULL);
        }
    }
    if (rc) {
        sdb_env_write_abort(c, txn);
        return rc;
    }
    return sdb_env_write_commit(c, txn);
}

int sdb_tk_store(SDBCache *c, uint64_t period, const uint8 cand[SDB_TK_REC],
                 uint8 out[SDB_TK_REC], uint64_t oldest)
{
    int rc = sdb_tk_put(c, period, cand, out, oldest);
    /* the write lock stayed busy (many processes at the start of a period, or a stopped
     * writer): the first of them has most likely stored the key meanwhile */
    for (int i = 0; rc != 0 && i < 3; i++) {
        if (sdb_tk_get(c, period, out) == 0)
            return 0;
        rc = sdb_tk_put(c, period, cand, out, oldest);
    }
    return rc;
}

SSLErr SDBTicketKey(void *ref, int seal, uint8 name[16], uint8 key[32])
{
    SDBCache *c = ref;
    struct sdb_tk_now t;
    uint8 rec[SDB_TK_REC], cand[SDB_TK_REC];
    if (!c || !name || !key)
        return SSLBadParameterErr;
    SSLErr e = sdb_tk_now(c, &t);
    if (e)
        return e;
    uint64_t period = seal ? t.period : sdb_tk_name_period(name);
    if (!seal && (period > t.period + 1 || period + t.keep < t.period))
        return SSLNoMatchingSessionKeyErr;   /* outside the ring */
    int rc = sdb_tk_get(c, period, rec);
    if (rc == MDB_NOTFOUND && seal) {
        if ((e = sdb_tk_make(period, cand)) != SSLNoErr)
            return e;
        rc = sdb_tk_store(c, period, cand, rec, period > t.keep ? period - t.keep : 0);
        explicit_bzero(cand, sizeof cand);
    }
    if (rc == 0 && !seal && memcmp(rec, name, SDB_TICKET_NAME) != 0)
        rc = MDB_NOTFOUND;
    if (rc == 0) {
        if (seal)
            memcpy(name, rec, SDB_TICKET_NAME);
        memcpy(key, rec + SDB_TICKET_NAME, SDB_TICKET_KEY);
    }
    explicit_bzero(rec, sizeof rec);
    return sdb_env_err(c, rc);
}
