/* bert_safetensors.h - a read-only view of a .safetensors file.
 *
 * The format: an 8-byte little-endian header length N, N bytes of JSON
 * mapping each tensor name to {dtype, shape, data_offsets: [begin, end]}
 * (offsets relative to the byte after the header; an optional
 * "__metadata__" entry is ignored), then the raw data. The file is
 * memory-mapped read-only and every entry is checked when it is opened, so
 * a tensor handed out never points outside the file. */
#ifndef LT_BERT_SAFETENSORS_H
#define LT_BERT_SAFETENSORS_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8

typedef enum { ST_F32, ST_F16, ST_BF16, ST_OTHER } st_dtype;

typedef struct {
    const char *name;
    st_dtype dtype;
    char dtype_name[16]; /* as written in the file, for messages */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const uint8_t *data; /* inside the mapping; not necessarily aligned */
    size_t bytes;
} st_tensor;

typedef struct safetensors safetensors;

safetensors *safetensors_open(const char *path, lt_err *err);
void safetensors_close(safetensors *st);

/* NULL when the file has no tensor of that name. */
const st_tensor *safetensors_find(const safetensors *st, const char *name);
size_t safetensors_count(const safetensors *st);
size_t safetensors_file_bytes(const safetensors *st);

/* The tensor's values as float32. Aligned F32 data is returned in place
 * (*owned = NULL); F16, BF16 and unaligned F32 are converted into a new
 * buffer that is also stored in *owned for the caller to free. Returns
 * NULL with err set for other dtypes or when out of memory. */
const float *st_tensor_f32(const st_tensor *t, float **owned, lt_err *err);

#endif
