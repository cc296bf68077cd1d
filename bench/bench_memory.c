/* bench_memory.c - end-to-end benchmarks of semantic memory (memory_action)
 * over `ltmc serve`'s real stdio transport.
 *
 *   build/bench_memory build/ltmc [full]     (what `make bench` runs;
 *                                             `make bench BENCH_SCALE=full`
 *                                             passes full)
 *
 * Spawns the real binary with fork/exec and pipes, in fresh temporary data
 * directories (benchutil.h), with the default glove embedder (the server
 * finds build/glove-100d.ltmcvec beside the binary), and measures:
 *
 *   1. bulk import: memory_action bulk_store in batches of BULK_BATCH, from an
 *      empty database up to the largest size (100,000 memories; 1,000,000
 *      with `full`): seconds spent in bulk_store calls and memories/s
 *   2. at each database size (1k, 10k, 100k[, 1M]):
 *      a. memory_action retrieve (top_k 10) latency over a mix of queries,
 *         p50/p95/p99, the p50 of each kind of query, and how often the
 *         memory a query was made from comes back in the top 10
 *      b. the server's VmRSS / VmHWM (the server that did the import)
 *      c. memory_action store of a 1 KiB memory, sequential round trips:
 *         p50/p95/p99 and calls/s -- on a copy of the database, so the sizes
 *         stay exact and the import goes on from an unchanged database
 *      d. a restart: spawn -> initialize, then the first retrieve (which
 *         loads the vector index from the database), and VmRSS after it
 *   3. the same store and retrieve at 10k with the hash embedder
 *      (LTMC_EMBEDDING_BACKEND=hash), for comparison
 *
 * The text is realistic enough for both halves of the hybrid search to work:
 * pseudo-sentences of 5-16 words drawn with Zipf frequencies (rank r has
 * probability ~ 1/(r+1)) from vocab.h, the 4096 most frequent alphabetic
 * GloVe words ("the" first), generated deterministically from the memory's
 * number (splitmix64), 200-1000 bytes each, in conversations of 25, two
 * thirds of them tagged. Queries come in three kinds, in turn:
 *   words       4 content words of a random stored memory
 *   paraphrase  the same 4 words replaced by their nearest GloVe neighbours
 *               outside the vocabulary ("what about x y z and w"): no shared
 *               word except through stemming, found mostly by meaning
 *   zipf        2-5 content words drawn like the text: common terms with
 *               long posting lists, unrelated to any one memory
 *
 * Environment variables for repeated runs and profiling (all optional):
 *   BENCH_MEMORY_DBS=DIR    keeps a copy of the glove database at each size
 *                           in DIR/glove-<size> (with the imported ids) and,
 *                           when that copy exists, starts from it instead of
 *                           importing (the 1M database takes minutes to
 *                           build); a size restored so has no import time
 *   BENCH_MEMORY_SIZES=a,b  measure these sizes only (ascending), and skip
 *                           the hash embedder
 *   BENCH_MEMORY_REQUESTS=F appends every retrieve request line to F, to
 *                           replay under a profiler (ltmc serve < F)
 *
 * Benchmarks print numbers; they do not assert. The exit status is 0 whether
 * or not a goal is met, and 1 only when the server misbehaves (an error
 * response, a wrong reply, a crash, a hang, a non-zero exit status). */
#include "benchutil.h"

#include "vocab.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>

#define VOCAB_N ((int)(sizeof vocab / sizeof vocab[0]))

#define BULK_BATCH 5000      /* the server's limit per bulk_store call */
#define BULK_MIN_BYTES 200
#define BULK_MAX_BYTES 1000
#define CONVERSATION_LEN 25  /* consecutive memories per conversation */
#define STORE_BYTES 1024
#define STORE_WARMUP 20
#define STORE_RUNS 500
#define RETRIEVE_WARMUP 30
#define RETRIEVE_RUNS 300    /* a third of each kind */
#define BIG_SIZE 1000000     /* from this size on, fewer queries: */
#define BIG_WARMUP 9
#define BIG_RUNS 90
#define TOP_K 10
#define QUERY_WORDS 4
#define HASH_SIZE 10000
#define MAX_SIZES 4

static const long sizes_default[] = {1000, 10000, 100000};
static const long sizes_full[] = {1000, 10000, 100000, 1000000};

static const char *const resource_types[] = {"document", "insight", "decision", "note"};

/* ---- deterministic text ---------------------------------------------------------- */

