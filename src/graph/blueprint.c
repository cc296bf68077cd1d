#include "blueprint.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "graph.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const char *const blueprint_levels[] = {"trivial", "simple", "medium", "complex", "critical", NULL};
const char *const blueprint_statuses[] = {"draft", "pending", "in_progress", "blocked", "completed", "cancelled", NULL};

#define NODE_PREFIX "blueprint:"
#define NODE_PREFIX_LEN 10

static void node_key(char *buf, size_t len, const char *id) { snprintf(buf, len, NODE_PREFIX "%s", id); }

static int check_scores(const blueprint_input *in, lt_err *err) {
    if (!(in->complexity_score >= 0 && in->complexity_score <= 1))
        return lt_err_set(err, LT_ERR_INVALID, "Invalid value for parameter 'complexity_score': %g (expected 0 to 1)",
                          in->complexity_score);
    if (!(in->priority_score >= 0 && in->priority_score <= 1))
        return lt_err_set(err, LT_ERR_INVALID, "Invalid value for parameter 'priority_score': %g (expected 0 to 1)",
                          in->priority_score);
    return 0;
}

static char *array_text(const json_t *a) { return a ? jx_dump(a) : strdup("[]"); }

/* Loads the blueprint row (as JSON, arrays parsed); LT_ERR_NOT_FOUND. */
#define BP_COLUMNS                                                                                            \
    "id AS blueprint_id, title, description, project_id, complexity, complexity_score, priority_score, "      \
    "estimated_duration_minutes, required_skills, tags, status, created_at, updated_at"

static json_t *bp_row(store_stmt *s) {
    json_t *row = store_row_json(s);
    static const char *const arrays[] = {"required_skills", "tags"};
    for (int i = 0; i < 2; i++) {
        const char *t = jx_str(row, arrays[i]);
        json_t *a = t ? json_loads(t, 0, NULL) : NULL;
        json_object_set_new(row, arrays[i], a ? a : json_array());
    }
    return row;
}

static json_t *bp_load(store *st, const char *project, const char *id, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT " BP_COLUMNS " FROM blueprints WHERE id = ? AND project = ?", err);
    if (!s) return NULL;
    store_bind_text(s, 1, id);
    store_bind_text(s, 2, project);
    int rc = store_step(s, err);
    if (rc != 1) {
        if (rc == 0) lt_err_set(err, LT_ERR_NOT_FOUND, "Blueprint with ID %.100s not found", id);
        return NULL;
    }
    json_t *row = bp_row(s);
    store_reset(s);
    return row;
}

/* ---- create --------------------------------------------------------------------- */

typedef struct {
    const char *project;
    const blueprint_input *in;
    char id[16];
    char now[CLOCK_ISO_LEN];
} create_ctx;

