/* Unit tests for the http embedding backend (embed/http.c).
 *
 * They run against tests/http/fake_embeddings.py, started once for the group
 * on a free loopback port (it prints the port it got) and stopped at the end.
 * The fake's model name selects its behaviour; GET /requests tells what the
 * client really sent and POST /reset clears that record before each test. */
#include "testutil.h"

#include "core/err.h"
#include "embed/embed.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAKE_DIM 16
#define API_KEY "sekrit-key-42"

static struct {
    pid_t pid;
    int stdin_fd; /* closing it makes the fake exit even if we die first */
    int port;
    char base[64];
} fake = {-1, -1, 0, ""};

/* ---- the fake server ----------------------------------------------------------- */

static void fake_stop(void) {
    if (fake.stdin_fd >= 0) close(fake.stdin_fd);
    fake.stdin_fd = -1;
    if (fake.pid > 0) {
        kill(fake.pid, SIGTERM);
        waitpid(fake.pid, NULL, 0);
    }
    fake.pid = -1;
}

static int fake_start(void) {
    const char *script = getenv("LTMC_FAKE_EMBEDDINGS");
    if (!script) script = "tests/http/fake_embeddings.py";
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "cannot read %s: run the tests from the repository root\n", script);
        return -1;
    }
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0) return -1;
    if (pipe2(out, O_CLOEXEC) != 0) { close(in[0]); close(in[1]); return -1; }
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        execl("/usr/bin/python3", "python3", script, "--api-key", API_KEY, "--slow", "2", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    fake.pid = pid;
    fake.stdin_fd = in[1];
    /* It prints "PORT <n>" once it is listening: ready when we read it. */
    char line[64];
    size_t n = 0;
    while (n < sizeof line - 1) {
        struct pollfd p = {out[0], POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0 || read(out[0], line + n, 1) != 1 || line[n] == '\n') break;
        n++;
    }
    line[n] = '\0';
    close(out[0]);
    if (sscanf(line, "PORT %d", &fake.port) != 1) {
        fprintf(stderr, "the fake embeddings server did not start (said \"%s\")\n", line);
        fake_stop();
        return -1;
    }
    snprintf(fake.base, sizeof fake.base, "http://127.0.0.1:%d", fake.port);
    return 0;
}

/* GET or POST one of the fake's control paths; returns its JSON answer. */
static json_t *fake_call(const char *path, bool post) {
    char url[128], *buf = NULL;
    size_t len = 0;
    snprintf(url, sizeof url, "%s%s", fake.base, path);
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (post) curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    fclose(f);
    assert_int_equal(rc, CURLE_OK);
    json_t *j = json_loads(buf, 0, NULL);
    free(buf);
    assert_non_null(j);
    return j;
}

static void fake_reset(void) { json_decref(fake_call("/reset", true)); }

/* Requests recorded for model (and input, unless NULL). */
static size_t count_requests(const char *model, const char *input) {
    json_t *reqs = fake_call("/requests", false), *r;
    size_t i, n = 0;
    json_array_foreach(reqs, i, r) {
        const char *m = json_string_value(json_object_get(r, "model"));
        const char *in = json_string_value(json_object_get(r, "input"));
        if (m && strcmp(m, model) == 0 && (!input || (in && strcmp(in, input) == 0))) n++;
    }
    json_decref(reqs);
    return n;
}

static int group_setup(void **state) {
    (void)state;
    /* A proxy from the environment must not stand between us and the fake. */
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    /* Balanced by group_teardown; the backend holds its own reference. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
    return fake_start();
}

static int group_teardown(void **state) {
    (void)state;
    fake_stop();
    curl_global_cleanup();
    return 0;
}

static int reset_setup(void **state) {
    (void)state;
    fake_reset();
    return 0;
}

/* ---- helpers ------------------------------------------------------------------- */

static embedder *open_url(const char *url, const char *model, const char *key, int timeout_ms, lt_err *err) {
    embed_options o = {.backend = "http", .http_url = url, .http_model = model, .http_api_key = key, .http_timeout_ms = timeout_ms};
    lt_err_clear(err);
    return embedder_open(&o, err);
}

/* Opens against the fake with path appended to its base URL. */
static embedder *open_fake(const char *path, const char *model, const char *key, int timeout_ms, lt_err *err) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", fake.base, path);
    return open_url(url, model, key, timeout_ms, err);
}

/* The fake's vector for text (see fake_embeddings.py), normalised here
 * independently of the code under test. */