typedef struct {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1p-53; }
static uint64_t rng_below(rng *r, uint64_t n) { return rng_next(r) % n; }

static double zipf_cdf[VOCAB_N];

static void zipf_init(void) {
    double sum = 0;
    for (int i = 0; i < VOCAB_N; i++) zipf_cdf[i] = sum += 1.0 / (double)(i + 1);
    for (int i = 0; i < VOCAB_N; i++) zipf_cdf[i] /= sum;
}

static int zipf_draw(rng *r) {
    double u = rng_unit(r);
    int lo = 0, hi = VOCAB_N - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (zipf_cdf[mid] < u) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* Function words are their own paraphrase in vocab.h. */
static bool is_content_word(int r) { return strcmp(vocab[r][0], vocab[r][1]) != 0; }

#define TEXT_CAP 1100
#define RANKS_CAP 600

/* The text of memory `seed`: sentences of Zipf-drawn words, between about
 * min_bytes and max_bytes long. Fills ranks with the words' vocabulary
 * ranks (if not NULL). Returns the length. */
static size_t gen_text(uint64_t seed, size_t min_bytes, size_t max_bytes, char *out, int *ranks, size_t *n_ranks) {
    rng r = {seed * 0x2545f4914f6cdd1dull + 0x1234567ull};
    size_t target = min_bytes + (size_t)rng_below(&r, max_bytes - min_bytes + 1);
    size_t len = 0, nr = 0;
    int left = 0;
    bool start = true;
    for (;;) {
        if (left == 0) left = 5 + (int)rng_below(&r, 12);
        int w = zipf_draw(&r);
        const char *word = vocab[w][0];
        size_t wl = strlen(word);
        if (len + (len ? 1 : 0) + wl + 1 > target) break; /* + 1: room for the final full stop */
        if (len) out[len++] = ' ';
        memcpy(out + len, word, wl);
        if (start) out[len] = (char)toupper((unsigned char)out[len]);
        len += wl;
        if (ranks && nr < RANKS_CAP) ranks[nr++] = w;
        start = --left == 0;
        if (start) out[len++] = '.';
    }
    if (len == 0 || out[len - 1] != '.') out[len++] = '.';
    out[len] = '\0';
    if (n_ranks) *n_ranks = nr;
    return len;
}

/* ---- growable text buffer ---------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) fatal("out of memory");
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) fatal("sb_printf: too long");
    sb_add(b, tmp, (size_t)n);
}

/* ---- a database under test ------------------------------------------------------------ */

typedef struct {
    const char *label; /* embedder: "glove" or "hash" */
    char data_dir[PATH_MAX];
    char **env;
    server s;
    long count;        /* memories imported */
    int64_t *ids;      /* doc_id of imported memory i */
    long ids_cap;
    double bulk_s;     /* seconds inside bulk_store round trips */
    char version[64];
} db;

static char cfg_dir[PATH_MAX];

static void db_open(db *d, const char *label, const char *const *extra) {
    memset(d, 0, sizeof *d);
    d->label = label;
    bench_tmpdir(label, d->data_dir);
    d->env = make_child_env(d->data_dir, cfg_dir, extra);
    d->s.in_fd = d->s.out_fd = -1;
    server_spawn(&d->s, d->env);
    initialize(&d->s, d->version, sizeof d->version);
}

static void db_free(db *d) {
    free_child_env(d->env);
    free(d->ids);
    free(d->s.buf);
}

/* One memory of the import as a bulk_store document. */
static void add_document(sbuf *b, long i) {
    char text[TEXT_CAP];
    size_t len = gen_text((uint64_t)i, BULK_MIN_BYTES, BULK_MAX_BYTES, text, NULL, NULL);
    sb_printf(b, "{\"file_name\":\"notes/%ld.md\",\"resource_type\":\"%s\",\"conversation_id\":\"conv-%ld\",", i,
              resource_types[i % 4], i / CONVERSATION_LEN);
    if (i % 3 == 0) sb_printf(b, "\"tags\":[\"topic-%ld\"],", i % 40);
    else if (i % 3 == 1) sb_printf(b, "\"tags\":[\"topic-%ld\",\"team-%ld\"],", i % 40, i % 7);
    sb_add(b, "\"content\":\"", 11);
    sb_add(b, text, len); /* letters, spaces and full stops: nothing to escape */
    sb_add(b, "\"}", 2);
}

/* Imports memories d->count .. target-1 in batches; the time inside the
 * round trips adds to d->bulk_s. Returns the seconds this call took. */
static void ids_reserve(db *d, long n);

static double bulk_to(db *d, long target) {
    ids_reserve(d, target);
    sbuf b = {0};
    double secs = 0;
    long report = d->count;
    while (d->count < target) {
        long n = target - d->count < BULK_BATCH ? target - d->count : BULK_BATCH;
        long id = d->s.next_id++;
        b.len = 0;
        sb_printf(&b, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\",\"params\":{\"name\":\"memory_action\","
                  "\"arguments\":{\"action\":\"bulk_store\",\"documents\":[", id);
        for (long i = 0; i < n; i++) {
            if (i) sb_add(&b, ",", 1);
            add_document(&b, d->count + i);
        }
        sb_add(&b, "]}}}\n", 5);
        json_t *root, *result;
        uint64_t ns = round_trip(&d->s, b.p, b.len, id, true, &result, &root);
        secs += (double)ns / 1e9;
        json_t *sc = json_object_get(result, "structuredContent");
        json_t *docs = json_object_get(sc, "documents");
        if (json_integer_value(json_object_get(sc, "stored")) != n || (long)json_array_size(docs) != n)
            fatal("bulk_store of %ld memories stored %lld (%zu results)", n,
                  (long long)json_integer_value(json_object_get(sc, "stored")), json_array_size(docs));
        for (long i = 0; i < n; i++)
            d->ids[d->count + i] = json_integer_value(json_object_get(json_array_get(docs, (size_t)i), "doc_id"));
        json_decref(root);
        d->count += n;
        if (d->count - report >= 100000 || d->count == target) {
            fprintf(stderr, "  %s: %ld memories imported (%.0f/s overall)\n", d->label, d->count,
                    (double)d->count / (d->bulk_s + secs));
            report = d->count;
        }
    }
    free(b.p);
    d->bulk_s += secs;
    return secs;
}

/* ---- retrieve ---------------------------------------------------------------------------- */

typedef struct {
    long size;
    int runs;
    double p50, p95, p99, max;
    double kind_p50[3];
    double recall[2];      /* words, paraphrase: the source memory in the top 10 */
    double rss, hwm, anon; /* the importing server, after the queries */
    double restart_ms;     /* spawn -> initialize reply */
    double cold_ms;        /* first retrieve after the restart (index load) */
    double rss_restarted;  /* VmRSS after that first retrieve */
    double store_p50, store_p95, store_p99, store_rate;
    double db_mib;
} size_result;

/* Query number q against a database of `count` imported memories: fills
 * buf and, for words and paraphrase, *source with the memory it came from. */
static void make_query(long count, uint64_t seed, int kind, char *buf, size_t cap, long *source) {
    rng r = {seed};
    size_t len = 0;
    buf[0] = '\0';
    *source = -1;
    if (kind == 2) {
        int n = 2 + (int)rng_below(&r, 4);
        for (int i = 0; i < n; i++) {
            int w;
            do w = zipf_draw(&r);
            while (!is_content_word(w));
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "", vocab[w][0]);
        }
        return;
    }
    long j = (long)rng_below(&r, (uint64_t)count);
    char text[TEXT_CAP];
    int ranks[RANKS_CAP];
    size_t nr;
    gen_text((uint64_t)j, BULK_MIN_BYTES, BULK_MAX_BYTES, text, ranks, &nr);
    int picked[QUERY_WORDS], np = 0;
    for (int tries = 0; np < QUERY_WORDS && tries < 1000; tries++) {
        int w = ranks[rng_below(&r, nr)];
        bool dup = !is_content_word(w);
        for (int k = 0; k < np && !dup; k++) dup = picked[k] == w;
        if (!dup) picked[np++] = w;
    }
    *source = j;
    if (kind == 1) len += (size_t)snprintf(buf + len, cap - len, "what about");
    for (int k = 0; k < np; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s%s", len ? " " : "",
                                kind == 1 && k == np - 1 && np > 1 ? "and " : "", vocab[picked[k]][kind]);
}

