#include "watch.h"

#include "drift.h"
#include "snapshot.h"
#include "source.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../core/log.h"
#include "../fs/paths.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_MASK                                                                                           \
    (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_ONLYDIR |    \
     IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define MAX_DEPTH 32
#define DRIFT_ITEMS_KEPT 50
#define EVENTS_KEPT 10000 /* per project; older rows are pruned */
#define DOC_MAX_BYTES (4u * 1024u * 1024u)
#define SNAPSHOT_ELEMENTS_MAX 50000

typedef struct {
    int wd;
    char *path;
    char **only;   /* watched because of these files: only they count; NULL = every file */
    size_t nonly;
} wdir;

typedef struct {
    pthread_t thread;
    int ifd, efd;
    store *st;
    char *roots, *project;
    json_t *paths; /* as monitored */
    wdir *dirs;
    size_t ndirs, max_dirs;
    /* guarded by lock (read by status from other threads) */
    bool truncated, failed;
    char started_at[CLOCK_ISO_LEN], last_activity[CLOCK_ISO_LEN];
    char last_error[512];
    long long seen, recorded, checks, errors;
    double last_record_ms;
    json_t *last_event;
} monitor;

static pthread_mutex_t ctl = PTHREAD_MUTEX_INITIALIZER;  /* start/stop, one at a time */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* the running monitor's counters */
static monitor *mon;

static const char *const doc_exts[] = {".md", ".rst", ".txt", NULL};

static bool watched_file(const char *path) {
    if (code_lang_from_path(path) != CODE_LANG_UNKNOWN) return true;
    const char *dot = strrchr(path, '.');
    for (const char *const *e = doc_exts; dot && *e; e++)
        if (!strcmp(dot, *e)) return true;
    return false;
}

static void set_error(monitor *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(monitor *m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&lock);
    vsnprintf(m->last_error, sizeof m->last_error, fmt, ap);
    jx_utf8_repair(m->last_error);
    m->errors++;
    pthread_mutex_unlock(&lock);
    va_end(ap);
}

/* ---- watches ---- */

static wdir *dir_by_wd(monitor *m, int wd) {
    for (size_t i = 0; i < m->ndirs; i++)
        if (m->dirs[i].wd == wd) return &m->dirs[i];
    return NULL;
}

static void wdir_free(wdir *d) {
    free(d->path);
    for (size_t i = 0; i < d->nonly; i++) free(d->only[i]);
    free(d->only);
}

/* Adds one directory's watch. only: restrict to this file name (NULL for
 * all). Returns the entry, or NULL (bound reached or inotify refused). */
static wdir *add_watch(monitor *m, const char *dir, const char *only) {
    int wd = inotify_add_watch(m->ifd, dir, WATCH_MASK);
    if (wd < 0) {
        set_error(m, "Cannot watch %s: %s", dir, strerror(errno));
        return NULL;
    }
    wdir *d = dir_by_wd(m, wd);
    if (!d) {
        if (m->ndirs >= m->max_dirs) {
            inotify_rm_watch(m->ifd, wd);
            pthread_mutex_lock(&lock);
            m->truncated = true;
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        pthread_mutex_lock(&lock);
        d = &m->dirs[m->ndirs];
        *d = (wdir){wd, strdup(dir), NULL, 0};
        if (only) {
            d->only = calloc(1, sizeof *d->only);
            if (d->only && (d->only[0] = strdup(only))) d->nonly = 1;
        }
        m->ndirs++;
        pthread_mutex_unlock(&lock);
        return d;
    }
    /* Already watched: a whole-directory request lifts a file filter; a
     * file request adds to it. */
    pthread_mutex_lock(&lock);
    if (!only) {
        for (size_t i = 0; i < d->nonly; i++) free(d->only[i]);
        free(d->only);
        d->only = NULL, d->nonly = 0;
    } else if (d->only) {
        char **no = realloc(d->only, (d->nonly + 1) * sizeof *no);
        if (no && (no[d->nonly] = strdup(only))) d->only = no, d->nonly++;
        else if (no) d->only = no;
    }
    pthread_mutex_unlock(&lock);
    return d;
}

static void add_tree(monitor *m, const char *dir, int depth) {
    if (!add_watch(m, dir, NULL) || depth >= MAX_DEPTH) return;
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (source_skip_dir(e->d_name) || !strcmp(e->d_name, "..")) continue;
        char child[PATH_MAX];
        if ((size_t)snprintf(child, sizeof child, "%s/%s", dir, e->d_name) >= sizeof child) continue;
        struct stat sb;
        if (lstat(child, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        if (m->ndirs >= m->max_dirs) {
            pthread_mutex_lock(&lock);
            m->truncated = true;
            pthread_mutex_unlock(&lock);
            break;
        }
        add_tree(m, child, depth + 1);
    }
    closedir(dp);
}

static void remove_dir(monitor *m, int wd) {
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < m->ndirs; i++) {
        if (m->dirs[i].wd != wd) continue;
        wdir_free(&m->dirs[i]);
        m->dirs[i] = m->dirs[--m->ndirs];
        break;
    }
    pthread_mutex_unlock(&lock);
}

/* ---- recording and re-checking ---- */

typedef struct {
    const char *project, *path, *event, *now;
    int64_t id;
    long long count;
} record_ctx;

static int record_tx(store *st, void *vctx, lt_err *err) {
    record_ctx *c = vctx;
    store_stmt *s = store_prepare(
        st, "INSERT INTO watch_events(project, path, event, observed_at) VALUES (?,?,?,?)", err);
    if (!s) return -1;
    store_bind_text(s, 1, c->project);
    store_bind_text(s, 2, c->path);
    store_bind_text(s, 3, c->event);
    store_bind_text(s, 4, c->now);
    if (store_step(s, err) < 0) return -1;
    c->id = store_last_insert_id(st);
    if (c->count % 256 == 255) { /* keep the log bounded */
        s = store_prepare(st, "DELETE FROM watch_events WHERE project = ? AND id < ?", err);
        if (!s) return -1;
        store_bind_text(s, 1, c->project);
        store_bind_int(s, 2, c->id - EVENTS_KEPT);
        if (store_step(s, err) < 0) return -1;
    }
    return 0;
}

typedef struct {
    int64_t id;
    const char *status, *result, *now;
} finish_ctx;

static int finish_tx(store *st, void *vctx, lt_err *err) {
    finish_ctx *c = vctx;
    store_stmt *s =
        store_prepare(st, "UPDATE watch_events SET status = ?, result = ?, processed_at = ? WHERE id = ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, c->status);
    store_bind_text(s, 2, c->result);
    store_bind_text(s, 3, c->now);
    store_bind_int(s, 4, c->id);
    return store_step(s, err) < 0 ? -1 : 0;
}

/* Re-parses the changed file and compares it with its docs and snapshot. */
static json_t *recheck(monitor *m, const char *path, bool exists, lt_err *err) {
    json_t *r = json_object();
    json_t *items = json_array();
    json_t *old = NULL;
    char synced[32];
    if (snapshot_load(m->st, m->project, path, &old, synced, err)) {
        json_decref(r), json_decref(items);
        return NULL;
    }
    jx_set_str(r, "snapshot_synced_at", *synced ? synced : NULL);
    code_lang lang = code_lang_from_path(path);
    if (!exists) {
        jx_set_bool(r, "exists", false);
        json_t *none = json_array();
        drift_against_snapshot(old, none, items);
        json_decref(none);
    } else if (lang == CODE_LANG_UNKNOWN) {
        jx_set_bool(r, "exists", true);
        jx_set_str(r, "kind", "document");
        const char *dot = strrchr(path, '.');
        if (dot && !strcmp(dot, ".md")) {
            /* A markdown document is checked against every element the
             * project's last syncs recorded. */
            char *md;
            size_t len;
            json_t *all = NULL;
            if (source_read(path, DOC_MAX_BYTES, &md, &len, err) ||
                snapshot_load_project(m->st, m->project, SNAPSHOT_ELEMENTS_MAX, &all, err)) {
                free(md);
                json_decref(r), json_decref(items), json_decref(old);
                return NULL;
            }
            if (memchr(md, '\0', len)) {
                free(md), json_decref(all);
                json_decref(r), json_decref(items), json_decref(old);
                lt_err_set(err, LT_ERR_INVALID, "Not a text document (binary data)");
                return NULL;
            }
            jx_utf8_repair(md);
            jx_set_int(r, "elements_compared", (int64_t)json_array_size(all));
            if (json_array_size(all)) drift_markdown(md, all, NULL, CODE_LANG_UNKNOWN, items);
            free(md);
            json_decref(all);
        }
    } else {
        char *buf;
        size_t len;
        code_file *f = NULL;
        if (source_read(path, CODE_MAX_SOURCE_BYTES, &buf, &len, err) == 0) {
            code_parse(buf, len, lang, &f, err);
            free(buf);
        }
        if (!f) {
            json_decref(r), json_decref(items), json_decref(old);
            return NULL;
        }
        jx_set_bool(r, "exists", true);
        jx_set_str(r, "language", code_lang_name(lang));
        jx_set_bool(r, "has_errors", f->has_errors);
        jx_set_int(r, "functions", (int64_t)f->nfuncs);
        jx_set_int(r, "classes", (int64_t)f->nclasses);
        drift_in_code(f, items);
        if (json_array_size(old)) {
            json_t *now = drift_elements(f);
            drift_against_snapshot(old, now, items);
            json_decref(now);
        }
        code_file_free(f);
    }
    drift_summarize(items, r);
    while (json_array_size(items) > DRIFT_ITEMS_KEPT) json_array_remove(items, DRIFT_ITEMS_KEPT);
    json_object_set_new(r, "drift_items", items);
    json_decref(old);
    return r;
}

static void handle(monitor *m, const char *path, const char *event, bool exists, uint64_t t_read) {
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    pthread_mutex_lock(&lock);
    long long count = m->seen++;
    pthread_mutex_unlock(&lock);
    record_ctx rc = {m->project, path, event, now, 0, count};
    lt_err err;
    lt_err_clear(&err);
    if (store_write(m->st, record_tx, &rc, &err)) {
        set_error(m, "Could not record the change to %s: %s", path, err.msg);
        return;
    }
    double ms = (double)(clock_mono_ns() - t_read) / 1e6;
    pthread_mutex_lock(&lock);
    m->recorded++;
    m->last_record_ms = ms;
    snprintf(m->last_activity, sizeof m->last_activity, "%s", now);
    json_decref(m->last_event);
    m->last_event = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)rc.id, "path", path, "event", event,
                              "observed_at", now);
    pthread_mutex_unlock(&lock);

    json_t *res = recheck(m, path, exists, &err);
    char *text = res ? jx_dump(res) : NULL;
    if (!res) {
        json_t *e = json_pack("{s:s}", "error", err.msg);
        text = jx_dump(e);
        json_decref(e);
        set_error(m, "Re-check of %s failed: %s", path, err.msg);
    }
    clock_now_iso(now, sizeof now);
    finish_ctx fc = {rc.id, res ? "processed" : "error", text, now};
    lt_err ferr;
    if (store_write(m->st, finish_tx, &fc, &ferr)) set_error(m, "Could not store the re-check of %s: %s", path, ferr.msg);
    free(text);
    json_decref(res);
    pthread_mutex_lock(&lock);
    m->checks++;
    pthread_mutex_unlock(&lock);
}

static bool wanted(const wdir *d, const char *name) {
    if (!d->only) return true;
    for (size_t i = 0; i < d->nonly; i++)
        if (!strcmp(d->only[i], name)) return true;
    return false;
}

static void on_event(monitor *m, const struct inotify_event *ev, uint64_t t_read) {
    if (ev->mask & IN_Q_OVERFLOW) {
        set_error(m, "inotify queue overflowed: some changes were not seen");
        return;
    }
    if (ev->mask & IN_IGNORED) {
        remove_dir(m, ev->wd);
        return;
    }
    wdir *d = dir_by_wd(m, ev->wd);
    if (!d || !ev->len || !ev->name[0]) return;
    const char *name = ev->name;
    size_t nl = strlen(name);
    if (name[0] == '.' || name[nl - 1] == '~' || (nl > 4 && !strcmp(name + nl - 4, ".swp"))) return;
    char full[PATH_MAX];
    if ((size_t)snprintf(full, sizeof full, "%s/%s", d->path, name) >= sizeof full) return;
    if (ev->mask & IN_ISDIR) {
        if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && !d->only && !source_skip_dir(name)) add_tree(m, full, 1);
        return;
    }
    if (!wanted(d, name) || !watched_file(full)) return;
    const char *what = ev->mask & IN_CLOSE_WRITE ? "modified"
                       : ev->mask & IN_MOVED_TO  ? "moved_in"
                       : ev->mask & IN_DELETE    ? "deleted"
                       : ev->mask & IN_MOVED_FROM ? "moved_out"
                                                  : NULL;
    if (!what) return; /* IN_CREATE of a file: its IN_CLOSE_WRITE follows */
    handle(m, full, what, !(ev->mask & (IN_DELETE | IN_MOVED_FROM)), t_read);
}

