#include "memory.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../core/log.h"
#include "../cache/caches.h"
#include "../store/fts.h"
#include "chunk.h"
#include "lexical.h"
#include "../core/sidejob.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many rows hold a query term (term_df) is asked again and again for
 * the common words of a language, and only changes when the memories do.
 * A count is a statistic for weighting terms (BM25's idf), and re-reading a
 * common word's rows after every write costs more than the search itself
 * under a steady stream of writes. So, like the periodic refresh of the
 * statistics in search engines, a count is reused while the chunks added
 * and removed since it was taken (the churn: chunk ids and deletion
 * records only ever grow, in this process or any other) stay within
 * 1/DF_STALE_DIV of it: a count under DF_STALE_DIV is exact after any
 * write, and a larger one is off by about 1/DF_STALE_DIV at most (a store
 * also rewrites its neighbours' ctx), which moves a term's idf by about
 * 1.6/DF_STALE_DIV for a term in 40% of the rows, less for rarer ones
 * (idf is steepest where terms are rare, but there counts are small and
 * so exact). Within one generation (caches.h: no write at all) a count is
 * reused as is. */
#define DF_SLOTS 1024
#define DF_STALE_DIV 32

typedef struct {
    uint64_t gen;
    char *key; /* database path, limit and term expression */
    int64_t churn; /* the store's churn when counted */
    int64_t count;
    double df;
} df_slot;

/* A memory's excerpt (the start of its text that its neighbours' ctx
 * column holds) as words: each store rewrites the ctx of the memories
 * around it, so the same excerpts are tokenized again and again. Keyed by
 * database, memory id and content hash, so an edited memory is a miss. */
#define EXCERPT_SLOTS 256

typedef struct {
    uint64_t db;   /* hash of the database path; 0: empty */
    int64_t id;
    int64_t hash;  /* content_hash */
    char *words;
} excerpt_slot;

struct memory_engine {
    embedder *emb;
    vindex *index;
    memory_config cfg;
    pthread_mutex_t df_lock;
    df_slot df[DF_SLOTS];
    pthread_mutex_t excerpt_lock;
    excerpt_slot excerpts[EXCERPT_SLOTS];
    bool tiers_only; /* never deal_tiers: for tests that compare the two */
};

memory_engine *memory_engine_new(embedder *emb, const memory_config *cfg, lt_err *err) {
    assert(cfg->chunk_bytes >= 16 && cfg->overlap_bytes < cfg->chunk_bytes / 2);
    memory_engine *m = calloc(1, sizeof *m);
    if (!m) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
    m->emb = emb;
    m->cfg = *cfg;
    pthread_mutex_init(&m->df_lock, NULL);
    pthread_mutex_init(&m->excerpt_lock, NULL);
    m->index = vindex_new(embedder_model_id(emb), embedder_dim(emb));
    const float *common = embedder_common_direction(emb);
    if (m->index && common && vindex_set_common_direction(m->index, common)) {
        vindex_free(m->index);
        m->index = NULL;
    }
    if (!m->index) {
        pthread_mutex_destroy(&m->df_lock);
        pthread_mutex_destroy(&m->excerpt_lock);
        free(m);
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    return m;
}

void memory_engine_free(memory_engine *m) {
    if (!m) return;
    vindex_free(m->index);
    embedder_close(m->emb);
    for (size_t i = 0; i < DF_SLOTS; i++) free(m->df[i].key);
    pthread_mutex_destroy(&m->df_lock);
    for (size_t i = 0; i < EXCERPT_SLOTS; i++) free(m->excerpts[i].words);
    pthread_mutex_destroy(&m->excerpt_lock);
    free(m);
}

embedder *memory_engine_embedder(memory_engine *m) { return m->emb; }
vindex *memory_engine_index(memory_engine *m) { return m->index; }
void memory_engine_tiers_only(memory_engine *m, bool on) { m->tiers_only = on; }

static uint64_t content_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h >> 1; /* fits SQLite's signed integer */
}

/* ---- filters ---------------------------------------------------------------
 * Every query over memories binds ?1 project, ?2 resource_type,
 * ?3 conversation_id, ?4 tags (JSON array), ?5 since, ?6 until; the WHERE
 * fragment names only those that are set. */

static void filter_sql(const memory_filter *f, char *buf, size_t len) {
    snprintf(buf, len, "m.project = ?1%s%s%s%s%s", f->resource_type ? " AND m.resource_type = ?2" : "",
             f->conversation_id ? " AND m.conversation_id = ?3" : "",
             f->tags && json_array_size(f->tags)
                 ? " AND (SELECT count(*) FROM memory_tags t WHERE t.memory_id = m.id AND t.tag IN"
                   " (SELECT value FROM json_each(?4))) = json_array_length(?4)"
                 : "",
             f->since ? " AND m.created_at >= ?5" : "", f->until ? " AND m.created_at <= ?6" : "");
}

static bool filter_narrows(const memory_filter *f) {
    return f->resource_type || f->conversation_id || (f->tags && json_array_size(f->tags)) || f->since || f->until;
}

static void filter_bind(store_stmt *s, const memory_filter *f) {
    store_bind_text(s, 1, f->project);
    if (f->resource_type) store_bind_text(s, 2, f->resource_type);
    if (f->conversation_id) store_bind_text(s, 3, f->conversation_id);
    if (f->tags && json_array_size(f->tags)) {
        char *t = jx_dump(f->tags);
        store_bind_text(s, 4, t);
        free(t);
    }
    if (f->since) store_bind_iso_time(s, 5, f->since);
    if (f->until) store_bind_iso_time(s, 6, f->until);
}

/* ---- neighbour context ---------------------------------------------------- */

/* The words of memory id's ctx column: the text of up to N memories before
 * and after it in the same conversation of the project. *out is malloc'd. */
/* A neighbour lends its first words only: enough for what the exchange
 * was about, and every store rewrites its neighbours' ctx, so the cost of
 * that rewrite stays small whatever their length. */
#define CTX_EXCERPT_BYTES 300

/* The up to context_neighbours memories on each side of memory id in its
 * conversation, as rows (id, content, content_hash): older ones first, newest to oldest,
 * then newer ones. A memory stored without a conversation (its id is
 * "default") has none: documents and notes stored one after another are
 * not turns of one exchange, and each other's words would only blur what
 * each is found by. */
static store_stmt *neighbour_rows(memory_engine *m, store *st, int64_t id, lt_err *err) {
    store_stmt *s = store_prepare(
        st,
        "WITH me AS (SELECT project, conversation_id FROM memories WHERE id = ?1 AND conversation_id <> 'default') "
        "SELECT id, content, content_hash FROM (SELECT id, content, content_hash FROM memories WHERE id < ?1"
        "  AND project = (SELECT project FROM me) AND conversation_id = (SELECT conversation_id FROM me)"
        "  ORDER BY id DESC LIMIT ?2) "
        "UNION ALL SELECT id, content, content_hash FROM (SELECT id, content, content_hash FROM memories WHERE id > ?1"
        "  AND project = (SELECT project FROM me) AND conversation_id = (SELECT conversation_id FROM me)"
        "  ORDER BY id LIMIT ?2)",
        err);
    if (!s) return NULL;
    store_bind_int(s, 1, id);
    store_bind_int(s, 2, m->cfg.context_neighbours);
    return s;
}

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The words of the excerpt of a memory (malloc'd), from the cache when
 * it is there. */
static char *excerpt_words(memory_engine *m, uint64_t db, int64_t id, int64_t hash, const char *text) {
    excerpt_slot *slot = &m->excerpts[(uint64_t)id % EXCERPT_SLOTS];
    char *words = NULL;
    pthread_mutex_lock(&m->excerpt_lock);
    if (slot->db == db && slot->id == id && slot->hash == hash && slot->words) words = strdup(slot->words);
    pthread_mutex_unlock(&m->excerpt_lock);
    if (words) return words;
    size_t len = strlen(text);
    if (len > CTX_EXCERPT_BYTES) {
        len = CTX_EXCERPT_BYTES;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--;
    }
    words = lexical_words(text, len);
    char *copy = words ? strdup(words) : NULL;
    if (!copy) return words;
    pthread_mutex_lock(&m->excerpt_lock);
    free(slot->words);
    *slot = (excerpt_slot){db, id, hash, copy};
    pthread_mutex_unlock(&m->excerpt_lock);
    return words;
}

/* The neighbours' excerpts, each tokenized on its own and joined: the same
 * words as tokenizing them joined by newlines (a separator), which is what
 * the ctx column holds. */
static int ctx_words(memory_engine *m, store *st, int64_t id, char **out, lt_err *err) {
    *out = NULL;
    store_stmt *s = neighbour_rows(m, st, id, err);
    if (!s) return -1;
    uint64_t db = fnv(store_path(st)) | 1;
    size_t cap = 1024, used = 0;
    char *ctx = malloc(cap);
    if (!ctx) { store_reset(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
    ctx[0] = '\0';
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        char *words = excerpt_words(m, db, store_col_int(s, 0), store_col_int(s, 2), store_col_text(s, 1));
        if (!words) { free(ctx); store_reset(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
        size_t len = strlen(words);
        if (len == 0) { free(words); continue; }
        if (used + len + 2 > cap) {
            while (used + len + 2 > cap) cap *= 2;
            char *grown = realloc(ctx, cap);
            if (!grown) { free(words); free(ctx); store_reset(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
            ctx = grown;
        }
        if (used) ctx[used++] = ' ';
        memcpy(ctx + used, words, len);
        used += len;
        ctx[used] = '\0';
        free(words);
    }
    if (rc < 0) { free(ctx); return -1; }
    *out = ctx;
    return 0;
}

/* Rewrites the ctx column of every chunk of memory id (ctx_words). One
 * single-row UPDATE per chunk: an UPDATE of a virtual table that may touch
 * several rows opens a statement savepoint, and FTS5 flushes its pending
 * terms to a new segment at every savepoint. */
static int rebuild_ctx(memory_engine *m, store *st, int64_t id, lt_err *err) {
    if (m->cfg.context_neighbours <= 0) return 0;
    store_stmt *s = store_prepare(st, "SELECT id FROM chunks WHERE memory_id = ? ORDER BY id", err);
    if (!s) return -1;
    store_bind_int(s, 1, id);
    int64_t *chunks = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            int64_t *grown = realloc(chunks, cap * sizeof *grown);
            if (!grown) { free(chunks); store_reset(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
            chunks = grown;
        }
        chunks[n++] = store_col_int(s, 0);
    }
    char *words = NULL;
    if (rc < 0 || n == 0 || ctx_words(m, st, id, &words, err)) {
        free(chunks);
        return rc < 0 || n ? -1 : 0;
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        s = store_prepare(st, "UPDATE chunks_fts SET ctx = ?1 WHERE rowid = ?2", err);
        if (!s) { rc = -1; break; }
        store_bind_text(s, 1, words);
        store_bind_int(s, 2, chunks[i]);
        if (store_step(s, err) < 0) rc = -1;
    }
    free(words);
    free(chunks);
    return rc;
}

/* Ids of up to N memories on each side of id in its conversation. */
static int neighbours(memory_engine *m, store *st, int64_t id, int64_t *out, size_t *n_out, lt_err *err) {
    *n_out = 0;
    if (m->cfg.context_neighbours <= 0) return 0;
    store_stmt *s = neighbour_rows(m, st, id, err);
    if (!s) return -1;
    int rc;
    while ((rc = store_step(s, err)) == 1) out[(*n_out)++] = store_col_int(s, 0);
    return rc < 0 ? -1 : 0;
}

/* ---- chunks, vectors, full text --------------------------------------------- */

typedef struct {
    chunk_span *spans;
    size_t n;
    void *blobs;   /* n quantised vectors */
    char **words;  /* n lexical texts */
    float *first;  /* the first chunk's vector, for near-duplicate checks */
    int64_t *chunk_ids; /* n, filled in by write_chunks */
} prepared_text;

static void prepared_free(prepared_text *p) {
    for (size_t i = 0; i < p->n && p->words; i++) free(p->words[i]);
    free(p->words);
    free(p->chunk_ids);
    free(p->blobs);
    free(p->spans);
    free(p->first);
    memset(p, 0, sizeof *p);
}

/* Chunks and embeds a text: the slow part, done before the write lock. */
static int prepare_text(memory_engine *m, const char *content, prepared_text *p, lt_err *err) {
    memset(p, 0, sizeof *p);
    size_t len = strlen(content);
    p->n = chunk_text(content, len, m->cfg.chunk_bytes, m->cfg.overlap_bytes, &p->spans);
    if (p->n == 0) return lt_err_set(err, LT_ERR_INVALID, "Parameter 'content' must not be empty");
    int dim = embedder_dim(m->emb);
    size_t blob = vindex_blob_size(dim);
    p->blobs = malloc(blob * p->n);
    p->words = calloc(p->n, sizeof *p->words);
    p->first = malloc(sizeof(float) * (size_t)dim);
    p->chunk_ids = calloc(p->n, sizeof *p->chunk_ids);
    float *vec = malloc(sizeof(float) * (size_t)dim);
    if (!p->blobs || !p->words || !p->first || !p->chunk_ids || !vec) {
        free(vec);
        prepared_free(p);
        return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < p->n; i++) {
        const char *text = content + p->spans[i].start;
        if (embedder_embed(m->emb, text, p->spans[i].len, vec, err)) {
            free(vec);
            prepared_free(p);
            return -1;
        }
        if (i == 0) memcpy(p->first, vec, sizeof(float) * (size_t)dim);
        vindex_quantise(vec, dim, (char *)p->blobs + i * blob);
        p->words[i] = lexical_words(text, p->spans[i].len);
        if (!p->words[i]) {
            free(vec);
            prepared_free(p);
            return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        }
    }
    free(vec);
    return 0;
}

/* The full-text rows of the chunks write_chunks wrote, with ctx words. */
static int write_fts(store *st, const char *project, const char *created_at, const prepared_text *p,
                     const char *ctx, lt_err *err) {
    char dt[64];
    lexical_date_words(created_at, dt, sizeof dt);
    char *proj = lexical_project_token(project);
    if (!proj) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        store_stmt *s = store_prepare(st, "INSERT INTO chunks_fts(rowid, words, dt, ctx, proj) VALUES (?, ?, ?, ?, ?)",
                                      err);
        if (!s) { rc = -1; break; }
        store_bind_int(s, 1, p->chunk_ids[i]);
        store_bind_text(s, 2, p->words[i]);
        store_bind_text(s, 3, dt);
        store_bind_text(s, 4, ctx);
        store_bind_text(s, 5, proj);
        if (store_step(s, err) < 0) rc = -1;
    }
    free(proj);
    return rc;
}

/* The chunks and vectors of a memory, and with with_fts its full-text rows
 * (ctx empty: rebuild_ctx fills it in). */
static int write_chunks(memory_engine *m, store *st, int64_t memory_id, const char *project, const char *created_at,
                        const prepared_text *p, bool with_fts, lt_err *err) {
    size_t blob = vindex_blob_size(embedder_dim(m->emb));
    int rc = 0;
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        store_stmt *s = store_prepare(st, "INSERT INTO chunks(memory_id, seq, start, len) VALUES (?, ?, ?, ?)", err);
        if (!s) { rc = -1; break; }
        store_bind_int(s, 1, memory_id);
        store_bind_int(s, 2, (int64_t)i);
        store_bind_int(s, 3, (int64_t)p->spans[i].start);
        store_bind_int(s, 4, (int64_t)p->spans[i].len);
        if (store_step(s, err) < 0) { rc = -1; break; }
        int64_t chunk_id = store_last_insert_id(st);
        p->chunk_ids[i] = chunk_id;
        s = store_prepare(st, "INSERT INTO vectors(chunk_id, model, dim, vec) VALUES (?, ?, ?, ?)", err);
        if (!s) { rc = -1; break; }
        store_bind_int(s, 1, chunk_id);
        store_bind_text(s, 2, embedder_model_id(m->emb));
        store_bind_int(s, 3, embedder_dim(m->emb));
        store_bind_blob(s, 4, (const char *)p->blobs + i * blob, blob);
        if (store_step(s, err) < 0) rc = -1;
    }
    if (rc == 0 && with_fts) rc = write_fts(st, project, created_at, p, "", err);
    return rc;
}

/* ---- graph node and tags ------------------------------------------------------ */

static int64_t upsert_node(store *st, const char *project, const char *key, const char *kind, const char *label,
                           const char *now, lt_err *err) {
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO graph_nodes(project, node_key, kind, label, created_at) VALUES (?, ?, ?, ?, ?)"
                                  " ON CONFLICT(project, node_key) DO UPDATE SET label = excluded.label RETURNING id",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    store_bind_text(s, 2, key);
    store_bind_text(s, 3, kind);
    store_bind_text(s, 4, label);
    store_bind_text(s, 5, now);
    if (store_step(s, err) != 1) return -1;
    int64_t id = store_col_int(s, 0);
    store_reset(s);
    return id;
}

/* The memory's graph node, TAGGED_WITH an entity node per tag. */
static int write_tags_and_node(store *st, int64_t memory_id, const char *project, const char *file_name,
                               const json_t *tags, const char *now, lt_err *err) {
    char key[64];
    snprintf(key, sizeof key, "memory:%lld", (long long)memory_id);
    int64_t node = upsert_node(st, project, key, "memory", file_name, now, err);
    if (node < 0) return -1;
    store_stmt *s = store_prepare(st, "DELETE FROM memory_tags WHERE memory_id = ?", err);
    if (!s) return -1;
    store_bind_int(s, 1, memory_id);
    if (store_step(s, err) < 0) return -1;
    s = store_prepare(st, "DELETE FROM graph_edges WHERE src = ? AND relation = 'TAGGED_WITH'", err);
    if (!s) return -1;
    store_bind_int(s, 1, node);
    if (store_step(s, err) < 0) return -1;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *tag = json_string_value(t);
        s = store_prepare(st, "INSERT OR IGNORE INTO memory_tags(memory_id, tag) VALUES (?, ?)", err);
        if (!s) return -1;
        store_bind_int(s, 1, memory_id);
        store_bind_text(s, 2, tag);
        if (store_step(s, err) < 0) return -1;
        char tkey[600];
        snprintf(tkey, sizeof tkey, "tag:%s", tag);
        int64_t tag_node = upsert_node(st, project, tkey, "tag", tag, now, err);
        if (tag_node < 0) return -1;
        s = store_prepare(st,
                          "INSERT OR IGNORE INTO graph_edges(project, src, dst, relation, created_at)"
                          " VALUES (?, ?, ?, 'TAGGED_WITH', ?)",
                          err);
        if (!s) return -1;
        store_bind_text(s, 1, project);
        store_bind_int(s, 2, node);
        store_bind_int(s, 3, tag_node);
        store_bind_text(s, 4, now);
        if (store_step(s, err) < 0) return -1;
    }
    return 0;
}

/* ---- store ----------------------------------------------------------------- */

/* One memory on its way in: validated and embedded before the write lock,
 * inserted under it. */
typedef struct {
    const memory_input *in;
    prepared_text p;
    uint64_t hash;
    char created_at[CLOCK_ISO_LEN];
    int64_t id;
    bool duplicate;
    bool known_duplicate; /* found before the lock: nothing to insert */
} pending;

static int find_duplicate(store *st, const char *project, uint64_t hash, const char *content, int64_t *id,
                          lt_err *err) {
    *id = 0;
    store_stmt *s = store_prepare(st, "SELECT id, content FROM memories WHERE project = ? AND content_hash = ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    store_bind_int(s, 2, (int64_t)hash);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        if (strcmp(store_col_text(s, 1), content) == 0) {
            *id = store_col_int(s, 0);
            store_reset(s);
            return 0;
        }
    }
    return rc < 0 ? -1 : 0;
}

/* Inserts one memory inside the caller's transaction (or finds it is a
 * duplicate of one stored meanwhile), all but its full-text rows: insert_tx
 * writes those. */
static int insert_one(memory_engine *m, store *st, pending *pd, const char *now, lt_err *err) {
    const memory_input *in = pd->in;
    pd->duplicate = false;
    if (find_duplicate(st, in->project, pd->hash, in->content, &pd->id, err)) return -1;
    if (pd->id) {
        pd->duplicate = true;
        return 0;
    }
    assert(pd->p.n > 0);
    char *meta = in->metadata ? jx_dump(in->metadata) : strdup("{}");
    if (!meta) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO memories(project, file_name, resource_type, conversation_id, content,"
                                  " content_hash, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  err);
    if (!s) { free(meta); return -1; }
    store_bind_text(s, 1, in->project);
    store_bind_text(s, 2, in->file_name);
    store_bind_text(s, 3, in->resource_type);
    store_bind_text(s, 4, in->conversation_id);
    store_bind_text(s, 5, in->content);
    store_bind_int(s, 6, (int64_t)pd->hash);
    store_bind_text(s, 7, meta);
    store_bind_text(s, 8, pd->created_at);
    store_bind_text(s, 9, now);
    int rc = store_step(s, err);
    free(meta);
    if (rc < 0) return -1;
    pd->id = store_last_insert_id(st);
    if (write_chunks(m, st, pd->id, in->project, pd->created_at, &pd->p, false, err)) return -1;
    return write_tags_and_node(st, pd->id, in->project, in->file_name, in->tags, now, err);
}

typedef struct {
    memory_engine *m;
    pending *items;
    size_t n;
    char now[CLOCK_ISO_LEN];
} insert_ctx;

static int cmp_id(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Inserts the memories, then writes the full text: the ctx column of each
 * older neighbour (stored before this transaction) is rebuilt once, and
 * each new chunk's row is written once with its final ctx. The result is
 * what rebuilding the ctx of a new memory and of its neighbours after every
 * insert gives (a memory's ctx depends only on the memories around it when
 * the transaction ends, and ids only grow), with one full-text write per
 * chunk instead of one per chunk and neighbour, and all in ascending rowid
 * order (FTS5 flushes its pending terms to a new segment whenever a write
 * goes back to a lower rowid). */
static int insert_tx(store *st, void *vctx, lt_err *err) {
    insert_ctx *c = vctx;
    memory_engine *m = c->m;
    int64_t *older = NULL, first_new = 0;
    size_t n_older = 0, cap_older = 0;
    int rc = -1;
    for (size_t i = 0; i < c->n; i++) {
        pending *pd = &c->items[i];
        if (pd->known_duplicate) continue;
        if (insert_one(m, st, pd, c->now, err)) goto done;
        if (pd->duplicate) continue;
        if (!first_new) first_new = pd->id;
        /* A new memory is the newest of its conversation: its neighbours
         * are before it. Those inserted in this transaction are written below. */
        int64_t around[2 * 8];
        size_t n_around;
        if (neighbours(m, st, pd->id, around, &n_around, err)) goto done;
        for (size_t j = 0; j < n_around; j++) {
            if (around[j] >= first_new) continue;
            if (n_older == cap_older) {
                cap_older = cap_older ? cap_older * 2 : 16;
                int64_t *grown = realloc(older, cap_older * sizeof *grown);
                if (!grown) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
                older = grown;
            }
            older[n_older++] = around[j];
        }
    }
    if (n_older) qsort(older, n_older, sizeof *older, cmp_id);
    for (size_t j = 0; j < n_older; j++)
        if ((j == 0 || older[j] != older[j - 1]) && rebuild_ctx(m, st, older[j], err)) goto done;
    for (size_t i = 0; i < c->n; i++) {
        pending *pd = &c->items[i];
        if (pd->known_duplicate || pd->duplicate) continue;
        char *ctx = NULL;
        if (m->cfg.context_neighbours > 0) {
            if (ctx_words(m, st, pd->id, &ctx, err)) goto done;
        } else if (!(ctx = strdup(""))) {
            lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
            goto done;
        }
        int w = write_fts(st, pd->in->project, pd->created_at, &pd->p, ctx, err);
        free(ctx);
        if (w) goto done;
    }
    rc = 0;
done:
    free(older);
    return rc;
}

/* Normalises a caller's timestamp to our ISO form. */
static int normalise_time(const char *given, char *out, lt_err *err, const char *param) {
    int64_t ms;
    if (!given) {
        clock_now_iso(out, CLOCK_ISO_LEN);
        return 0;
    }
    if (clock_parse_iso(given, &ms))
        return lt_err_set(err, LT_ERR_INVALID,
                          "Invalid value for parameter '%s': '%.60s' (expected an ISO-8601 date or time, e.g. "
                          "2026-01-31 or 2026-01-31T09:30:00Z)", param, given);
    clock_format_iso(ms, out, CLOCK_ISO_LEN);
    return 0;
}

/* The near-duplicate check scans every vector of the project (exactly),
 * which costs about as much as writing the memory at 100,000 memories: it
 * runs beside the write when a core is free (sidejob.h), and the writer,
 * done, takes what is left of it (vindex_near_work), over the index as it
 * was before (the new memory cannot be its own near-duplicate). At a
 * million memories the scan (~100 MB of rows, bound by memory bandwidth)
 * is what a store waits for; no cheap per-row bound can skip rows there,
 * as GloVe vectors of 1 KB texts lie within cosine 0.9-1.0 of each other
 * (README, "Near-duplicate check"). */
#define NEAR_HITS 8

typedef struct {
    vhit hits[NEAR_HITS];
    size_t n;
} near_scan;

static void near_scan_run(void *arg) { vindex_near_work(arg); }

/* Below this many rows in the index a scan of them (about 100 bytes a row)
 * takes less time than starting a thread for it: it runs on the caller. */
#define SIDEJOB_MIN_ROWS 16384

static bool scan_beside(memory_engine *m) { return vindex_count(m->index) >= SIDEJOB_MIN_ROWS; }

/* 1 turns the report off: int8 rows give identical texts a similarity of 1 +- 0.002. */
static bool near_duplicates_on(const memory_engine *m) { return m->cfg.near_duplicate > 0 && m->cfg.near_duplicate < 1; }

static json_t *near_duplicates(memory_engine *m, store *st, const near_scan *scan, int64_t self) {
    json_t *list = json_array();
    if (!near_duplicates_on(m)) return list;
    const vhit *hits = scan->hits;
    size_t n = scan->n;
    for (size_t i = 0; i < n; i++) {
        if (hits[i].memory_id == self || hits[i].score < m->cfg.near_duplicate) continue;
        bool seen = false;
        size_t j;
        json_t *e;
        json_array_foreach(list, j, e) if (jx_int(e, "doc_id", 0) == hits[i].memory_id) seen = true;
        if (seen) continue;
        store_stmt *s = store_prepare(st, "SELECT file_name FROM memories WHERE id = ?", NULL);
        if (!s) continue;
        store_bind_int(s, 1, hits[i].memory_id);
        if (store_step(s, NULL) == 1) {
            json_array_append_new(list, json_pack("{s:I, s:s, s:f}", "doc_id", (json_int_t)hits[i].memory_id,
                                                  "file_name", store_col_text(s, 0),
                                                  "similarity", round((double)hits[i].score * 1e4) / 1e4));
            store_reset(s);
        }
    }
    return list;
}

/* Validates and embeds one input (unless it duplicates a stored memory). */
static int prepare_one(memory_engine *m, store *st, const memory_input *in, pending *pd, lt_err *err) {
    memset(pd, 0, sizeof *pd);
    pd->in = in;
    size_t len = strlen(in->content);
    if (len > m->cfg.max_content_bytes)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter 'content' is too long: %zu bytes (limit %zu)", len,
                          m->cfg.max_content_bytes);
    pd->hash = content_hash(in->content);
    if (normalise_time(in->created_at, pd->created_at, err, "created_at")) return -1;
    /* An exact duplicate needs no embedding; insert_one checks again under the lock. */
    int64_t dup;
    if (find_duplicate(st, in->project, pd->hash, in->content, &dup, err)) return -1;
    if (dup) {
        pd->id = dup;
        pd->duplicate = pd->known_duplicate = true;
        return 0;
    }
    return prepare_text(m, in->content, &pd->p, err);
}

static int store_impl(memory_engine *m, store *st, const memory_input *in, json_t *out, lt_err *err) {
    pending pd;
    if (prepare_one(m, st, in, &pd, err)) {
        prepared_free(&pd.p);
        return -1;
    }
    /* The least float score that is at or above the (double) setting. */
    float threshold = (float)m->cfg.near_duplicate;
    if ((double)threshold < m->cfg.near_duplicate) threshold = nextafterf(threshold, INFINITY);
    near_scan scan = {{{0}}, 0};
    if (!pd.duplicate) {
        insert_ctx c = {m, &pd, 1, ""};
        clock_now_iso(c.now, sizeof c.now);
        sidejob *scanner = NULL;
        vnear *job = NULL;
        if (near_duplicates_on(m)) {
            vindex_sync(m->index, st, NULL); /* what other processes stored is compared too */
            job = vindex_near_begin(m->index, in->project, pd.p.first, threshold, NEAR_HITS);
            if (scan_beside(m)) scanner = sidejob_start(near_scan_run, job);
        }
        int w = store_write(st, insert_tx, &c, err);
        vindex_near_work(job);
        sidejob_finish(scanner);
        scan.n = vindex_near_end(job, scan.hits);
        if (w) {
            prepared_free(&pd.p);
            return -1;
        }
    }
    jx_set_int(out, "doc_id", pd.id);
    jx_set_str(out, "file_name", in->file_name);
    jx_set_str(out, "resource_type", in->resource_type);
    jx_set_str(out, "conversation_id", in->conversation_id);
    jx_set_bool(out, "duplicate", pd.duplicate);
    if (pd.duplicate) {
        jx_set_str(out, "message", "Identical content is already stored in this project; returning its id");
    } else {
        jx_set_int(out, "chunk_count", (int64_t)pd.p.n);
        jx_set_int(out, "vector_count", (int64_t)pd.p.n);
        jx_set_str(out, "embedding_model", embedder_model_id(m->emb));
        jx_set_str(out, "created_at", pd.created_at);
        vindex_sync(m->index, st, NULL);
        json_object_set_new(out, "near_duplicates", near_duplicates(m, st, &scan, pd.id));
        jx_set_str(out, "message", "Memory stored");
    }
    prepared_free(&pd.p);
    return 0;
}

static int store_many_impl(memory_engine *m, store *st, const memory_input *in, size_t n, json_t *results,
                           memory_progress_fn progress, void *progress_arg, lt_err *err) {
    pending *items = calloc(n ? n : 1, sizeof *items);
    if (!items) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    int rc = 0;
    size_t prepared = 0;
    for (; prepared < n; prepared++) {
        if (prepare_one(m, st, &in[prepared], &items[prepared], err)) {
            lt_err_prefix(err, "documents[%zu]", prepared);
            rc = -1;
            prepared++;
            break;
        }
        size_t step = (n + 99) / 100; /* about 100 reports at most */
        if (progress && ((prepared + 1) % step == 0 || prepared + 1 == n)) progress(progress_arg, prepared + 1, n);
    }
    /* All or nothing: one transaction for the whole batch. Inputs found to
     * be duplicates before the lock are skipped there. */
    if (rc == 0) {
        insert_ctx c = {m, items, n, ""};
        clock_now_iso(c.now, sizeof c.now);
        rc = store_write(st, insert_tx, &c, err);
        if (rc == 0) {
            for (size_t i = 0; i < n; i++)
                json_array_append_new(results, json_pack("{s:I, s:s, s:b}", "doc_id", (json_int_t)items[i].id,
                                                         "file_name", in[i].file_name, "duplicate",
                                                         items[i].duplicate));
            vindex_sync(m->index, st, NULL);
        }
    }
    for (size_t i = 0; i < prepared && i < n; i++) prepared_free(&items[i].p);
    free(items);
    return rc;
}

/* ---- get, update, delete ------------------------------------------------------- */

#define MEMORY_COLUMNS                                                                                   \
    "m.id AS doc_id, m.file_name, m.content, m.resource_type, m.conversation_id,"                        \
    " (SELECT json_group_array(tag) FROM (SELECT tag FROM memory_tags WHERE memory_id = m.id ORDER BY tag))" \
    " AS tags, m.metadata, m.created_at, m.updated_at"

/* Parses the JSON-text columns of a memory row back into JSON. */
static void fix_json_columns(json_t *row) {
    const char *cols[] = {"tags", "metadata"};
    for (int i = 0; i < 2; i++) {
        const char *text = jx_str(row, cols[i]);
        json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(row, cols[i], v ? v : (i == 0 ? json_array() : json_object()));
    }
}

json_t *memory_get(store *st, const char *project, int64_t id, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT " MEMORY_COLUMNS " FROM memories m WHERE m.id = ? AND m.project = ?", err);
    if (!s) return NULL;
    store_bind_int(s, 1, id);
    store_bind_text(s, 2, project);
    int rc = store_step(s, err);
    if (rc < 0) return NULL;
    if (rc == 0) {
        lt_err_set(err, LT_ERR_NOT_FOUND, "Memory with ID %lld not found", (long long)id);
        return NULL;
    }
    json_t *row = store_row_json(s);
    store_reset(s);
    fix_json_columns(row);
    return row;
}

typedef struct {
    memory_engine *m;
    const char *project;
    int64_t id;
    const memory_input *in;
    const prepared_text *p;
    char created_at[CLOCK_ISO_LEN];
    char now[CLOCK_ISO_LEN];
    json_t *before;
    bool duplicate_of_other;
    int64_t other;
} change_ctx;

static int update_tx(store *st, void *vctx, lt_err *err) {
    change_ctx *c = vctx;
    const memory_input *in = c->in;
    json_decref(c->before);
    c->before = memory_get(st, c->project, c->id, err);
    if (!c->before) return -1;
    int64_t old_around[64], new_around[64];
    size_t n_old = 0, n_new = 0;
    if (neighbours(c->m, st, c->id, old_around, &n_old, err)) return -1;
    uint64_t hash = in->content ? content_hash(in->content) : 0;
    if (in->content) {
        int64_t dup;
        if (find_duplicate(st, c->project, hash, in->content, &dup, err)) return -1;
        if (dup && dup != c->id)
            return lt_err_set(err, LT_ERR_CONFLICT, "Memory %lld already holds this content", (long long)dup);
    }
    char *meta = in->metadata ? jx_dump(in->metadata) : NULL;
    store_stmt *s = store_prepare(
        st,
        "UPDATE memories SET file_name = coalesce(?1, file_name), resource_type = coalesce(?2, resource_type),"
        " conversation_id = coalesce(?3, conversation_id), content = coalesce(?4, content),"
        " content_hash = coalesce(?5, content_hash), metadata = coalesce(?6, metadata),"
        " created_at = coalesce(?7, created_at), updated_at = ?8 WHERE id = ?9 AND project = ?10",
        err);
    if (!s) { free(meta); return -1; }
    store_bind_text(s, 1, in->file_name);
    store_bind_text(s, 2, in->resource_type);
    store_bind_text(s, 3, in->conversation_id);
    store_bind_text(s, 4, in->content);
    if (in->content) store_bind_int(s, 5, (int64_t)hash);
    store_bind_text(s, 6, meta);
    store_bind_text(s, 7, in->created_at ? c->created_at : NULL);
    store_bind_text(s, 8, c->now);
    store_bind_int(s, 9, c->id);
    store_bind_text(s, 10, c->project);
    int rc = store_step(s, err);
    free(meta);
    if (rc < 0) return -1;
    const char *created = in->created_at ? c->created_at : jx_str(c->before, "created_at");
    if (in->content) {
        s = store_prepare(st, "DELETE FROM chunks WHERE memory_id = ?", err);
        if (!s) return -1;
        store_bind_int(s, 1, c->id);
        if (store_step(s, err) < 0) return -1;
        if (write_chunks(c->m, st, c->id, c->project, created, c->p, true, err)) return -1;
    } else if (in->created_at) {
        char dt[64];
        lexical_date_words(created, dt, sizeof dt);
        s = store_prepare(st, "UPDATE chunks_fts SET dt = ? WHERE rowid IN (SELECT id FROM chunks WHERE memory_id = ?)",
                          err);
        if (!s) return -1;
        store_bind_text(s, 1, dt);
        store_bind_int(s, 2, c->id);
        if (store_step(s, err) < 0) return -1;
    }
    if (in->tags || in->file_name) {
        json_t *tags = in->tags ? json_incref((json_t *)in->tags) : json_incref(json_object_get(c->before, "tags"));
        rc = write_tags_and_node(st, c->id, c->project, in->file_name ? in->file_name : jx_str(c->before, "file_name"),
                                 tags, c->now, err);
        json_decref(tags);
        if (rc) return -1;
    }
    if (in->content || in->conversation_id) {
        if (neighbours(c->m, st, c->id, new_around, &n_new, err)) return -1;
        if (rebuild_ctx(c->m, st, c->id, err)) return -1;
        for (size_t i = 0; i < n_old; i++)
            if (rebuild_ctx(c->m, st, old_around[i], err)) return -1;
        for (size_t i = 0; i < n_new; i++)
            if (rebuild_ctx(c->m, st, new_around[i], err)) return -1;
    }
    return 0;
}

static int update_impl(memory_engine *m, store *st, int64_t id, const memory_input *in, json_t *out, lt_err *err) {
    change_ctx c = {m, in->project, id, in, NULL, "", "", NULL, false, 0};
    if (in->created_at && normalise_time(in->created_at, c.created_at, err, "created_at")) return -1;
    clock_now_iso(c.now, sizeof c.now);
    prepared_text p = {0};
    if (in->content) {
        size_t len = strlen(in->content);
        if (len > m->cfg.max_content_bytes)
            return lt_err_set(err, LT_ERR_INVALID, "Parameter 'content' is too long: %zu bytes (limit %zu)", len,
                              m->cfg.max_content_bytes);
        if (prepare_text(m, in->content, &p, err)) return -1;
    }
    c.p = &p;
    int rc = store_write(st, update_tx, &c, err);
    prepared_free(&p);
    json_decref(c.before);
    if (rc) return -1;
    json_t *after = memory_get(st, in->project, id, err);
    if (!after) return -1;
    jx_set_int(out, "doc_id", id);
    json_t *fields = json_array();
    const char *names[] = {"file_name", "content", "resource_type", "conversation_id", "created_at"};
    const char *vals[] = {in->file_name, in->content, in->resource_type, in->conversation_id, in->created_at};
    for (int i = 0; i < 5; i++)
        if (vals[i]) json_array_append_new(fields, json_string(names[i]));
    if (in->tags) json_array_append_new(fields, json_string("tags"));
    if (in->metadata) json_array_append_new(fields, json_string("metadata"));
    json_object_set_new(out, "updated_fields", fields);
    json_object_set_new(out, "memory", after);
    jx_set_str(out, "message", "Memory updated");
    return 0;
}

static int delete_tx(store *st, void *vctx, lt_err *err) {
    change_ctx *c = vctx;
    json_decref(c->before);
    c->before = memory_get(st, c->project, c->id, err);
    if (!c->before) return -1;
    int64_t around[64];
    size_t n_around;
    if (neighbours(c->m, st, c->id, around, &n_around, err)) return -1;
    store_stmt *s = store_prepare(st, "DELETE FROM memories WHERE id = ? AND project = ?", err);
    if (!s) return -1;
    store_bind_int(s, 1, c->id);
    store_bind_text(s, 2, c->project);
    if (store_step(s, err) < 0) return -1;
    char key[64];
    snprintf(key, sizeof key, "memory:%lld", (long long)c->id);
    s = store_prepare(st, "DELETE FROM graph_nodes WHERE project = ? AND node_key = ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, c->project);
    store_bind_text(s, 2, key);
    if (store_step(s, err) < 0) return -1;
    for (size_t i = 0; i < n_around; i++)
        if (rebuild_ctx(c->m, st, around[i], err)) return -1;
    return 0;
}

static int delete_impl(memory_engine *m, store *st, const char *project, int64_t id, json_t *out, lt_err *err) {
    change_ctx c = {m, project, id, NULL, NULL, "", "", NULL, false, 0};
    if (store_write(st, delete_tx, &c, err)) {
        json_decref(c.before);
        return -1;
    }
    vindex_sync(m->index, st, NULL);
    jx_set_int(out, "doc_id", id);
    jx_set_str(out, "file_name", jx_str(c.before, "file_name"));
    jx_set_bool(out, "deleted", true);
    jx_set_str(out, "message", "Memory deleted with its chunks, vectors, full-text rows, tags and graph node");
    json_decref(c.before);
    return 0;
}

/* ---- lexical ranking ------------------------------------------------------------------
 *
 * BM25 over every row that matches a query costs time in proportion to the
 * matches, which on a large store is most of it. So a search ranks at most
 * lexical_scan rows, spent on the likeliest answers first, in tiers that
 * never overlap:
 *   1. rows holding every query term;
 *   2. rows holding two or more of the (up to PAIR_TERMS rarest) terms;
 *   3. rows holding one of the rarer terms (terms are counted cheaply, up to
 *      the budget, and taken rarest first while their rows fit), so a memory
 *      that shares an unusual word with the query is found however old;
 *   4. the newest of the remaining rows that match any term.
 * A tier with more rows than the budget left ranks its newest ones (FTS5
 * walks rowids downward and stops). Every tier scores all query terms
 * (ltmc_bm25 ignores the phrases that only select rows), so scores compare;
 * when the matches fit the budget the result is exact BM25.
 *
 * A tier skips the rows an earlier one ranked by their rowids, here, not
 * with an FTS5 NOT: NOT (every term) costs FTS5 the whole AND of tier 1
 * again, while reading up to that many more rows and dropping them is
 * cheap. The pair tier asks for (term AND (any rarer-ranked later term))
 * per term rather than every pair: the same rows, with fewer phrases. */

typedef struct {
    int64_t chunk_id, memory_id;
    double score;
} lex_hit;

typedef struct {
    size_t index;
    int64_t rows;
} term_count;

static int cmp_term_count(const void *a, const void *b) {
    const term_count *x = a, *y = b;
    return x->rows < y->rows ? -1 : x->rows > y->rows;
}

#define PAIR_TERMS 6
#define TIER1_WALK 16
#define COLS "{words dt ctx}"

/* Appends the strings (up to four; NULLs end the list) to s, which is
 * malloc'd or NULL; returns the longer string, or NULL when out of memory
 * (s is freed). */
static char *cat(char *s, const char *a, const char *b, const char *c, const char *d) {
    if (!s) return NULL;
    const char *parts[] = {a, b, c, d};
    size_t len = strlen(s), add = 0;
    for (int i = 0; i < 4 && parts[i]; i++) add += strlen(parts[i]);
    char *grown = realloc(s, len + add + 1);
    if (!grown) { free(s); return NULL; }
    for (int i = 0; i < 4 && parts[i]; i++) {
        size_t l = strlen(parts[i]);
        memcpy(grown + len, parts[i], l);
        len += l;
    }
    grown[len] = '\0';
    return grown;
}

/* COLS : (all terms) [AND (select)] AND proj : "p..": the first n phrases
 * are the scored terms (a phrase's positions are only known at a row when
 * its node stands there, which the top-level OR of all terms guarantees).
 * The project's token comes last: FTS5 walks an AND from the left, and the
 * project's rows are many. */
static char *tier_expr(const char *proj, const char *all, const char *select) {
    char *e = cat(strdup(COLS " : ("), all, ")", NULL, NULL);
    if (select) e = cat(e, " AND " COLS " : (", select, ")", NULL);
    /* A NULL proj: the store holds one project only, no filter needed. */
    return proj ? cat(e, " AND proj : \"", proj, "\"", NULL) : e;
}

/* Whether no term can match the proj column, whose only token is "p" and
 * the project's bytes in hex: then asking for the terms in every column
 * finds the same rows, with the same occurrences (FTS5 then need not sift
 * each term's positions by column). Terms of plain ASCII letters and
 * digits that do not start with "p" and a hex digit cannot become such a
 * token (case folding keeps their letters; Porter stemming only shortens
 * their ends); anything else keeps the column filter. */
static bool cols_needless(char *const *terms, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char *t = terms[i];
        if ((t[0] == 'p' || t[0] == 'P') && isxdigit((unsigned char)t[1])) return false;
        for (; *t; t++)
            if (!isalnum((unsigned char)*t) || (unsigned char)*t >= 0x80) return false;
    }
    return true;
}

/* The expression for one term's rows in the scored columns: the term
 * alone when it cannot match the proj column (cols_needless), which finds
 * the same rows without FTS5 sifting each row's positions by column (over
 * twice as fast to count: term_df runs for every term of every search). */
static char *term_expr(const char *term) {
    char *one = lexical_or((char *const *)&term, 1);
    char *e = !one ? NULL
              : cols_needless((char *const *)&term, 1) ? cat(strdup("("), one, ")", NULL, NULL)
                                                       : cat(strdup(COLS " : ("), one, ")", NULL, NULL);
    free(one);
    return e;
}

/* tier_expr(proj, all, NULL) without the column filter (cols_needless). */
static char *tier_expr_any_column(const char *proj, const char *all) {
    char *e = cat(strdup("("), all, ")", NULL, NULL);
    return proj ? cat(e, " AND proj : \"", proj, "\"", NULL) : e;
}

/* A term's document frequency over the whole index: counted exactly up to
 * limit rows (newest first), and past that extrapolated from how far back
 * in rowids those rows reach. When the term likely has limit rows or more
 * (it had when last counted), the limit-th newest row alone is asked for
 * first: skipping rows costs FTS5 and SQLite about two thirds of counting
 * them and taking their least rowid. Only if there is no such row are the
 * rows counted after all; the result is the same either way. */
static int term_df(store *st, const char *term_expr, int64_t limit, int64_t max_rowid, bool likely_full,
                   int64_t *count, double *df, lt_err *err) {
    assert(limit >= 1);
    if (likely_full) {
        store_stmt *s = store_prepare(st,
                                      "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY rowid DESC"
                                      " LIMIT 1 OFFSET ?2",
                                      err);
        if (!s) return -1;
        store_bind_text(s, 1, term_expr);
        store_bind_int(s, 2, limit - 1);
        int rc = store_step(s, err);
        if (rc < 0) return -1;
        if (rc == 1) {
            int64_t oldest = store_col_int(s, 0);
            store_reset(s);
            *count = limit;
            *df = (double)limit;
            if (oldest > 0 && max_rowid >= oldest)
                *df = (double)limit * (double)max_rowid / (double)(max_rowid - oldest + 1);
            return 0;
        }
    }
    store_stmt *s = store_prepare(st,
                                  "SELECT count(*), coalesce(min(rowid), 0) FROM (SELECT rowid FROM chunks_fts"
                                  " WHERE chunks_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2)",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, term_expr);
    store_bind_int(s, 2, limit);
    if (store_step(s, err) != 1) return -1;
    *count = store_col_int(s, 0);
    int64_t oldest = store_col_int(s, 1);
    store_reset(s);
    *df = (double)*count;
    if (*count >= limit && oldest > 0 && max_rowid >= oldest)
        *df = (double)*count * (double)max_rowid / (double)(max_rowid - oldest + 1);
    return 0;
}

/* The rowids earlier tiers ranked, sorted. */
typedef struct {
    int64_t *ids;
    size_t n, cap;
} rowid_set;

static bool rowid_set_has(const rowid_set *r, int64_t id) {
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->ids[mid] < id) lo = mid + 1; else hi = mid;
    }
    return lo < r->n && r->ids[lo] == id;
}

/* term_df through the engine's cache of counts (DF_STALE_DIV). */
static int term_df_cached(memory_engine *m, store *st, uint64_t gen, int64_t churn, const char *term_expr,
                          int64_t limit, int64_t max_rowid, int64_t *count, double *df, lt_err *err) {
    char head[64];
    snprintf(head, sizeof head, "\x1f%lld\x1f", (long long)limit);
    char *key = cat(strdup(store_path(st)), head, term_expr, NULL, NULL);
    if (!key) return term_df(st, term_expr, limit, max_rowid, false, count, df, err);
    df_slot *slot = &m->df[fnv(key) % DF_SLOTS];
    pthread_mutex_lock(&m->df_lock);
    bool same = slot->key && strcmp(slot->key, key) == 0;
    bool hit = same && (slot->gen == gen || (slot->count >= DF_STALE_DIV && churn >= slot->churn &&
                                             (churn - slot->churn) * DF_STALE_DIV <= slot->count));
    bool likely_full = same && slot->count >= limit; /* an older count: only a hint of how to count */
    if (hit) {
        *count = slot->count;
        *df = slot->df;
    }
    pthread_mutex_unlock(&m->df_lock);
    if (hit) { free(key); return 0; }
    if (term_df(st, term_expr, limit, max_rowid, likely_full, count, df, err)) { free(key); return -1; }
    pthread_mutex_lock(&m->df_lock);
    free(slot->key);
    *slot = (df_slot){gen, key, churn, *count, *df};
    pthread_mutex_unlock(&m->df_lock);
    return 0;
}

/* The newest chunk id and the store's churn (DF_STALE_DIV): chunks ever
 * added plus chunks ever removed, from the AUTOINCREMENT counters of
 * chunks and deleted_chunks, which never go back. */
static int chunk_marks(store *st, int64_t *max_rowid, int64_t *churn, lt_err *err) {
    store_stmt *s = store_prepare(st,
                                  "SELECT (SELECT coalesce(max(id), 0) FROM chunks),"
                                  " (SELECT coalesce(sum(seq), 0) FROM sqlite_sequence"
                                  " WHERE name IN ('chunks', 'deleted_chunks'))",
                                  err);
    if (!s || store_step(s, err) != 1) return -1;
    *max_rowid = store_col_int(s, 0);
    *churn = store_col_int(s, 1);
    store_reset(s);
    return 0;
}

static int cmp_lex_desc(const void *a, const void *b) {
    double x = ((const lex_hit *)a)->score, y = ((const lex_hit *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Sorts a tier's rows (newest first) by score and appends the best `want`
 * to hits, with their memories looked up unless the query joined them: in
 * the vector index (synced at the search's start; a chunk's memory never
 * changes), else in SQL, where a chunk deleted meanwhile is dropped. */
static int keep_best(memory_engine *m, store *st, const char *project, bool narrowed, lex_hit *rows, size_t n_rows,
                     size_t want, lex_hit **hits, size_t *n, lt_err *err) {
    if (n_rows) qsort(rows, n_rows, sizeof *rows, cmp_lex_desc);
    size_t keep = n_rows < want ? n_rows : want;
    lex_hit *grown = keep ? realloc(*hits, (*n + keep) * sizeof *grown) : *hits;
    if (keep && !grown) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    *hits = grown;
    int64_t *chunks = NULL, *mems = NULL;
    if (!narrowed && keep) {
        chunks = malloc(keep * sizeof *chunks);
        mems = malloc(keep * sizeof *mems);
        if (!chunks || !mems) {
            free(chunks);
            free(mems);
            return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        }
        for (size_t i = 0; i < keep; i++) chunks[i] = rows[i].chunk_id;
        vindex_memories(m->index, project, chunks, keep, mems);
    }
    int rc = 0;
    for (size_t i = 0; i < keep; i++) {
        if (!narrowed && mems[i] > 0) {
            rows[i].memory_id = mems[i];
        } else if (!narrowed) { /* the chunk's memory, for the few kept */
            store_stmt *c = store_prepare(st, "SELECT memory_id FROM chunks WHERE id = ?", err);
            if (!c) { rc = -1; break; }
            store_bind_int(c, 1, rows[i].chunk_id);
            int step = store_step(c, err);
            if (step < 0) { rc = -1; break; }
            if (step == 0) continue; /* deleted meanwhile */
            rows[i].memory_id = store_col_int(c, 0);
            store_reset(c);
        }
        (*hits)[(*n)++] = rows[i];
    }
    free(chunks);
    free(mems);
    return rc;
}

/* The statement of a lexical pass, prepared with what every pass binds (the
 * filter, expr, max_rowid and the terms' counts): the chunks matching expr
 * (newest first), scored by fn (ltmc_bm25 or ltmc_bm25_terms, fts.h).
 * narrowed joins memories for the filter's where clause; otherwise the
 * project token in expr keeps MATCH to the project's chunks (the hex token
 * is unique even after stemming) and memory ids come later. paged adds
 * rowid > ?13 and LIMIT ?10, which the caller binds. */
static store_stmt *lexical_prepare(memory_engine *m, store *st, const memory_filter *f, const char *fn, bool narrowed,
                                   const char *where, bool paged, const char *expr, size_t n_terms, const double *df,
                                   int64_t max_rowid, lt_err *err) {
    char sql[2048];
    const char *col = narrowed ? "f.rowid" : "rowid";
    char after[32] = "", limit[16] = "";
    if (paged) {
        snprintf(after, sizeof after, " AND %s > ?13", col);
        snprintf(limit, sizeof limit, " LIMIT ?10");
    }
    char score[160];
    snprintf(score, sizeof score, "%s(chunks_fts, 1.2, %.4f, ?9, 0, ?11, 1.0, 1.0, %.4f, 0.0, ?12)", fn,
             m->cfg.length_norm, m->cfg.context_weight);
    if (narrowed)
        snprintf(sql, sizeof sql,
                 "SELECT f.rowid, c.memory_id, %s FROM chunks_fts f JOIN chunks c ON c.id = f.rowid"
                 " JOIN memories m ON m.id = c.memory_id WHERE chunks_fts MATCH ?7%s AND %s ORDER BY f.rowid DESC%s",
                 score, after, where, limit);
    else
        snprintf(sql, sizeof sql, "SELECT rowid, 0, %s FROM chunks_fts WHERE chunks_fts MATCH ?7%s ORDER BY rowid DESC%s",
                 score, after, limit);
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return NULL;
    filter_bind(s, f);
    store_bind_text(s, 7, expr);
    store_bind_int(s, 9, max_rowid);
    store_bind_int(s, 11, (int64_t)n_terms);
    store_bind_blob(s, 12, df, n_terms * sizeof *df);
    return s;
}

/* Ranks up to *budget rows above min_rowid matching expr that are not in
 * seen (newest first), appends the best `want` to hits, adds the rows to seen and
 * charges the budget with them. A NULL expr is an allocation failure. */
static int run_tier(memory_engine *m, store *st, const memory_filter *f, const char *where, bool narrowed,
                    char *expr, size_t n_terms, const double *df, size_t want, int64_t max_rowid, int64_t min_rowid,
                    int64_t *budget, rowid_set *seen, lex_hit **hits, size_t *n, lt_err *err) {
    if (!expr) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    store_stmt *s = lexical_prepare(m, st, f, "ltmc_bm25", narrowed, where, true, expr, n_terms, df, max_rowid, err);
    int rc = s ? 0 : -1;
    lex_hit *rows = NULL;
    size_t n_rows = 0, cap = 0;
    if (s) {
        /* The newest budget + |seen| rows hold the newest budget unseen ones. */
        store_bind_int(s, 10, *budget + (int64_t)seen->n);
        store_bind_int(s, 13, min_rowid);
        while ((rc = store_step(s, err)) == 1) {
            if (rowid_set_has(seen, store_col_int(s, 0))) continue;
            if ((int64_t)n_rows == *budget) { store_reset(s); rc = 0; break; }
            if (n_rows == cap) {
                cap = cap ? cap * 2 : 256;
                lex_hit *grown = realloc(rows, cap * sizeof *grown);
                if (!grown) { store_reset(s); rc = lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); break; }
                rows = grown;
            }
            rows[n_rows++] = (lex_hit){store_col_int(s, 0), store_col_int(s, 1), store_col_real(s, 2)};
        }
    }
    free(expr);
    *budget -= (int64_t)n_rows;
    if (rc < 0) { free(rows); return -1; }
    if (n_rows) {
        if (seen->n + n_rows > seen->cap) {
            size_t cap2 = (seen->n + n_rows) * 2;
            int64_t *grown = realloc(seen->ids, cap2 * sizeof *grown);
            if (!grown) { free(rows); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
            seen->ids = grown;
            seen->cap = cap2;
        }
        for (size_t i = 0; i < n_rows; i++) seen->ids[seen->n++] = rows[i].chunk_id;
        qsort(seen->ids, seen->n, sizeof *seen->ids, cmp_id);
    }
    rc = keep_best(m, st, f->project, narrowed, rows, n_rows, want, hits, n, err);
    free(rows);
    return rc;
}

/* ---- the tiers in one pass ----
 *
 * Where every term's rows were counted exactly and together are few (a
 * small store, or a project of a few thousand chunks whose query words are
 * all common), walking FTS5 once per tier costs more than it saves: each
 * tier re-reads and re-scores the rows of the earlier ones before dropping
 * them, and FTS5's AND/OR of position lists is most of a retrieve there.
 * Then one query reads every matching row once, scoring it and noting which
 * terms it holds (ltmc_bm25_terms), and the rows are dealt into the tiers
 * here by the same rules as the tiers' own queries: the same rows, newest
 * first, the same budget, the same scores, so the same result. */

typedef struct {
    lex_hit hit;
    uint64_t terms; /* bit i: scored term i occurs in the row */
} scan_row;

enum { DEAL_EVERY, DEAL_TWO, DEAL_ANY, DEAL_REST };

/* Reads every row matching expr (newest first), with its score and terms.
 * Returns 0, -1 on error (a NULL expr is an allocation failure), or 1 when
 * a term has no tokens for FTS5, which the tiers' expressions treat in
 * ways a mask of terms cannot follow. */
static int scan_all(memory_engine *m, store *st, const memory_filter *f, const char *where, bool narrowed, char *expr,
                    size_t n_terms, const double *df, int64_t max_rowid, scan_row **out, size_t *n_out, lt_err *err) {
    *out = NULL;
    *n_out = 0;
    if (!expr) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    store_stmt *s =
        lexical_prepare(m, st, f, "ltmc_bm25_terms", narrowed, where, false, expr, n_terms, df, max_rowid, err);
    int rc = s ? 0 : -1;
    scan_row *rows = NULL;
    size_t n_rows = 0, cap = 0;
    if (s) {
        while ((rc = store_step(s, err)) == 1) {
            if (n_rows == cap) {
                cap = cap ? cap * 2 : 256;
                scan_row *grown = realloc(rows, cap * sizeof *grown);
                if (!grown) { store_reset(s); rc = lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); break; }
                rows = grown;
            }
            const void *blob = store_col_blob(s, 2);
            double score;
            uint64_t terms;
            if (!blob || store_col_bytes(s, 2) != FTS_TERMS_BYTES) {
                store_reset(s);
                rc = lt_err_set(err, LT_ERR_INTERNAL, "full-text ranking returned no score");
                break;
            }
            memcpy(&score, blob, sizeof score);
            memcpy(&terms, (const char *)blob + sizeof score, sizeof terms);
            uint64_t empty;
            memcpy(&empty, (const char *)blob + sizeof score + sizeof terms, sizeof empty);
            if (empty) { /* a term with no tokens: leave it to the tiers' own queries */
                store_reset(s);
                rc = 0;
                *n_out = SIZE_MAX;
                break;
            }
            rows[n_rows++] = (scan_row){{store_col_int(s, 0), store_col_int(s, 1), score}, terms};
        }
    }
    free(expr);
    if (rc < 0 || *n_out == SIZE_MAX) { free(rows); return rc < 0 ? -1 : 1; }
    *out = rows;
    *n_out = n_rows;
    return 0;
}

/* The rows of one pass and where dealing them has got to. */
typedef struct {
    memory_engine *m;
    store *st;
    const char *project;
    bool narrowed;
    const scan_row *rows;
    size_t n_rows;
    bool *dealt;   /* per row: an earlier tier took it */
    lex_hit *buf;  /* room for every row */
    int64_t budget;
    size_t want;
    lex_hit **hits;
    size_t *n_hits;
} dealer;

/* One tier: up to the budget left of the rows not dealt yet, newest first,
 * above min_rowid, that hold every term of sel (DEAL_EVERY), two or more
 * (DEAL_TWO), any (DEAL_ANY), or all the rest (DEAL_REST); the best `want`
 * go to hits, as run_tier does with the tier's own query. */
static int deal_tier(dealer *d, int how, uint64_t sel, int64_t min_rowid, lt_err *err) {
    size_t k = 0;
    for (size_t i = 0; i < d->n_rows; i++) {
        if (d->dealt[i] || d->rows[i].hit.chunk_id <= min_rowid) continue;
        uint64_t t = d->rows[i].terms & sel;
        bool in = how == DEAL_EVERY ? t == sel
                  : how == DEAL_TWO ? __builtin_popcountll(t) >= 2
                  : how == DEAL_ANY ? t != 0
                                    : true;
        if (!in) continue;
        if ((int64_t)k == d->budget) break;
        d->dealt[i] = true;
        d->buf[k++] = d->rows[i].hit;
    }
    d->budget -= (int64_t)k;
    return keep_best(d->m, d->st, d->project, d->narrowed, d->buf, k, d->want, d->hits, d->n_hits, err);
}

/* The tiers of lexical_rank over one pass (see above); counts are sorted.
 * Returns 0, -1 on error, or 1 (nothing done) when they cannot be dealt. */
static int deal_tiers(memory_engine *m, store *st, const memory_filter *f, const char *where, bool narrowed, char *expr,
                      size_t n, const double *df, const term_count *counts, size_t want, int64_t max_rowid,
                      lex_hit **hits, size_t *n_hits, lt_err *err) {
    scan_row *rows;
    size_t n_rows;
    int scanned = scan_all(m, st, f, where, narrowed, expr, n, df, max_rowid, &rows, &n_rows, err);
    if (scanned) return scanned;
    dealer d = {m, st, f->project, narrowed, rows, n_rows, calloc(n_rows ? n_rows : 1, sizeof(bool)),
                malloc((n_rows ? n_rows : 1) * sizeof(lex_hit)), (int64_t)m->cfg.lexical_scan, want, hits, n_hits};
    int rc = -1;
    if (!d.dealt || !d.buf) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto out; }
    assert(n >= 1 && n <= 64);
    uint64_t every = n == 64 ? UINT64_MAX : ((uint64_t)1 << n) - 1;
    if (n >= 2) { /* 1: every term, above the same rowid floor as lexical_rank's */
        double rarest = df[0];
        for (size_t i = 1; i < n; i++) rarest = df[i] < rarest ? df[i] : rarest;
        double walk = (double)m->cfg.lexical_scan * TIER1_WALK;
        int64_t floor_id = rarest > walk ? max_rowid - (int64_t)(walk / rarest * (double)max_rowid) : 0;
        if (deal_tier(&d, DEAL_EVERY, every, floor_id, err)) goto out;
    }
    if (n >= 3 && d.budget > 0) { /* 2: two or more of the PAIR_TERMS rarest */
        size_t np = n < PAIR_TERMS ? n : PAIR_TERMS;
        uint64_t pairs = 0;
        for (size_t a = 0; a < np; a++) pairs |= (uint64_t)1 << counts[a].index;
        if (deal_tier(&d, DEAL_TWO, pairs, 0, err)) goto out;
    }
    if (d.budget > 0) { /* 3: the rarer terms, rarest first while they fit */
        uint64_t rare = 0;
        int64_t room = d.budget;
        for (size_t i = 0; i < n && counts[i].rows <= room; i++) {
            if (counts[i].rows == 0) continue;
            rare |= (uint64_t)1 << counts[i].index;
            room -= counts[i].rows;
        }
        if (rare && deal_tier(&d, DEAL_ANY, rare, 0, err)) goto out;
    }
    if (d.budget > 0 && deal_tier(&d, DEAL_REST, every, 0, err)) goto out;
    rc = 0;
out:
    free(rows);
    free(d.dealt);
    free(d.buf);
    return rc;
}

#define ONE_PASS_ROWS 2 /* x lexical_scan: the most rows of a project read in one pass */

static int lexical_rank(memory_engine *m, store *st, const memory_filter *f, const char *where, bool narrowed,
                        const char *query, size_t want, lex_hit **hits, size_t *n_hits, lt_err *err) {
    *hits = NULL;
    *n_hits = 0;
    char **terms;
    size_t n = lexical_terms(query, strlen(query), &terms);
    if (n == 0) return 0; /* no words: nothing to find by words */
    int rc = -1;
    char *proj = lexical_project_token(f->project), *all = lexical_or(terms, n);
    char *every = NULL, *pairs = NULL, *rare = NULL;
    rowid_set seen = {0};
    term_count *counts = calloc(n, sizeof *counts);
    double *df = calloc(n, sizeof *df);
    int64_t budget = (int64_t)m->cfg.lexical_scan, max_rowid = 0, churn = 0;
    if (!proj || !all || !counts || !df) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto out; }
    /* Observed before anything is read: a write after this point moves the
     * generation on, so what is counted below is never cached as newer. */
    uint64_t gen = caches_observe(st);
    if (chunk_marks(st, &max_rowid, &churn, err)) goto out;
    /* The project token costs every AND a walk over the project's rows: when
     * the store holds this project alone (the lowest and highest project
     * names are both it, two index probes), leave it out. */
    store_stmt *s = store_prepare(st, "SELECT (SELECT min(project) FROM memories) = ?1 AND (SELECT max(project) FROM memories) = ?1",
                      err);
    if (!s) goto out;
    store_bind_text(s, 1, f->project);
    if (store_step(s, err) != 1) goto out;
    const char *scope = store_col_int(s, 0) ? NULL : proj;
    store_reset(s);

    /* How many of the project's rows hold each term, counted no further
     * than the budget: walking rowids is cheap, ranking them is not. */
    for (size_t i = 0; i < n; i++) {
        char *e = term_expr(terms[i]);
        if (!e) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto out; }
        counts[i].index = i;
        int c = term_df_cached(m, st, gen, churn, e, budget + 1, max_rowid, &counts[i].rows, &df[i], err);
        free(e);
        if (c) goto out;
    }
    qsort(counts, n, sizeof *counts, cmp_term_count);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) total += counts[i].rows;
    if (total <= budget) { /* everything fits: exact BM25 over all matches */
        rc = run_tier(m, st, f, where, narrowed, tier_expr(scope, all, NULL), n, df, want, max_rowid, 0, &budget, &seen, hits,
                      n_hits, err);
        goto out;
    }
    /* The project has few rows (at most ONE_PASS_ROWS x the budget; counted
     * like a term, by its token, and cached with the terms): read its
     * matches once and deal them into the same tiers (deal_tiers). */
    char *proj_expr = cat(strdup("proj : \""), proj, "\"", NULL, NULL);
    if (!proj_expr) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto out; }
    int64_t proj_rows = 0;
    double proj_df;
    int c = term_df_cached(m, st, gen, churn, proj_expr, ONE_PASS_ROWS * budget + 1, max_rowid, &proj_rows, &proj_df, err);
    free(proj_expr);
    if (c) goto out;
    if (!m->tiers_only && proj_rows <= ONE_PASS_ROWS * budget) {
        char *expr = cols_needless(terms, n) ? tier_expr_any_column(scope, all) : tier_expr(scope, all, NULL);
        rc = deal_tiers(m, st, f, where, narrowed, expr, n, df, counts, want, max_rowid, hits,
                        n_hits, err);
        if (rc <= 0) goto out;
        rc = -1;
    }

    /* 1 and 2: several terms in one row. */
    if (n >= 2) {
        every = strdup("");
        for (size_t i = 0; i < n && every; i++) {
            char *one = lexical_or(&terms[i], 1);
            every = one ? cat(every, i ? " AND " : "", one, NULL, NULL) : (free(every), NULL);
            free(one);
        }
        if (!every) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto out; }
        /* every holds the terms in the scored order: it can stand for all. */
        /* FTS5 finds the rows holding every term by leapfrogging through
         * the rarest term's rows: on a large store where even the rarest
         * term is common (a row in fifty, at a million memories), that
         * walk is bounded to about TIER1_WALK * lexical_scan of its newest
         * rows, by a rowid floor from its density (rows of a term spread
         * evenly over rowids, as term_df assumes too). Older rows holding
         * every term are left to the later tiers and to meaning. */
        double rarest = df[0];
        for (size_t i = 1; i < n; i++) rarest = df[i] < rarest ? df[i] : rarest;
        double walk = (double)m->cfg.lexical_scan * TIER1_WALK;
        int64_t floor_id = rarest > walk ? max_rowid - (int64_t)(walk / rarest * (double)max_rowid) : 0;
        if (run_tier(m, st, f, where, narrowed, tier_expr(scope, every, NULL), n, df, want, max_rowid, floor_id, &budget,
                     &seen, hits, n_hits, err))
            goto out;
    }
    if (n >= 3 && budget > 0) {
        /* Two or more of the np rarest terms: (t0 AND (t1 OR t2 ..)) OR
         * (t1 AND (t2 OR ..)) OR ... */
        size_t np = n < PAIR_TERMS ? n : PAIR_TERMS;
        pairs = strdup("");
        for (size_t a = 0; a + 1 < np && pairs; a++) {
            char *x = lexical_or(&terms[counts[a].index], 1);
            pairs = x ? cat(pairs, a ? " OR (" : "(", x, " AND (", NULL) : (free(pairs), NULL);
            free(x);
            for (size_t b = a + 1; b < np && pairs; b++) {
                char *y = lexical_or(&terms[counts[b].index], 1);
                pairs = y ? cat(pairs, b > a + 1 ? " OR " : "", y, NULL, NULL) : (free(pairs), NULL);
                free(y);
            }
            pairs = cat(pairs, "))", NULL, NULL, NULL);
        }
        if (!pairs) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto out; }
        if (run_tier(m, st, f, where, narrowed, tier_expr(scope, all, pairs), n, df, want, max_rowid, 0, &budget, &seen,
                     hits, n_hits, err))
            goto out;
    }
    /* 3: rows of the rarer terms, rarest first while they fit. */
    if (budget > 0) {
        rare = strdup("");
        int64_t room = budget;
        size_t n_rare = 0;
        for (size_t i = 0; i < n && rare && counts[i].rows <= room; i++) {
            if (counts[i].rows == 0) continue; /* matches nothing */
            char *one = lexical_or(&terms[counts[i].index], 1);
            rare = one ? cat(rare, n_rare ? " OR " : "", one, NULL, NULL) : (free(rare), NULL);
            free(one);
            room -= counts[i].rows;
            n_rare++;
        }
        if (!rare) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto out; }
        if (n_rare && run_tier(m, st, f, where, narrowed, tier_expr(scope, all, rare), n, df, want, max_rowid, 0, &budget,
                               &seen, hits, n_hits, err))
            goto out;
    }
    /* 4: the newest of the rest. */
    if (budget > 0 && run_tier(m, st, f, where, narrowed, tier_expr(scope, all, NULL), n, df, want, max_rowid, 0, &budget,
                               &seen, hits, n_hits, err))
        goto out;
    rc = 0;
