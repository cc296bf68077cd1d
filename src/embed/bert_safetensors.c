/* Reading .safetensors files (see bert_safetensors.h).
 *
 * The file is trusted for nothing: the header length, every offset and every
 * shape are checked against the file size before a tensor is handed out, so
 * a truncated or hand-edited file gives an error, not a wild read. */
#include "bert_safetensors.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this reader maps it as is"
#endif

/* Far above any real header (a few hundred KB for large models); the same
 * bound the reference implementation uses. */
#define ST_MAX_HEADER (100u << 20)

struct safetensors {
    uint8_t *map;
    size_t map_len;
    st_tensor *tensors;
    size_t n;
    char path[1024];
};

typedef struct {
    const char *name;
    st_dtype dtype;
    size_t size;
} dtype_info;

/* Sizes of the dtypes the format defines. A dtype missing here is still
 * bounds-checked, but its size cannot be checked against its shape. */
static const dtype_info dtypes[] = {
    {"F32", ST_F32, 4},   {"F16", ST_F16, 2},   {"BF16", ST_BF16, 2}, {"F64", ST_OTHER, 8},
    {"I64", ST_OTHER, 8}, {"I32", ST_OTHER, 4}, {"I16", ST_OTHER, 2}, {"I8", ST_OTHER, 1},
    {"U64", ST_OTHER, 8}, {"U32", ST_OTHER, 4}, {"U16", ST_OTHER, 2}, {"U8", ST_OTHER, 1},
    {"BOOL", ST_OTHER, 1}, {"F8_E4M3", ST_OTHER, 1}, {"F8_E5M2", ST_OTHER, 1},
};

static const dtype_info *find_dtype(const char *name) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(dtypes[i].name, name) == 0) return &dtypes[i];
    return NULL;
}

void safetensors_close(safetensors *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n; i++) free((char *)st->tensors[i].name);
    free(st->tensors);
    if (st->map) munmap(st->map, st->map_len);
    free(st);
}

/* Fills t from one header entry; returns NULL or what is wrong with it. */
static const char *parse_entry(json_t *v, const uint8_t *data, uint64_t data_len, st_tensor *t,
                               char *why, size_t why_len) {
    if (!json_is_object(v)) return "is not an object";
    json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
           *offs = json_object_get(v, "data_offsets");
    if (!json_is_string(dt)) return "has no dtype";
    if (!json_is_array(shape)) return "has no shape";
    if (!json_is_array(offs) || json_array_size(offs) != 2 || !json_is_integer(json_array_get(offs, 0)) ||
        !json_is_integer(json_array_get(offs, 1)))
        return "has no data_offsets [begin, end]";
    if (json_array_size(shape) > ST_MAX_DIMS) return "has too many dimensions";
    snprintf(t->dtype_name, sizeof t->dtype_name, "%s", json_string_value(dt));
    const dtype_info *di = find_dtype(json_string_value(dt));
    t->dtype = di ? di->dtype : ST_OTHER;
    t->ndim = (int)json_array_size(shape);
    uint64_t count = 1;
    for (int d = 0; d < t->ndim; d++) {
        json_t *s = json_array_get(shape, (size_t)d);
        if (!json_is_integer(s) || json_integer_value(s) < 0) return "has a shape that is not a list of sizes";
        t->shape[d] = json_integer_value(s);
        if (__builtin_mul_overflow(count, (uint64_t)t->shape[d], &count)) return "has an impossibly large shape";
    }
    json_int_t begin = json_integer_value(json_array_get(offs, 0)), end = json_integer_value(json_array_get(offs, 1));
    if (begin < 0 || end < begin || (uint64_t)end > data_len) {
        snprintf(why, why_len, "has data_offsets [%lld, %lld] outside the %llu data bytes of the file",
                 (long long)begin, (long long)end, (unsigned long long)data_len);
        return why;
    }
    uint64_t bytes;
    if (di && (__builtin_mul_overflow(count, (uint64_t)di->size, &bytes) || bytes != (uint64_t)(end - begin))) {
        snprintf(why, why_len, "has %lld data bytes where its shape and dtype %s need %llu", (long long)(end - begin),
                 di->name, (unsigned long long)count * di->size);
        return why;
    }
    t->data = data + begin;
    t->bytes = (size_t)(end - begin);
    return NULL;
}