static FILE *requests_out; /* BENCH_MEMORY_REQUESTS */

static double retrieve_once(db *d, const char *query, long source, bool *found) {
    char params[1024], req[1200];
    snprintf(params, sizeof params,
             "{\"name\":\"memory_action\",\"arguments\":{\"action\":\"retrieve\",\"query\":\"%s\",\"top_k\":%d}}",
             query, TOP_K);
    long id = d->s.next_id++;
    size_t n = make_request(req, sizeof req, id, "tools/call", params);
    if (requests_out) fwrite(req, 1, n, requests_out);
    json_t *root, *result;
    double ms = (double)round_trip(&d->s, req, n, id, true, &result, &root) / 1e6;
    json_t *docs = json_object_get(json_object_get(result, "structuredContent"), "documents");
    if (!json_is_array(docs) || json_array_size(docs) > TOP_K)
        fatal("retrieve returned %zu documents (top_k %d) for \"%s\"", json_array_size(docs), TOP_K, query);
    if (json_array_size(docs) == 0 && d->count > 0) fatal("retrieve found nothing for \"%s\"", query);
    *found = false;
    if (source >= 0) {
        size_t i;
        json_t *doc;
        json_array_foreach(docs, i, doc) if (json_integer_value(json_object_get(doc, "doc_id")) == d->ids[source])
            *found = true;
    }
    json_decref(root);
    return ms;
}

