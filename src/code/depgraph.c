#include "depgraph.h"

#include "../core/jsonx.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EDGES_MAX 100000

typedef struct {
    char *name;     /* path relative to the walked directory, or the external module's name */
    code_lang lang;
    bool external;
} dg_node;

typedef struct {
    size_t from, to;
} dg_edge;

typedef struct {
    char *path;     /* relative */
    int line;
    char *module;
} dg_unresolved;

struct depgraph {
    char *dir;
    uint64_t *edge_set; /* open addressing over (from, to) + 1; 0 = empty */
    size_t edge_cap;
    dg_node *nodes;
    size_t nnodes, nfiles; /* files are nodes[0..nfiles), sorted by name */
    dg_edge *edges;
    size_t nedges, edges_cap;
    json_t *skipped;
    json_t *unresolved;
    bool truncated;
    char *go_module; /* go.mod's module path, or NULL */
};

typedef struct {
    depgraph *g;
    size_t dirlen;
} collect_ctx;

static int collect(const char *abs, size_t size, void *vctx, lt_err *err) {
    (void)size, (void)err;
    collect_ctx *c = vctx;
    depgraph *g = c->g;
    dg_node *nn = realloc(g->nodes, (g->nnodes + 1) * sizeof *nn);
    if (!nn) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    g->nodes = nn;
    const char *rel = abs + c->dirlen;
    while (*rel == '/') rel++;
    g->nodes[g->nnodes] = (dg_node){strdup(rel), code_lang_from_path(abs), false};
    if (!g->nodes[g->nnodes].name) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    g->nnodes++;
    return 0;
}

static int cmp_node(const void *a, const void *b) { return strcmp(((const dg_node *)a)->name, ((const dg_node *)b)->name); }