static void expected_vector(const char *text, float *v) {
    uint32_t h = 0x811C9DC5u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 0x01000193u;
    memset(v, 0, sizeof *v * FAKE_DIM);
    for (int k = 0; k < 3; k++) v[(h >> (5 * k)) % FAKE_DIM] += (float)(k + 1) * (((h >> (16 + k)) & 1) ? 1.0f : -1.0f);
    double sum = 0;
    for (int i = 0; i < FAKE_DIM; i++) sum += (double)v[i] * v[i];
    for (int i = 0; sum > 0 && i < FAKE_DIM; i++) v[i] = (float)(v[i] / sqrt(sum));
}

static bool matches_expected(const char *text, const float *got) {
    float want[FAKE_DIM];
    expected_vector(text, want);
    for (int i = 0; i < FAKE_DIM; i++)
        if (fabsf(want[i] - got[i]) > 1e-6f) return false;
    return true;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- success ------------------------------------------------------------------- */

static void test_embed_matches_fake_vector(void **state) {
    (void)state;
    lt_err err;
    embedder *e = open_fake("/v1", "plain", NULL, 5000, &err);
    assert_non_null(e);
    assert_string_equal(embedder_backend(e), "http");
    assert_int_equal(embedder_dim(e), FAKE_DIM);
    assert_string_equal(embedder_model_id(e), "http-plain-16d");

    const char *texts[] = {"hello world", "The quick brown fox", "naïve café ☕", "x"};
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
        float v[FAKE_DIM];
        assert_int_equal(embedder_embed(e, texts[t], strlen(texts[t]), v, &err), 0);
        assert_true(matches_expected(texts[t], v));
        double sum = 0;
        for (int i = 0; i < FAKE_DIM; i++) sum += (double)v[i] * v[i];
        assert_true(fabs(sum - 1.0) < 1e-5);
        assert_int_equal(count_requests("plain", texts[t]), 1);
    }

    /* No text: the zero vector, without asking the server. */
    float z[FAKE_DIM];
    assert_int_equal(embedder_embed(e, "", 0, z, &err), 0);
    for (int i = 0; i < FAKE_DIM; i++) assert_true(z[i] == 0.0f);
    assert_int_equal(count_requests("plain", ""), 0);
    embedder_close(e);
}

static void test_dimension_discovered_by_one_probe(void **state) {
    (void)state;
    lt_err err;
    embedder *e = open_fake("/v1", "probe-check", NULL, 5000, &err);
    assert_non_null(e);
    assert_int_equal(embedder_dim(e), FAKE_DIM);
    /* Exactly one request at open, before any text of ours. */
    assert_int_equal(count_requests("probe-check", NULL), 1);
    json_t *reqs = fake_call("/requests", false);
    json_t *r = json_array_get(reqs, 0);
    assert_string_equal(json_string_value(json_object_get(r, "path")), "/v1/embeddings");
    assert_true(json_is_string(json_object_get(r, "input")));
    assert_true(json_is_null(json_object_get(r, "authorization")));
    json_decref(reqs);

    json_t *info = embedder_info(e);
    assert_string_equal(json_string_value(json_object_get(info, "backend")), "http");
    assert_int_equal(json_integer_value(json_object_get(info, "dimensions")), FAKE_DIM);
    assert_string_equal(json_string_value(json_object_get(info, "model")), "probe-check");
    assert_string_equal(json_string_value(json_object_get(info, "server_model")), "probe-check:served");
    char want[128];
    snprintf(want, sizeof want, "%s/v1/embeddings", fake.base);
    assert_string_equal(json_string_value(json_object_get(info, "url")), want);
    assert_true(json_is_false(json_object_get(info, "api_key_set")));
    json_decref(info);
    embedder_close(e);
}

static void test_url_forms_reach_the_endpoint(void **state) {
    (void)state;
    const char *paths[] = {"/v1", "/v1/", "/v1//", "/v1/embeddings", "/v1/embeddings/"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        lt_err err;
        embedder *e = open_fake(paths[i], "url-forms", NULL, 5000, &err);
        if (!e) fail_msg("%s: %s", paths[i], err.msg);
        embedder_close(e);
    }
    json_t *reqs = fake_call("/requests", false), *r;
    size_t i;
    assert_int_equal(json_array_size(reqs), 5);
    json_array_foreach(reqs, i, r) assert_string_equal(json_string_value(json_object_get(r, "path")), "/v1/embeddings");
    json_decref(reqs);

    /* A base without /v1 posts to /embeddings, which this server lacks. */
    lt_err err;
    assert_null(open_fake("", "url-forms", NULL, 5000, &err));
    assert_int_equal(err.code, LT_ERR_IO);
    assert_contains(err.msg, "HTTP 404");
    assert_contains(err.msg, "no such path: /embeddings");
    assert_contains(err.msg, "check http_embedding_url");
}

