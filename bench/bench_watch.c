/* bench_watch.c - how soon sync_action monitor notices a change.
 *
 *   build/bench_watch build/ltmc        (what `make bench` runs)
 *
 * A project of PY_FILES Python files in a few directories is monitored;
 * then, RUNS times, one file is rewritten and sync_action status is polled
 * until the change shows up. Reported, as medians and p95:
 *
 *   - recorded: from just before the write to the event's observed_at (the
 *     time the monitor wrote the row; wall clock, millisecond resolution);
 *   - visible: from just before the write until a status reply shows the
 *     event (includes the polling round trips);
 *   - in-server: inotify's report to the committed row
 *     (last_record_latency_ms).
 * Goal: a change noticed within 200 ms. */
#include "benchutil.h"

#include <sys/time.h>

#define PY_FILES 200
#define DIRS 10
#define RUNS 100

static json_t *tool(server *s, const char *args) {
    char params[8192], req[8448];
    snprintf(params, sizeof params, "{\"name\":\"sync_action\",\"arguments\":%s}", args);
    long id = s->next_id++;
    size_t n = make_request(req, sizeof req, id, "tools/call", params);
    json_t *root, *result;
    round_trip(s, req, n, id, true, &result, &root);
    json_t *sc = json_incref(json_object_get(result, "structuredContent"));
    json_decref(root);
    return sc;
}

static int64_t wall_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* "2026-11-27T08:12:18.319Z" -> epoch ms */
static int64_t iso_ms(const char *s) {
    struct tm tm = {0};
    int ms = 0;
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                     &tm.tm_sec, &ms) != 7)
        fatal("bad time %s", s ? s : "(null)");
    tm.tm_year -= 1900, tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) fatal("cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static void summary(const char *name, double *ms, size_t n) {
    qsort(ms, n, sizeof ms[0], cmp_double);
    add_row(name, "median", median(ms, n), "ms", 2, 200, "< 200 ms");
    add_row(name, "p95", pct(ms, n, 95), "ms", 2, 0, NULL);
    add_row(name, "max", ms[n - 1], "ms", 2, 0, NULL);
}

int main(int argc, char **argv) {
    bench_prog = "bench_watch";
    if (!bench_init(argc, argv, 0, NULL)) return 2;
    static char data_dir[PATH_MAX], cfg_dir[PATH_MAX], proj[PATH_MAX];
    bench_tmpdir("data", data_dir);
    bench_tmpdir("config", cfg_dir);
    bench_tmpdir("proj", proj);
    char path[PATH_MAX + 64], roots[PATH_MAX + 32];
    for (int d = 0; d < DIRS; d++) {
        snprintf(path, sizeof path, "%s/d%d", proj, d);
        mkdir(path, 0755);
    }
    for (int i = 0; i < PY_FILES; i++) {
        char text[256];
        snprintf(path, sizeof path, "%s/d%d/m%d.py", proj, i % DIRS, i);
        snprintf(text, sizeof text, "def f%d(a, b):\n    \"\"\"F.\n\n    Args:\n        a: one\n        b: two\n    \"\"\"\n"
                                    "    return a + b\n", i);
        write_file(path, text);
    }
    snprintf(roots, sizeof roots, "LTMC_PROJECT_ROOTS=%s", proj);
    const char *extra[] = {roots, NULL};
    char **env = make_child_env(data_dir, cfg_dir, extra);
    uint64_t t_start = now_ns();
    fprintf(stderr, "bench_watch: %s, project in %s\n", bin, proj);
    server s = {0};
    s.in_fd = s.out_fd = -1;
    server_spawn(&s, env);
    char version[64] = "?";
    initialize(&s, version, sizeof version);
    json_t *r = tool(&s, "{\"action\":\"code\",\"directory_path\":\".\"}");
    json_decref(r);
    char args[PATH_MAX + 128];
    snprintf(args, sizeof args, "{\"action\":\"monitor\",\"file_paths\":[\"%s\"]}", proj);
    r = tool(&s, args);
    fprintf(stderr, "  monitoring %lld directories\n", (long long)json_integer_value(json_object_get(r, "watch_count")));
    json_decref(r);

    double *rec = malloc(sizeof *rec * RUNS), *vis = malloc(sizeof *vis * RUNS), *srv = malloc(sizeof *srv * RUNS);
    long long seen = 0;
    for (int i = 0; i < RUNS; i++) {
        check_interrupted();
        int k = (i * 37) % PY_FILES;
        snprintf(path, sizeof path, "%s/d%d/m%d.py", proj, k % DIRS, k);
        char text[256];
        snprintf(text, sizeof text, "def f%d(a, c%d):\n    \"\"\"F.\n\n    Args:\n        a: one\n        b: two\n    \"\"\"\n"
                                    "    return a\n", k, i);
        int64_t w0 = wall_ms();
        uint64_t t0 = now_ns();
        write_file(path, text);
        for (;;) {
            r = tool(&s, "{\"action\":\"status\",\"recent_events\":0,\"include_pending_changes\":false}");
            json_t *rt = json_object_get(r, "real_time_monitoring");
            long long total = json_integer_value(json_object_get(rt, "total_events"));
            if (total > seen) {
                vis[i] = (double)(now_ns() - t0) / 1e6;
                const char *at = json_string_value(json_object_get(json_object_get(rt, "last_event"), "observed_at"));
                rec[i] = (double)(iso_ms(at) - w0);
                if (rec[i] < 0) rec[i] = 0;
                srv[i] = json_real_value(json_object_get(rt, "last_record_latency_ms"));
                seen = total;
                json_decref(r);
                break;
            }
            json_decref(r);
            if ((now_ns() - t0) / 1000000 > 10000) fatal("change %d not noticed within 10 s", i);
        }
        /* let the re-check finish so the next write is a separate event */
        usleep(20 * 1000);
    }
    summary("monitor: write -> event recorded", rec, RUNS);
    summary("monitor: write -> visible in status", vis, RUNS);
    qsort(srv, RUNS, sizeof srv[0], cmp_double);
    add_row("monitor: inotify report -> row committed", "median", median(srv, RUNS), "ms", 3, 0, NULL);
    add_row("monitor: inotify report -> row committed", "p95", pct(srv, RUNS, 95), "ms", 3, 0, NULL);
    add_row("server memory while monitoring", "VmRSS", proc_status_mib(s.pid, "VmRSS"), "MiB", 1, 0, NULL);
    r = tool(&s, "{\"action\":\"stop\"}");
    json_decref(r);
    server_close(&s);
    free(s.buf);
    free(rec), free(vis), free(srv);
    print_table("file monitor benchmarks", version, (double)(now_ns() - t_start) / 1e9);
    cleanup();
    free_child_env(env);
    return 0;
}
