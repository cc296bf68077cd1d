/* highlight.h - the built-in ANSI syntax highlighter behind unix_action
 * syntax_highlight, used when bat is absent. A single left-to-right pass of a
 * small lexer per language family: it colours keywords, strings, comments
 * and numbers, and leaves everything else as it was, so stripping the escape
 * sequences gives the input back unchanged (which the tests check). */
#ifndef LT_HIGHLIGHT_H
#define LT_HIGHLIGHT_H

/* The language named by a file extension (without the dot), or NULL. */
const char *hl_lang_of_ext(const char *ext);

/* Whether the built-in highlighter knows lang (c, python, javascript,
 * typescript, go, rust, bash, json). */
int hl_known(const char *lang);

/* text with ANSI colour sequences added; malloc'd, NULL when out of memory.
 * An unknown lang gives a plain copy. */
char *hl_ansi(const char *text, const char *lang);

#endif
