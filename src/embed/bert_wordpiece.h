/* bert_wordpiece.h - BERT's tokenizer: text to vocabulary ids.
 *
 * Two stages, as in the original BERT code and HuggingFace's BertTokenizer:
 *
 *   basic      drop NUL, U+FFFD and control characters; space out CJK
 *              ideographs; NFC; split at white space; for an uncased model
 *              lower-case and strip accents (NFD, drop Mn); split off every
 *              punctuation character (Unicode P*, plus ASCII symbols)
 *   wordpiece  each word becomes its longest vocabulary prefix, then the
 *              longest "##"-prefixed entries for the rest; a word with no
 *              such split, or over 100 code points, becomes [UNK]
 *
 * The result is framed as [CLS] pieces... [SEP]. A literal "[SEP]" in the
 * text is ordinary text here, not a special token. Invalid UTF-8 bytes are
 * dropped like control characters. */
#ifndef LT_BERT_WORDPIECE_H
#define LT_BERT_WORDPIECE_H

#include "../core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WORDPIECE_MAX_WORD 100 /* code points; longer words are [UNK] */

typedef struct {
    bool lower_case;    /* lower-case (uncased models) */
    bool strip_accents; /* NFD and drop nonspacing marks */
    bool chinese_chars; /* treat each CJK ideograph as a word */
} wordpiece_options;

typedef struct wordpiece wordpiece;

/* Loads vocab.txt: one token per line, the line number is its id. */
wordpiece *wordpiece_open(const char *vocab_path, const wordpiece_options *opt, lt_err *err);
void wordpiece_close(wordpiece *wp);

int wordpiece_vocab_size(const wordpiece *wp);
/* The id of a vocabulary entry, or -1. */
int32_t wordpiece_id(const wordpiece *wp, const char *token, size_t len);

/* Writes [CLS] pieces... [SEP] into ids, keeping the first max_ids - 2
 * pieces (max_ids >= 2). Returns the number of ids written, or -1 with err
 * set (out of memory). */
int wordpiece_encode(const wordpiece *wp, const char *text, size_t len, int32_t *ids, int max_ids, lt_err *err);

#endif
