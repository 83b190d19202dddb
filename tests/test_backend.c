/* Backend selection through the public API: the AUTO order, the
 * IM2WIN_BACKEND and IM2WIN_ISA overrides, clean failures of the CUDA
 * plugin loader, thread and stream settings, NULL handles, and every
 * backend this host has giving the reference's results. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testsuite.h"
#include "testutil.h"

static uint64_t seed;
/* IM2WIN_CUDA_PLUGIN as make check set it (the build tree's plugin) */
static char *plugin_env;

#define assert_has(text, part)                                            \
    ck_assert_msg(strstr((text), (part)) != NULL,                         \
                  "message '%s' does not mention '%s'", (text), (part))

/* Each test starts from the environment make check gave the program. */
static void clean_env(void)
{
    unsetenv("IM2WIN_BACKEND");
    unsetenv("IM2WIN_ISA");
    if (plugin_env)
        setenv("IM2WIN_CUDA_PLUGIN", plugin_env, 1);
    else
        unsetenv("IM2WIN_CUDA_PLUGIN");
}

/* Whether an explicit context of backend b can be made here. */
static int available(i2w_backend b)
{
    i2w_context *ctx = NULL;
    i2w_status st = i2w_context_create(&ctx, b);
    if (st == I2W_OK) {
        i2w_context_destroy(ctx);
        return 1;
    }
    ck_assert_int_eq(st, I2W_ERR_BACKEND_UNAVAILABLE);
    ck_assert_msg(*i2w_last_error() != '\0', "%s unavailable, no reason",
                  i2w_backend_name(b));
    ck_assert_ptr_null(ctx);
    return 0;
}

static i2w_backend best_available(void)
{
    if (available(I2W_BACKEND_CUDA))
        return I2W_BACKEND_CUDA;
    return available(I2W_BACKEND_X86) ? I2W_BACKEND_X86 : I2W_BACKEND_REF;
}

static i2w_context *create_ok(i2w_backend b)
{
    i2w_context *ctx = NULL;
    ck_assert_msg(i2w_context_create(&ctx, b) == I2W_OK,
                  "%s context: %s", i2w_backend_name(b), i2w_last_error());
    return ctx;
}

/* ---------------------------------------------------------------- AUTO */

START_TEST(test_auto_order)
{
    i2w_backend want = best_available();
    i2w_context *ctx = create_ok(I2W_BACKEND_AUTO);
    ck_assert_msg(i2w_context_backend(ctx) == want, "AUTO chose %s, not %s",
                  i2w_backend_name(i2w_context_backend(ctx)),
                  i2w_backend_name(want));
    ck_assert_str_eq(i2w_context_error(ctx), "");
    /* the description starts with the backend's name */
    const char *name = i2w_backend_name(want);
    ck_assert_int_eq(strncmp(i2w_context_describe(ctx), name, strlen(name)),
                     0);
    i2w_context_destroy(ctx);
    fprintf(stderr, "AUTO context here: %s\n", name);
}
END_TEST

START_TEST(test_ref_describe)
{
    i2w_context *ctx = create_ok(I2W_BACKEND_REF);
    ck_assert_int_eq(i2w_context_backend(ctx), I2W_BACKEND_REF);
    ck_assert_str_eq(i2w_context_describe(ctx),
                     "ref (scalar, double accumulation)");
    i2w_context_destroy(ctx);
}
END_TEST

/* _i: the backend IM2WIN_BACKEND names (ref, x86, cuda) */
START_TEST(test_env_override)
{
    static const char *const names[] = {"ref", "x86", "cuda"};
    i2w_backend b = (i2w_backend)(I2W_BACKEND_REF + _i);
    int avail = available(b);
    setenv("IM2WIN_BACKEND", names[_i], 1);
    i2w_context *ctx = NULL;
    i2w_status st = i2w_context_create(&ctx, I2W_BACKEND_AUTO);
    if (avail) {
        ck_assert_int_eq(st, I2W_OK);
        ck_assert_int_eq(i2w_context_backend(ctx), b);
        i2w_context_destroy(ctx);
    } else {
        ck_assert_int_eq(st, I2W_ERR_BACKEND_UNAVAILABLE);
        ck_assert_ptr_null(ctx);
        assert_has(i2w_last_error(), "IM2WIN_BACKEND");
    }
    /* an explicit backend is not overridden */
    ctx = create_ok(I2W_BACKEND_REF);
    ck_assert_int_eq(i2w_context_backend(ctx), I2W_BACKEND_REF);
    i2w_context_destroy(ctx);
}
END_TEST