static int create_tx(store *st, void *vctx, lt_err *err) {
    create_ctx *c = vctx;
    char *skills = array_text(c->in->required_skills), *tags = array_text(c->in->tags);
    int rc = -1;
    if (!skills || !tags) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    /* 32 random bits: a clash is rare but possible, so draw again. */
    for (int attempt = 0; attempt < 16; attempt++) {
        uint32_t r;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (uint32_t)rand() ^ (uint32_t)clock_mono_ns();
        snprintf(c->id, sizeof c->id, "bp_%08x", r);
        store_stmt *s = store_prepare(st, "SELECT 1 FROM blueprints WHERE id = ?", err);
        if (!s) goto done;
        store_bind_text(s, 1, c->id);
        int found = store_step(s, err);
        if (found < 0) goto done;
        store_reset(s);
        if (found == 0) break;
        if (attempt == 15) { lt_err_set(err, LT_ERR_INTERNAL, "could not draw an unused blueprint id"); goto done; }
    }
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO blueprints(id, project, project_id, title, description, complexity,"
                                  " complexity_score, priority_score, estimated_duration_minutes, required_skills, tags,"
                                  " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                                  err);
    if (!s) goto done;
    store_bind_text(s, 1, c->id);
    store_bind_text(s, 2, c->project);
    store_bind_text(s, 3, c->in->project_id ? c->in->project_id : c->project);
    store_bind_text(s, 4, c->in->title);
    store_bind_text(s, 5, c->in->description);
    store_bind_text(s, 6, c->in->complexity);
    store_bind_real(s, 7, c->in->complexity_score);
    store_bind_real(s, 8, c->in->priority_score);
    store_bind_int(s, 9, c->in->minutes);
    store_bind_text(s, 10, skills);
    store_bind_text(s, 11, tags);
    store_bind_text(s, 12, c->now);
    store_bind_text(s, 13, c->now);
    if (store_step(s, err) < 0) goto done;
    char key[32];
    node_key(key, sizeof key, c->id);
    rc = graph_node_ensure(st, c->project, key, true, err) < 0 ? -1 : 0;
done:
    free(skills);
    free(tags);
    return rc;
}

int blueprint_create(store *st, const char *project, const blueprint_input *in, json_t *out, lt_err *err) {
    if (check_scores(in, err)) return -1;
    if (in->minutes < 1) return lt_err_set(err, LT_ERR_INVALID, "estimated_duration_minutes must be at least 1");
    create_ctx c = {project, in, "", ""};
    clock_now_iso(c.now, sizeof c.now);
    if (store_write(st, create_tx, &c, err)) return -1;
    json_t *row = bp_load(st, project, c.id, err);
    if (!row) return -1;
    json_object_del(row, "updated_at");
    json_object_update(out, row);
    json_decref(row);
    jx_set_str(out, "project", project);
    char msg[200];
    snprintf(msg, sizeof msg, "Blueprint %s created", c.id);
    jx_set_str(out, "message", msg);
    return 0;
}

/* ---- analyze_complexity ------------------------------------------------------------- */

static const char *const technical_keywords[] = {
    "microservice", "distributed", "scalable", "real-time", "machine learning", "ai", "blockchain",
    "kubernetes", "docker", "oauth2", "jwt", "security", "encryption", "async", "multithreading",
    "performance", "optimization", "migration", "zero-downtime", "database", "postgresql", "mysql",
    "monitoring", "logging", "testing", "ci/cd", "devops", NULL};
static const char *const integration_keywords[] = {"integrate", "api", "service", "external", "third-party", NULL};

/* Letters, digits and any non-ASCII byte (part of some letter) make words. */
static bool word_byte(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* Whether kw occurs in text (lower-cased) as a whole word, or with a
 * plural s: "api" in "apis" and "rest api," but not in "rapid". */
static bool has_word(const char *text, const char *kw) {
    size_t n = strlen(kw);
    for (const char *p = strstr(text, kw); p; p = strstr(p + 1, kw)) {
        bool start = p == text || !word_byte((unsigned char)p[-1]);
        const char *end = p + n;
        if (*end == 's') end++;
        if (start && !word_byte((unsigned char)*end)) return true;
    }
    return false;
}

void blueprint_analyze(const char *title, const char *description, size_t n_skills, json_t *out) {
    /* The additions follow the original's order, so the floating-point sum
     * (and a level at a boundary such as 0.1 + 0.2) comes out the same. */
    double score = 0.0;
    int title_words = 0;
    for (const char *p = title; *p;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        title_words++;
        while (*p && !isspace((unsigned char)*p)) p++;
    }
    if (title_words >= 5) score += 0.1;
    size_t chars = 0; /* characters, as the original's len() counted them */
    for (const unsigned char *p = (const unsigned char *)description; *p; p++) chars += (*p & 0xc0) != 0x80;
    if (chars > 200) score += 0.2;
    if (chars > 500) score += 0.3;
    char *lower = strdup(description);
    for (char *p = lower; p && *p; p++) *p = (char)tolower((unsigned char)*p);
    json_t *matched = json_array();
    int technical = 0;
    for (const char *const *k = technical_keywords; *k; k++) {
        if (lower && has_word(lower, *k)) {
            score += 0.15;
            technical++;
            json_array_append_new(matched, json_string(*k));
        }
    }
    if (n_skills >= 3) score += 0.1;
    if (n_skills >= 5) score += 0.2;
    bool integration = false;
    for (const char *const *k = integration_keywords; *k; k++) {
        if (lower && has_word(lower, *k)) {
            score += 0.1;
            integration = true;
            json_array_append_new(matched, json_string(*k));
        }
    }
    free(lower);
    if (score > 1.0) score = 1.0;
    const char *level;
    int minutes;
    if (score < 0.3) { level = "simple"; minutes = 60 + (int)(score * 120); }
    else if (score < 0.5) { level = "medium"; minutes = 120 + (int)(score * 240); }
    else if (score < 0.7) { level = "complex"; minutes = 240 + (int)(score * 360); }
    else { level = "critical"; minutes = 480 + (int)(score * 240); }
    jx_set_str(out, "title", title);
    jx_set_real(out, "complexity_score", round(score * 1000) / 1000);
    jx_set_str(out, "complexity_level", level);
    jx_set_int(out, "estimated_duration_minutes", minutes);
    json_t *a = json_object();
    jx_set_bool(a, "title_complexity", title_words >= 5);
    jx_set_int(a, "description_length", (int64_t)chars);
    jx_set_int(a, "technical_keywords_found", technical);
    jx_set_int(a, "required_skills_count", (int64_t)n_skills);
    jx_set_bool(a, "has_integration_aspects", integration);
    json_object_set_new(a, "keywords_matched", matched);
    json_object_set_new(out, "analysis", a);
}

/* ---- list ----------------------------------------------------------------------------- */

static int level_rank(const char *level) {
    for (int i = 0; blueprint_levels[i]; i++)
        if (strcmp(blueprint_levels[i], level) == 0) return i;
    return -1;
}

int blueprint_list(store *st, const char *project, const blueprint_filter *f, json_t *out, lt_err *err) {
    char *tags = f->tags ? jx_dump(f->tags) : NULL;
    /* The tag filter runs in SQL, before LIMIT (the original filtered the
     * page afterwards and so returned short pages). */
    static const char *const where =
        " WHERE project = ?1 AND (?2 IS NULL OR project_id = ?2) AND (?3 IS NULL OR complexity_rank >= ?3)"
        " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(blueprints.tags) t"
        " WHERE t.value IN (SELECT value FROM json_each(?4))))";
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " BP_COLUMNS " FROM blueprints%s ORDER BY priority_score DESC,"
             " complexity_score DESC, created_at DESC, id LIMIT ?5 OFFSET ?6", where);
    int ret = -1;
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) goto done;
    int rank = f->min_complexity ? level_rank(f->min_complexity) : -1;
    store_bind_text(s, 1, project);
    store_bind_text(s, 2, f->project_id);
    if (rank >= 0) store_bind_int(s, 3, rank);
    store_bind_text(s, 4, tags);
    store_bind_int(s, 5, f->limit);
    store_bind_int(s, 6, f->offset);
    json_t *list = json_array();
    json_object_set_new(out, "blueprints", list);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        json_t *row = bp_row(s);
        json_object_del(row, "updated_at");
        json_array_append_new(list, row);
    }
    if (rc < 0) goto done;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM blueprints%s", where);
    s = store_prepare(st, sql, err);
    if (!s) goto done;
    store_bind_text(s, 1, project);
    store_bind_text(s, 2, f->project_id);
    if (rank >= 0) store_bind_int(s, 3, rank);
    store_bind_text(s, 4, tags);
    if (store_step(s, err) != 1) goto done;
    int64_t total = store_col_int(s, 0);
    store_reset(s);
    int64_t n = (int64_t)json_array_size(list);
    jx_set_str(out, "project_id", f->project_id);
    jx_set_int(out, "total_found", n);
    jx_set_int(out, "total_count", total);
    jx_set_int(out, "limit_applied", f->limit);
    jx_set_int(out, "offset", f->offset);
    jx_set_bool(out, "has_more", f->offset + n < total);
    json_t *filters = json_object();
    jx_set_str(filters, "min_complexity", f->min_complexity);
    json_object_set_new(filters, "tags", f->tags ? json_deep_copy(f->tags) : json_null());
    json_object_set_new(out, "filters", filters);
    ret = 0;
