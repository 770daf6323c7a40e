/*
 * sdb_evict.c - write transactions of the session cache and everything that removes entries:
 * the shared counters (meta table), removal of one entry with its index entry, eviction from the
 * head of the expiry index (entries that expire first go first), the entry/byte budgets,
 * SDBPurge, SDBVerify (full scan) and SDBGetStats. Does not add or read sessions.
 */
#include "sdb.h"
#include <string.h>

static const MDB_val counters_key = {8, "counters"};

int sdb_evict_begin(SDBCache *c, struct sdb_wtx *w)
{
    MDB_val v;
    memset(w, 0, sizeof *w);
    int rc = sdb_env_write_begin(c, c->opt.writeWaitMs, &w->txn);
    if (rc)
        return rc;
    rc = mdb_get(w->txn, c->meta, (MDB_val *)&counters_key, &v);
    if (rc == MDB_SUCCESS && v.mv_size == sizeof w->cnt)
        memcpy(&w->cnt, v.mv_data, sizeof w->cnt);
    else if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        sdb_evict_abort(c, w);
        return rc;
    }
    return MDB_SUCCESS;
}

int sdb_evict_commit(SDBCache *c, struct sdb_wtx *w)
{
    MDB_val v = {sizeof w->cnt, &w->cnt};
    int rc = mdb_put(w->txn, c->meta, (MDB_val *)&counters_key, &v, 0);
    if (rc) {
        sdb_evict_abort(c, w);
        return rc;
    }
    rc = sdb_env_write_commit(c, w->txn);
    w->txn = NULL;
    return rc;
}

void sdb_evict_abort(SDBCache *c, struct sdb_wtx *w)
{
    sdb_env_write_abort(c, w->txn);
    w->txn = NULL;
}

/* Forget the record @p val stored under @p key: its index entry (if the record is valid, else it
 * has none that can be found) and its share of the byte counter. The record itself stays. */