START_TEST(test_env_auto)
{
    i2w_backend want = best_available();
    static const char *const same[] = {"auto", ""};
    for (int i = 0; i < 2; i++) {
        setenv("IM2WIN_BACKEND", same[i], 1);
        i2w_context *ctx = create_ok(I2W_BACKEND_AUTO);
        ck_assert_int_eq(i2w_context_backend(ctx), want);
        i2w_context_destroy(ctx);
    }
}
END_TEST

START_TEST(test_env_bad)
{
    static const char *const bad[] = {"foo", "REF", "x86 ", "cuda0", "1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("IM2WIN_BACKEND", bad[i], 1);
        i2w_context *ctx = NULL;
        ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_AUTO),
                         I2W_ERR_INVALID_ARGUMENT);
        ck_assert_ptr_null(ctx);
        assert_has(i2w_last_error(), "IM2WIN_BACKEND");
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        assert_has(i2w_last_error(), quoted);
    }
}
END_TEST

/* ----------------------------------------------------------------- ISA */

START_TEST(test_isa_override)
{
    if (!available(I2W_BACKEND_X86)) {
        fprintf(stderr, "x86 backend unavailable (%s): ISA test skipped\n",
                i2w_last_error());
        return;
    }
    i2w_context *ctx = create_ok(I2W_BACKEND_X86);
    char detected[128];
    snprintf(detected, sizeof detected, "%s", i2w_context_describe(ctx));
    i2w_context_destroy(ctx);
    ck_assert_msg(strstr(detected, "avx2") || strstr(detected, "avx512"),
                  "x86 describe '%s' names no ISA", detected);

    setenv("IM2WIN_ISA", "avx2", 1);
    ctx = create_ok(I2W_BACKEND_X86);
    assert_has(i2w_context_describe(ctx), "avx2");
    ck_assert_ptr_null(strstr(i2w_context_describe(ctx), "avx512"));
    i2w_context_destroy(ctx);

    /* asking for avx512 never raises the level above what was detected */
    setenv("IM2WIN_ISA", "avx512", 1);
    ctx = create_ok(I2W_BACKEND_X86);
    ck_assert_str_eq(i2w_context_describe(ctx), detected);
    i2w_context_destroy(ctx);
}
END_TEST

/* ---------------------------------------------------------- CUDA plugin */

static void assert_cuda_unavailable(const char *path, const char *says)
{
    setenv("IM2WIN_CUDA_PLUGIN", path, 1);
    i2w_context *ctx = NULL;
    ck_assert_int_eq(i2w_context_create(&ctx, I2W_BACKEND_CUDA),
                     I2W_ERR_BACKEND_UNAVAILABLE);
    ck_assert_ptr_null(ctx);
    assert_has(i2w_last_error(), path);
    assert_has(i2w_last_error(), says);
    /* AUTO goes on to the host backends */
    ctx = create_ok(I2W_BACKEND_AUTO);
    ck_assert_int_ne(i2w_context_backend(ctx), I2W_BACKEND_CUDA);
    i2w_context_destroy(ctx);
}

START_TEST(test_plugin_missing)
{
    assert_cuda_unavailable("/nonexistent/dir/libim2win-cuda.so",
                            "No such file");
}
END_TEST

START_TEST(test_plugin_text_file)
{
    char path[] = "/tmp/im2win-not-a-plugin-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static const char text[] = "this is not a shared object\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1),
                     (ssize_t)(sizeof text - 1));
    close(fd);
    assert_cuda_unavailable(path, "plugin");
    unlink(path);
}
END_TEST

/* a real shared object without the plugin's entry point */
START_TEST(test_plugin_libc)
{
    assert_cuda_unavailable("libc.so.6", "not an im2win CUDA plugin");
}
END_TEST

/* -------------------------------------------------- threads and streams */