done:
    free(tags);
    return ret;
}

/* ---- dependencies ----------------------------------------------------------------------- */

static int need_blueprint(store *st, const char *project, const char *id, lt_err *err) {
    json_t *row = bp_load(st, project, id, err);
    if (!row) return -1;
    json_decref(row);
    return 0;
}

/* Blueprint ids of a path of node ids ("blueprint:bp_..." -> "bp_..."). */
static json_t *strip_prefix(const json_t *keys) {
    json_t *ids = json_array();
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        const char *s = json_string_value(k);
        json_array_append_new(ids, json_string(strncmp(s, NODE_PREFIX, NODE_PREFIX_LEN) == 0 ? s + NODE_PREFIX_LEN : s));
    }
    return ids;
}

static void join_ids(char *buf, size_t len, const json_t *ids) {
    size_t n = 0, i;
    json_t *k;
    buf[0] = '\0';
    json_array_foreach(ids, i, k) if (n < len) n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " -> " : "",
                                                                     json_string_value(k));
}

typedef struct {
    const char *project, *dependent, *prerequisite, *type;
    bool critical;
    char now[CLOCK_ISO_LEN];
    json_t *cycle;
} dep_ctx;

static int add_dep_tx(store *st, void *vctx, lt_err *err) {
    dep_ctx *c = vctx;
    json_decref(c->cycle);
    c->cycle = NULL;
    if (need_blueprint(st, c->project, c->dependent, err) || need_blueprint(st, c->project, c->prerequisite, err))
        return -1;
    char dkey[32], pkey[32];
    node_key(dkey, sizeof dkey, c->dependent);
    node_key(pkey, sizeof pkey, c->prerequisite);
    int64_t dnode = graph_node_ensure(st, c->project, dkey, true, err);
    int64_t pnode = dnode < 0 ? -1 : graph_node_ensure(st, c->project, pkey, true, err);
    if (pnode < 0) return -1;
    store_stmt *s = store_prepare(st, "SELECT 1 FROM graph_edges WHERE src = ? AND dst = ? AND relation = 'DEPENDS_ON'", err);
    if (!s) return -1;
    store_bind_int(s, 1, dnode);
    store_bind_int(s, 2, pnode);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    store_reset(s);
    if (rc == 1)
        return lt_err_set(err, LT_ERR_CONFLICT, "Dependency already exists: %s already depends on %s", c->dependent,
                          c->prerequisite);
    /* A path prerequisite -> ... -> dependent plus the new edge would be a
     * cycle: dependent -> prerequisite -> ... -> dependent. */
    json_t *path;
    if (graph_depends_path(st, pnode, dnode, &path, err)) return -1;
    if (path) {
        c->cycle = json_array();
        json_array_append_new(c->cycle, json_string(c->dependent));
        json_t *ids = strip_prefix(path);
        json_array_extend(c->cycle, ids);
        json_decref(ids);
        json_decref(path);
        char names[400];
        join_ids(names, sizeof names, c->cycle);
        return lt_err_set(err, LT_ERR_CONFLICT, "Dependency would create a cycle: %s", names);
    }
    json_t *props = json_pack("{s:s, s:b}", "dependency_type", c->type, "is_critical", c->critical);
    graph_edge_input in = {dkey, pkey, GRAPH_DEPENDS_ON, 1.0, props, c->now};
    bool created;
    rc = graph_edge_put(st, c->project, &in, true, true, &created, err);
    json_decref(props);
    return rc;
}

