/*
 * sdb_ops.c - the three session callbacks (SSLAddSessionFunc, SSLGetSessionFunc and
 * SSLDeleteSessionFunc shapes, ssl.h), each one short LMDB transaction. Get runs in a pooled read
 * transaction and takes no lock; add and delete run in a write transaction that keeps the record,
 * its expiry-index entry and the shared byte counter in step. A full map is answered by waiting
 * for readers that pin freed pages and by evicting the entries that expire first, then retrying;
 * a write fails only if the map stays full. No user callback runs inside a transaction.
 */
#include "sdb.h"
#include <stdlib.h>
#include <string.h>

#define SDB_ADD_EVICTIONS 8    /* eviction batches one add may run after a full map */
#define SDB_GET_STACK 2048     /* values up to this size are copied out through the stack */
#define SDB_EXPIRE_PER_ADD 4   /* expired entries removed in passing by each add */

static bool key_ok(SSLBuffer key)
{
    return key.data && key.length > 0 && key.length <= SDB_MAX_KEY;
}

/* One write of the cache: run() works inside a write transaction, which is committed if it
 * returns 0 and aborted otherwise. The fields are run()'s inputs and results. */
struct write_op {
    int (*run)(SDBCache *c, struct sdb_wtx *w, struct write_op *op);
    MDB_val key;
    SSLBuffer data;    /* add: the value */
    uint64_t now;
    bool only_stale;   /* remove: only if expired or corrupt */
    bool live;         /* remove: the entry was valid and had not expired */
};

static int write_once(SDBCache *c, struct write_op *op)
{
    struct sdb_wtx w;
    int rc = sdb_evict_begin(c, &w);
    if (rc)
        return rc;
    if ((rc = op->run(c, &w, op)) != 0) {
        sdb_evict_abort(c, &w);
        return rc;
    }
    return sdb_evict_commit(c, &w);
}

/* After a full map: evict a few of the entries that expire first (few, because each eviction
 * dirties a page of its own; see sdb_evict_budget). */
static int evict_batch(SDBCache *c, struct sdb_wtx *w, struct write_op *op)
{
    return sdb_evict_head(c, w, SDB_GUARD_BATCH, op->now, false, NULL);
}

/* write_once, again after a full map while sdb_env_full_wait lets it; with @p evict (adds), a
 * batch of evictions between tries as well, in case the map is full of live entries. */
static int write_retry(SDBCache *c, struct write_op *op, bool evict)
{
    unsigned waited = 0, evictions = 0;
    int rc;
    while ((rc = write_once(c, op)) == MDB_MAP_FULL && sdb_env_full_wait(c, &waited)) {
        if (!evict || evictions >= SDB_ADD_EVICTIONS)
            continue;
        struct write_op room = {.run = evict_batch, .now = op->now};
        int r = write_once(c, &room);
        if (r == 0)
            evictions++;
        else if (r != MDB_MAP_FULL)
            return r;
    }
    return rc;
}

