/*
 * replay_main.c - standalone driver for the fuzz harnesses without libFuzzer: runs every file named
 * on the command line (directories: every regular file inside, in name order) through
 * LLVMFuzzerTestOneInput once. Built with ASan+UBSan, a crash, leak or UB report fails the run; a
 * run that found no input at all fails too, so an emptied corpus cannot pass silently.
 * Options (handshake harnesses): --min FILE fails unless each suite family listed there has at least
 * that many inputs that passed the Finished check; --suites FILE fails when the library's suite
 * table differs from the one the seeds were recorded with (fuzz_common.h, scripts/regen-fuzz-seeds.sh).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fz_check_minimums(const char *min_file) __attribute__((weak));
int fz_check_suites(const char *file) __attribute__((weak));

/* The file being replayed, for harnesses that check per-file expectations (fuzz_ext.c). */
const char *replay_current_file;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 > cap) {
            uint8_t *nb = realloc(buf, cap = 2 * cap + 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 65536, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    /* an exact-size copy, so ASan catches a read one byte past the input */
    uint8_t *in = malloc(n ? n : 1);
    if (!in) {
        free(buf);
        return -1;
    }
    memcpy(in, buf, n);
    free(buf);
    replay_current_file = path;
    LLVMFuzzerTestOneInput(in, n);
    replay_current_file = NULL;
    free(in);
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_dir(const char *dir, long *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = 2 * cap + 64) * sizeof *names);
            if (!nn)
                abort();
            names = nn;
        }
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(l)))
            abort();
        snprintf(names[n++], l, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) != 0)
                rc = -1;
            else
                (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    long count = 0;
    int rc = 0;
    const char *min_file = NULL, *suites_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && (!strcmp(argv[i], "--min") || !strcmp(argv[i], "--suites"))) {
            *(argv[i][2] == 'm' ? &min_file : &suites_file) = argv[i + 1];
            i++;
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: no such file or directory (skipped)\n", argv[i]);
            continue;
        }
        if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) != 0 : run_file(argv[i]) != 0)
            rc = 1;
        else if (!S_ISDIR(st.st_mode))
            count++;
    }
    printf("replay: %ld inputs\n", count);
    if (suites_file && (!fz_check_suites || fz_check_suites(suites_file) != 0))
        rc = 1;
    if (min_file && (!fz_check_minimums || fz_check_minimums(min_file) != 0))
        rc = 1;
    if (count == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    return rc;
}