/* ---- the API key ----------------------------------------------------------------- */

static void test_api_key_sent_as_bearer(void **state) {
    (void)state;
    lt_err err;
    embedder *e = open_fake("/v1", "needs-key", API_KEY, 5000, &err);
    if (!e) fail_msg("%s", err.msg);
    float v[FAKE_DIM];
    assert_int_equal(embedder_embed(e, "with a key", 10, v, &err), 0);
    assert_true(matches_expected("with a key", v));

    json_t *reqs = fake_call("/requests", false), *r;
    size_t i;
    assert_int_equal(json_array_size(reqs), 2);
    json_array_foreach(reqs, i, r)
        assert_string_equal(json_string_value(json_object_get(r, "authorization")), "Bearer " API_KEY);
    json_decref(reqs);

    json_t *info = embedder_info(e);
    char *dump = json_dumps(info, 0);
    assert_not_contains(dump, API_KEY);
    assert_true(json_is_true(json_object_get(info, "api_key_set")));
    free(dump);
    json_decref(info);
    embedder_close(e);
}

static void test_missing_key_is_reported(void **state) {
    (void)state;
    lt_err err;
    assert_null(open_fake("/v1", "needs-key", NULL, 5000, &err));
    assert_contains(err.msg, "HTTP 401");
    assert_contains(err.msg, "missing API key");
    assert_contains(err.msg, "check http_embedding_api_key");
    assert_int_equal(count_requests("needs-key", NULL), 1); /* 401 is not retried */
}

static void test_wrong_key_is_redacted_from_message(void **state) {
    (void)state;
    lt_err err;
    assert_null(open_fake("/v1", "plain", "wrong-key-99", 5000, &err));
    assert_contains(err.msg, "HTTP 401");
    assert_contains(err.msg, "Incorrect API key provided: ************");
    assert_not_contains(err.msg, "wrong-key-99");
}

static void test_info_url_has_no_credentials(void **state) {
    (void)state;
    char url[256];
    snprintf(url, sizeof url, "http://alice:pw123@127.0.0.1:%d/v1/?token=qq", fake.port);
    lt_err err;
    embedder *e = open_url(url, "plain", API_KEY, 5000, &err);
    if (!e) fail_msg("%s", err.msg);
    json_t *reqs = fake_call("/requests", false);
    json_t *r = json_array_get(reqs, 0);
    /* The query still goes to the server, after the appended path... */
    assert_string_equal(json_string_value(json_object_get(r, "path")), "/v1/embeddings?token=qq");
    /* ...and the explicit key wins over the URL's user and password. */
    assert_string_equal(json_string_value(json_object_get(r, "authorization")), "Bearer " API_KEY);
    json_decref(reqs);

    json_t *info = embedder_info(e);
    char want[128];
    snprintf(want, sizeof want, "%s/v1/embeddings", fake.base);
    assert_string_equal(json_string_value(json_object_get(info, "url")), want);
    char *dump = json_dumps(info, 0);
    assert_not_contains(dump, "pw123");
    assert_not_contains(dump, "alice");
    assert_not_contains(dump, "token");
    assert_not_contains(dump, API_KEY);
    free(dump);
    json_decref(info);
    embedder_close(e);
}

/* ---- failures ---------------------------------------------------------------------- */