START_TEST(test_threads)
{
    i2w_context *ref = create_ok(I2W_BACKEND_REF);
    int def = i2w_context_threads(ref);
    ck_assert_int_ge(def, 1);
    ck_assert_int_eq(i2w_context_set_threads(ref, 3), I2W_OK);
    ck_assert_int_eq(i2w_context_threads(ref), 3);
    ck_assert_int_eq(i2w_context_set_threads(ref, 0), I2W_OK);
    ck_assert_int_eq(i2w_context_threads(ref), def);
    ck_assert_int_eq(i2w_context_set_threads(ref, -2),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_context_error(ref), "threads = -2");
    ck_assert_int_eq(i2w_context_threads(ref), def);
    i2w_context_destroy(ref);
    ck_assert_int_eq(i2w_context_set_threads(NULL, 2),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "ctx");

    if (!available(I2W_BACKEND_X86))
        return;
    /* the multithreaded backend reports its thread count */
    i2w_context *x86 = create_ok(I2W_BACKEND_X86);
    ck_assert_int_eq(i2w_context_set_threads(x86, 3), I2W_OK);
    assert_has(i2w_context_describe(x86), "3 threads");
    ck_assert_int_eq(i2w_context_set_threads(x86, 1), I2W_OK);
    assert_has(i2w_context_describe(x86), "1 thread");
    ck_assert_ptr_null(strstr(i2w_context_describe(x86), "1 threads"));
    i2w_context_destroy(x86);
}
END_TEST

START_TEST(test_stream_host)
{
    i2w_context *ctx = create_ok(I2W_BACKEND_REF);
    ck_assert_int_eq(i2w_context_set_stream(ctx, NULL), I2W_OK);
    int dummy;
    ck_assert_int_eq(i2w_context_set_stream(ctx, &dummy),
                     I2W_ERR_UNSUPPORTED);
    assert_has(i2w_context_error(ctx), "stream");
    i2w_context_destroy(ctx);
}
END_TEST

