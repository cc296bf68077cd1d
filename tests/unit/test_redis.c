/* Unit tests for cache/redis (the L2 tier): against a real redis-server
 * started on a free loopback port and stopped at the end, and with nothing
 * listening. Keys outside "ltmc:" are never touched; a restart of Redis is
 * survived by reconnecting. */
#include "testutil.h"

#include "cache/caches.h"
#include "cache/redis.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern char **environ;

static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t n = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &n);
    close(s);
    return ntohs(a.sin_port);
}

static pid_t server_pid;
static int server_port;

static bool redis_available(void) { return access("/usr/bin/redis-server", X_OK) == 0; }

static void start_redis(int port) {
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    char *argv[] = {"redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "no", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&server_pid, "/usr/bin/redis-server", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 100; i++) { /* up to 5 s */
        struct timeval tv = {0, 100000};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
        bool up = c && !c->err;
        if (c) redisFree(c);
        if (up) return;
        usleep(50000);
    }
    fail_msg("redis-server did not start on port %d", port);
}

static void stop_redis(void) {
    if (server_pid <= 0) return;
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
    server_pid = 0;
}

static int group_setup(void **state) {
    (void)state;
    if (!redis_available()) return 0;
    server_port = free_port();
    start_redis(server_port);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    stop_redis();
    return 0;
}

static l2 *connect_l2(int port) {
    l2_config c = {"127.0.0.1", port, NULL, 0, 200, 60};
    return l2_new(&c);
}

static void test_parse_url(void **state) {
    (void)state;
    char buf[256];
    l2_config c = {0};
    lt_err err;
    assert_int_equal(l2_parse_url("redis://:s3cret@cache.local:6380/2", buf, sizeof buf, &c, &err), 0);
    assert_string_equal(c.host, "cache.local");
    assert_int_equal(c.port, 6380);
    assert_string_equal(c.password, "s3cret");
    assert_int_equal(c.db, 2);
    l2_config d = {0};
    assert_int_equal(l2_parse_url("redis://127.0.0.1", buf, sizeof buf, &d, &err), 0);
    assert_string_equal(d.host, "127.0.0.1");
    assert_int_equal(d.port, 0);
    assert_int_equal(l2_parse_url("http://x", buf, sizeof buf, &d, &err), -1);
    assert_contains(err.msg, "redis://");
    assert_int_equal(l2_parse_url("redis://x:99999", buf, sizeof buf, &d, &err), -1);
    assert_int_equal(l2_parse_url("redis://x/abc", buf, sizeof buf, &d, &err), -1);
}

static void test_absent_is_never_an_error(void **state) {
    (void)state;
    l2 *c = connect_l2(free_port()); /* nothing listens there */
    uint64_t t0 = clock_mono_ns();
    void *v;
    size_t n;
    assert_false(l2_get(c, "embedding:x", &v, &n));
    l2_put(c, "embedding:x", "v", 1);
    for (int i = 0; i < 100; i++) assert_false(l2_get(c, "embedding:x", &v, &n)); /* no reconnect storm */
    assert_true((double)(clock_mono_ns() - t0) / 1e6 < 1000);
    double ms;
    lt_err err;
    assert_int_equal(l2_ping(c, &ms, NULL, &err), -1);
    assert_contains(err.msg, "Redis is unreachable");
    assert_int_equal(l2_count(c, "*"), -1);
    assert_false(l2_get_stats(c).connected);
    l2_free(c);
    /* Not configured at all. */
    l2_config none = {0};
    l2 *u = l2_new(&none);
    assert_false(l2_configured(u));
    assert_false(l2_get(u, "k", &v, &n));
    assert_int_equal(l2_flush(u, "*", &err), 0);
    l2_free(u);
}