static long find_file(const depgraph *g, const char *rel) {
    size_t lo = 0, hi = g->nfiles;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(g->nodes[mid].name, rel);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static long find_external(const depgraph *g, const char *name) {
    for (size_t i = g->nfiles; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return (long)i;
    return -1;
}

/* Whether (from, to) is already an edge; records it when not. A hash set:
 * a large tree has tens of thousands of edges. */
static bool edge_seen(depgraph *g, size_t from, size_t to) {
    if (g->nedges * 2 >= g->edge_cap) {
        size_t cap = g->edge_cap ? g->edge_cap * 2 : 1024;
        uint64_t *ns = calloc(cap, sizeof *ns);
        if (!ns) return true; /* out of memory: drop the edge */
        for (size_t i = 0; i < g->nedges; i++) {
            uint64_t k = ((uint64_t)g->edges[i].from << 32 | g->edges[i].to) + 1;
            size_t h = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
            while (ns[h]) h = (h + 1) & (cap - 1);
            ns[h] = k;
        }
        free(g->edge_set);
        g->edge_set = ns;
        g->edge_cap = cap;
    }
    uint64_t k = ((uint64_t)from << 32 | to) + 1;
    size_t h = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (g->edge_cap - 1);
    while (g->edge_set[h]) {
        if (g->edge_set[h] == k) return true;
        h = (h + 1) & (g->edge_cap - 1);
    }
    g->edge_set[h] = k;
    return false;
}

static void add_edge(depgraph *g, size_t from, size_t to) {
    if (from == to || g->nedges >= EDGES_MAX) return;
    if (g->nedges == g->edges_cap) {
        size_t cap = g->edges_cap ? g->edges_cap * 2 : 64;
        dg_edge *ne = realloc(g->edges, cap * sizeof *ne);
        if (!ne) return;
        g->edges = ne;
        g->edges_cap = cap;
    }
    if (edge_seen(g, from, to)) return;
    g->edges[g->nedges++] = (dg_edge){from, to};
}

static void add_external(depgraph *g, size_t from, const char *name) {
    long i = find_external(g, name);
    if (i < 0) {
        dg_node *nn = realloc(g->nodes, (g->nnodes + 1) * sizeof *nn);
        if (!nn) return;
        g->nodes = nn;
        char *dup = strdup(name);
        if (!dup) return;
        g->nodes[g->nnodes] = (dg_node){dup, CODE_LANG_UNKNOWN, true};
        i = (long)g->nnodes++;
    }
    add_edge(g, from, (size_t)i);
}

/* Normalises a relative path in place: drops "." segments and folds "x/..".
 * Returns false when it climbs above the walked directory. */
static bool normalise(char *p) {
    char *segs[256];
    size_t n = 0;
    char *save = NULL;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", p);
    for (char *s = strtok_r(tmp, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (!strcmp(s, ".") || !*s) continue;
        if (!strcmp(s, "..")) {
            if (n == 0) return false;
            n--;
            continue;
        }
        if (n == 256) return false;
        segs[n++] = s;
    }
    char out[PATH_MAX];
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + len, sizeof out - len, "%s%s", i ? "/" : "", segs[i]);
        if (w < 0 || (size_t)w >= sizeof out - len) return false;
        len += (size_t)w;
    }
    memcpy(p, out, len + 1);
    return true;
}

/* Tries base + each suffix; returns the node or -1. */
static long try_paths(const depgraph *g, const char *base, const char *const *suffixes) {
    for (const char *const *s = suffixes; *s; s++) {
        char cand[PATH_MAX];
        if ((size_t)snprintf(cand, sizeof cand, "%s%s", base, *s) >= sizeof cand) continue;
        if (!normalise(cand)) continue;
        long i = find_file(g, cand);
        if (i >= 0) return i;
    }
    return -1;
}

static void dir_of(const char *rel, char *out, size_t len) {
    const char *slash = strrchr(rel, '/');
    if (!slash) snprintf(out, len, ".");
    else snprintf(out, len, "%.*s", (int)(slash - rel), rel);
}

static const char *const as_is[] = {"", NULL};

static long resolve_c(const depgraph *g, const char *from, const char *mod, bool local) {
    char d[PATH_MAX], base[PATH_MAX];
    dir_of(from, d, sizeof d);
    const char *prefixes[] = {d, ".", "include", "src", NULL};
    for (const char *const *p = prefixes; *p; p++) {
        snprintf(base, sizeof base, "%s/%s", *p, mod);
        long i = try_paths(g, base, as_is);
        if (i >= 0) return i;
    }
    if (!local) return -1;
    /* A unique file of the tree whose path ends with /mod (include paths
     * set by the build, which we do not read). */
    long found = -1;
    size_t ml = strlen(mod);
    for (size_t i = 0; i < g->nfiles; i++) {
        size_t nl = strlen(g->nodes[i].name);
        if (nl > ml && g->nodes[i].name[nl - ml - 1] == '/' && !strcmp(g->nodes[i].name + nl - ml, mod)) {
            if (found >= 0) return -1;
            found = (long)i;
        }
    }
    return found;
}

static long resolve_python(const depgraph *g, const char *from, const char *mod) {
    static const char *const py[] = {".py", "/__init__.py", NULL};
    char base[PATH_MAX], d[PATH_MAX], path[PATH_MAX];
    const char *m = mod;
    size_t dots = 0;
    while (m[dots] == '.') dots++;
    m += dots;
    snprintf(path, sizeof path, "%s", m);
    for (char *p = path; *p; p++)
        if (*p == '.') *p = '/';
    if (dots) {
        dir_of(from, d, sizeof d);
        for (size_t k = 1; k < dots; k++) strncat(d, "/..", sizeof d - strlen(d) - 1);
    }
    /* from pkg.mod import name: "pkg/mod/name", then "pkg/mod". */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (dots) {
            if (*path) snprintf(base, sizeof base, "%s/%s", d, path);
            else snprintf(base, sizeof base, "%s", d);
            long i = try_paths(g, base, py);
            if (i >= 0) return i;
        } else if (*path) {
            char fd[PATH_MAX];
            dir_of(from, fd, sizeof fd);
            const char *prefixes[] = {".", "src", fd, NULL};
            for (const char *const *p = prefixes; *p; p++) {
                snprintf(base, sizeof base, "%s/%s", *p, path);
                long i = try_paths(g, base, py);
                if (i >= 0) return i;
            }
        }
        char *slash = strrchr(path, '/');
        if (!slash) {
            if (!*path) break;
            path[0] = '\0';
        } else {
            *slash = '\0';
        }
    }
    return -1;
}

static long resolve_js(const depgraph *g, const char *from, const char *mod) {
    static const char *const js[] = {"", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", "/index.ts", "/index.tsx",
                                     "/index.js", "/index.jsx", "/index.mjs", NULL};
    char d[PATH_MAX], base[PATH_MAX];
    dir_of(from, d, sizeof d);
    snprintf(base, sizeof base, "%s/%s", d, mod);
    long i = try_paths(g, base, js);
    if (i < 0) { /* TypeScript writes "./x.js" for x.ts */
        size_t n = strlen(base);
        if (n > 3 && !strcmp(base + n - 3, ".js")) {
            base[n - 3] = '\0';
            i = try_paths(g, base, js);
        }
    }
    return i;
}