out:
    if (rc) { free(*hits); *hits = NULL; *n_hits = 0; }
    free(every);
    free(pairs);
    free(rare);
    free(seen.ids);
    free(counts);
    free(df);
    free(all);
    free(proj);
    lexical_terms_free(terms, n);
    return rc;
}

int memory_term_rows(memory_engine *m, store *st, const char *term, int64_t limit, int64_t *rows, lt_err *err) {
    char *e = term_expr(term);
    if (!e) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    uint64_t gen = caches_observe(st);
    int64_t max_rowid, churn;
    double df;
    int rc = chunk_marks(st, &max_rowid, &churn, err) ? -1
             : term_df_cached(m, st, gen, churn, e, limit, max_rowid, rows, &df, err);
    free(e);
    return rc;
}

/* ---- search ------------------------------------------------------------------------ */

typedef struct {
    int64_t chunk_id, memory_id;
    double lexical;    /* raw BM25 (higher is better), 0 when not matched */
    double similarity; /* cosine */
    bool has_vector;
} candidate;

static int cand_find(candidate *c, size_t n, int64_t chunk_id) {
    for (size_t i = 0; i < n; i++)
        if (c[i].chunk_id == chunk_id) return (int)i;
    return -1;
}

static int cmp_hit(const void *a, const void *b) {
    const memory_hit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->memory_id < y->memory_id ? -1 : x->memory_id > y->memory_id; /* older first on ties */
}