static int add_run(SDBCache *c, struct sdb_wtx *w, struct write_op *op)
{
    MDB_val old, val, ikey;
    uint8 ibuf[8 + SDB_MAX_KEY];
    int rc = sdb_evict_head(c, w, SDB_EXPIRE_PER_ADD, op->now, true, NULL);
    if (rc)
        return rc;
    rc = mdb_get(w->txn, c->sess, &op->key, &old);
    if (rc == MDB_SUCCESS)             /* replace: the put below overwrites the record */
        rc = sdb_evict_unindex(c, w, &op->key, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    uint64_t expiry = op->now + c->lifetime;
    val.mv_size = sdb_record_size(op->data.length);
    val.mv_data = NULL;
    if ((rc = mdb_put(w->txn, c->sess, &op->key, &val, MDB_RESERVE)) != 0)
        return rc;
    sdb_record_write(val.mv_data, &op->key, expiry, op->data.data, op->data.length);
    sdb_record_index_key(ibuf, expiry, &op->key, &ikey);
    if ((rc = mdb_put(w->txn, c->index, &ikey, &(MDB_val){0, NULL}, 0)) != 0)
        return rc;
    w->cnt.bytes += sdb_record_cost(op->key.mv_size, val.mv_size);
    return sdb_evict_budget(c, w, op->now);
}

/* Remove the entry under the key (MDB_NOTFOUND if there is none, or if only_stale and it is
 * valid and unexpired: another writer may have replaced it since a read saw it stale). */
static int remove_run(SDBCache *c, struct sdb_wtx *w, struct write_op *op)
{
    struct sdb_rec rec;
    MDB_val val;
    int rc = mdb_get(w->txn, c->sess, &op->key, &val);
    if (rc)
        return rc;
    bool valid = sdb_record_check(&op->key, &val, &rec);
    op->live = valid && rec.expiry > op->now;
    if (op->live && op->only_stale)
        return MDB_NOTFOUND;
    if (valid && !op->live)
        w->cnt.expired++;
    return sdb_evict_remove(c, w, &op->key, &val);
}

SSLErr SDBAddSession(SSLBuffer sessionKey, SSLBuffer sessionData, void *sessionRef)
{
    SDBCache *c = sessionRef;
    uint64_t now;
    if (!c || !key_ok(sessionKey) || sessionData.length > SDB_MAX_VALUE ||
        (sessionData.length && !sessionData.data))
        return SSLBadParameterErr;
    if (sdb_record_size(sessionData.length) + sessionKey.length > c->maxValue)
        return SSLMemoryErr;           /* would empty the cache and still not fit */
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    sdb_env_reader_check_maybe(c, now);
    struct write_op op = {.run = add_run, .key = {sessionKey.length, sessionKey.data},
                          .data = sessionData, .now = now};
    return sdb_env_err(c, write_retry(c, &op, true));
}

/* Counted after the read slot is released, when another thread may already hold it: a locked
 * add, on the slot's own cache line so that threads do not contend on one counter. */
static void count(SDBCache *c, struct sdb_slot *slot, bool hit)
{
    atomic_uint_least64_t *p = slot ? (hit ? &slot->hits : &slot->misses)
                                    : (hit ? &c->hits : &c->misses);
    atomic_fetch_add_explicit(p, 1, memory_order_relaxed);
}

SSLErr SDBGetSession(SSLBuffer sessionKey, SSLBuffer *sessionData, void *sessionRef)
{
    SDBCache *c = sessionRef;
    struct sdb_slot *slot;
    struct sdb_rec rec;
    MDB_txn *txn;
    MDB_val val;
    uint64_t now;
    if (!sessionData)
        return SSLBadParameterErr;
    sessionData->data = NULL;
    sessionData->length = 0;
    if (!c || !key_ok(sessionKey))
        return SSLBadParameterErr;
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    MDB_val key = {sessionKey.length, sessionKey.data};
    int rc = sdb_env_read_begin(c, &slot, &txn);
    if (rc)
        return sdb_env_err(c, rc);
    bool stale = false;
    uint8 stack[SDB_GET_STACK], *copy = stack;
    uint32 length = 0;
    rc = mdb_get(txn, c->sess, &key, &val);
    if (rc == MDB_SUCCESS) {
        if (!sdb_record_check(&key, &val, &rec)) {
            atomic_fetch_add_explicit(&c->corrupt, 1, memory_order_relaxed);
            stale = true;
        } else if (rec.expiry <= now) {
            stale = true;
        } else {                       /* copy out: the user's alloc runs after the read ends */
            length = rec.length;
            if (length > sizeof stack && !(copy = malloc(length)))
                err = SSLMemoryErr;
            else
                memcpy(copy, rec.data, length);
        }
    }
    sdb_env_read_end(c, slot, txn);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return sdb_env_err(c, rc);
    if (rc == MDB_NOTFOUND || stale) {
        count(c, slot, false);
        if (stale) {                   /* best effort: a later get or add retries */
            struct write_op op = {.run = remove_run, .key = key, .now = now, .only_stale = true};
            (void)write_once(c, &op);
        }
        return SSLNoMatchingSessionKeyErr;
    }
    if (err == SSLNoErr) {
        sessionData->length = length;
        err = c->opt.alloc(sessionData, c->opt.allocRef);
        if (err == SSLNoErr && !sessionData->data)
            err = SSLMemoryErr;
        if (err == SSLNoErr && length)
            memcpy(sessionData->data, copy, length);
        explicit_bzero(copy, length);  /* the value holds a master secret */
    }
    if (copy != stack)
        free(copy);
    if (err != SSLNoErr) {
        sessionData->data = NULL;
        sessionData->length = 0;
        return err;
    }
    count(c, slot, true);
    return SSLNoErr;
}

SSLErr SDBDeleteSession(SSLBuffer sessionKey, void *sessionRef)
{
    SDBCache *c = sessionRef;
    uint64_t now;
    if (!c || !key_ok(sessionKey))
        return SSLBadParameterErr;
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    struct write_op op = {.run = remove_run, .key = {sessionKey.length, sessionKey.data},
                          .now = now};
    int rc = write_retry(c, &op, false);
    if (rc)
        return sdb_env_err(c, rc);
    return op.live ? SSLNoErr : SSLNoMatchingSessionKeyErr;
}