static void go_edges(depgraph *g, size_t from, const char *mod, bool *resolved) {
    if (!g->go_module) return;
    size_t ml = strlen(g->go_module);
    if (strncmp(mod, g->go_module, ml) || (mod[ml] != '/' && mod[ml] != '\0')) return;
    const char *sub = mod[ml] ? mod + ml + 1 : "";
    size_t sl = strlen(sub);
    /* Every .go file directly in that package directory. */
    for (size_t i = 0; i < g->nfiles; i++) {
        const char *n = g->nodes[i].name;
        if (g->nodes[i].lang != CODE_LANG_GO) continue;
        const char *rest;
        if (sl == 0) rest = n;
        else if (!strncmp(n, sub, sl) && n[sl] == '/') rest = n + sl + 1;
        else continue;
        if (strchr(rest, '/')) continue;
        size_t rl = strlen(rest);
        if (rl > 8 && !strcmp(rest + rl - 8, "_test.go")) continue;
        add_edge(g, from, i);
        *resolved = true;
    }
}

static long resolve_rust(const depgraph *g, const char *from, const char *mod) {
    static const char *const rs[] = {".rs", "/mod.rs", NULL};
    char path[PATH_MAX], base[PATH_MAX], d[PATH_MAX];
    const char *rest;
    if (!strncmp(mod, "crate::", 7)) {
        rest = mod + 7;
        /* the crate root: the src/ directory of lib.rs/main.rs above from */
        snprintf(d, sizeof d, "%s", from);
        char *src = strstr(d, "src/");
        if (src && (src == d || src[-1] == '/')) src[3] = '\0';
        else snprintf(d, sizeof d, "src");
    } else if (!strncmp(mod, "super::", 7) || !strncmp(mod, "self::", 6)) {
        bool sup = mod[1] == 'u';
        rest = mod + (sup ? 7 : 6);
        dir_of(from, d, sizeof d);
        const char *bn = strrchr(from, '/');
        bn = bn ? bn + 1 : from;
        bool mod_file = !strcmp(bn, "mod.rs") || !strcmp(bn, "lib.rs") || !strcmp(bn, "main.rs");
        /* a.rs's children live in a/; mod.rs's in its own directory */
        if (!sup && !mod_file) {
            size_t fl = strlen(from);
            snprintf(d, sizeof d, "%.*s", (int)(fl > 3 ? fl - 3 : fl), from);
        } else if (sup && mod_file) {
            strncat(d, "/..", sizeof d - strlen(d) - 1);
        }
    } else {
        return -1;
    }
    snprintf(path, sizeof path, "%s", rest);
    /* a::b::{c, d} or a::b::Item: try the longest module path first */
    char *brace = strchr(path, '{');
    if (brace) *brace = '\0';
    for (;;) {
        size_t n = strlen(path);
        while (n && (path[n - 1] == ':' || path[n - 1] == '*')) path[--n] = '\0';
        if (!n) break;
        char conv[PATH_MAX];
        size_t k = 0;
        for (const char *p = path; *p && k + 1 < sizeof conv; p++) {
            if (p[0] == ':' && p[1] == ':') conv[k++] = '/', p++;
            else conv[k++] = *p;
        }
        conv[k] = '\0';
        snprintf(base, sizeof base, "%s/%s", d, conv);
        long i = try_paths(g, base, rs);
        if (i >= 0) return i;
        char *sep = strstr(path, "::");
        char *last = NULL;
        while (sep) last = sep, sep = strstr(sep + 2, "::");
        if (!last) break;
        *last = '\0';
    }
    return -1;
}

/* The external module's display name: a package, not a member of it. */
static void external_name(code_lang lang, const char *mod, char *out, size_t len) {
    size_t n = strlen(mod);
    if (lang == CODE_LANG_PYTHON) n = strcspn(mod, ".");
    else if (lang == CODE_LANG_RUST) {
        const char *s = strstr(mod, "::");
        if (s) n = (size_t)(s - mod);
    } else if (lang == CODE_LANG_JAVASCRIPT || lang == CODE_LANG_TYPESCRIPT || lang == CODE_LANG_TSX) {
        const char *s = strchr(mod[0] == '@' ? strchr(mod, '/') ? strchr(mod, '/') + 1 : mod : mod, '/');
        if (s) n = (size_t)(s - mod);
    }
    snprintf(out, len, "%.*s", (int)n, mod);
}