#define CANDIDATES_MIN 100

/* The exact vector scan reads every row of the project (about 100 bytes a
 * chunk: 10 MB at 100,000 chunks, 100 MB at a million), bound by memory
 * bandwidth, while the lexical ranking works in SQLite. They share nothing
 * but the query vector, so the scan runs beside the ranking by words when
 * a core is free (sidejob.h). */
typedef struct {
    vindex *index;
    const char *project;
    const float *q;
    size_t k;
    const int64_t *allowed;
    size_t n_allowed;
    vhit *out;
    size_t n;
    float vmin, vmax;
} vector_scan;

static void vector_scan_run(void *arg) {
    vector_scan *j = arg;
    j->n = vindex_search_range(j->index, j->project, j->q, j->k, j->allowed, j->n_allowed, j->out, &j->vmin, &j->vmax);
}

/* The vector of a query text, from the embeddings cache when this model
 * embedded the same text before. */
static int embed_query(memory_engine *m, const char *query, float *q, lt_err *err) {
    int dim = embedder_dim(m->emb);
    const char *model = embedder_model_id(m->emb);
    size_t klen = strlen(model) + strlen(query) + 16;
    char *key = malloc(klen);
    if (!key) return embedder_embed(m->emb, query, strlen(query), q, err);
    snprintf(key, klen, "embedding:%s:%s", model, query);
    void *val;
    size_t len;
    if (l1_get(caches_embeddings(), key, &val, &len)) {
        if (len == sizeof(float) * (size_t)dim) {
            memcpy(q, val, len);
            free(val);
            free(key);
            return 0;
        }
        free(val);
    }
    /* The same key in Redis (redis.h adds "ltmc:"), shared by processes. */
    if (l2_get(caches_l2(), key, &val, &len)) {
        if (len == sizeof(float) * (size_t)dim) {
            memcpy(q, val, len);
            free(val);
            l1_put(caches_embeddings(), key, q, len);
            free(key);
            return 0;
        }
        free(val);
    }
    int rc = embedder_embed(m->emb, query, strlen(query), q, err);
    if (rc == 0) {
        l1_put(caches_embeddings(), key, q, sizeof(float) * (size_t)dim);
        l2_put(caches_l2(), key, q, sizeof(float) * (size_t)dim);
    }
    free(key);
    return rc;
}