static void test_roundtrip_and_prefix(void **state) {
    (void)state;
    if (!redis_available()) skip();
    l2 *c = connect_l2(server_port);
    l2_put(c, "embedding:m:hello", "\x01\x00\x02", 3);
    void *v;
    size_t n;
    assert_true(l2_get(c, "embedding:m:hello", &v, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(v, "\x01\x00\x02", 3);
    free(v);
    double ms;
    json_t *info = json_object();
    assert_int_equal(l2_ping(c, &ms, info, NULL), 0);
    assert_non_null(jx_str(info, "redis_version"));
    json_decref(info);
    /* A key that is not ltmc's survives every flush; a value has an expiry. */
    struct timeval tv = {1, 0};
    redisContext *raw = redisConnectWithTimeout("127.0.0.1", server_port, tv);
    freeReplyObject(redisCommand(raw, "SET other:key keep"));
    redisReply *ttl = redisCommand(raw, "TTL ltmc:embedding:m:hello");
    assert_true(ttl->integer > 0 && ttl->integer <= 60);
    freeReplyObject(ttl);
    l2_put(c, "embedding:m:world", "w", 1);
    l2_put(c, "query:x", "q", 1);
    assert_int_equal(l2_count(c, "embedding:*"), 2);
    lt_err err;
    assert_int_equal(l2_flush(c, "embedding:*", &err), 2);
    assert_int_equal(l2_count(c, "*"), 1);
    assert_int_equal(l2_flush(c, "*", &err), 1);
    redisReply *other = redisCommand(raw, "GET other:key");
    assert_string_equal(other->str, "keep");
    freeReplyObject(other);
    redisFree(raw);
    assert_int_equal(l2_get_stats(c).connects, 1); /* one connection, reused */
    l2_free(c);
}

static void test_reconnect_after_restart(void **state) {
    (void)state;
    if (!redis_available()) skip();
    l2 *c = connect_l2(server_port);
    l2_put(c, "embedding:r", "1", 1);
    void *v;
    size_t n;
    assert_true(l2_get(c, "embedding:r", &v, &n));
    free(v);
    stop_redis();
    assert_false(l2_get(c, "embedding:r", &v, &n)); /* down: a miss, not an error */
    start_redis(server_port);
    usleep(1100 * 1000); /* past the one-second reconnect backoff */
    l2_put(c, "embedding:r", "2", 1);
    assert_true(l2_get(c, "embedding:r", &v, &n));
    assert_memory_equal(v, "2", 1);
    free(v);
    assert_int_equal(l2_get_stats(c).connects, 2);
    l2_free(c);
}

static void test_through_the_tools(void **state) {
    if (!redis_available()) skip();
    tu_fixture_setup(state);
    tu_fixture *f = *state;
    caches_reset();
    caches_set_l2(connect_l2(server_port));
    json_decref(tu_ok("memory_action", f->st, f->cfg,
                      "{\"action\":\"store\",\"file_name\":\"a\",\"content\":\"shared embeddings in redis\"}"));
    json_decref(tu_ok("memory_action", f->st, f->cfg, "{\"action\":\"retrieve\",\"query\":\"shared redis\"}"));
    assert_true(l2_count(caches_l2(), "embedding:*") >= 1);
    /* Another process would find it in Redis: empty L1, embed again. */
    l1_flush(caches_embeddings(), NULL);
    l1_flush(caches_queries(), NULL);
    json_decref(tu_ok("memory_action", f->st, f->cfg, "{\"action\":\"retrieve\",\"query\":\"shared redis\"}"));
    assert_true(l2_get_stats(caches_l2()).hits >= 1);
    json_t *h = tu_ok("cache_action", f->st, f->cfg, "{\"action\":\"health_check\"}");
    assert_json_str(json_object_get(json_object_get(h, "components"), "redis"), "status", "healthy");
    assert_json_str(h, "status", "healthy");
    json_decref(h);
    json_t *s = tu_ok("cache_action", f->st, f->cfg, "{\"action\":\"stats\"}");
    json_t *l2j = json_object_get(json_object_get(s, "stats"), "l2");
    assert_json_bool(l2j, "connected", true);
    assert_true(jx_int(l2j, "embedding_cache_count", 0) >= 1);
    json_decref(s);
    json_t *fl = tu_ok("cache_action", f->st, f->cfg, "{\"action\":\"flush\",\"cache_type\":\"embeddings\"}");
    assert_true(jx_int(json_object_get(fl, "breakdown"), "redis_embeddings", 0) >= 1);
    json_decref(fl);
    assert_int_equal(l2_count(caches_l2(), "embedding:*"), 0);
    /* Redis gone: health degrades, other tools keep working. */
    caches_set_l2(connect_l2(free_port()));
    json_decref(tu_ok("memory_action", f->st, f->cfg, "{\"action\":\"retrieve\",\"query\":\"other words\"}"));
    h = tu_ok("cache_action", f->st, f->cfg, "{\"action\":\"health_check\"}");
    assert_json_str(json_object_get(json_object_get(h, "components"), "redis"), "status", "degraded");
    assert_json_str(h, "status", "degraded");
    json_decref(h);
    caches_set_l2(NULL);
    tu_fixture_teardown(state);
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_absent_is_never_an_error),
        cmocka_unit_test(test_roundtrip_and_prefix),
        cmocka_unit_test(test_reconnect_after_restart),
        cmocka_unit_test(test_through_the_tools),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