static void read_go_mod(depgraph *g) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/go.mod", g->dir);
    char *buf;
    size_t len;
    if (source_read(p, 1 << 20, &buf, &len, NULL)) return;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (!strncmp(line, "module ", 7)) {
            char *m = line + 7;
            while (*m == ' ' || *m == '\t') m++;
            size_t e = strcspn(m, " \t\r");
            g->go_module = strndup(m, e);
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
}

static void file_imports(depgraph *g, size_t idx, const code_file *f, bool externals) {
    const char *from = g->nodes[idx].name;
    for (size_t k = 0; k < f->nimports; k++) {
        const code_import *im = &f->imports[k];
        if (!im->module || !*im->module) continue;
        long to = -1;
        bool resolved = false;
        switch (f->lang) {
        case CODE_LANG_C: to = resolve_c(g, from, im->module, im->is_local); break;
        case CODE_LANG_PYTHON: to = resolve_python(g, from, im->module); break;
        case CODE_LANG_JAVASCRIPT:
        case CODE_LANG_TYPESCRIPT:
        case CODE_LANG_TSX:
            if (im->module[0] == '.' || im->module[0] == '/') to = resolve_js(g, from, im->module);
            break;
        case CODE_LANG_GO: go_edges(g, idx, im->module, &resolved); break;
        case CODE_LANG_RUST:
            if (im->is_local && !strstr(im->module, "::")) { /* mod x; names a file beside this module */
                char self[512];
                snprintf(self, sizeof self, "self::%s", im->module);
                to = resolve_rust(g, from, self);
            } else {
                to = resolve_rust(g, from, im->module);
            }
            break;
        default: break;
        }
        if (to >= 0) {
            add_edge(g, idx, (size_t)to);
            resolved = true;
        }
        if (resolved) continue;
        bool local = im->is_local || (f->lang == CODE_LANG_PYTHON && im->module[0] == '.');
        if (local) {
            if (json_array_size(g->unresolved) < 200)
                json_array_append_new(g->unresolved, json_pack("{s:s, s:i, s:s}", "path", from, "line", im->line,
                                                               "module", im->module));
        } else if (externals) {
            char name[256];
            external_name(f->lang, im->module, name, sizeof name);
            if (*name) add_external(g, idx, name);
        }
    }
}

int depgraph_build(const char *dir, const source_limits *lim, bool externals, depgraph **out, lt_err *err) {
    *out = NULL;
    depgraph *g = calloc(1, sizeof *g);
    if (!g || !(g->dir = strdup(dir))) {
        free(g);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    }
    g->skipped = json_array();
    g->unresolved = json_array();
    collect_ctx c = {g, strlen(dir)};
    if (source_walk(dir, lim, collect, &c, &g->truncated, err)) {
        depgraph_free(g);
        return -1;
    }
    g->nfiles = g->nnodes;
    if (g->nfiles) qsort(g->nodes, g->nfiles, sizeof *g->nodes, cmp_node);
    read_go_mod(g);
    for (size_t i = 0; i < g->nfiles; i++) {
        char abs[PATH_MAX];
        snprintf(abs, sizeof abs, "%s/%s", dir, g->nodes[i].name);
        char *buf;
        size_t len;
        lt_err ferr;
        lt_err_clear(&ferr);
        code_file *f = NULL;
        if (source_read(abs, CODE_MAX_SOURCE_BYTES, &buf, &len, &ferr) == 0) {
            code_parse(buf, len, g->nodes[i].lang, &f, &ferr);
            free(buf);
        }
        if (!f) {
            json_array_append_new(g->skipped, json_pack("{s:s, s:s}", "path", g->nodes[i].name, "error", ferr.msg));
            continue;
        }
        file_imports(g, i, f, externals);
        code_file_free(f);
    }
    *out = g;
    return 0;
}

void depgraph_free(depgraph *g) {
    if (!g) return;
    for (size_t i = 0; i < g->nnodes; i++) free(g->nodes[i].name);
    free(g->nodes);
    free(g->edges);
    free(g->edge_set);
    json_decref(g->skipped);
    json_decref(g->unresolved);
    free(g->go_module);
    free(g->dir);
    free(g);
}

size_t depgraph_node_count(const depgraph *g) { return g->nnodes; }
size_t depgraph_edge_count(const depgraph *g) { return g->nedges; }