int blueprint_add_dependency(store *st, const char *project, const char *dependent, const char *prerequisite,
                             const char *dependency_type, bool is_critical, json_t *out, json_t *details, lt_err *err) {
    if (strcmp(dependent, prerequisite) == 0)
        return lt_err_set(err, LT_ERR_INVALID, "A blueprint cannot depend on itself: %.100s", dependent);
    dep_ctx c = {project, dependent, prerequisite, dependency_type, is_critical, "", NULL};
    clock_now_iso(c.now, sizeof c.now);
    if (store_write(st, add_dep_tx, &c, err)) {
        if (c.cycle && details) json_object_set(details, "cycle", c.cycle);
        json_decref(c.cycle);
        return -1;
    }
    jx_set_str(out, "dependent_blueprint_id", dependent);
    jx_set_str(out, "prerequisite_blueprint_id", prerequisite);
    jx_set_str(out, "dependency_type", dependency_type);
    jx_set_bool(out, "is_critical", is_critical);
    jx_set_str(out, "created_at", c.now);
    jx_set_str(out, "message", "Blueprint dependency added");
    return 0;
}

/* ---- resolve_order ------------------------------------------------------------------------ */

typedef struct {
    const char *id;
    char *title;
    double priority, complexity;
    int indeg;
    int *pre, n_pre, cap_pre;     /* prerequisites in the set (indexes) */
    int *next, n_next, cap_next;  /* dependents in the set */
    json_t *unlisted;             /* prerequisites outside the set */
    bool done;
} bp_vertex;

static int push_int(int **a, int *n, int *cap, int v) {
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 4;
        int *g = realloc(*a, (size_t)c * sizeof *g);
        if (!g) return -1;
        *a = g;
        *cap = c;
    }
    (*a)[(*n)++] = v;
    return 0;
}

/* The ready queue: a binary heap, best first. */
static bool before(const bp_vertex *v, int a, int b) {
    if (v[a].priority != v[b].priority) return v[a].priority > v[b].priority;
    if (v[a].complexity != v[b].complexity) return v[a].complexity > v[b].complexity;
    return strcmp(v[a].id, v[b].id) < 0;
}