static void bench_retrieve(db *d, int warmup, int runs, size_result *res) {
    double *all = malloc(sizeof *all * (size_t)runs), *by_kind[3];
    int n_kind[3] = {0}, hits[2] = {0}, asked[2] = {0};
    for (int k = 0; k < 3; k++) by_kind[k] = malloc(sizeof(double) * (size_t)runs);
    char query[512];
    for (int i = -warmup; i < runs; i++) {
        int kind = (i + warmup) % 3;
        long source;
        make_query(d->count, (uint64_t)d->count * 1000003u + (uint64_t)(i + warmup), kind, query, sizeof query,
                   &source);
        bool found;
        double ms = retrieve_once(d, query, source, &found);
        if (i < 0) continue;
        all[i] = ms;
        by_kind[kind][n_kind[kind]++] = ms;
        if (kind < 2) {
            asked[kind]++;
            hits[kind] += found;
        }
    }
    qsort(all, (size_t)runs, sizeof *all, cmp_double);
    res->runs = runs;
    res->p50 = median(all, (size_t)runs);
    res->p95 = pct(all, (size_t)runs, 95);
    res->p99 = pct(all, (size_t)runs, 99);
    res->max = all[runs - 1];
    for (int k = 0; k < 3; k++) {
        qsort(by_kind[k], (size_t)n_kind[k], sizeof(double), cmp_double);
        res->kind_p50[k] = median(by_kind[k], (size_t)n_kind[k]);
        free(by_kind[k]);
    }
    for (int k = 0; k < 2; k++) res->recall[k] = asked[k] ? 100.0 * hits[k] / asked[k] : 0;
    res->rss = proc_status_mib(d->s.pid, "VmRSS");
    res->hwm = proc_status_mib(d->s.pid, "VmHWM");
    res->anon = proc_status_mib(d->s.pid, "RssAnon");
    free(all);
    fprintf(stderr, "  %s @ %ld: retrieve p50 %.2f ms, p95 %.2f ms (words %.2f, paraphrase %.2f, zipf %.2f)\n",
            d->label, d->count, res->p50, res->p95, res->kind_p50[0], res->kind_p50[1], res->kind_p50[2]);
}

/* ---- store ------------------------------------------------------------------------------- */

static void bench_store(server *s, const char *label, long size, size_result *res) {
    double *ms = malloc(sizeof *ms * STORE_RUNS);
    sbuf b = {0};
    long chunks = 0;
    uint64_t start = 0;
    for (int i = -STORE_WARMUP; i < STORE_RUNS; i++) {
        if (i == 0) start = now_ns();
        char text[TEXT_CAP];
        size_t len = gen_text((1ull << 40) + (uint64_t)(i + STORE_WARMUP), STORE_BYTES, STORE_BYTES, text, NULL, NULL);
        long id = s->next_id++;
        b.len = 0;
        sb_printf(&b, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\",\"params\":{\"name\":\"memory_action\","
                  "\"arguments\":{\"action\":\"store\",\"file_name\":\"bench/store-%d.md\",\"resource_type\":"
                  "\"insight\",\"conversation_id\":\"store-bench\",\"tags\":[\"bench\",\"store\"],\"content\":\"", id,
                  i + STORE_WARMUP);
        sb_add(&b, text, len);
        sb_add(&b, "\"}}}\n", 5);
        json_t *root, *result;
        double t = (double)round_trip(s, b.p, b.len, id, true, &result, &root) / 1e6;
        json_t *sc = json_object_get(result, "structuredContent");
        if (!json_is_false(json_object_get(sc, "duplicate")) || json_integer_value(json_object_get(sc, "doc_id")) <= 0)
            fatal("store did not store a new memory: %s", json_string_value(json_object_get(sc, "message")));
        chunks += (long)json_integer_value(json_object_get(sc, "chunk_count"));
        json_decref(root);
        if (i >= 0) ms[i] = t;
    }
    double secs = (double)(now_ns() - start) / 1e9;
    qsort(ms, STORE_RUNS, sizeof *ms, cmp_double);
    res->store_p50 = median(ms, STORE_RUNS);
    res->store_p95 = pct(ms, STORE_RUNS, 95);
    res->store_p99 = pct(ms, STORE_RUNS, 99);
    res->store_rate = STORE_RUNS / secs;
    fprintf(stderr, "  %s @ %ld: store p50 %.2f ms, p95 %.2f ms (%.1f chunks each)\n", label, size, res->store_p50,
            res->store_p95, (double)chunks / (STORE_RUNS + STORE_WARMUP));
    free(ms);
    free(b.p);
}