int sdb_evict_unindex(SDBCache *c, struct sdb_wtx *w, const MDB_val *key, const MDB_val *val)
{
    struct sdb_rec rec;
    uint64_t cost = sdb_record_cost(key->mv_size, val->mv_size);
    w->cnt.bytes = w->cnt.bytes > cost ? w->cnt.bytes - cost : 0;
    if (!sdb_record_check(key, val, &rec))
        return MDB_SUCCESS;
    uint8 buf[8 + SDB_MAX_KEY];
    MDB_val ikey;
    sdb_record_index_key(buf, rec.expiry, key, &ikey);
    int rc = mdb_del(w->txn, c->index, &ikey, NULL);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Remove the record @p val stored under @p key with its index entry. */
int sdb_evict_remove(SDBCache *c, struct sdb_wtx *w, const MDB_val *key, const MDB_val *val)
{
    int rc = sdb_evict_unindex(c, w, key, val);
    return rc ? rc : mdb_del(w->txn, c->sess, (MDB_val *)key, NULL);
}

/*
 * Remove up to @p limit entries from the head of the expiry index; with @p onlyExpired stop at
 * the first entry that has not expired at @p now. Index entries whose record is gone or does not
 * carry the same expiry are dropped without counting. *removed counts records removed.
 */
int sdb_evict_head(SDBCache *c, struct sdb_wtx *w, uint64_t limit, uint64_t now, bool onlyExpired,
                   uint64_t *removed)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(w->txn, c->index, &cur);
    if (rc)
        return rc;
    uint64_t n = 0;
    while (n < limit) {
        MDB_val ikey, idata, key, val;
        uint64_t expiry;
        struct sdb_rec rec;
        rc = mdb_cursor_get(cur, &ikey, &idata, MDB_FIRST);
        if (rc)
            break;
        bool ok = sdb_record_index_split(&ikey, &expiry, &key);
        if (ok && onlyExpired && expiry > now)
            break;
        uint8 kbuf[SDB_MAX_KEY];
        if (ok) {                      /* copy: the key lives in a page the deletes may move */
            memcpy(kbuf, key.mv_data, key.mv_size);
            key.mv_data = kbuf;
        }
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        if (!ok)
            continue;
        rc = mdb_get(w->txn, c->sess, &key, &val);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc)
            break;
        if (sdb_record_check(&key, &val, &rec) && rec.expiry != expiry)
            continue;                  /* a stale index entry; the record has its own */
        uint64_t cost = sdb_record_cost(key.mv_size, val.mv_size);
        if ((rc = mdb_del(w->txn, c->sess, &key, NULL)) != 0)
            break;
        w->cnt.bytes = w->cnt.bytes > cost ? w->cnt.bytes - cost : 0;
        if (expiry <= now)
            w->cnt.expired++;
        else
            w->cnt.evictions++;
        n++;
    }
    mdb_cursor_close(cur);
    if (removed)
        *removed = n;
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Pages of the map in use by the trees (the free list's own pages included, its free pages not). */
static int live_pages(SDBCache *c, MDB_txn *txn, size_t *pages)
{
    const MDB_dbi dbis[5] = {0, 1, c->sess, c->index, c->meta}; /* FREE_DBI, MAIN_DBI, ours */
    *pages = 2;                                                  /* the two meta pages */
    for (unsigned i = 0; i < 5; i++) {
        MDB_stat st;
        int rc = mdb_stat(txn, dbis[i], &st);
        if (rc)
            return rc;
        *pages += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    return MDB_SUCCESS;
}

/*
 * Evict from the head until the entry and byte budgets hold, and by at most SDB_GUARD_BATCH
 * entries while the trees exceed c->pageLimit (3/4 of the map). Sessions are keyed at random,
 * so each eviction dirties its own leaf page: evicting a lot in one transaction would itself
 * fill the map (LMDB cannot reuse pages freed by the last two commits). The byte budget (2/5 of
 * the map by default) keeps the trees well below the guard; the guard is the backstop.
 */
int sdb_evict_budget(SDBCache *c, struct sdb_wtx *w, uint64_t now)
{
    bool guarded = false;
    for (;;) {
        MDB_stat st;
        size_t pages;
        int rc = mdb_stat(w->txn, c->sess, &st);
        if (rc || (rc = live_pages(c, w->txn, &pages)) != 0)
            return rc;
        uint64_t batch = 0;
        if (c->maxEntries && st.ms_entries > c->maxEntries)
            batch = st.ms_entries - c->maxEntries;
        else if (c->maxBytes && w->cnt.bytes > c->maxBytes)
            batch = 1;
        else if (pages > c->pageLimit && !guarded) {
            batch = SDB_GUARD_BATCH;
            guarded = true;
        }
        if (batch == 0 || st.ms_entries == 0)
            return MDB_SUCCESS;
        uint64_t n = 0;
        if ((rc = sdb_evict_head(c, w, batch, now, false, &n)) != 0)
            return rc;
        if (n == 0) {                  /* index empty or only stale entries: cannot shrink */
            MDB_stat ist;
            if ((rc = mdb_stat(w->txn, c->index, &ist)) != 0 || ist.ms_entries == 0)
                return rc;
        }
    }
}

SSLErr SDBPurge(SDBCache *c, uint64_t *removed)
{
    struct sdb_wtx w;
    uint64_t now, n = 0;
    if (removed)
        *removed = 0;
    if (!c)
        return SSLBadParameterErr;
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    int rc = sdb_evict_begin(c, &w);
    if (rc)
        return sdb_env_err(c, rc);
    rc = sdb_evict_head(c, &w, UINT64_MAX, now, true, &n);
    if (rc) {
        sdb_evict_abort(c, &w);
        return sdb_env_err(c, rc);
    }
    if ((rc = sdb_evict_commit(c, &w)) != 0)
        return sdb_env_err(c, rc);
    if (removed)
        *removed = n;
    return SSLNoErr;
}

/* ---- full scan ---- */

static int scan_sessions(SDBCache *c, MDB_txn *txn, uint64_t now, SDBVerifyReport *r, bool repair)
{
    MDB_cursor *cur;
    MDB_val key, val, ikey, idata;
    struct sdb_rec rec;
    uint8 buf[8 + SDB_MAX_KEY];
    int rc = mdb_cursor_open(txn, c->sess, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        r->entries++;
        if (key.mv_size == 0 || key.mv_size > SDB_MAX_KEY || !sdb_record_check(&key, &val, &rec)) {
            r->corrupt++;
            if (repair && (rc = mdb_cursor_del(cur, 0)) != 0)
                break;
            continue;
        }
        r->valid++;
        if (rec.expiry <= now)
            r->expired++;
        sdb_record_index_key(buf, rec.expiry, &key, &ikey);
        rc = mdb_get(txn, c->index, &ikey, &idata);
        if (rc == MDB_NOTFOUND) {
            r->unindexed++;
            if (repair && (rc = mdb_put(txn, c->index, &ikey, &(MDB_val){0, NULL}, 0)) != 0)
                break;
        } else if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

static int scan_index(SDBCache *c, MDB_txn *txn, SDBVerifyReport *r, bool repair)
{
    MDB_cursor *cur;
    MDB_val ikey, idata, key, val;
    struct sdb_rec rec;
    uint64_t expiry;
    int rc = mdb_cursor_open(txn, c->index, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &ikey, &idata, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &ikey, &idata, MDB_NEXT)) {
        r->indexed++;
        bool ok = sdb_record_index_split(&ikey, &expiry, &key);
        if (ok) {
            rc = mdb_get(txn, c->sess, &key, &val);
            if (rc && rc != MDB_NOTFOUND)
                break;
            ok = rc == 0 && sdb_record_check(&key, &val, &rec) && rec.expiry == expiry;
        }
        if (!ok) {
            r->dangling++;
            if (repair && (rc = mdb_cursor_del(cur, 0)) != 0)
                break;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

SSLErr SDBVerify(SDBCache *c, SDBVerifyReport *r, int repair)
{
    uint64_t now;
    if (!c || !r)
        return SSLBadParameterErr;
    memset(r, 0, sizeof *r);
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    MDB_txn *txn;
    int rc = repair ? sdb_env_write_begin(c, c->opt.writeWaitMs, &txn)
                    : mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return sdb_env_err(c, rc);
    if ((rc = scan_index(c, txn, r, repair != 0)) != 0 ||
        (rc = scan_sessions(c, txn, now, r, repair != 0)) != 0) {
        if (repair)
            sdb_env_write_abort(c, txn);
        else
            mdb_txn_abort(txn);
        return sdb_env_err(c, rc);
    }
    if (!repair) {
        mdb_txn_abort(txn);
        return SSLNoErr;
    }
    return sdb_env_err(c, sdb_env_write_commit(c, txn));
}

SSLErr SDBGetStats(SDBCache *c, SDBStats *s)
{
    MDB_txn *txn;
    MDB_stat st;
    MDB_envinfo info;
    MDB_val v;
    if (!c || !s)
        return SSLBadParameterErr;
    memset(s, 0, sizeof *s);
    int rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return sdb_env_err(c, rc);
    if ((rc = mdb_stat(txn, c->sess, &st)) != 0) {
        mdb_txn_abort(txn);
        return sdb_env_err(c, rc);
    }
    s->entries = st.ms_entries;
    rc = mdb_get(txn, c->meta, (MDB_val *)&counters_key, &v);
    if (rc == 0 && v.mv_size == sizeof(struct sdb_counters)) {
        struct sdb_counters cnt;
        memcpy(&cnt, v.mv_data, sizeof cnt);
        s->bytes = cnt.bytes;
        s->evictions = cnt.evictions;
        s->expired = cnt.expired;
    }
    mdb_txn_abort(txn);
    if ((rc = mdb_env_info(c->env, &info)) != 0 || (rc = mdb_env_stat(c->env, &st)) != 0)
        return sdb_env_err(c, rc);
    s->mapSize = info.me_mapsize;
    s->mapUsed = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    s->maxReaders = info.me_maxreaders;
    s->readersUsed = info.me_numreaders;
    s->hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
    s->misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
    for (unsigned i = 0; i < SDB_SLOTS; i++) {
        s->hits += atomic_load_explicit(&c->slots[i].hits, memory_order_relaxed);
        s->misses += atomic_load_explicit(&c->slots[i].misses, memory_order_relaxed);
    }
    s->corrupt = atomic_load_explicit(&c->corrupt, memory_order_relaxed);
    s->lastError = atomic_load_explicit(&c->lastError, memory_order_relaxed);
    return SSLNoErr;
}