safetensors *safetensors_open(const char *path, lt_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        lt_err_set(err, errno == ENOENT ? LT_ERR_NOT_FOUND : LT_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st_;
    if (fstat(fd, &st_) != 0 || !S_ISREG(st_.st_mode)) {
        close(fd);
        lt_err_set(err, LT_ERR_IO, "%s is not a regular file", path);
        return NULL;
    }
    size_t size = (size_t)st_.st_size;
    if (size < 8) {
        close(fd);
        lt_err_set(err, LT_ERR_INVALID, "%s is too small to be a safetensors file", path);
        return NULL;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        lt_err_set(err, LT_ERR_IO, "cannot map %s: %s", path, strerror(errno));
        return NULL;
    }
    safetensors *st = calloc(1, sizeof *st);
    if (!st) {
        munmap(map, size);
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    st->map = map;
    st->map_len = size;
    snprintf(st->path, sizeof st->path, "%s", path);

    uint64_t hlen;
    memcpy(&hlen, st->map, 8);
    if (hlen < 2 || hlen > ST_MAX_HEADER || hlen > size - 8) {
        lt_err_set(err, LT_ERR_INVALID,
                   "%s is not a safetensors file (its header length %llu does not fit its %zu bytes)", path,
                   (unsigned long long)hlen, size);
        safetensors_close(st);
        return NULL;
    }
    const uint8_t *data = st->map + 8 + hlen;
    uint64_t data_len = size - 8 - hlen;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)st->map + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        lt_err_set(err, LT_ERR_INVALID, "%s: the safetensors header is not a JSON object (%s)", path,
                   root ? "another JSON value" : jerr.text);
        json_decref(root);
        safetensors_close(st);
        return NULL;
    }
    st->tensors = calloc(json_object_size(root) + 1, sizeof *st->tensors);
    if (!st->tensors) {
        json_decref(root);
        safetensors_close(st);
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    const char *name;
    json_t *v;
    json_object_foreach(root, name, v) {
        if (strcmp(name, "__metadata__") == 0) continue;
        st_tensor *t = &st->tensors[st->n];
        char why[200];
        const char *bad = parse_entry(v, data, data_len, t, why, sizeof why);
        if (bad) {
            lt_err_set(err, LT_ERR_INVALID, "%s: tensor '%s' %s (the file is damaged or not a safetensors file)",
                       path, name, bad);
            json_decref(root);
            safetensors_close(st);
            return NULL;
        }
        t->name = strdup(name);
        if (!t->name) {
            json_decref(root);
            safetensors_close(st);
            lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
            return NULL;
        }
        st->n++;
    }
    json_decref(root);
    /* Weights are read front to back on every call. */
    madvise(st->map, st->map_len, MADV_WILLNEED);
    return st;
}

const st_tensor *safetensors_find(const safetensors *st, const char *name) {
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

size_t safetensors_count(const safetensors *st) { return st->n; }
size_t safetensors_file_bytes(const safetensors *st) { return st->map_len; }

/* IEEE half to single, subnormals, infinities and NaN included. */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0x1f) bits = sign | 0x7f800000u | (mant << 13);
    else if (exp != 0) bits = sign | ((exp + 112) << 23) | (mant << 13);
    else if (mant == 0) bits = sign;
    else {
        /* Subnormal: shift the mantissa up until its leading 1 is implicit. */
        exp = 113;
        while (!(mant & 0x400)) { mant <<= 1; exp--; }
        bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

const float *st_tensor_f32(const st_tensor *t, float **owned, lt_err *err) {
    *owned = NULL;
    size_t elem = t->dtype == ST_F32 ? 4 : 2;
    if (t->dtype == ST_OTHER) {
        lt_err_set(err, LT_ERR_INVALID, "tensor '%s' has dtype %s; only F32, F16 and BF16 are supported", t->name,
                   t->dtype_name);
        return NULL;
    }
    assert(t->bytes % elem == 0);
    size_t n = t->bytes / elem;
    if (t->dtype == ST_F32 && (uintptr_t)t->data % _Alignof(float) == 0) return (const float *)(const void *)t->data;
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) {
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    /* memcpy per element: the data may sit at any byte offset. */
    for (size_t i = 0; i < n; i++) {
        if (t->dtype == ST_F32) {
            memcpy(&out[i], t->data + 4 * i, 4);
        } else {
            uint16_t h;
            memcpy(&h, t->data + 2 * i, 2);
            if (t->dtype == ST_F16) out[i] = half_to_float(h);
            else {
                uint32_t bits = (uint32_t)h << 16;
                memcpy(&out[i], &bits, 4);
            }
        }
    }
    *owned = out;
    return out;
}