/* ---- copies and restarts ------------------------------------------------------------------ */

static void copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) fatal("open %s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) fatal("create %s: %s", to, strerror(errno));
    static char buf[1 << 20];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fatal("read %s: %s", from, strerror(errno));
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) fatal("write %s: %s", to, strerror(errno));
            off += w;
        }
    }
    close(in);
    if (close(out) != 0) fatal("close %s: %s", to, strerror(errno));
}

/* Copies the regular files of a (flat) data directory; returns their MiB. */
static double copy_dir(const char *from, const char *to) {
    DIR *dir = opendir(from);
    if (!dir) fatal("opendir %s: %s", from, strerror(errno));
    double mib = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        char a[PATH_MAX], b[PATH_MAX];
        struct stat st;
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        if (stat(a, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        copy_file(a, b);
        mib += (double)st.st_size / (1024.0 * 1024.0);
    }
    closedir(dir);
    return mib;
}

/* ---- prepared databases (BENCH_MEMORY_DBS) -------------------------------------------- */

static const char *dbs_dir;

static void prepared_path(const db *d, long size, const char *leaf, char out[PATH_MAX]) {
    snprintf(out, PATH_MAX, "%s/%s-%ld%s%s", dbs_dir, d->label, size, leaf ? "/" : "", leaf ? leaf : "");
}

static void ids_reserve(db *d, long n) {
    if (n <= d->ids_cap) return;
    int64_t *grown = realloc(d->ids, sizeof *grown * (size_t)n);
    if (!grown) fatal("out of memory");
    d->ids = grown;
    d->ids_cap = n;
}

/* Saves the (closed) database of d and its ids as DIR/<label>-<count>. */
static void prepared_save(const db *d) {
    char dir[PATH_MAX], data[PATH_MAX], ids[PATH_MAX];
    prepared_path(d, d->count, NULL, dir);
    prepared_path(d, d->count, "data", data);
    prepared_path(d, d->count, "ids", ids);
    if (access(ids, R_OK) == 0) return; /* kept already */
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || (mkdir(data, 0700) != 0 && errno != EEXIST))
        fatal("mkdir %s: %s", data, strerror(errno));
    copy_dir(d->data_dir, data);
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", ids);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(d->ids, sizeof *d->ids, (size_t)d->count, f) != (size_t)d->count || fclose(f) != 0)
        fatal("write %s: %s", tmp, strerror(errno));
    if (rename(tmp, ids) != 0) fatal("rename %s: %s", tmp, strerror(errno));
    fprintf(stderr, "  %s: kept the %ld-memory database in %s\n", d->label, d->count, dir);
}

/* Replaces d's database with the prepared one of `size` memories, if there
 * is one; the server is restarted on it. */
static bool prepared_restore(db *d, long size) {
    if (!dbs_dir) return false;
    char data[PATH_MAX], ids[PATH_MAX];
    prepared_path(d, size, "data", data);
    prepared_path(d, size, "ids", ids);
    FILE *f = fopen(ids, "rb");
    if (!f) return false;
    server_close(&d->s);
    ids_reserve(d, size);
    if (fread(d->ids, sizeof *d->ids, (size_t)size, f) != (size_t)size) fatal("short read of %s", ids);
    fclose(f);
    DIR *dir = opendir(d->data_dir);
    if (!dir) fatal("opendir %s: %s", d->data_dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(dir))) {
        char a[PATH_MAX];
        snprintf(a, sizeof a, "%s/%s", d->data_dir, e->d_name);
        struct stat st;
        if (stat(a, &st) == 0 && S_ISREG(st.st_mode)) unlink(a);
    }
    closedir(dir);
    copy_dir(data, d->data_dir);
    d->count = size;
    server_spawn(&d->s, d->env);
    initialize(&d->s, NULL, 0);
    fprintf(stderr, "  %s: %ld memories restored from %s\n", d->label, size, data);
    return true;
}