json_t *depgraph_json(const depgraph *g) {
    json_t *nodes = json_array(), *edges = json_array();
    for (size_t i = 0; i < g->nnodes; i++) {
        char id[32];
        snprintf(id, sizeof id, "n%zu", i);
        json_t *n = json_pack("{s:s, s:s, s:b}", "id", id, g->nodes[i].external ? "name" : "path", g->nodes[i].name,
                              "external", g->nodes[i].external);
        if (!g->nodes[i].external) jx_set_str(n, "language", code_lang_name(g->nodes[i].lang));
        json_array_append_new(nodes, n);
    }
    for (size_t i = 0; i < g->nedges; i++) {
        const dg_edge *e = &g->edges[i];
        json_array_append_new(edges, json_pack("{s:s, s:s, s:s}", "from", g->nodes[e->from].name, "to",
                                               g->nodes[e->to].name, "kind",
                                               g->nodes[e->to].external ? "external" : "local"));
    }
    json_t *o = json_object();
    json_object_set_new(o, "nodes", nodes);
    json_object_set_new(o, "edges", edges);
    jx_set_int(o, "files_scanned", (int64_t)g->nfiles);
    json_object_set(o, "skipped", g->skipped);
    json_object_set(o, "unresolved_local", g->unresolved);
    jx_set_bool(o, "truncated", g->truncated);
    return o;
}

/* Diagram labels: no quotes or brackets that would end the label. */
static void label(FILE *m, const char *s) {
    for (; *s; s++) {
        char c = *s;
        if (c == '"' || c == '[' || c == ']' || c == '`' || c == '\n') c = '_';
        fputc(c, m);
    }
}

/* Files grouped by directory (they are sorted, so each group is a run). */
typedef void (*group_fn)(FILE *m, const depgraph *g, const char *dir, size_t from, size_t to);

static void each_group(FILE *m, const depgraph *g, group_fn fn) {
    size_t i = 0;
    while (i < g->nfiles) {
        char d[PATH_MAX];
        dir_of(g->nodes[i].name, d, sizeof d);
        size_t j = i + 1;
        while (j < g->nfiles) {
            char dj[PATH_MAX];
            dir_of(g->nodes[j].name, dj, sizeof dj);
            if (strcmp(d, dj)) break;
            j++;
        }
        fn(m, g, d, i, j);
        i = j;
    }
}

static void mermaid_group(FILE *m, const depgraph *g, const char *dir, size_t from, size_t to) {
    bool top = !strcmp(dir, ".");
    if (!top) {
        fprintf(m, "  subgraph d%zu[\"", from);
        label(m, dir);
        fputs("/\"]\n", m);
    }
    for (size_t i = from; i < to; i++) {
        fprintf(m, "%s  n%zu[\"", top ? "" : "  ", i);
        label(m, g->nodes[i].name);
        fputs("\"]\n", m);
    }
    if (!top) fputs("  end\n", m);
}

char *depgraph_mermaid(const depgraph *g, const char *title) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fputs("---\ntitle: ", m);
    label(m, title);
    fputs("\n---\nflowchart LR\n", m);
    each_group(m, g, mermaid_group);
    for (size_t i = g->nfiles; i < g->nnodes; i++) {
        fprintf(m, "  n%zu([\"", i);
        label(m, g->nodes[i].name);
        fputs("\"]):::external\n", m);
    }
    for (size_t i = 0; i < g->nedges; i++)
        fprintf(m, "  n%zu %s n%zu\n", g->edges[i].from, g->nodes[g->edges[i].to].external ? "-.->" : "-->",
                g->edges[i].to);
    if (g->nnodes > g->nfiles) fputs("  classDef external stroke-dasharray: 4 2\n", m);
    fclose(m);
    return buf;
}

static void puml_group(FILE *m, const depgraph *g, const char *dir, size_t from, size_t to) {
    bool top = !strcmp(dir, ".");
    if (!top) {
        fputs("package \"", m);
        label(m, dir);
        fputs("/\" {\n", m);
    }
    for (size_t i = from; i < to; i++) {
        fprintf(m, "%s[", top ? "" : "  ");
        label(m, g->nodes[i].name);
        fprintf(m, "] as n%zu\n", i);
    }
    if (!top) fputs("}\n", m);
}

char *depgraph_plantuml(const depgraph *g, const char *title) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fputs("@startuml\ntitle ", m);
    label(m, title);
    fputs("\n", m);
    each_group(m, g, puml_group);
    for (size_t i = g->nfiles; i < g->nnodes; i++) {
        fputs("component \"", m);
        label(m, g->nodes[i].name);
        fprintf(m, "\" as n%zu <<external>>\n", i);
    }
    for (size_t i = 0; i < g->nedges; i++)
        fprintf(m, "n%zu %s n%zu\n", g->edges[i].from, g->nodes[g->edges[i].to].external ? "..>" : "-->",
                g->edges[i].to);
    fputs("@enduml\n", m);
    fclose(m);
    return buf;
}