START_TEST(test_null_ctx)
{
    ck_assert_int_eq(i2w_context_create(NULL, I2W_BACKEND_REF),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "ctx");
    i2w_context *ctx = NULL;
    ck_assert_int_eq(i2w_context_create(&ctx, (i2w_backend)99),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "backend = 99");
    ck_assert_int_eq(i2w_context_create(&ctx, (i2w_backend)-1),
                     I2W_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(i2w_context_create_device(&ctx, I2W_BACKEND_REF, -1),
                     I2W_ERR_INVALID_ARGUMENT);
    assert_has(i2w_last_error(), "device = -1");
    ck_assert_ptr_null(ctx);

    i2w_context_destroy(NULL);
    ck_assert_int_eq(i2w_context_backend(NULL), I2W_BACKEND_AUTO);
    ck_assert_ptr_nonnull(i2w_context_describe(NULL));
    ck_assert_ptr_nonnull(i2w_context_error(NULL));
    ck_assert_int_eq(i2w_context_threads(NULL), 0);
    ck_assert_int_eq(i2w_context_set_stream(NULL, NULL),
                     I2W_ERR_INVALID_ARGUMENT);
    /* a success clears the thread's last error */
    ctx = create_ok(I2W_BACKEND_REF);
    ck_assert_str_eq(i2w_last_error(), "");
    i2w_context_destroy(ctx);
}
END_TEST

/* --------------------------------------- every backend vs the reference */

/* out = op(a, b) on ctx with AUTO algorithm, through the context's memory
 * (device memory on CUDA); host in and out. */
static void run_on(i2w_context *ctx, const i2w_conv_desc *d, i2w_op op,
                   const float *a, size_t na, const float *b, size_t nb,
                   float *out, size_t nout)
{
    void *da, *db, *dout;
    ck_assert_int_eq(i2w_malloc(ctx, &da, na * sizeof(float)), I2W_OK);
    ck_assert_int_eq(i2w_malloc(ctx, &db, nb * sizeof(float)), I2W_OK);
    ck_assert_int_eq(i2w_malloc(ctx, &dout, nout * sizeof(float)), I2W_OK);
    ck_assert_int_eq(i2w_upload(ctx, da, a, na * sizeof(float)), I2W_OK);
    ck_assert_int_eq(i2w_upload(ctx, db, b, nb * sizeof(float)), I2W_OK);
    /* poison the output where it lives */
    ck_assert_int_eq(i2w_upload(ctx, dout, out, nout * sizeof(float)),
                     I2W_OK);
    i2w_plan *plan = NULL;
    ck_assert_msg(i2w_plan_create(ctx, d, op, I2W_ALGO_AUTO, &plan) ==
                      I2W_OK,
                  "plan: %s", i2w_context_error(ctx));
    ck_assert_int_ne(i2w_plan_algo(plan), I2W_ALGO_AUTO);
    ck_assert_msg(i2w_plan_execute(plan, da, db, dout) == I2W_OK,
                  "execute: %s", i2w_context_error(ctx));
    i2w_plan_destroy(plan);
    ck_assert_int_eq(i2w_synchronize(ctx), I2W_OK);
    ck_assert_int_eq(i2w_download(ctx, out, dout, nout * sizeof(float)),
                     I2W_OK);
    i2w_free(ctx, da);
    i2w_free(ctx, db);
    i2w_free(ctx, dout);
}

/* _i: the backend (AUTO, ref, x86, cuda); skipped where unavailable */
START_TEST(test_backend_matches_ref)
{
    i2w_backend b = (i2w_backend)_i;
    i2w_context *ctx = NULL;
    if (i2w_context_create(&ctx, b) != I2W_OK) {
        fprintf(stderr, "%s backend unavailable here: %s\n",
                i2w_backend_name(b), i2w_last_error());
        return;
    }
    i2w_context *ref = create_ok(I2W_BACKEND_REF);
    uint64_t st = seed + 1000u * (uint64_t)_i;
    for (int rep = 0; rep < 6; rep++) {
        i2w_conv_desc d;
        tu_random_desc(&st, (i2w_layout)(rep % 4), 9, &d);
        char text[256];
        tu_describe(&d, text, sizeof text);
        i2w_shape sh;
        ck_assert_msg(tu_shape(&d, &sh) == 0, "rejected: %s", text);
        for (int o = 0; o < 3; o++) {
            i2w_op op = (i2w_op)o;
            const char *t = tu_op_tensors[o];
            size_t na = tu_tensor_elems(&sh, t[0]);
            size_t nb = tu_tensor_elems(&sh, t[1]);
            size_t nout = tu_tensor_elems(&sh, t[2]);
            float *a = tu_alloc_random(na, &st);
            float *bb = tu_alloc_random(nb, &st);
            float *want = tu_alloc_nan(nout), *got = tu_alloc_nan(nout);
            run_on(ref, &d, op, a, na, bb, nb, want, nout);
            run_on(ctx, &d, op, a, na, bb, nb, got, nout);
            ck_assert_msg(tu_compare_tensor(&sh, t[2], got, want,
                                            tu_reduction(&sh, op),
                                            i2w_context_describe(ctx)) == 0,
                          "%s op %d differs from ref: %s",
                          i2w_context_describe(ctx), o, text);
            free(a), free(bb), free(want), free(got);
        }
    }
    i2w_context_destroy(ref);
    i2w_context_destroy(ctx);
}
END_TEST

/* A test case of s whose tests each start from make check's environment. */
static TCase *env_tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, clean_env, NULL);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *backend_suite(void)
{
    Suite *s = suite_create("backend");
    TCase *tc = env_tcase(s, "selection");
    tcase_add_test(tc, test_auto_order);
    tcase_add_test(tc, test_ref_describe);
    tcase_add_loop_test(tc, test_env_override, 0, 3);
    tcase_add_test(tc, test_env_auto);
    tcase_add_test(tc, test_env_bad);
    tcase_add_test(tc, test_isa_override);

    tc = env_tcase(s, "plugin");
    tcase_add_test(tc, test_plugin_missing);
    tcase_add_test(tc, test_plugin_text_file);
    tcase_add_test(tc, test_plugin_libc);

    tc = env_tcase(s, "settings");
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_stream_host);
    tcase_add_test(tc, test_null_ctx);

    tc = env_tcase(s, "results");
    /* a GPU context takes a while to start */
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_backend_matches_ref, I2W_BACKEND_AUTO,
                        I2W_BACKEND_CUDA + 1);
    return s;
}

int main(void)
{
    const char *env = getenv("IM2WIN_CUDA_PLUGIN");
    plugin_env = env ? strdup(env) : NULL;
    seed = tu_seed(); /* printed once, before the tests fork */
    int status = tu_run_suite(backend_suite());
    free(plugin_env);
    return status;
}