static void *run(void *arg) {
    monitor *m = arg;
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        struct pollfd pf[2] = {{m->efd, POLLIN, 0}, {m->ifd, POLLIN, 0}};
        int n = poll(pf, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            set_error(m, "poll failed: %s", strerror(errno));
            break;
        }
        if (pf[0].revents) break; /* stop requested */
        if (!(pf[1].revents & POLLIN)) continue;
        ssize_t len = read(m->ifd, buf, sizeof buf);
        uint64_t t_read = clock_mono_ns();
        if (len < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            set_error(m, "inotify read failed: %s", strerror(errno));
            pthread_mutex_lock(&lock);
            m->failed = true;
            pthread_mutex_unlock(&lock);
            break;
        }
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            on_event(m, ev, t_read);
            p += sizeof *ev + ev->len;
        }
    }
    return NULL;
}

/* ---- lifecycle ---- */

static void monitor_free(monitor *m) {
    if (!m) return;
    if (m->ifd >= 0) close(m->ifd);
    if (m->efd >= 0) close(m->efd);
    store_close(m->st);
    for (size_t i = 0; i < m->ndirs; i++) wdir_free(&m->dirs[i]);
    free(m->dirs);
    free(m->roots);
    free(m->project);
    json_decref(m->paths);
    json_decref(m->last_event);
    free(m);
}