static void test_connection_refused(void **state) {
    (void)state;
    /* A port that was free a moment ago and has no listener now. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
    lt_err err;
    assert_null(open_url(url, "plain", NULL, 5000, &err));
    assert_int_equal(err.code, LT_ERR_IO);
    assert_contains(err.msg, "cannot connect to the embedding server at");
    assert_contains(err.msg, url);
    assert_contains(err.msg, "is it running?");
}

static void test_error_answers_at_open(void **state) {
    (void)state;
    static const struct {
        const char *model;
        const char *want[3];
        size_t requests; /* 2 when retried */
    } cases[] = {
        {"fail-500", {"after one retry", "HTTP 500", "model crashed"}, 2},
        {"status-401", {"HTTP 401", "You didn't provide an API key.", "check http_embedding_api_key"}, 1},
        {"status-404-ollama", {"HTTP 404", "model \"status-404-ollama\" not found, try pulling it first"}, 1},
        {"status-400-text", {"HTTP 400", ": input too long for this model"}, 1},
        /* Cut to 160 bytes between two characters, not inside one. */
        {"status-400-long", {"HTTP 400: xéé", "éé..."}, 1},
        {"bad-json", {"malformed JSON", "{\"data\": [{\"embedding\": [0.1, 0.2,"}, 1},
        {"redirect", {"HTTP 301", "(no message)", "redirects are not followed"}, 1},
        {"no-data", {"sent no \"data\" array"}, 1},
        {"empty-data", {"an empty \"data\" array"}, 1},
        {"empty-embedding", {"an empty embedding"}, 1},
        {"non-numeric", {"element 3 is not a number"}, 1},
        {"base64", {"base64 embedding"}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fake_reset();
        lt_err err;
        embedder *e = open_fake("/v1", cases[i].model, NULL, 5000, &err);
        if (e) fail_msg("%s: opened", cases[i].model);
        assert_int_equal(err.code, LT_ERR_IO);
        assert_contains(err.msg, fake.base); /* names the server */
        for (int w = 0; w < 3 && cases[i].want[w]; w++) assert_contains(err.msg, cases[i].want[w]);
        if (count_requests(cases[i].model, NULL) != cases[i].requests)
            fail_msg("%s: %zu requests, expected %zu", cases[i].model, count_requests(cases[i].model, NULL), cases[i].requests);
    }
}

static void test_error_answers_after_open(void **state) {
    (void)state;
    static const struct {
        const char *model;
        lt_err_code code;
        const char *want;
    } cases[] = {
        {"wrong-dim-after-first", LT_ERR_CONFLICT, "sent 12 dimensions instead of 16"},
        {"bad-json-after-first", LT_ERR_IO, "malformed JSON"},
        {"fail-500-after-first", LT_ERR_IO, "after one retry: the embedding server at"},
        {"non-numeric-after-first", LT_ERR_IO, "not a number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lt_err err;
        embedder *e = open_fake("/v1", cases[i].model, NULL, 5000, &err);
        if (!e) fail_msg("%s: %s", cases[i].model, err.msg);
        float v[FAKE_DIM];
        lt_err_clear(&err);
        assert_int_equal(embedder_embed(e, "second text", 11, v, &err), -1);
        assert_int_equal(err.code, cases[i].code);
        assert_contains(err.msg, cases[i].want);
        embedder_close(e);
    }
}

static void test_retry_once_on_transient_failure(void **state) {
    (void)state;
    /* The first time each text is seen, flaky answers 503, rate-limit-once
     * 429 and reset-once resets the connection. Both the probe and the text
     * recover. */
    const char *models[] = {"flaky", "rate-limit-once", "reset-once"};
    for (size_t m = 0; m < sizeof models / sizeof *models; m++) {
        lt_err err;
        embedder *e = open_fake("/v1", models[m], NULL, 5000, &err);
        if (!e) fail_msg("%s: %s", models[m], err.msg);
        float v[FAKE_DIM];
        if (embedder_embed(e, "try again", 9, v, &err) != 0) fail_msg("%s: %s", models[m], err.msg);
        assert_true(matches_expected("try again", v));
        assert_int_equal(count_requests(models[m], "try again"), 2);
        assert_int_equal(count_requests(models[m], NULL), 4);
        embedder_close(e);
    }
}

static void test_timeout_on_slow_server(void **state) {
    (void)state;
    lt_err err;
    /* At open. */
    double t0 = now_ms();
    assert_null(open_fake("/v1", "slow", NULL, 300, &err));
    assert_contains(err.msg, "did not answer within 300 ms");
    assert_true(now_ms() - t0 < 1500);

    /* After open, and not retried. */
    embedder *e = open_fake("/v1", "slow-after-first", NULL, 300, &err);
    if (!e) fail_msg("%s", err.msg);
    float v[FAKE_DIM];
    t0 = now_ms();
    assert_int_equal(embedder_embed(e, "take your time", 14, v, &err), -1);
    double took = now_ms() - t0;
    assert_int_equal(err.code, LT_ERR_IO);
    assert_contains(err.msg, "did not answer within 300 ms");
    if (took < 250 || took > 1500) fail_msg("timed out after %.0f ms", took);
    assert_int_equal(count_requests("slow-after-first", "take your time"), 1);
    embedder_close(e);
}

static void test_bad_options(void **state) {
    (void)state;
    lt_err err;
    assert_null(open_url(NULL, "m", NULL, 0, &err));
    assert_int_equal(err.code, LT_ERR_INVALID);
    assert_contains(err.msg, "set http_embedding_url");
    assert_null(open_url("http://127.0.0.1:1/v1", "", NULL, 0, &err));
    assert_contains(err.msg, "set http_embedding_model");
    assert_null(open_url("ftp://127.0.0.1/v1", "m", NULL, 0, &err));
    assert_contains(err.msg, "must start with http:// or https://");
    assert_null(open_url("http://bad host:99999/v1", "m", NULL, 0, &err));
    assert_int_equal(err.code, LT_ERR_INVALID);
    assert_contains(err.msg, "not a valid URL");
    assert_null(open_url("http://127.0.0.1:1/v1", "m", "abc\r\nX-Evil: 1", 0, &err));
    assert_contains(err.msg, "line break");
    char long_model[200];
    memset(long_model, 'm', sizeof long_model - 1);
    long_model[sizeof long_model - 1] = '\0';
    assert_null(open_url("http://127.0.0.1:1/v1", long_model, NULL, 0, &err));
    assert_contains(err.msg, "longer than");
    /* None of these reached a server. */
    assert_int_equal(count_requests("m", NULL), 0);
}

/* ---- threads ------------------------------------------------------------------------ */

enum { THREADS = 4, TEXTS_PER_THREAD = 50 };

typedef struct {
    embedder *e;
    int id;
    atomic_int *bad;
} worker_arg;

/* cmocka's assertions belong to the main thread: count failures instead. */
static void *worker(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < TEXTS_PER_THREAD; i++) {
        char text[64];
        snprintf(text, sizeof text, "thread %d text %d", a->id, i);
        float v[FAKE_DIM];
        lt_err err;
        if (embedder_embed(a->e, text, strlen(text), v, &err) != 0 || !matches_expected(text, v)) atomic_fetch_add(a->bad, 1);
    }
    return NULL;
}