static void heap_push(int *h, int *n, const bp_vertex *v, int x) {
    int i = (*n)++;
    h[i] = x;
    while (i && before(v, h[i], h[(i - 1) / 2])) {
        int p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static int heap_pop(int *h, int *n, const bp_vertex *v) {
    int top = h[0], i = 0;
    h[0] = h[--(*n)];
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && before(v, h[l], h[m])) m = l;
        if (r < *n && before(v, h[r], h[m])) m = r;
        if (m == i) break;
        int t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
    return top;
}

typedef struct {
    const char *id;
    int index;
} id_index;

static int cmp_id_index(const void *a, const void *b) { return strcmp(((const id_index *)a)->id, ((const id_index *)b)->id); }

/* By id, then by position: the first of equal ids is the one given first. */
static int cmp_id_position(const void *a, const void *b) {
    int c = cmp_id_index(a, b);
    return c ? c : ((const id_index *)a)->index - ((const id_index *)b)->index;
}

typedef struct {
    int64_t node; /* graph node row id */
    int index;
} node_index;

static int cmp_node_index(const void *a, const void *b) {
    int64_t x = ((const node_index *)a)->node, y = ((const node_index *)b)->node;
    return (x > y) - (x < y);
}

static int find_node(const node_index *sorted, size_t n, int64_t node) {
    node_index key = {node, 0};
    const node_index *hit = bsearch(&key, sorted, n, sizeof *sorted, cmp_node_index);
    return hit ? hit->index : -1;
}

static int find_index(const id_index *sorted, size_t n, const char *id) {
    id_index key = {id, 0};
    const id_index *hit = bsearch(&key, sorted, n, sizeof *sorted, cmp_id_index);
    return hit ? hit->index : -1;
}

/* Tarjan's strongly connected components over the vertices left after
 * Kahn (iteratively: no recursion as deep as the graph), following
 * dependent -> prerequisite. comp[v] receives a component number. */
static int components(bp_vertex *v, int n, int *comp, int *comp_size, lt_err *err) {
    int *index = malloc((size_t)n * sizeof *index), *low = malloc((size_t)n * sizeof *low);
    int *stack = malloc((size_t)n * sizeof *stack), *call = malloc((size_t)n * sizeof *call);
    int *edge = malloc((size_t)n * sizeof *edge);
    bool *on = calloc((size_t)n, sizeof *on);
    int ret = 0;
    if (!index || !low || !stack || !call || !edge || !on) { ret = lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    for (int i = 0; i < n; i++) index[i] = -1, comp[i] = -1;
    int counter = 0, sp = 0, n_comp = 0;
    for (int root = 0; root < n; root++) {
        if (v[root].done || index[root] >= 0) continue;
        int depth = 0;
        call[depth] = root;
        edge[depth] = 0;
        index[root] = low[root] = counter++;
        stack[sp++] = root;
        on[root] = true;
        while (depth >= 0) {
            int u = call[depth];
            if (edge[depth] < v[u].n_pre) {
                int w = v[u].pre[edge[depth]++];
                if (v[w].done) continue;
                if (index[w] < 0) {
                    index[w] = low[w] = counter++;
                    stack[sp++] = w;
                    on[w] = true;
                    call[++depth] = w;
                    edge[depth] = 0;
                } else if (on[w] && index[w] < low[u]) {
                    low[u] = index[w];
                }
                continue;
            }
            if (low[u] == index[u]) {
                int size = 0, w;
                do {
                    w = stack[--sp];
                    on[w] = false;
                    comp[w] = n_comp;
                    size++;
                } while (w != u);
                comp_size[n_comp++] = size;
            }
            depth--;
            if (depth >= 0 && low[u] < low[call[depth]]) low[call[depth]] = low[u];
        }
    }
done:
    free(index);
    free(low);
    free(stack);
    free(call);
    free(edge);
    free(on);
    return ret;
}

/* One cycle through the component of `start`, as ids from start round to
 * start (breadth-first inside the component, so it is a shortest one). */
static json_t *cycle_through(const bp_vertex *v, int n, const int *comp, int start) {
    int *parent = malloc((size_t)n * sizeof *parent), *queue = malloc((size_t)n * sizeof *queue);
    json_t *ids = json_array();
    if (!parent || !queue) { free(parent); free(queue); return ids; }
    for (int i = 0; i < n; i++) parent[i] = -2;
    int head = 0, tail = 0, last = -1;
    queue[tail++] = start;
    parent[start] = -1;
    while (head < tail && last < 0) {
        int u = queue[head++];
        for (int k = 0; k < v[u].n_pre; k++) {
            int w = v[u].pre[k];
            if (comp[w] != comp[start]) continue;
            if (w == start) { last = u; break; }
            if (parent[w] != -2) continue;
            parent[w] = u;
            queue[tail++] = w;
        }
    }
    if (last >= 0) {
        int len = 0;
        for (int u = last; u != -1; u = parent[u]) queue[len++] = u; /* last .. start */
        for (int i = len; i-- > 0;) json_array_append_new(ids, json_string(v[queue[i]].id));
        json_array_append_new(ids, json_string(v[start].id));
    }
    free(parent);
    free(queue);
    return ids;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Fills details and err for the vertices Kahn could not order. */
static int report_cycles(bp_vertex *v, int n, json_t *details, lt_err *err) {
    int *comp = malloc((size_t)n * sizeof *comp), *size = malloc((size_t)n * sizeof *size);
    if (!comp || !size || components(v, n, comp, size, err)) {
        free(comp);
        free(size);
        return err && err->code ? -1 : lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    }
    const char **members = malloc((size_t)n * sizeof *members);
    int n_members = 0;
    json_t *cycles = json_array(), *blocked = json_array(), *cyclic = json_array();
    char msg[400];
    size_t m = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].done) continue;
        if (size[comp[i]] < 2) { json_array_append_new(blocked, json_string(v[i].id)); continue; }
        if (members) members[n_members++] = v[i].id;
        /* One cycle per component, through its smallest id. */
        bool smallest = true;
        for (int j = 0; j < n && smallest; j++)
            if (j != i && !v[j].done && comp[j] == comp[i] && strcmp(v[j].id, v[i].id) < 0) smallest = false;
        if (!smallest) continue;
        json_t *c = cycle_through(v, n, comp, i);
        char names[300];
        join_ids(names, sizeof names, c);
        if (m < sizeof msg) m += (size_t)snprintf(msg + m, sizeof msg - m, "%s%s", m ? "; " : "", names);
        json_array_append_new(cycles, c);
    }
    if (members) {
        qsort(members, (size_t)n_members, sizeof *members, cmp_str);
        for (int i = 0; i < n_members; i++) json_array_append_new(cyclic, json_string(members[i]));
    }
    if (details) {
        json_object_set(details, "cyclic_dependencies", cyclic);
        json_object_set(details, "cycles", cycles);
        json_object_set(details, "blocked", blocked);
    }
    json_decref(cycles);
    json_decref(blocked);
    json_decref(cyclic);
    free(members);
    free(comp);
    free(size);
    return lt_err_set(err, LT_ERR_CONFLICT, "Circular dependencies detected: %s", msg);
}