static json_t *counts_json(monitor *m) {
    return json_pack("{s:I, s:I, s:I, s:I}", "events_seen", (json_int_t)m->seen, "events_recorded",
                     (json_int_t)m->recorded, "checks_done", (json_int_t)m->checks, "error_count",
                     (json_int_t)m->errors);
}

static void stop_locked(bool *was_active, json_t *out) {
    monitor *m = mon;
    if (was_active) *was_active = m != NULL;
    if (!m) return;
    uint64_t one = 1;
    if (write(m->efd, &one, sizeof one) != sizeof one) LOG_W("watch: could not signal the monitor thread");
    pthread_join(m->thread, NULL);
    pthread_mutex_lock(&lock);
    mon = NULL;
    pthread_mutex_unlock(&lock);
    if (out) {
        json_t *c = counts_json(m);
        json_object_update(out, c);
        json_decref(c);
        json_object_set_new(out, "monitored_paths", json_deep_copy(m->paths));
        jx_set_str(out, "project_id", m->project);
    }
    monitor_free(m);
}

int watch_start(const watch_config *cfg, json_t *out, lt_err *err) {
    assert(cfg->max_watches > 0);
    monitor *m = calloc(1, sizeof *m);
    if (!m) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    m->ifd = m->efd = -1;
    m->max_dirs = cfg->max_watches;
    m->dirs = calloc(m->max_dirs, sizeof *m->dirs);
    m->roots = cfg->roots ? strdup(cfg->roots) : NULL;
    m->project = strdup(cfg->project);
    m->paths = json_array();
    if (!m->dirs || !m->project || (cfg->roots && !m->roots)) {
        monitor_free(m);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    }
    m->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->ifd < 0 || m->efd < 0) {
        lt_err_set(err, LT_ERR_IO, "Cannot start the file monitor: %s", strerror(errno));
        monitor_free(m);
        return -1;
    }
    if (!(m->st = store_open(cfg->db, err))) {
        lt_err_prefix(err, "file monitor");
        monitor_free(m);
        return -1;
    }
    for (size_t i = 0; i < cfg->npaths; i++) {
        const char *p = cfg->paths[i];
        if (!paths_inside(cfg->roots, p)) continue; /* resolved by the caller; checked again */
        struct stat sb;
        if (stat(p, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            add_tree(m, p, 0);
        } else {
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%s", p);
            char *slash = strrchr(dir, '/');
            if (!slash) continue;
            *slash = '\0';
            add_watch(m, *dir ? dir : "/", slash + 1);
        }
        json_array_append_new(m->paths, json_string(p));
    }
    if (m->ndirs == 0) {
        lt_err_set(err, LT_ERR_INVALID, "Nothing to watch: %s", m->errors ? m->last_error : "no valid path");
        monitor_free(m);
        return -1;
    }
    clock_now_iso(m->started_at, sizeof m->started_at);
    pthread_mutex_lock(&ctl);
    stop_locked(NULL, NULL); /* a new monitor replaces the old one */
    int rc = pthread_create(&m->thread, NULL, run, m);
    if (rc != 0) {
        pthread_mutex_unlock(&ctl);
        lt_err_set(err, LT_ERR_INTERNAL, "Cannot start the monitor thread: %s", strerror(rc));
        monitor_free(m);
        return -1;
    }
    pthread_mutex_lock(&lock);
    mon = m;
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&ctl);
    pthread_mutex_lock(&lock);
    json_object_set_new(out, "monitoring_paths", json_deep_copy(m->paths));
    jx_set_int(out, "watch_count", (int64_t)m->ndirs);
    jx_set_int(out, "max_watches", (int64_t)m->max_dirs);
    jx_set_bool(out, "truncated", m->truncated);
    pthread_mutex_unlock(&lock);
    json_t *exts = json_array();
    for (const char *const *n = code_lang_names(); *n; n++) json_array_append_new(exts, json_string(*n));
    for (const char *const *e = doc_exts; *e; e++) json_array_append_new(exts, json_string(*e));
    json_object_set_new(out, "monitored_languages", exts);
    jx_set_str(out, "started_at", m->started_at);
    return 0;
}

