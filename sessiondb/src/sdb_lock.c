/*
 * sdb_lock.c - the cache's own write lock, taken before every LMDB write transaction so that a
 * write waits at most SDBOptions::writeWaitMs for a stopped or hung writer instead of forever
 * (LMDB's write mutex has no timed acquire): a robust, process-shared pthread mutex in DIR/sdb.lock,
 * mapped by every handle and taken with pthread_mutex_clocklock on CLOCK_MONOTONIC. A holder that
 * died leaves it to the next taker with EOWNERDEAD; the lock guards no data of ours (LMDB's own
 * robust mutex rolls the dead writer's transaction back), so it is marked consistent and taken.
 * The file is initialised by a handle that finds no other user (an exclusive OFD lock, held shared
 * afterwards for the handle's life), so a mutex left locked by a crash is reset at the next start.
 */
#include "sdb.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SDB_LOCK_MAGIC 0x5344424cu  /* "SDBL" */
#define SDB_LOCK_VERSION 1u
#define SDB_LOCK_OPEN_TRIES 2000    /* 1 ms apart: another opener initialising the file */

/* ThreadSanitizer does not intercept pthread_mutex_clocklock (it would see an unlock of a mutex
 * never locked): a TSan build waits on CLOCK_REALTIME instead, which a clock step can stretch. */
#if defined(__SANITIZE_THREAD__)
#define SDB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SDB_TSAN 1
#endif
#endif
#ifndef SDB_TSAN
#define SDB_TSAN 0
#endif
#define SDB_LOCK_CLOCK (SDB_TSAN ? CLOCK_REALTIME : CLOCK_MONOTONIC)

struct sdb_lockfile {
    uint32_t magic;
    uint32_t version;
    uint32_t size;                  /* sizeof(struct sdb_lockfile): same ABI in every user */
    uint32_t pad;
    pthread_mutex_t mutex;
};

static int init_mutex(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (rc)
        return rc;
    if ((rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) == 0 &&
        (rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) == 0)
        rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc;
}

/* Hold an OFD lock on the whole file: exclusive if no other handle holds one (*alone), else
 * shared. Retries while another opener holds it exclusively (it is initialising the file). */
static int become_user(int fd, bool *alone)
{
    for (unsigned i = 0;; i++) {
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_whence = SEEK_SET;
        fl.l_type = F_WRLCK;
        if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
            *alone = true;
            return 0;
        }
        if (errno != EAGAIN && errno != EACCES)
            return errno;
        fl.l_type = F_RDLCK;
        if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
            *alone = false;
            return 0;
        }
        if (errno != EAGAIN && errno != EACCES)
            return errno;
        if (i >= SDB_LOCK_OPEN_TRIES)
            return ETIMEDOUT;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

/* Keep the OFD lock shared (an atomic downgrade: no other opener can slip in). */
static int share(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_whence = SEEK_SET;
    fl.l_type = F_RDLCK;
    return fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : errno;
}

SSLErr sdb_lock_open(SDBCache *c, const char *dir, char *why, size_t whySize)
{
    char path[4096], eb[128];
    struct stat st;
    bool alone = false;
    int rc;
    if (snprintf(path, sizeof path, "%s/sdb.lock", dir) >= (int)sizeof path)
        return sdb_env_why(why, whySize, SSLBadParameterErr, "%s: path too long", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return sdb_env_why(why, whySize, SSLIOErr, "%s: cannot open: %s", path,
                           sdb_env_strerror(errno, eb, sizeof eb));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        return sdb_env_why(why, whySize, SSLBadParameterErr,
                           "%s: not a regular file owned by uid %u; remove it", path,
                           (unsigned)geteuid());
    }
    if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
        rc = errno;
        goto sys_fail;
    }
    if ((rc = become_user(fd, &alone)) != 0)
        goto sys_fail;
    if (alone && ftruncate(fd, sizeof(struct sdb_lockfile)) != 0) {
        rc = errno;
        goto sys_fail;
    }
    if (!alone && (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(struct sdb_lockfile))) {
        close(fd);
        return sdb_env_why(why, whySize, SSLIOErr,
                           "%s: too short while in use by another process (a different version "
                           "of the library?); stop every user of the cache and remove it", path);
    }
    struct sdb_lockfile *lf =
        mmap(NULL, sizeof *lf, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (lf == MAP_FAILED) {
        rc = errno;
        goto sys_fail;
    }
    if (alone) {                       /* nobody else has it open: (re)initialise */
        memset(lf, 0, sizeof *lf);
        if ((rc = init_mutex(&lf->mutex)) == 0) {
            lf->magic = SDB_LOCK_MAGIC;
            lf->version = SDB_LOCK_VERSION;
            lf->size = sizeof *lf;
            rc = share(fd);            /* after the header: the next opener checks it */
        }
        if (rc) {
            munmap(lf, sizeof *lf);
            goto sys_fail;
        }
    } else if (lf->magic != SDB_LOCK_MAGIC || lf->version != SDB_LOCK_VERSION ||
               lf->size != sizeof *lf) {
        munmap(lf, sizeof *lf);
        close(fd);
        return sdb_env_why(why, whySize, SSLIOErr,
                           "%s: written by a different version of the library, which still "
                           "has it open; stop every user of the cache", path);
    }
    c->lock = lf;
    c->lockFd = fd;
    return SSLNoErr;
sys_fail:
    close(fd);
    return sdb_env_why(why, whySize, SSLIOErr, "%s: %s", path,
                       sdb_env_strerror(rc, eb, sizeof eb));
}

void sdb_lock_close(SDBCache *c)
{
    /* Also in a fork child: unmapping and closing its copies touches neither the parent's lock
     * (the OFD lock lives until the parent's descriptor closes too) nor the mutex. */
    if (c->lock)
        munmap(c->lock, sizeof *c->lock);
    if (c->lockFd >= 0)
        close(c->lockFd);
    c->lock = NULL;
    c->lockFd = -1;
}

/* Take the write lock within @p waitMs (0: only try). 0, ETIMEDOUT, or another errno
 * (ENOTRECOVERABLE: see docs/sessiondb.md). */
int sdb_lock_take(SDBCache *c, unsigned waitMs)
{
    int rc;
    if (waitMs == 0) {
        rc = pthread_mutex_trylock(&c->lock->mutex);
    } else {
        struct timespec t;
        clock_gettime(SDB_LOCK_CLOCK, &t);
        t.tv_sec += waitMs / 1000;
        t.tv_nsec += (long)(waitMs % 1000) * 1000000;
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
#if SDB_TSAN
        rc = pthread_mutex_timedlock(&c->lock->mutex, &t);
#else
        rc = pthread_mutex_clocklock(&c->lock->mutex, CLOCK_MONOTONIC, &t);
#endif
    }
    if (rc == EOWNERDEAD) {            /* the holder died; LMDB rolls its transaction back */
        rc = pthread_mutex_consistent(&c->lock->mutex);
        if (rc)
            pthread_mutex_unlock(&c->lock->mutex);
    }
    return rc == EBUSY ? ETIMEDOUT : rc;
}

void sdb_lock_give(SDBCache *c)
{
    pthread_mutex_unlock(&c->lock->mutex);
}