/* At a checkpoint: closes the importing server, runs the store benchmark on
 * a copy of its database, then restarts it and times the first retrieve. */
static void checkpoint(db *d, size_result *res, const char *const *extra) {
    server_close(&d->s);
    if (dbs_dir) prepared_save(d);
    char copy[PATH_MAX];
    bench_tmpdir("store", copy);
    res->db_mib = copy_dir(d->data_dir, copy);
    char **env = make_child_env(copy, cfg_dir, extra);
    server cs = {0};
    cs.in_fd = cs.out_fd = -1;
    server_spawn(&cs, env);
    initialize(&cs, NULL, 0);
    bench_store(&cs, d->label, d->count, res);
    server_close(&cs);
    free(cs.buf);
    free_child_env(env);
    bench_rmdir(copy);

    uint64_t t0 = now_ns();
    server_spawn(&d->s, d->env);
    initialize(&d->s, NULL, 0);
    res->restart_ms = (double)(now_ns() - t0) / 1e6;
    char query[512];
    long source;
    make_query(d->count, 42, 0, query, sizeof query, &source);
    bool found;
    res->cold_ms = retrieve_once(d, query, source, &found);
    res->rss_restarted = proc_status_mib(d->s.pid, "VmRSS");
    fprintf(stderr, "  %s @ %ld: restart %.1f ms, first retrieve %.1f ms, VmRSS %.1f MiB\n", d->label, d->count,
            res->restart_ms, res->cold_ms, res->rss_restarted);
}

/* ---- output -------------------------------------------------------------------------------- */

static const char *with_commas(long n) {
    static char bufs[4][32];
    static int which;
    char *out = bufs[which++ % 4], digits[32];
    int len = snprintf(digits, sizeof digits, "%ld", n), k = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    return out;
}

/* 0, 1k, 10k, 100k, 1M ... */
static const char *short_count(long n) {
    static char bufs[4][24];
    static int which;
    char *out = bufs[which++ % 4];
    if (n >= 1000000 && n % 1000000 == 0) snprintf(out, 24, "%ldM", n / 1000000);
    else if (n >= 1000 && n % 1000 == 0) snprintf(out, 24, "%ldk", n / 1000);
    else snprintf(out, 24, "%ld", n);
    return out;
}

static void add_size_rows(const char *label, const size_result *r) {
    char name[48];
    snprintf(name, sizeof name, "retrieve top %d, %s @ %s", TOP_K, label, with_commas(r->size));
    double goal = r->size == 100000 ? 10.0 : r->size == 1000000 ? 50.0 : 0;
    add_row(name, "p50", r->p50, "ms", 2, 0, NULL);
    add_row(name, "p95", r->p95, "ms", 2, goal, goal == 10.0 ? "< 10 ms" : "< 50 ms");
    add_row(name, "p99", r->p99, "ms", 2, 0, NULL);
    add_row(name, "VmRSS", r->rss, "MiB", 1, 0, NULL);
    add_row(name, "VmHWM", r->hwm, "MiB", 1, 0, NULL);
    add_row(name, "RssAnon", r->anon, "MiB", 1, 0, NULL);
    snprintf(name, sizeof name, "store 1 KiB, %s @ %s", label, with_commas(r->size));
    add_row(name, "p50", r->store_p50, "ms", 2, 2.0, "< 2 ms");
    add_row(name, "p95", r->store_p95, "ms", 2, 0, NULL);
    add_row(name, "p99", r->store_p99, "ms", 2, 0, NULL);
    add_row(name, "throughput", r->store_rate, "calls/s", 0, 0, NULL);
}