int blueprint_resolve_order(store *st, const char *project, const json_t *ids, json_t *out, json_t *details,
                            lt_err *err) {
    size_t n_in = json_array_size(ids);
    if (n_in == 0) return lt_err_set(err, LT_ERR_INVALID, "Parameter 'blueprint_ids' must not be empty");
    if (n_in > BLUEPRINT_ORDER_MAX)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter 'blueprint_ids' has %zu ids (limit %d)", n_in, BLUEPRINT_ORDER_MAX);
    /* Distinct ids, in the order given: sort (id, position) pairs and keep
     * the first of each run. */
    id_index *sorted = calloc(n_in, sizeof *sorted);
    bp_vertex *v = calloc(n_in, sizeof *v);
    int *heap = malloc(n_in * sizeof *heap);
    node_index *by_node = calloc(n_in, sizeof *by_node);
    bool *keep = calloc(n_in, sizeof *keep);
    char *ids_text = NULL, *nodes_text = NULL;
    int n = 0, ret = -1;
    if (!sorted || !v || !heap || !by_node || !keep) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    for (size_t i = 0; i < n_in; i++) sorted[i] = (id_index){json_string_value(json_array_get(ids, i)), (int)i};
    qsort(sorted, n_in, sizeof *sorted, cmp_id_position);
    for (size_t i = 0; i < n_in; i++) keep[sorted[i].index] = i == 0 || strcmp(sorted[i].id, sorted[i - 1].id) != 0;
    for (size_t i = 0; i < n_in; i++) {
        if (!keep[i]) continue;
        v[n].id = json_string_value(json_array_get(ids, i));
        sorted[n] = (id_index){v[n].id, n};
        n++;
    }
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_id_index);
    ids_text = jx_dump(ids);
    if (!ids_text) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }

    store_stmt *s = store_prepare(st, "SELECT b.id, b.title, b.complexity_score, b.priority_score, n.id FROM blueprints b"
                                      " LEFT JOIN graph_nodes n ON n.project = b.project AND n.node_key = 'blueprint:' || b.id"
                                      " WHERE b.project = ?1 AND b.id IN (SELECT value FROM json_each(?2))", err);
    if (!s) goto done;
    store_bind_text(s, 1, project);
    store_bind_text(s, 2, ids_text);
    int rc, found = 0, n_nodes = 0;
    while ((rc = store_step(s, err)) == 1) {
        int i = find_index(sorted, (size_t)n, store_col_text(s, 0));
        assert(i >= 0);
        v[i].title = strdup(store_col_text(s, 1));
        v[i].complexity = store_col_real(s, 2);
        v[i].priority = store_col_real(s, 3);
        if (!store_col_is_null(s, 4)) by_node[n_nodes++] = (node_index){store_col_int(s, 4), i};
        found++;
    }
    if (rc < 0) goto done;
    if (found < n) {
        char missing[300];
        size_t m = 0;
        for (int i = 0; i < n; i++)
            if (!v[i].title && m < sizeof missing)
                m += (size_t)snprintf(missing + m, sizeof missing - m, "%s%.40s", m ? ", " : "", v[i].id);
        lt_err_set(err, LT_ERR_NOT_FOUND, "Blueprint%s not found: %s", n - found > 1 ? "s" : "", missing);
        goto done;
    }
    qsort(by_node, (size_t)n_nodes, sizeof *by_node, cmp_node_index);

    /* The dependencies out of the set's nodes, read from the covering
     * (src, relation, dst) index alone; ends are matched by node row id. */
    json_t *node_ids = json_array();
    for (int i = 0; i < n_nodes; i++) json_array_append_new(node_ids, json_integer(by_node[i].node));
    nodes_text = jx_dump(node_ids);
    json_decref(node_ids);
    if (!nodes_text) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    s = store_prepare(st, "SELECT e.src, e.dst FROM graph_edges e WHERE e.src IN (SELECT value FROM json_each(?1))"
                          " AND e.relation = 'DEPENDS_ON'", err);
    if (!s) goto done;
    store_bind_text(s, 1, nodes_text);
    int64_t analyzed = 0;
    while ((rc = store_step(s, err)) == 1) {
        int d = find_node(by_node, (size_t)n_nodes, store_col_int(s, 0));
        int64_t dst = store_col_int(s, 1);
        int p = find_node(by_node, (size_t)n_nodes, dst);
        assert(d >= 0);
        if (p < 0) {
            /* Outside the set: named if it is a blueprint (rare, so looked up one by one). */
            store_stmt *k = store_prepare(st, "SELECT substr(node_key, 11) FROM graph_nodes WHERE id = ? AND kind = 'blueprint'",
                                          err);
            if (!k) { store_reset(s); goto done; }
            store_bind_int(k, 1, dst);
            int krc = store_step(k, err);
            if (krc < 0) { store_reset(s); goto done; }
            if (krc == 1) {
                if (!v[d].unlisted) v[d].unlisted = json_array();
                json_array_append_new(v[d].unlisted, json_string(store_col_text(k, 0)));
                store_reset(k);
            }
            continue;
        }
        if (push_int(&v[d].pre, &v[d].n_pre, &v[d].cap_pre, p) ||
            push_int(&v[p].next, &v[p].n_next, &v[p].cap_next, d)) {
            store_reset(s);
            lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
            goto done;
        }
        v[d].indeg++;
        analyzed++;
    }
    if (rc < 0) goto done;

    /* Kahn: repeatedly take the best blueprint whose prerequisites are done. */
    int hn = 0, ordered = 0;
    for (int i = 0; i < n; i++)
        if (v[i].indeg == 0) heap_push(heap, &hn, v, i);
    json_t *order = json_array();
    while (hn) {
        int u = heap_pop(heap, &hn, v);
        v[u].done = true;
        ordered++;
        json_t *pre = json_array();
        for (int k = 0; k < v[u].n_pre; k++) json_array_append_new(pre, json_string(v[v[u].pre[k]].id));
        json_t *item = json_pack("{s:s, s:s, s:f, s:f, s:o}", "blueprint_id", v[u].id, "title", v[u].title,
                                 "complexity_score", v[u].complexity, "priority_score", v[u].priority,
                                 "prerequisites", pre);
        if (v[u].unlisted) json_object_set(item, "unlisted_prerequisites", v[u].unlisted);
        json_array_append_new(order, item);
        for (int k = 0; k < v[u].n_next; k++)
            if (--v[v[u].next[k]].indeg == 0) heap_push(heap, &hn, v, v[u].next[k]);
    }
    if (ordered < n) {
        json_decref(order);
        report_cycles(v, n, details, err);
        goto done;
    }
    json_object_set_new(out, "execution_order", order);
    jx_set_int(out, "total_blueprints", n);
    jx_set_int(out, "dependencies_analyzed", analyzed);
    jx_set_bool(out, "has_dependencies", analyzed > 0);
    ret = 0;
