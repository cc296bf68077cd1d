#include "stdio.h"

#include "../core/jsonx.h"
#include "../core/log.h"
#include "../protocol/mcp.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)
/* Requests parsed but not yet handled. Past this no thread reads stdin until
 * the queue drains (pipe backpressure), so a client that writes faster than
 * we answer cannot grow our memory without bound. */
#define MAX_QUEUED 256

/* Two threads share two roles: the reader (reads stdin, answers control
 * messages at once, queues requests) and the handler (runs queued requests
 * one at a time, in order). A thread that has just read a request and finds
 * no handler at work gives up the reader role to the other thread and runs
 * the request itself. The request thus runs on the thread that woke up with
 * it, and the hand-over to the idle thread happens beside the call instead
 * of in front of it (a wake-up of a sleeping thread costs tens of
 * microseconds, as much as a cached tool call). Someone is always reading
 * while a call runs, so cancellations, pings and answers to our own requests
 * to the client are never stuck behind it. */

typedef struct queued {
    mcp_msg *msg;
    struct queued *next;
} queued;

typedef struct {
    mcp_session *session;
    store *st;
    int in_fd, out_fd;
    int stop_fd; /* eventfd the signal handler writes: wakes the reader's poll */
    size_t max_msg;
    pthread_mutex_t out_lock;
    bool out_broken;

    /* Guarded by lock. */
    pthread_mutex_t lock;
    pthread_cond_t changed; /* any of the fields below changed */
    size_t q_len;
    queued *head, *tail;
    bool reading;  /* a thread holds the reader role */
    bool handling; /* a thread holds the handler role */
    bool input_done; /* EOF, read error, broken stdout or stop signal */

    /* The read buffer; only the thread holding the reader role touches it. */
    char *buf;
    size_t cap, used, scanned;
    bool discarding; /* inside an over-long line, dropping bytes until its newline */
} server;

static volatile sig_atomic_t stop_requested;
static int stop_signal_fd = -1;

static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
    if (stop_signal_fd >= 0) {
        int saved = errno;
        uint64_t one = 1;
        ssize_t w = write(stop_signal_fd, &one, sizeof one);
        (void)w;
        errno = saved;
    }
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

/* Called with lock held, by the reader. */
static void enqueue_locked(server *sv, mcp_msg *m) {
    queued *q = malloc(sizeof *q);
    if (!q) {
        mcp_msg_free(m);
        return;
    }
    q->msg = m;
    q->next = NULL;
    mcp_track(sv->session, m);
    sv->q_len++;
    if (sv->tail) sv->tail->next = q;
    else sv->head = q;
    sv->tail = q;
}

/* Parses one line; answers control messages at once and queues the rest. */
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
        pthread_mutex_lock(&sv->lock);
        enqueue_locked(sv, m);
        pthread_mutex_unlock(&sv->lock);
    }
}

/* Waits for input or a stop signal; false when reading should end. */
static bool wait_readable(server *sv) {
    struct pollfd p[2] = {{.fd = sv->in_fd, .events = POLLIN}, {.fd = sv->stop_fd, .events = POLLIN}};
    for (;;) {
        if (stop_requested) return false;
        int n = poll(p, sv->stop_fd >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            LOG_E("poll on stdin failed: %s", strerror(errno));
            return false;
        }
        if (stop_requested || (n > 0 && p[1].revents)) return false;
        if (p[0].revents) return true; /* data, EOF (POLLHUP) or error: read() tells which */
    }
}

/* One read of stdin, with every complete line in it processed. Returns false
 * when input is over. Runs in the reader role, without the lock. */