void watch_stop(bool *was_active, json_t *out) {
    pthread_mutex_lock(&ctl);
    stop_locked(was_active, out);
    pthread_mutex_unlock(&ctl);
}

void watch_shutdown(void) { watch_stop(NULL, NULL); }

json_t *watch_status(void) {
    json_t *o = json_object();
    pthread_mutex_lock(&lock);
    monitor *m = mon;
    jx_set_bool(o, "is_active", m != NULL);
    if (!m) {
        jx_set_str(o, "status", "stopped");
        pthread_mutex_unlock(&lock);
        return o;
    }
    jx_set_str(o, "status", m->failed ? "failed" : "running");
    jx_set_str(o, "project_id", m->project);
    json_object_set_new(o, "monitored_paths", json_deep_copy(m->paths));
    jx_set_int(o, "watch_count", (int64_t)m->ndirs);
    jx_set_int(o, "max_watches", (int64_t)m->max_dirs);
    jx_set_bool(o, "truncated", m->truncated);
    jx_set_str(o, "started_at", m->started_at);
    jx_set_str(o, "last_activity", *m->last_activity ? m->last_activity : NULL);
    json_t *c = counts_json(m);
    json_object_update(o, c);
    json_decref(c);
    jx_set_str(o, "last_error", *m->last_error ? m->last_error : NULL);
    jx_set_real(o, "last_record_latency_ms", m->last_record_ms);
    json_object_set_new(o, "last_event", m->last_event ? json_deep_copy(m->last_event) : json_null());
    pthread_mutex_unlock(&lock);
    return o;
}

void watch_health(watch_health_info *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&lock);
    if (mon) {
        out->active = true;
        out->failed = mon->failed;
        out->watch_count = mon->ndirs;
        out->last_record_ms = mon->last_record_ms;
        out->events = mon->recorded;
    }
    pthread_mutex_unlock(&lock);
}