int memory_search(memory_engine *m, store *st, const char *query, const memory_filter *f, size_t k,
                  memory_hit **hits_out, size_t *n_out, lt_err *err) {
    *hits_out = NULL;
    *n_out = 0;
    if (vindex_sync(m->index, st, err)) return -1;
    char where[1024];
    filter_sql(f, where, sizeof where);

    /* Filters beyond the project become a set of allowed memory ids. */
    int64_t *allowed = NULL;
    size_t n_allowed = 0, cap_allowed = 0;
    bool narrowed = filter_narrows(f);
    if (narrowed) {
        char sql[1400];
        snprintf(sql, sizeof sql, "SELECT m.id FROM memories m WHERE %s ORDER BY m.id", where);
        store_stmt *s = store_prepare(st, sql, err);
        if (!s) return -1;
        filter_bind(s, f);
        int rc;
        while ((rc = store_step(s, err)) == 1) {
            if (n_allowed == cap_allowed) {
                cap_allowed = cap_allowed ? cap_allowed * 2 : 256;
                int64_t *grown = realloc(allowed, cap_allowed * sizeof *grown);
                if (!grown) { free(allowed); store_reset(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
                allowed = grown;
            }
            allowed[n_allowed++] = store_col_int(s, 0);
        }
        if (rc < 0) { free(allowed); return -1; }
        if (n_allowed == 0) { free(allowed); return 0; }
    }

    size_t want = k * 10 > CANDIDATES_MIN ? k * 10 : CANDIDATES_MIN;
    int dim = embedder_dim(m->emb);
    float *q = malloc(sizeof(float) * (size_t)dim);
    vhit *vh = malloc(sizeof(vhit) * want);
    candidate *cand = malloc(sizeof(candidate) * want); /* the vector hits; grown for the lexical ones */
    if (!q || !vh || !cand) {
        free(q); free(vh); free(cand); free(allowed);
        return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    }
    int rc = -1;
    size_t n_cand = 0;
    float vmin = 0, vmax = 0;
    if (embed_query(m, query, q, err)) goto done;
    vector_scan job = {m->index, f->project, q, want, allowed, n_allowed, vh, 0, 0, 0};
    sidejob *scanner = NULL;
    if (scan_beside(m)) scanner = sidejob_start(vector_scan_run, &job);
    else vector_scan_run(&job);
    double lmax = 0;
    lex_hit *lh = NULL;
    size_t nl = 0;
    int lrc = lexical_rank(m, st, f, where, narrowed, query, want, &lh, &nl, err);
    sidejob_finish(scanner);
    if (lrc) goto done;
    vmin = job.vmin;
    vmax = job.vmax;
    for (size_t i = 0; i < job.n; i++)
        cand[n_cand++] = (candidate){vh[i].chunk_id, vh[i].memory_id, 0, vh[i].score, true};
    candidate *room = realloc(cand, sizeof(candidate) * (n_cand + nl + 1));
    if (!room) { free(lh); lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    cand = room;
    /* Lexical hits join their vector candidate, or become one scored by
     * vector here (all at once: one lock and one quantised query). */
    size_t n_vec = n_cand;
    int64_t *missing = malloc(sizeof *missing * (nl ? nl : 1));
    float *sims = malloc(sizeof *sims * (nl ? nl : 1));
    bool *has = malloc(sizeof *has * (nl ? nl : 1));
    if (!missing || !sims || !has) {
        free(missing); free(sims); free(has); free(lh);
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        goto done;
    }
    size_t n_missing = 0;
    for (size_t i = 0; i < nl; i++) {
        if (lh[i].score > lmax) lmax = lh[i].score;
        int at = cand_find(cand, n_cand, lh[i].chunk_id);
        if (at >= 0) {
            cand[at].lexical = lh[i].score;
            continue;
        }
        missing[n_missing++] = lh[i].chunk_id;
        cand[n_cand++] = (candidate){lh[i].chunk_id, lh[i].memory_id, lh[i].score, 0, false};
    }
    vindex_score_many(m->index, f->project, q, missing, n_missing, sims, has);
    for (size_t i = 0; i < n_missing; i++) {
        cand[n_vec + i].similarity = has[i] ? sims[i] : 0;
        cand[n_vec + i].has_vector = has[i];
    }
    free(missing);
    free(sims);
    free(has);
    free(lh);

    /* Fuse, then keep each memory's best chunk. */
    double w = m->cfg.lexical_weight, span = (double)vmax - (double)vmin;
    memory_hit *hits = malloc(sizeof *hits * (n_cand ? n_cand : 1));
    if (!hits) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    size_t n_hits = 0;
    for (size_t i = 0; i < n_cand; i++) {
        double ln = lmax > 0 ? cand[i].lexical / lmax : 0;
        double vn = cand[i].has_vector && span > 0 ? ((double)cand[i].similarity - vmin) / span : 0;
        if (vn < 0) vn = 0;
        if (vn > 1) vn = 1;
        double score = w * ln + (1 - w) * vn;
        size_t j = 0;
        while (j < n_hits && hits[j].memory_id != cand[i].memory_id) j++;
        if (j == n_hits) {
            hits[n_hits++] = (memory_hit){cand[i].memory_id, cand[i].chunk_id, score, cand[i].similarity, ln};
        } else if (score > hits[j].score) {
            hits[j] = (memory_hit){cand[i].memory_id, cand[i].chunk_id, score, cand[i].similarity, ln};
        }
    }
    qsort(hits, n_hits, sizeof *hits, cmp_hit);
    if (n_hits > k) n_hits = k;
    *hits_out = hits;
    *n_out = n_hits;
    rc = 0;
done:
    free(q);
    free(vh);
    free(cand);
    free(allowed);
    return rc;
}

/* ---- chat history ------------------------------------------------------------------- */

int memory_index_chat(store *st, int64_t chat_id, const char *project, const char *content, lt_err *err) {
    char *words = lexical_words(content, strlen(content));
    char *proj = lexical_project_token(project);
    int rc = -1;
    store_stmt *s = words && proj ? store_prepare(st, "INSERT INTO chat_fts(rowid, words, proj) VALUES (?, ?, ?)", err)
                                  : NULL;
    if (!words || !proj) lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    if (s) {
        store_bind_int(s, 1, chat_id);
        store_bind_text(s, 2, words);
        store_bind_text(s, 3, proj);
        rc = store_step(s, err) < 0 ? -1 : 0;
    }
    free(words);
    free(proj);
    return rc;
}

static int cmp_chat_hit(const void *a, const void *b) {
    const chat_hit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->chat_id < y->chat_id ? -1 : x->chat_id > y->chat_id;
}

#define CHAT_CANDIDATES 50

int memory_search_chat(memory_engine *m, store *st, const char *project, const char *query, size_t k,
                       chat_hit **hits_out, size_t *n_out, lt_err *err) {
    *hits_out = NULL;
    *n_out = 0;
    char *match = lexical_query(query, strlen(query));
    if (!match) return 0; /* no words: nothing to find messages by */
    char *proj = lexical_project_token(project);
    size_t mlen = strlen(match) + (proj ? strlen(proj) : 0) + 48;
    char *expr = malloc(mlen);
    if (proj && expr) snprintf(expr, mlen, "proj : \"%s\" AND words : (%s)", proj, match);
    free(proj);
    free(match);
    if (!expr) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    int dim = embedder_dim(m->emb);
    float *q = malloc(sizeof(float) * (size_t)dim), *v = malloc(sizeof(float) * (size_t)dim);
    chat_hit *hits = malloc(sizeof *hits * CHAT_CANDIDATES);
    double *lex = malloc(sizeof *lex * CHAT_CANDIDATES);
    int rc = -1;
    if (!q || !v || !hits || !lex) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    if (embed_query(m, query, q, err)) goto done;
    store_stmt *s = store_prepare(st,
                                  "SELECT f.rowid, -bm25(chat_fts, 1.0, 0.0) AS score, c.content FROM chat_fts f"
                                  " JOIN chat_messages c ON c.id = f.rowid WHERE chat_fts MATCH ?1 AND c.project = ?2"
                                  " ORDER BY score DESC LIMIT ?3",
                                  err);
    if (!s) goto done;
    store_bind_text(s, 1, expr);
    store_bind_text(s, 2, project);
    store_bind_int(s, 3, CHAT_CANDIDATES);
    size_t n = 0;
    double lmax = 0, vmin = INFINITY, vmax = -INFINITY;
    int step;
    while ((step = store_step(s, err)) == 1) {
        const char *content = store_col_text(s, 2);
        if (embedder_embed(m->emb, content, strlen(content), v, err)) { store_reset(s); goto done; }
        double cos = 0;
        for (int i = 0; i < dim; i++) cos += (double)q[i] * v[i];
        hits[n] = (chat_hit){store_col_int(s, 0), 0, cos};
        lex[n] = store_col_real(s, 1);
        lmax = fmax(lmax, lex[n]);
        vmin = fmin(vmin, cos);
        vmax = fmax(vmax, cos);
        n++;
    }
    if (step < 0) goto done;
    double w = m->cfg.lexical_weight;
    for (size_t i = 0; i < n; i++) {
        double ln = lmax > 0 ? lex[i] / lmax : 0, vn = vmax > vmin ? (hits[i].similarity - vmin) / (vmax - vmin) : 0;
        hits[i].score = w * ln + (1 - w) * vn;
    }
    qsort(hits, n, sizeof *hits, cmp_chat_hit);
    *n_out = n < k ? n : k;
    *hits_out = hits;
    hits = NULL;
    rc = 0;
done:
    free(expr);
    free(q);
    free(v);
    free(hits);
    free(lex);
    return rc;
}

/* ---- reindex ------------------------------------------------------------------------ */

typedef struct {
    memory_engine *m;
    int64_t id;
    const char *project;
    const char *created_at;
    const prepared_text *p;
} reindex_ctx;

static int reindex_tx(store *st, void *vctx, lt_err *err) {
    reindex_ctx *r = vctx;
    store_stmt *s = store_prepare(st, "DELETE FROM chunks WHERE memory_id = ?", err);
    if (!s) return -1;
    store_bind_int(s, 1, r->id);
    if (store_step(s, err) < 0) return -1;
    if (write_chunks(r->m, st, r->id, r->project, r->created_at, r->p, true, err)) return -1;
    return rebuild_ctx(r->m, st, r->id, err);
}

static int reindex_impl(memory_engine *m, store *st, int64_t id, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT project, content, created_at FROM memories WHERE id = ?", err);
    if (!s) return -1;
    store_bind_int(s, 1, id);
    int rc = store_step(s, err);
    if (rc <= 0) return rc < 0 ? -1 : lt_err_set(err, LT_ERR_NOT_FOUND, "Memory with ID %lld not found", (long long)id);
    char *project = strdup(store_col_text(s, 0)), *content = strdup(store_col_text(s, 1)),
         *created = strdup(store_col_text(s, 2));
    store_reset(s);
    prepared_text p = {0};
    rc = -1;
    if (!project || !content || !created) lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    else if (prepare_text(m, content, &p, err) == 0) {
        reindex_ctx r = {m, id, project, created, &p};
        rc = store_write(st, reindex_tx, &r, err);
    }
    prepared_free(&p);
    free(project);
    free(content);
    free(created);
    return rc;
}

/* ---- list and stats ---------------------------------------------------------------- */

int memory_list(store *st, const memory_filter *f, int64_t limit, int64_t offset, json_t *out, lt_err *err) {
    char where[1024], sql[2048];
    filter_sql(f, where, sizeof where);
    snprintf(sql, sizeof sql,
             "SELECT m.id AS doc_id, m.file_name, m.resource_type, m.conversation_id,"
             " substr(m.content, 1, 200) AS preview, length(CAST(m.content AS BLOB)) AS content_bytes,"
             " (SELECT json_group_array(tag) FROM (SELECT tag FROM memory_tags WHERE memory_id = m.id ORDER BY tag))"
             " AS tags, m.created_at, m.updated_at FROM memories m WHERE %s"
             " ORDER BY m.created_at DESC, m.id DESC LIMIT ?7 OFFSET ?8",
             where);
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    filter_bind(s, f);
    store_bind_int(s, 7, limit);
    store_bind_int(s, 8, offset);
    json_t *docs = json_array();
    json_object_set_new(out, "documents", docs);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        json_t *row = store_row_json(s);
        const char *tags = jx_str(row, "tags");
        json_t *tv = tags ? json_loads(tags, 0, NULL) : NULL;
        json_object_set_new(row, "tags", tv ? tv : json_array());
        json_array_append_new(docs, row);
    }
    if (rc < 0) return -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM memories m WHERE %s", where);
    s = store_prepare(st, sql, err);
    if (!s) return -1;
    filter_bind(s, f);
    if (store_step(s, err) != 1) return -1;
    int64_t total = store_col_int(s, 0);
    store_reset(s);
    jx_set_int(out, "total_found", (int64_t)json_array_size(docs));
    jx_set_int(out, "total_count", total);
    jx_set_int(out, "limit_applied", limit);
    jx_set_int(out, "offset", offset);
    jx_set_bool(out, "has_more", offset + (int64_t)json_array_size(docs) < total);
    return 0;
}

json_t *memory_stats(memory_engine *m, store *st) {
    json_t *o = json_object();
    const char *queries[][2] = {{"memories", "SELECT count(*) FROM memories"},
                                {"chunks", "SELECT count(*) FROM chunks"},
                                {"vectors_total", "SELECT count(*) FROM vectors"}};
    for (int i = 0; i < 3; i++) {
        store_stmt *s = store_prepare(st, queries[i][1], NULL);
        if (s && store_step(s, NULL) == 1) jx_set_int(o, queries[i][0], store_col_int(s, 0));
        if (s) store_reset(s);
    }
    store_stmt *s = store_prepare(st, "SELECT count(*) FROM vectors WHERE model = ? AND dim = ?", NULL);
    if (s) {
        store_bind_text(s, 1, embedder_model_id(m->emb));
        store_bind_int(s, 2, embedder_dim(m->emb));
        if (store_step(s, NULL) == 1) jx_set_int(o, "vectors_current_model", store_col_int(s, 0));
        store_reset(s);
    }
    jx_set_int(o, "index_rows", (int64_t)vindex_count(m->index));
    jx_set_int(o, "index_bytes", (int64_t)vindex_bytes(m->index));
    return o;
}

/* ---- writes: every one makes cached query results stale ---- */

int memory_store(memory_engine *m, store *st, const memory_input *in, json_t *out, lt_err *err) {
    int rc = store_impl(m, st, in, out, err);
    caches_bump();
    return rc;
}

int memory_update(memory_engine *m, store *st, int64_t id, const memory_input *in, json_t *out, lt_err *err) {
    int rc = update_impl(m, st, id, in, out, err);
    caches_bump();
    return rc;
}

int memory_delete(memory_engine *m, store *st, const char *project, int64_t id, json_t *out, lt_err *err) {
    int rc = delete_impl(m, st, project, id, out, err);
    caches_bump();
    return rc;
}

int memory_reindex(memory_engine *m, store *st, int64_t id, lt_err *err) {
    int rc = reindex_impl(m, st, id, err);
    caches_bump();
    return rc;
}

int memory_store_many(memory_engine *m, store *st, const memory_input *in, size_t n, json_t *results,
                      memory_progress_fn progress, void *progress_arg, lt_err *err) {
    int rc = store_many_impl(m, st, in, n, results, progress, progress_arg, err);
    caches_bump();
    return rc;
}