static bool read_some(server *sv) {
    if (sv->cap - sv->used < READ_CHUNK) {
        size_t ncap = sv->cap * 2;
        char *nb = realloc(sv->buf, ncap);
        if (!nb) return false;
        sv->buf = nb;
        sv->cap = ncap;
    }
    if (!wait_readable(sv)) return false;
    ssize_t n = read(sv->in_fd, sv->buf + sv->used, sv->cap - sv->used);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) return true;
        LOG_E("stdin read failed: %s", strerror(errno));
        return false;
    }
    if (n == 0) { /* EOF: a final line without newline still counts */
        if (sv->used && !sv->discarding) process_line(sv, sv->buf, sv->used);
        return false;
    }
    char *buf = sv->buf;
    sv->used += (size_t)n;
    size_t start = 0;
    for (;;) {
        char *nl = memchr(buf + sv->scanned, '\n', sv->used - sv->scanned);
        if (!nl) break;
        size_t end = (size_t)(nl - buf);
        if (sv->discarding) sv->discarding = false;
        else if (end - start > sv->max_msg) /* one read can bring a whole over-long line (stdin a file) */
            send_msg(sv, mcp_error_response(NULL, RPC_INVALID_REQUEST, "Invalid Request: message too large"));
        else process_line(sv, buf + start, end - start);
        start = sv->scanned = end + 1;
    }
    if (start) {
        memmove(buf, buf + start, sv->used - start);
        sv->used -= start;
        sv->scanned -= start;
    }
    sv->scanned = sv->used;
    if (sv->discarding) {
        sv->used = sv->scanned = 0;
    } else if (sv->used > sv->max_msg) {
        LOG_W("dropping a message over %zu bytes", sv->max_msg);
        send_msg(sv, mcp_error_response(NULL, RPC_INVALID_REQUEST, "Invalid Request: message too large"));
        sv->discarding = true;
        sv->used = sv->scanned = 0;
    }
    if (sv->out_broken) return false;
    /* Keep memory in proportion to the message at hand after a big one. */
    if (sv->used < READ_CHUNK && sv->cap > 16 * READ_CHUNK) {
        char *nb = realloc(sv->buf, READ_CHUNK * 2);
        if (nb) {
            sv->buf = nb;
            sv->cap = READ_CHUNK * 2;
        }
    }
    return true;
}

/* Both threads run this until input is over and every queued request ran. */
static void *serve_loop(void *arg) {
    server *sv = arg;
    pthread_mutex_lock(&sv->lock);
    for (;;) {
        if (sv->head && !sv->handling) {
            /* Handler role: one request, then look again. */
            queued *q = sv->head;
            sv->head = q->next;
            if (!sv->head) sv->tail = NULL;
            sv->q_len--;
            sv->handling = true;
            pthread_cond_broadcast(&sv->changed); /* the other thread may now take the reader role */
            pthread_mutex_unlock(&sv->lock);
            mcp_sink sink = {sink_send, sv};
            send_text(sv, mcp_handle_text(sv->session, sv->st, q->msg, &sink));
            mcp_msg_free(q->msg);
            free(q);
            pthread_mutex_lock(&sv->lock);
            sv->handling = false;
            pthread_cond_broadcast(&sv->changed);
            continue;
        }
        if (!sv->reading && !sv->input_done && sv->q_len < MAX_QUEUED) {
            sv->reading = true;
            pthread_mutex_unlock(&sv->lock);
            bool more = read_some(sv);
            if (!more) {
                if (stop_requested) LOG_I("stopping on signal");
                /* With stdin gone no answer can come: a call waiting for one stops. */
                mcp_session_abort(sv->session);
            }
            pthread_mutex_lock(&sv->lock);
            sv->reading = false;
            if (!more) sv->input_done = true;
            pthread_cond_broadcast(&sv->changed);
            continue;
        }
        if (sv->input_done && !sv->head) break; /* the other thread finishes what it holds */
        pthread_cond_wait(&sv->changed, &sv->lock);
    }
    pthread_mutex_unlock(&sv->lock);
    return NULL;
}

int stdio_serve(const settings *cfg, store *st, memory_engine *mem, int in_fd, int out_fd) {
    server sv = {0};
    sv.session = mcp_session_new(cfg, mem);
    sv.st = st;
    sv.in_fd = in_fd;
    sv.out_fd = out_fd;
    sv.max_msg = (size_t)settings_int(cfg, SET_MAX_MESSAGE_MB) * 1024 * 1024;
    sv.cap = READ_CHUNK * 2;
    sv.buf = malloc(sv.cap);
    sv.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&sv.out_lock, NULL);
    pthread_mutex_init(&sv.lock, NULL);
    pthread_cond_init(&sv.changed, NULL);
    if (!sv.buf) sv.input_done = true;

    /* SIGTERM and SIGINT end reading (through the eventfd, whichever thread
     * reads); calls already queued still run and get their answers. */
    stop_requested = 0;
    stop_signal_fd = sv.stop_fd;
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t other;
    int rc = pthread_create(&other, NULL, serve_loop, &sv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        LOG_E("cannot start the second stdio thread: %s", strerror(rc));
    } else {
        serve_loop(&sv);
        pthread_join(other, NULL);
    }

    stop_signal_fd = -1;
    bool broken = sv.out_broken || rc != 0;
    free(sv.buf);
    if (sv.stop_fd >= 0) close(sv.stop_fd);
    mcp_session_free(sv.session);
    pthread_mutex_destroy(&sv.out_lock);
    pthread_mutex_destroy(&sv.lock);
    pthread_cond_destroy(&sv.changed);
    return broken ? -1 : 0;
}