done:
    for (int i = 0; v && i < n; i++) {
        free(v[i].title);
        free(v[i].pre);
        free(v[i].next);
        json_decref(v[i].unlisted);
    }
    free(v);
    free(sorted);
    free(heap);
    free(by_node);
    free(keep);
    free(ids_text);
    free(nodes_text);
    return ret;
}

/* ---- update, dependencies, delete ------------------------------------------------------------ */

typedef struct {
    const char *project, *id;
    const json_t *fields;
    json_t *applied;
    char now[CLOCK_ISO_LEN];
} update_ctx;

static const char *const updatable[] = {"title", "description", "complexity", "complexity_score", "priority_score",
                                        "estimated_duration_minutes", "required_skills", "tags", "status", NULL};

static int update_tx(store *st, void *vctx, lt_err *err) {
    update_ctx *c = vctx;
    if (need_blueprint(st, c->project, c->id, err)) return -1;
    json_t *f = (json_t *)c->fields;
    char *skills = json_object_get(f, "required_skills") ? jx_dump(json_object_get(f, "required_skills")) : NULL;
    char *tags = json_object_get(f, "tags") ? jx_dump(json_object_get(f, "tags")) : NULL;
    store_stmt *s = store_prepare(st,
                                  "UPDATE blueprints SET title = coalesce(?1, title), description = coalesce(?2, description),"
                                  " complexity = coalesce(?3, complexity), complexity_score = coalesce(?4, complexity_score),"
                                  " priority_score = coalesce(?5, priority_score),"
                                  " estimated_duration_minutes = coalesce(?6, estimated_duration_minutes),"
                                  " required_skills = coalesce(?7, required_skills), tags = coalesce(?8, tags),"
                                  " status = coalesce(?9, status), updated_at = ?10 WHERE id = ?11 AND project = ?12",
                                  err);
    int rc = -1;
    if (s) {
        store_bind_text(s, 1, jx_str(f, "title"));
        store_bind_text(s, 2, jx_str(f, "description"));
        store_bind_text(s, 3, jx_str(f, "complexity"));
        if (json_object_get(f, "complexity_score")) store_bind_real(s, 4, jx_real(f, "complexity_score"));
        if (json_object_get(f, "priority_score")) store_bind_real(s, 5, jx_real(f, "priority_score"));
        if (json_object_get(f, "estimated_duration_minutes"))
            store_bind_int(s, 6, jx_int(f, "estimated_duration_minutes", 1));
        store_bind_text(s, 7, skills);
        store_bind_text(s, 8, tags);
        store_bind_text(s, 9, jx_str(f, "status"));
        store_bind_text(s, 10, c->now);
        store_bind_text(s, 11, c->id);
        store_bind_text(s, 12, c->project);
        rc = store_step(s, err) < 0 ? -1 : 0;
    }
    free(skills);
    free(tags);
    if (rc == 0 && jx_str(f, "title")) {
        /* The node is labelled with the title. */
        char key[32];
        node_key(key, sizeof key, c->id);
        s = store_prepare(st, "UPDATE graph_nodes SET label = ? WHERE project = ? AND node_key = ?", err);
        if (!s) return -1;
        store_bind_text(s, 1, jx_str(f, "title"));
        store_bind_text(s, 2, c->project);
        store_bind_text(s, 3, key);
        rc = store_step(s, err) < 0 ? -1 : 0;
    }
    return rc;
}

int blueprint_update(store *st, const char *project, const char *id, const json_t *fields, json_t *out, lt_err *err) {
    json_t *applied = json_array();
    for (const char *const *k = updatable; *k; k++)
        if (json_object_get(fields, *k)) json_array_append_new(applied, json_string(*k));
    if (json_array_size(applied) == 0) {
        json_decref(applied);
        return lt_err_set(err, LT_ERR_INVALID, "Nothing to update: give at least one of title, description, complexity, "
                          "complexity_score, priority_score, estimated_duration_minutes, required_skills, tags, status");
    }
    blueprint_input scores = {NULL, NULL, NULL, NULL, 0.5, 0.5, 1, NULL, NULL};
    if (json_object_get(fields, "complexity_score")) scores.complexity_score = jx_real(fields, "complexity_score");
    if (json_object_get(fields, "priority_score")) scores.priority_score = jx_real(fields, "priority_score");
    if (check_scores(&scores, err)) { json_decref(applied); return -1; }
    update_ctx c = {project, id, fields, applied, ""};
    clock_now_iso(c.now, sizeof c.now);
    if (store_write(st, update_tx, &c, err)) { json_decref(applied); return -1; }
    json_t *row = bp_load(st, project, id, err);
    if (!row) { json_decref(applied); return -1; }
    jx_set_str(out, "blueprint_id", id);
    json_object_set_new(out, "updated_fields", applied);
    json_object_set(out, "estimated_duration_minutes", json_object_get(row, "estimated_duration_minutes"));
    json_object_set(out, "priority_score", json_object_get(row, "priority_score"));
    json_object_set_new(out, "blueprint", row);
    jx_set_str(out, "message", "Blueprint metadata updated");
    return 0;
}

