#include "runner.h"

#include "../core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool is_disabled(const char *disabled, const char *name) {
    if (!disabled) return false;
    size_t n = strlen(name);
    const char *p = disabled;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        if ((size_t)(t - p) == n && strncmp(p, name, n) == 0) return true;
        p = e;
    }
    return false;
}

int runner_which(const runner_opts *o, const char *name, char path[PATH_MAX]) {
    if (!name || !*name || strchr(name, '/') || is_disabled(o->disabled, name)) return -1;
    const char *p = o->search_path ? o->search_path : "";
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n > 0 && p[0] == '/') {
            int w = snprintf(path, PATH_MAX, "%.*s/%s", (int)n, p, name);
            struct stat st;
            if (w > 0 && w < PATH_MAX && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
                return 0;
        }
        if (!colon) break;
        p = colon + 1;
    }
    return -1;
}

typedef struct {
    char *buf;
    size_t len, cap;
    bool truncated;
} sink;

static void sink_take(sink *s, const char *data, size_t n) {
    size_t room = s->cap - s->len;
    if (n > room) {
        s->truncated = true;
        n = room;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

extern char **environ;

int runner_run(const runner_opts *o, const char *const *argv, runner_result *r, lt_err *err) {
    memset(r, 0, sizeof *r);
    char prog[PATH_MAX];
    if (argv[0][0] == '/')
        snprintf(prog, sizeof prog, "%s", argv[0]);
    else if (runner_which(o, argv[0], prog) != 0)
        return lt_err_set(err, LT_ERR_NOT_FOUND, "Program not available: %s", argv[0]);
    int in_pipe[2] = {-1, -1}, out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) return lt_err_set(err, LT_ERR_IO, "pipe: %s", strerror(errno));
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        close(out_pipe[0]), close(out_pipe[1]);
        return lt_err_set(err, LT_ERR_IO, "pipe: %s", strerror(errno));
    }
    if (o->input && pipe2(in_pipe, O_CLOEXEC) != 0) {
        close(out_pipe[0]), close(out_pipe[1]), close(err_pipe[0]), close(err_pipe[1]);
        return lt_err_set(err, LT_ERR_IO, "pipe: %s", strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (o->input)
        posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    if (o->cwd) posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    /* Its own process group, so a timeout kills what it started too. */
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    sigset_t dfl;
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char envpath[4096 + 8];
    snprintf(envpath, sizeof envpath, "PATH=%s", o->search_path ? o->search_path : "");
    char *envp[] = {envpath, "LC_ALL=C.UTF-8", "HOME=/nonexistent", NULL};
    pid_t pid;
    uint64_t start = clock_mono_ns();
    int rc = posix_spawn(&pid, prog, &fa, &at, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (o->input) close(in_pipe[0]);
    if (rc != 0) {
        close(out_pipe[0]), close(err_pipe[0]);
        if (o->input) close(in_pipe[1]);
        return lt_err_set(err, LT_ERR_IO, "Could not start %s: %s", argv[0], strerror(rc));
    }
    size_t cap = o->output_cap ? o->output_cap : 1 << 20;
    sink so = {malloc(cap + 1), 0, cap, false}, se = {malloc(cap + 1), 0, cap, false};
    so.buf[0] = se.buf[0] = '\0';
    int fds[3] = {out_pipe[0], err_pipe[0], o->input ? in_pipe[1] : -1};
    size_t in_off = 0;
    if (fds[2] >= 0) fcntl(fds[2], F_SETFL, O_NONBLOCK);
    /* A child that exits without reading its input must not kill us with
     * SIGPIPE: block it in this thread while writing, and take any pending
     * one before unblocking. */
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    uint64_t deadline = start + (uint64_t)(o->timeout_ms > 0 ? o->timeout_ms : 30000) * 1000000ull;
    char buf[65536];
    while (fds[0] >= 0 || fds[1] >= 0) {
        uint64_t now = clock_mono_ns();
        if (now >= deadline) {
            r->timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pf[3];
        int map[3], np = 0;
        for (int i = 0; i < 3; i++) {
            if (fds[i] < 0) continue;
            pf[np].fd = fds[i];
            pf[np].events = i == 2 ? POLLOUT : POLLIN;
            pf[np].revents = 0;
            map[np++] = i;
        }
        int wait_ms = (int)((deadline - now) / 1000000ull) + 1;
        int n = poll(pf, (nfds_t)np, wait_ms);
        if (n < 0 && errno != EINTR) break;
        for (int j = 0; j < np && n > 0; j++) {
            int i = map[j];
            if (!pf[j].revents) continue;
            if (i == 2) {
                ssize_t w = write(fds[2], o->input + in_off, o->input_len - in_off);
                if (w > 0) in_off += (size_t)w;
                if (w < 0 && errno != EAGAIN && errno != EINTR) in_off = o->input_len;
                if (in_off >= o->input_len) {
                    close(fds[2]);
                    fds[2] = -1;
                }
                continue;
            }
            ssize_t got = read(fds[i], buf, sizeof buf);
            if (got > 0) {
                sink_take(i == 0 ? &so : &se, buf, (size_t)got);
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
    }
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0) close(fds[i]);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    r->out = so.buf;
    r->out_len = so.len;
    r->out_truncated = so.truncated;
    r->err = se.buf;
    r->err_len = se.len;
    r->err_truncated = se.truncated;
    r->elapsed_ms = (double)(clock_mono_ns() - start) / 1e6;
    return 0;
}

void runner_result_free(runner_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
