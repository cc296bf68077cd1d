/* highlight.c - built-in ANSI highlighter (see highlight.h). */
#include "highlight.h"

#include "../core/sbuf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define C_KW "\033[1;34m"
#define C_STR "\033[32m"
#define C_COM "\033[2;37m"
#define C_NUM "\033[33m"
#define C_OFF "\033[0m"

typedef struct {
    const char *name;
    const char *const *keywords;
    const char *line_comment;  /* NULL when none */
    bool block_comment;        /* C-style slash-star comments */
    bool single_quote_strings; /* 'x' is a string (not a char literal or lifetime) */
    bool backtick_strings;
} lang_spec;

static const char *const c_kw[] = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
                                   "else", "enum", "extern", "float", "for", "goto", "if", "int", "long", "return",
                                   "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
                                   "unsigned", "void", "volatile", "while", "bool", "true", "false", "NULL",
                                   "#include", "#define", "#ifndef", "#ifdef", "#endif", "#if", "#else", NULL};
static const char *const py_kw[] = {"and", "as", "assert", "async", "await", "break", "class", "continue", "def",
                                    "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
                                    "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
                                    "return", "try", "while", "with", "yield", "None", "True", "False", NULL};
static const char *const js_kw[] = {"async", "await", "break", "case", "catch", "class", "const", "continue",
                                    "default", "delete", "do", "else", "export", "extends", "finally", "for",
                                    "from", "function", "if", "import", "in", "instanceof", "let", "new", "of",
                                    "return", "switch", "this", "throw", "try", "typeof", "var", "void", "while",
                                    "yield", "null", "undefined", "true", "false", "interface", "type", "enum",
                                    "implements", "public", "private", "readonly", NULL};
static const char *const go_kw[] = {"break", "case", "chan", "const", "continue", "default", "defer", "else",
                                    "fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map",
                                    "package", "range", "return", "select", "struct", "switch", "type", "var",
                                    "nil", "true", "false", NULL};
static const char *const rs_kw[] = {"as", "async", "await", "break", "const", "continue", "crate", "else", "enum",
                                    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match",
                                    "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static",
                                    "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while",
                                    NULL};
static const char *const sh_kw[] = {"if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until",
                                    "do", "done", "in", "function", "return", "local", "export", "readonly",
                                    "set", "shift", "exit", NULL};
static const char *const json_kw[] = {"true", "false", "null", NULL};

static const lang_spec specs[] = {
    {"c", c_kw, "//", true, false, false},          {"python", py_kw, "#", false, true, false},
    {"javascript", js_kw, "//", true, true, true},  {"typescript", js_kw, "//", true, true, true},
    {"go", go_kw, "//", true, false, true},         {"rust", rs_kw, "//", true, false, false},
    {"bash", sh_kw, "#", false, true, false},       {"json", json_kw, NULL, false, false, false},
    {NULL, NULL, NULL, false, false, false}};

static const struct { const char *ext, *lang; } exts[] = {
    {"c", "c"},         {"h", "c"},        {"py", "python"}, {"js", "javascript"}, {"mjs", "javascript"},
    {"cjs", "javascript"}, {"ts", "typescript"}, {"tsx", "typescript"}, {"go", "go"}, {"rs", "rust"},
    {"sh", "bash"},     {"bash", "bash"},  {"json", "json"}, {NULL, NULL}};

const char *hl_lang_of_ext(const char *ext) {
    for (size_t i = 0; ext && exts[i].ext; i++)
        if (!strcasecmp(exts[i].ext, ext)) return exts[i].lang;
    return NULL;
}

static const lang_spec *spec_of(const char *lang) {
    if (lang && (!strcasecmp(lang, "sh") || !strcasecmp(lang, "shell"))) lang = "bash";
    if (lang && !strcasecmp(lang, "js")) lang = "javascript";
    if (lang && !strcasecmp(lang, "ts")) lang = "typescript";
    for (const lang_spec *s = specs; lang && s->name; s++)
        if (!strcasecmp(s->name, lang)) return s;
    return NULL;
}

int hl_known(const char *lang) { return spec_of(lang) != NULL; }

static void colored(sbuf *b, const char *color, const char *s, size_t n) {
    sbuf_add(b, color, strlen(color));
    sbuf_add(b, s, n);
    sbuf_add(b, C_OFF, strlen(C_OFF));
}

static bool is_word(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

static bool is_keyword(const lang_spec *s, const char *w, size_t n) {
    for (const char *const *k = s->keywords; *k; k++)
        if (strlen(*k) == n && !memcmp(*k, w, n)) return true;
    return false;
}

/* Length of the string literal starting at p (quote q), up to the closing
 * quote or, for non-backtick quotes, the end of the line. */
static size_t string_len(const char *p, char q) {
    size_t i = 1;
    while (p[i] && p[i] != q && (q == '`' || p[i] != '\n')) i += (p[i] == '\\' && p[i + 1] && p[i + 1] != '\n') ? 2 : 1;
    return p[i] == q ? i + 1 : i;
}

char *hl_ansi(const char *text, const char *lang) {
    sbuf b = {0};
    const lang_spec *s = spec_of(lang);
    if (!s) {
        sbuf_add(&b, text, strlen(text));
        return sbuf_take(&b);
    }
    const char *p = text;
    while (*p) {
        size_t n;
        char prev = p == text ? '\0' : p[-1];
        if (s->line_comment && !strncmp(p, s->line_comment, strlen(s->line_comment)) &&
            /* "#" starts a shell comment only at a word boundary ($# and a#b are not comments). */
            (strcmp(s->line_comment, "#") || !prev || isspace((unsigned char)prev))) {
            n = strcspn(p, "\n");
            colored(&b, C_COM, p, n);
        } else if (s->block_comment && p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            n = end ? (size_t)(end - p) + 2 : strlen(p);
            colored(&b, C_COM, p, n);
        } else if (*p == '"' || (*p == '\'' && s->single_quote_strings) || (*p == '`' && s->backtick_strings)) {
            n = string_len(p, *p);
            colored(&b, C_STR, p, n);
        } else if (isdigit((unsigned char)*p) && !is_word(prev)) {
            n = 1;
            while (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '_') n++;
            colored(&b, C_NUM, p, n);
        } else if (is_word(*p) || (*p == '#' && !strcmp(s->name, "c"))) {
            n = 1;
            while (is_word(p[n])) n++;
            if (is_keyword(s, p, n)) colored(&b, C_KW, p, n); else sbuf_add(&b, p, n);
        } else {
            n = 1;
            sbuf_add(&b, p, 1);
        }
        p += n;
    }
    return sbuf_take(&b);
}