/* One side of a blueprint's dependencies: the blueprints it needs
 * (prerequisites) or the ones that need it (dependents). */
static int dependency_list(store *st, const char *project, int64_t node, bool prerequisites, json_t *list, lt_err *err) {
    const char *sql = prerequisites
        ? "SELECT substr(o.node_key, 11) AS prerequisite_blueprint_id,"
          " coalesce(json_extract(e.properties, '$.dependency_type'), 'blocking') AS dependency_type,"
          " coalesce(json_extract(e.properties, '$.is_critical'), 0) AS is_critical, e.created_at,"
          " b.title AS prerequisite_title FROM graph_edges e JOIN graph_nodes o ON o.id = e.dst AND o.kind = 'blueprint'"
          " LEFT JOIN blueprints b ON b.id = substr(o.node_key, 11) AND b.project = ?1"
          " WHERE e.src = ?2 AND e.relation = 'DEPENDS_ON' ORDER BY 3 DESC, e.created_at, e.id"
        : "SELECT substr(o.node_key, 11) AS dependent_blueprint_id,"
          " coalesce(json_extract(e.properties, '$.dependency_type'), 'blocking') AS dependency_type,"
          " coalesce(json_extract(e.properties, '$.is_critical'), 0) AS is_critical, e.created_at,"
          " b.title AS dependent_title FROM graph_edges e JOIN graph_nodes o ON o.id = e.src AND o.kind = 'blueprint'"
          " LEFT JOIN blueprints b ON b.id = substr(o.node_key, 11) AND b.project = ?1"
          " WHERE e.dst = ?2 AND e.relation = 'DEPENDS_ON' ORDER BY 3 DESC, e.created_at, e.id";
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    store_bind_int(s, 2, node);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        json_t *row = store_row_json(s);
        json_t *crit = json_object_get(row, "is_critical");
        jx_set_bool(row, "is_critical", json_is_true(crit) || (json_is_integer(crit) && json_integer_value(crit)));
        json_array_append_new(list, row);
    }
    return rc < 0 ? -1 : 0;
}

static bool any_critical(const json_t *list) {
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) if (jx_bool(r, "is_critical", false)) return true;
    return false;
}

int blueprint_dependencies(store *st, const char *project, const char *id, json_t *out, lt_err *err) {
    if (need_blueprint(st, project, id, err)) return -1;
    char key[32];
    node_key(key, sizeof key, id);
    int64_t node;
    if (graph_node_find(st, project, key, &node, err)) return -1;
    json_t *pre = json_array(), *dep = json_array();
    jx_set_str(out, "blueprint_id", id);
    json_object_set_new(out, "dependencies", pre);
    json_object_set_new(out, "dependents", dep);
    if (node && (dependency_list(st, project, node, true, pre, err) || dependency_list(st, project, node, false, dep, err)))
        return -1;
    jx_set_int(out, "dependency_count", (int64_t)json_array_size(pre));
    jx_set_int(out, "dependent_count", (int64_t)json_array_size(dep));
    jx_set_bool(out, "has_critical_dependencies", any_critical(pre));
    return 0;
}

typedef struct {
    const char *project, *id;
    json_t *row;
    int64_t removed;
} delete_ctx;

static int delete_tx(store *st, void *vctx, lt_err *err) {
    delete_ctx *c = vctx;
    json_decref(c->row);
    c->row = bp_load(st, c->project, c->id, err);
    if (!c->row) return -1;
    char key[32];
    node_key(key, sizeof key, c->id);
    int64_t node;
    if (graph_node_find(st, c->project, key, &node, err)) return -1;
    c->removed = 0;
    if (node) {
        store_stmt *s = store_prepare(st, "SELECT count(*) FROM graph_edges WHERE (src = ?1 OR dst = ?1)"
                                          " AND relation = 'DEPENDS_ON'", err);
        if (!s) return -1;
        store_bind_int(s, 1, node);
        if (store_step(s, err) != 1) return -1;
        c->removed = store_col_int(s, 0);
        store_reset(s);
        s = store_prepare(st, "DELETE FROM graph_nodes WHERE id = ?", err); /* its edges cascade */
        if (!s) return -1;
        store_bind_int(s, 1, node);
        if (store_step(s, err) < 0) return -1;
    }
    store_stmt *s = store_prepare(st, "DELETE FROM blueprints WHERE id = ? AND project = ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, c->id);
    store_bind_text(s, 2, c->project);
    return store_step(s, err) < 0 ? -1 : 0;
}

int blueprint_delete(store *st, const char *project, const char *id, json_t *out, lt_err *err) {
    delete_ctx c = {project, id, NULL, 0};
    int rc = store_write(st, delete_tx, &c, err);
    if (rc == 0) {
        jx_set_str(out, "blueprint_id", id);
        jx_set_str(out, "title", jx_str(c.row, "title"));
        jx_set_bool(out, "deleted", true);
        jx_set_int(out, "dependencies_removed", c.removed);
        jx_set_str(out, "message", "Blueprint deleted with its dependencies");
    }
    json_decref(c.row);
    return rc;
}
