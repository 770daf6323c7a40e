/*
 * bench_proc.c - what a local server costs, for sslref-bench --server-pid: the CPU time (utime +
 * stime, every thread) and resident memory of a process and all its descendants (worker processes
 * of a multi-process server), read from /proc/PID/stat and /proc/PID/status. Linux only.
 */
#include "bench.h"
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_MAX 4096

/* The parent pid and user+system ticks of @p pid from /proc/PID/stat; -1 if it is gone. */
static int proc_stat(int pid, int *ppid, unsigned long long *ticks)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!p)
        return -1;
    unsigned long long ut = 0, st = 0;
    /* after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", ppid, &ut, &st) != 3)
        return -1;
    *ticks = ut + st;
    return 0;
}

static long proc_rss_kb(int pid)
{
    char path[64], line[256];
    long kb = 0;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = atol(line + 6);
            break;
        }
    fclose(f);
    return kb;
}

int bench_proc_sample(int pid, struct bench_proc *out)
{
    int pids[PROC_MAX], ppids[PROC_MAX];
    memset(out, 0, sizeof *out);
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    unsigned long long ticks;
    while ((e = readdir(d)) && n < PROC_MAX) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        int p = atoi(e->d_name), pp;
        if (proc_stat(p, &pp, &ticks) == 0) {
            pids[n] = p;
            ppids[n++] = pp;
        }
    }
    closedir(d);
    /* the tree: pid, then every process whose parent is already in it (repeat until stable) */
    int tree[PROC_MAX], nt = 0, grew = 1;
    tree[nt++] = pid;
    while (grew) {
        grew = 0;
        for (int i = 0; i < n; i++) {
            int in = 0, parent = 0;
            for (int k = 0; k < nt; k++) {
                in |= tree[k] == pids[i];
                parent |= tree[k] == ppids[i];
            }
            if (parent && !in && nt < PROC_MAX) {
                tree[nt++] = pids[i];
                grew = 1;
            }
        }
    }
    long hz = sysconf(_SC_CLK_TCK);
    for (int k = 0; k < nt; k++) {
        int pp;
        unsigned long long t;
        if (proc_stat(tree[k], &pp, &t) != 0)
            continue;
        out->cpu_s += (double)t / (double)(hz > 0 ? hz : 100);
        out->rss_kb += proc_rss_kb(tree[k]);
        out->procs++;
    }
    return out->procs ? 0 : -1;
}