static void print_latency_table(const size_result *res, int n, const size_result *hash) {
    printf("\nretrieve (top_k %d) latency vs memory count, server memory, restart, and store 1 KiB (on a copy)\n", TOP_K);
    const char *rule = "----------------------------------------------------------------------------------------------------"
                       "----------------------------";
    printf("%s\n", rule);
    printf("%-5s %9s | %7s %7s %7s | %7s %7s %7s | %5s %5s | %6s %6s %6s %6s | %8s | %7s %7s | %6s\n", "", "",
           "retr", "retr", "retr", "words", "para", "zipf", "rec", "rec", "", "", "", "after", "restart", "store",
           "store", "db");
    printf("%-5s %9s | %7s %7s %7s | %7s %7s %7s | %5s %5s | %6s %6s %6s %6s | %8s | %7s %7s | %6s\n", "embed",
           "memories", "p50", "p95", "p99", "p50", "p50", "p50", "words", "para", "VmRSS", "VmHWM", "anon", "restart",
           "1st retr", "p50", "p95", "size");
    printf("%-5s %9s | %7s %7s %7s | %7s %7s %7s | %5s %5s | %6s %6s %6s %6s | %8s | %7s %7s | %6s\n", "", "", "ms",
           "ms", "ms", "ms", "ms", "ms", "%", "%", "MiB", "MiB", "MiB", "MiB", "ms", "ms", "ms", "MiB");
    printf("%s\n", rule);
    for (int i = 0; i <= n; i++) {
        const size_result *r = i < n ? &res[i] : hash;
        if (!r) break;
        printf("%-5s %9s | %7.2f %7.2f %7.2f | %7.2f %7.2f %7.2f | %5.0f %5.0f | %6.1f %6.1f %6.1f %6.1f | %8.1f | "
               "%7.2f %7.2f | %6.0f\n",
               i < n ? "glove" : "hash", with_commas(r->size), r->p50, r->p95, r->p99, r->kind_p50[0], r->kind_p50[1],
               r->kind_p50[2], r->recall[0], r->recall[1], r->rss, r->hwm, r->anon, r->rss_restarted, r->cold_ms,
               r->store_p50, r->store_p95, r->db_mib);
    }
    printf("%s\n", rule);
    printf("words / para / zipf: p50 by kind of query (%d queries per size, %d from %s on; a third of each); rec: how often the\n"
           "memory a words / paraphrase query was made from is in the top %d. VmRSS, VmHWM, anon (RssAnon): the\n"
           "importing server after the queries (VmRSS includes mapped database and word-vector pages); after restart:\n"
           "VmRSS of a new server after its first retrieve, which loads the vector index (restart 1st retr).\n",
           RETRIEVE_RUNS, BIG_RUNS, with_commas(BIG_SIZE), TOP_K);
}