static void test_four_threads_share_one_embedder(void **state) {
    (void)state;
    lt_err err;
    embedder *e = open_fake("/v1", "threads", NULL, 5000, &err);
    if (!e) fail_msg("%s", err.msg);
    atomic_int bad = 0;
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){e, i, &bad};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&bad), 0);

    /* Every text reached the server, over a handful of kept-alive
     * connections rather than one per request. */
    json_t *reqs = fake_call("/requests", false), *r;
    assert_int_equal(json_array_size(reqs), 1 + THREADS * TEXTS_PER_THREAD);
    json_int_t ports[1 + THREADS * TEXTS_PER_THREAD];
    size_t i, distinct = 0;
    json_array_foreach(reqs, i, r) {
        json_int_t port = json_integer_value(json_object_get(r, "client_port"));
        bool seen = false;
        for (size_t k = 0; k < distinct; k++) seen |= ports[k] == port;
        if (!seen) ports[distinct++] = port;
    }
    json_decref(reqs);
    if (distinct > 8) fail_msg("%zu connections for %d requests", distinct, 1 + THREADS * TEXTS_PER_THREAD);
    embedder_close(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_embed_matches_fake_vector, reset_setup),
        cmocka_unit_test_setup(test_dimension_discovered_by_one_probe, reset_setup),
        cmocka_unit_test_setup(test_url_forms_reach_the_endpoint, reset_setup),
        cmocka_unit_test_setup(test_api_key_sent_as_bearer, reset_setup),
        cmocka_unit_test_setup(test_missing_key_is_reported, reset_setup),
        cmocka_unit_test_setup(test_wrong_key_is_redacted_from_message, reset_setup),
        cmocka_unit_test_setup(test_info_url_has_no_credentials, reset_setup),
        cmocka_unit_test_setup(test_connection_refused, reset_setup),
        cmocka_unit_test_setup(test_error_answers_at_open, reset_setup),
        cmocka_unit_test_setup(test_error_answers_after_open, reset_setup),
        cmocka_unit_test_setup(test_retry_once_on_transient_failure, reset_setup),
        cmocka_unit_test_setup(test_timeout_on_slow_server, reset_setup),
        cmocka_unit_test_setup(test_bad_options, reset_setup),
        cmocka_unit_test_setup(test_four_threads_share_one_embedder, reset_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
