/* Layer CSVs: a header line naming the columns, then one layer a line.
 * Columns are found by name, so both formats (forward convolutions in
 * im2win12.csv, ConvTranspose2d layers in deconv.csv) share one reader;
 * a "Cin" column marks the transposed format. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_COLS 24

typedef struct {
    char *col[MAX_COLS];
    int count;
} fields;

/* Splits line in place at commas (the files have no quoting). */
static void split(char *line, fields *f)
{
    line[strcspn(line, "\r\n")] = '\0';
    f->count = 0;
    for (char *p = line; f->count < MAX_COLS;) {
        f->col[f->count++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
}

static int column(const fields *header, const char *name)
{
    for (int i = 0; i < header->count; i++)
        if (strcmp(header->col[i], name) == 0)
            return i;
    return -1;
}

/* The integer in column name; absent optional columns give 0 (the
 * descriptor's "default" value). */
static int field(const fields *header, const fields *row, const char *name,
                 int required, int *value, char *err, size_t errlen,
                 int line)
{
    int i = column(header, name);
    if (i < 0 || i >= row->count) {
        *value = 0;
        if (!required)
            return 0;
        snprintf(err, errlen, "line %d: no column %s", line, name);
        return -1;
    }
    char *end;
    errno = 0;
    long v = strtol(row->col[i], &end, 10);
    if (errno || end == row->col[i] || *end || v < 0 || v > 1 << 24) {
        snprintf(err, errlen, "line %d: column %s: bad value '%s'", line,
                 name, row->col[i]);
        return -1;
    }
    *value = (int)v;
    return 0;
}

typedef struct {
    const char *name;
    size_t offset;
    int required;
} column_map;

#define FWD(member, col, req) { col, offsetof(i2w_conv_desc, member), req }
#define TR(member, col, req) \
    { col, offsetof(i2w_conv_transpose_desc, member), req }

/* CSV column -> descriptor field; "stride" and "pad" fill both dims. */
static const column_map forward_cols[] = {
    FWD(n, "N", 1), FWD(c, "C", 1), FWD(h, "H", 1), FWD(w, "W", 1),
    FWD(k, "K", 1), FWD(r, "R", 1), FWD(s, "S", 1),
    FWD(stride_h, "stride", 1), FWD(stride_w, "stride", 1),
    FWD(pad_h, "pad", 1), FWD(pad_w, "pad", 1),
    FWD(dilation_h, "dilation", 0), FWD(dilation_w, "dilation", 0),
    FWD(groups, "groups", 0),
};
static const column_map transposed_cols[] = {
    TR(n, "N", 1), TR(c_in, "Cin", 1), TR(h_in, "Hin", 1),
    TR(w_in, "Win", 1), TR(c_out, "Cout", 1), TR(r, "R", 1), TR(s, "S", 1),
    TR(stride_h, "stride", 1), TR(stride_w, "stride", 1),
    TR(pad_h, "pad", 1), TR(pad_w, "pad", 1),
    TR(output_pad_h, "output_pad", 0), TR(output_pad_w, "output_pad", 0),
    TR(dilation_h, "dilation", 0), TR(dilation_w, "dilation", 0),
    TR(groups, "groups", 0),
};

static int parse_row(const fields *header, const fields *row, int transposed,
                     bench_layer *layer, char *err, size_t errlen, int line)
{
    i2w_conv_transpose_desc t = { 0 };
    char *base = transposed ? (char *)&t : (char *)&layer->d;
    const column_map *map = transposed ? transposed_cols : forward_cols;
    size_t count = transposed
                       ? sizeof transposed_cols / sizeof transposed_cols[0]
                       : sizeof forward_cols / sizeof forward_cols[0];

    memset(&layer->d, 0, sizeof layer->d);
    snprintf(layer->name, sizeof layer->name, "%s", row->col[0]);
    layer->transposed = transposed;
    for (size_t i = 0; i < count; i++)
        if (field(header, row, map[i].name, map[i].required,
                  (int *)(base + map[i].offset), err, errlen, line))
            return -1;
    if (transposed) {
        i2w_status st = i2w_conv_transpose_as_forward(&t, &layer->d);
        if (st != I2W_OK) {
            snprintf(err, errlen, "line %d (%s): %s: %s", line, layer->name,
                     i2w_status_string(st), i2w_last_error());
            return -1;
        }
    }
    return 0;
}

int bench_layers_load(const char *path, bench_layer **layers, char *err,
                      size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char hline[1024], line[1024];
    fields header, row;
    int count = 0, lineno = 1;
    bench_layer *list = NULL;

    if (!fgets(hline, sizeof hline, f)) {
        snprintf(err, errlen, "%s: empty file", path);
        goto fail;
    }
    split(hline, &header);
    int transposed = column(&header, "Cin") >= 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        bench_layer *grown = realloc(list, (count + 1) * sizeof *list);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        list = grown;
        split(line, &row);
        if (parse_row(&header, &row, transposed, &list[count], err, errlen,
                      lineno))
            goto fail;
        count++;
    }
    fclose(f);
    if (count == 0) {
        snprintf(err, errlen, "%s: no layers", path);
        free(list);
        return -1;
    }
    *layers = list;
    return count;
fail:
    fclose(f);
    free(list);
    return -1;
}

const char *bench_default_layers(void)
{
    const char *src = I2W_BENCH_SRC_LAYERS "/im2win12.csv";
    return access(src, R_OK) == 0 ? src
                                  : I2W_BENCH_DATA_LAYERS "/im2win12.csv";
}
