/*
 * The floor under every sequential figure of BenchRun: two processes and two pipes, a message of
 * SIZE bytes sent back and forth, one round trip at a time, no JSON and no runtime. The parent
 * times each round trip; the child echoes what it reads until its stdin pipe ends.
 *
 *   pipe-ping-pong SIZE SECONDS MAX_ROUNDS IDLE_MS
 *
 * "warm": round trips back to back for SECONDS or MAX_ROUNDS, whichever ends first; then "cold":
 * the same, but each round trip after IDLE_MS of sleep, so that both processes have blocked long
 * enough for an idle CPU to drop into a sleep state and the wake-up is part of the round trip.
 * Before the warm phase, 100 round trips that are not timed. Prints one line:
 *
 *   warm N SECONDS P50_US P99_US cold N SECONDS P50_US P99_US
 *
 * (N round trips in SECONDS, idle time included; median and p99 latency in microseconds).
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "pipe-ping-pong: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Reads exactly n bytes; returns 0 at end of input before the first byte, else 1. */
static int read_all(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            die("read");
        }
        if (k == 0) {
            if (got == 0) {
                return 0;
            }
            errno = EPIPE;
            die("read: message cut short");
        }
        got += (size_t) k;
    }
    return 1;
}

static void write_all(int fd, const char *buf, size_t n) {
    size_t put = 0;
    while (put < n) {
        ssize_t k = write(fd, buf + put, n - put);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            die("write");
        }
        put += (size_t) k;
    }
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    long long x = *(const long long *) a;
    long long y = *(const long long *) b;
    return (x > y) - (x < y);
}

/* Round trips for `seconds` or `max_rounds`, each after `idle_ms` of sleep; prints "N SECONDS P50 P99". */
static void phase(const char *name, int to_child, int from_child, char *buf, size_t size, double seconds,
        long max_rounds, long idle_ms) {
    size_t cap = 1024;
    size_t n = 0;
    long long *lat = malloc(cap * sizeof *lat);
    if (lat == NULL) {
        die("malloc");
    }
    struct timespec idle = {idle_ms / 1000, (idle_ms % 1000) * 1000000L};
    long long start = now_ns();
    long long deadline = start + (long long) (seconds * 1e9);
    while ((long) n < max_rounds && now_ns() < deadline) {
        if (idle_ms > 0) {
            nanosleep(&idle, NULL);
        }
        long long before = now_ns();
        write_all(to_child, buf, size);
        if (!read_all(from_child, buf, size)) {
            errno = EPIPE;
            die("the child ended");
        }
        long long after = now_ns();
        if (n == cap) {
            cap *= 2;
            lat = realloc(lat, cap * sizeof *lat);
            if (lat == NULL) {
                die("realloc");
            }
        }
        lat[n++] = after - before;
    }
    if (n == 0) {
        fprintf(stderr, "pipe-ping-pong: no round trip in the %s phase\n", name);
        exit(1);
    }
    double took = (now_ns() - start) / 1e9;
    qsort(lat, n, sizeof *lat, by_value);
    size_t p99 = (size_t) ((n * 99 + 99) / 100) - 1; /* ceil(n * 0.99) - 1, as BenchRun counts it */
    printf("%s %zu %.6f %.1f %.1f", name, n, took, lat[n / 2] / 1e3, lat[p99] / 1e3);
    free(lat);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: pipe-ping-pong SIZE SECONDS MAX_ROUNDS IDLE_MS\n");
        return 1;
    }
    size_t size = (size_t) strtoul(argv[1], NULL, 10);
    double seconds = strtod(argv[2], NULL);
    long max_rounds = strtol(argv[3], NULL, 10);
    long idle_ms = strtol(argv[4], NULL, 10);
    if (size == 0 || seconds <= 0 || max_rounds <= 0 || idle_ms < 0) {
        fprintf(stderr, "pipe-ping-pong: SIZE, SECONDS and MAX_ROUNDS must be positive, IDLE_MS not negative\n");
        return 1;
    }
    char *buf = malloc(size);
    if (buf == NULL) {
        die("malloc");
    }
    memset(buf, 'x', size);

    int down[2]; /* parent to child */
    int up[2];   /* child to parent */
    if (pipe(down) != 0 || pipe(up) != 0) {
        die("pipe");
    }
    pid_t child = fork();
    if (child < 0) {
        die("fork");
    }
    if (child == 0) {
        /* Only the ends it uses, so that the parent's end of `down` closing means end of input here. */
        close(down[1]);
        close(up[0]);
        while (read_all(down[0], buf, size)) {
            write_all(up[1], buf, size);
        }
        _exit(0);
    }
    close(down[0]);
    close(up[1]);

    for (int i = 0; i < 100; i++) {
        write_all(down[1], buf, size);
        if (!read_all(up[0], buf, size)) {
            errno = EPIPE;
            die("the child ended");
        }
    }
    phase("warm", down[1], up[0], buf, size, seconds, max_rounds, 0);
    printf(" ");
    phase("cold", down[1], up[0], buf, size, seconds, max_rounds, idle_ms);
    printf("\n");
    fflush(stdout);

    close(down[1]);
    int status;
    if (waitpid(child, &status, 0) < 0) {
        die("waitpid");
    }
    free(buf);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