int main(int argc, char **argv) {
    bench_prog = "bench_memory";
    if (!bench_init(argc, argv, 1, "[default|full]")) return 2;
    bool full = argc == 3 && strcmp(argv[2], "full") == 0;
    if (argc == 3 && !full && strcmp(argv[2], "default") != 0 && argv[2][0] != '\0') {
        fprintf(stderr, "%s: unknown scale '%s' (default or full)\n", bench_prog, argv[2]);
        return 2;
    }
    io_timeout_ms = 600000; /* a bulk_store of 5000 memories into a large database is slow, not hung */
    zipf_init();
    const long *sizes = full ? sizes_full : sizes_default;
    int n_sizes = full ? 4 : 3;
    long sizes_env[MAX_SIZES];
    const char *only = getenv("BENCH_MEMORY_SIZES");
    bool custom = only && *only;
    if (custom) {
        n_sizes = 0;
        for (char *end; *only && n_sizes < MAX_SIZES; only = *end ? end + 1 : end) {
            sizes_env[n_sizes] = strtol(only, &end, 10);
            if (end == only || sizes_env[n_sizes] <= 0 || (n_sizes && sizes_env[n_sizes] <= sizes_env[n_sizes - 1]))
                fatal("BENCH_MEMORY_SIZES: expected ascending positive counts, like 1000,100000");
            n_sizes++;
        }
        sizes = sizes_env;
    }
    dbs_dir = getenv("BENCH_MEMORY_DBS");
    if (dbs_dir && !*dbs_dir) dbs_dir = NULL;
    if (dbs_dir && mkdir(dbs_dir, 0700) != 0 && errno != EEXIST) fatal("mkdir %s: %s", dbs_dir, strerror(errno));
    const char *req_file = getenv("BENCH_MEMORY_REQUESTS");
    if (req_file && *req_file && !(requests_out = fopen(req_file, "a"))) fatal("open %s: %s", req_file, strerror(errno));
    uint64_t t_start = now_ns();
    bench_tmpdir("config", cfg_dir);

    /* glove: import up to each size, then measure there. */
    db g;
    db_open(&g, "glove", NULL);
    fprintf(stderr, "%s: %s, glove data in %s, sizes up to %ld\n", bench_prog, bin, g.data_dir, sizes[n_sizes - 1]);
    size_result res[MAX_SIZES] = {0};
    double range_s[MAX_SIZES];
    for (int i = 0; i < n_sizes; i++) {
        /* NAN: restored from a prepared database, not imported. */
        range_s[i] = prepared_restore(&g, sizes[i]) ? NAN : bulk_to(&g, sizes[i]);
        res[i].size = sizes[i];
        bool big = sizes[i] >= BIG_SIZE;
        bench_retrieve(&g, big ? BIG_WARMUP : RETRIEVE_WARMUP, big ? BIG_RUNS : RETRIEVE_RUNS, &res[i]);
        checkpoint(&g, &res[i], NULL);
    }
    server_close(&g.s);

    /* hash at 10k, for comparison. */
    const char *hash_env[] = {"LTMC_EMBEDDING_BACKEND=hash", NULL};
    db h = {0};
    size_result hres = {0};
    double hash_bulk = 0;
    if (!custom) {
        const char *saved = dbs_dir;
        dbs_dir = NULL; /* only glove databases are kept */
        db_open(&h, "hash", hash_env);
        hres.size = HASH_SIZE;
        hash_bulk = bulk_to(&h, HASH_SIZE);
        bench_retrieve(&h, RETRIEVE_WARMUP, RETRIEVE_RUNS, &hres);
        checkpoint(&h, &hres, hash_env);
        server_close(&h.s);
        dbs_dir = saved;
    }

    /* The table. */
    char name[48];
    double upto_100k = 0;
    bool imported = true, has_100k = false;
    for (int i = 0; i < n_sizes; i++) {
        imported = imported && !isnan(range_s[i]);
        has_100k = has_100k || sizes[i] == 100000;
    }
    for (int i = 0; i < n_sizes && sizes[i] <= 100000; i++) upto_100k += range_s[i];
    snprintf(name, sizeof name, "bulk_store import, glove, %s", with_commas(100000));
    if (imported && has_100k) {
        add_row(name, "total", upto_100k, "s", 1, 60.0, "< 60 s");
        add_row(name, "throughput", 100000 / upto_100k, "mem/s", 0, 0, NULL);
    }
    if (imported && g.count > 100000) {
        snprintf(name, sizeof name, "bulk_store import, glove, %s", with_commas(g.count));
        add_row(name, "total", g.bulk_s, "s", 1, 0, NULL);
        add_row(name, "throughput", (double)g.count / g.bulk_s, "mem/s", 0, 0, NULL);
    }
    snprintf(name, sizeof name, "bulk_store import, glove, by size");
    long from = 0;
    for (int i = 0; i < n_sizes && imported; i++) {
        char metric[24];
        snprintf(metric, sizeof metric, "%s-%s", short_count(from), short_count(sizes[i]));
        add_row(name, metric, (double)(sizes[i] - from) / range_s[i], "mem/s", 0, 0, NULL);
        from = sizes[i];
    }
    for (int i = 0; i < n_sizes; i++) add_size_rows("glove", &res[i]);
    if (!custom) {
        snprintf(name, sizeof name, "bulk_store import, hash, %s", with_commas(h.count));
        add_row(name, "throughput", (double)h.count / hash_bulk, "mem/s", 0, 0, NULL);
        snprintf(name, sizeof name, "hash vs glove @ %s", with_commas(HASH_SIZE));
        const size_result *g10 = NULL;
        for (int i = 0; i < n_sizes; i++)
            if (res[i].size == HASH_SIZE) g10 = &res[i];
        add_row(name, "store p50 hash", hres.store_p50, "ms", 2, 0, NULL);
        if (g10) add_row(name, "store p50 glove", g10->store_p50, "ms", 2, 0, NULL);
        add_row(name, "retr. p50 hash", hres.p50, "ms", 2, 0, NULL);
        if (g10) add_row(name, "retr. p50 glove", g10->p50, "ms", 2, 0, NULL);
    }

    print_table("semantic memory benchmarks", g.version, (double)(now_ns() - t_start) / 1e9);
    print_latency_table(res, n_sizes, custom ? NULL : &hres);
    if (!full && !custom)
        printf("(1,000,000 memories: make bench BENCH_SCALE=full)\n");
    if (requests_out) fclose(requests_out);
    db_free(&g);
    db_free(&h);
    cleanup();
    return 0;
}
