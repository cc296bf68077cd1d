#include "stdio.h"

#include "../core/jsonx.h"
#include "../core/log.h"
#include "../protocol/mcp.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)
/* Requests parsed but not yet handled. Past this the reader stops reading
 * stdin until the worker catches up (pipe backpressure), so a client that
 * writes faster than we answer cannot grow our memory without bound. */
#define MAX_QUEUED 256

typedef struct queued {
    mcp_msg *msg;
    struct queued *next;
} queued;

typedef struct {
    mcp_session *session;
    store *st;
    int out_fd;
    pthread_mutex_t out_lock;
    bool out_broken;

    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    pthread_cond_t q_space; /* signalled when the queue drops below MAX_QUEUED */
    size_t q_len;
    queued *head, *tail;
    bool closing;
} server;

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* Writes text (freed) as one line. */
static void send_text(server *sv, char *text) {
    if (!text) return;
    size_t len = strlen(text);
    pthread_mutex_lock(&sv->out_lock);
    text[len] = '\n'; /* replaces the NUL; we track the length ourselves */
    size_t off = 0;
    while (!sv->out_broken && off < len + 1) {
        ssize_t w = write(sv->out_fd, text + off, len + 1 - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            LOG_E("stdout write failed: %s; stopping", strerror(errno));
            sv->out_broken = true;
            break;
        }
        off += (size_t)w;
    }
    pthread_mutex_unlock(&sv->out_lock);
    free(text);
}

/* Writes one message (stolen) as one line. */
static void send_msg(server *sv, json_t *msg) {
    char *text = jx_dump(msg);
    json_decref(msg);
    send_text(sv, text);
}

/* Progress notifications go out as lines before their response. */
static void sink_send(void *arg, json_t *notification) { send_msg(arg, notification); }

static void *worker_main(void *arg) {
    server *sv = arg;
    for (;;) {
        pthread_mutex_lock(&sv->q_lock);
        while (!sv->head && !sv->closing) pthread_cond_wait(&sv->q_cond, &sv->q_lock);
        queued *q = sv->head;
        if (q) {
            sv->head = q->next;
            if (!sv->head) sv->tail = NULL;
            if (sv->q_len-- == MAX_QUEUED) pthread_cond_signal(&sv->q_space);
        }
        pthread_mutex_unlock(&sv->q_lock);
        if (!q) break; /* closing and drained */
        mcp_sink sink = {sink_send, sv};
        send_text(sv, mcp_handle_text(sv->session, sv->st, q->msg, &sink));
        mcp_msg_free(q->msg);
        free(q);
    }
    return NULL;
}

static void enqueue(server *sv, mcp_msg *m) {
    queued *q = malloc(sizeof *q);
    if (!q) {
        mcp_msg_free(m);
        return;
    }
    q->msg = m;
    q->next = NULL;
    mcp_track(sv->session, m);
    pthread_mutex_lock(&sv->q_lock);
    while (sv->q_len >= MAX_QUEUED) pthread_cond_wait(&sv->q_space, &sv->q_lock);
    sv->q_len++;
    if (sv->tail) sv->tail->next = q;
    else sv->head = q;
    sv->tail = q;
    pthread_cond_signal(&sv->q_cond);
    pthread_mutex_unlock(&sv->q_lock);
}

static void process_line(server *sv, char *line, size_t len) {
    if (len && line[len - 1] == '\r') len--; /* CRLF from Windows-minded clients */
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    if (i == len) return; /* blank line */
    json_t *reply = NULL;
    mcp_msg *m = mcp_parse(line, len, &reply);
    if (!m) {
        if (reply) send_msg(sv, reply);
        return;
    }
    if (mcp_msg_is_control(m)) {
        json_t *resp = mcp_handle(sv->session, NULL, m);
        if (resp) send_msg(sv, resp);
        mcp_msg_free(m);
    } else {
        enqueue(sv, m);
    }
}

int stdio_serve(const settings *cfg, store *st, memory_engine *mem, int in_fd, int out_fd) {
    server sv = {0};
    sv.session = mcp_session_new(cfg, mem);
    sv.st = st;
    sv.out_fd = out_fd;
    pthread_mutex_init(&sv.out_lock, NULL);
    pthread_mutex_init(&sv.q_lock, NULL);
    pthread_cond_init(&sv.q_cond, NULL);
    pthread_cond_init(&sv.q_space, NULL);

    /* Signals interrupt the reader's read(); the worker never sees them. */
    stop_requested = 0;
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t worker;
    int rc = pthread_create(&worker, NULL, worker_main, &sv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        LOG_E("cannot start the worker thread: %s", strerror(rc));
        mcp_session_free(sv.session);
        return -1;
    }

    size_t max_msg = (size_t)settings_int(cfg, SET_MAX_MESSAGE_MB) * 1024 * 1024;
    size_t cap = READ_CHUNK * 2, used = 0, scanned = 0;
    char *buf = malloc(cap);
    bool discarding = false; /* inside an over-long line, dropping bytes until its newline */
    while (buf && !stop_requested) {
        if (cap - used < READ_CHUNK) {
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) break;
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(in_fd, buf + used, cap - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            LOG_E("stdin read failed: %s", strerror(errno));
            break;
        }
        if (n == 0) { /* EOF: a final line without newline still counts */
            if (used && !discarding) process_line(&sv, buf, used);
            break;
        }
        used += (size_t)n;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + scanned, '\n', used - scanned);
            if (!nl) break;
            size_t end = (size_t)(nl - buf);
            if (discarding) discarding = false;
            else if (end - start > max_msg) /* one read can bring a whole over-long line (stdin a file) */
                send_msg(&sv, mcp_error_response(NULL, RPC_INVALID_REQUEST, "Invalid Request: message too large"));
            else process_line(&sv, buf + start, end - start);
            start = scanned = end + 1;
        }
        if (start) {
            memmove(buf, buf + start, used - start);
            used -= start;
            scanned -= start;
        }
        scanned = used;
        if (discarding) {
            used = scanned = 0;
        } else if (used > max_msg) {
            LOG_W("dropping a message over %zu bytes", max_msg);
            send_msg(&sv, mcp_error_response(NULL, RPC_INVALID_REQUEST, "Invalid Request: message too large"));
            discarding = true;
            used = scanned = 0;
        }
        if (sv.out_broken) break;
        /* Keep memory in proportion to the message at hand after a big one. */
        if (used < READ_CHUNK && cap > 16 * READ_CHUNK) {
            char *nb = realloc(buf, READ_CHUNK * 2);
            if (nb) { buf = nb; cap = READ_CHUNK * 2; }
        }
    }
    free(buf);
    if (stop_requested) LOG_I("stopping on signal");

    /* With stdin gone no answer can come: a call waiting for one stops. */
    mcp_session_abort(sv.session);
    pthread_mutex_lock(&sv.q_lock);
    sv.closing = true;
    pthread_cond_signal(&sv.q_cond);
    pthread_mutex_unlock(&sv.q_lock);
    pthread_join(worker, NULL);

    bool broken = sv.out_broken;
    mcp_session_free(sv.session);
    pthread_mutex_destroy(&sv.out_lock);
    pthread_mutex_destroy(&sv.q_lock);
    pthread_cond_destroy(&sv.q_cond);
    pthread_cond_destroy(&sv.q_space);
    return broken ? -1 : 0;
}
