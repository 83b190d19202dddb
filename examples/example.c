/* A program outside the library: forward, backward data and backward
 * filter of one small convolution on the reference backend, each checked
 * against a direct computation written out here. */
#include <im2win.h>
#include <math.h>
#include <stdio.h>

#define N 2
#define C 3
#define H 5
#define W 6
#define K 4
#define R 3
#define S 3
#define HO 5 /* pad 1, stride 1 */
#define WO 6

static float x[N][C][H][W], w[K][C][R][S], y[N][K][HO][WO];
static float dy[N][K][HO][WO], dx[N][C][H][W], dw[K][C][R][S];

static float in(int n, int c, int h, int v)
{
    return h < 0 || h >= H || v < 0 || v >= W ? 0.0f : x[n][c][h][v];
}

int main(void)
{
    i2w_conv_desc d = {.n = N, .c = C, .h = H, .w = W, .k = K, .r = R,
                       .s = S, .pad_h = 1, .pad_w = 1,
                       .layout = I2W_LAYOUT_NCHW};
    float *px = &x[0][0][0][0], *pw = &w[0][0][0][0];
    for (int i = 0; i < N * C * H * W; i++)
        px[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
    for (int i = 0; i < K * C * R * S; i++)
        pw[i] = (float)((i * 5) % 13) / 13.0f - 0.5f;
    for (int i = 0; i < N * K * HO * WO; i++)
        (&dy[0][0][0][0])[i] = (float)((i * 3) % 7) / 7.0f - 0.5f;

    i2w_context *ctx;
    i2w_status st = i2w_context_create(&ctx, I2W_BACKEND_REF);
    if (st) {
        fprintf(stderr, "context: %s: %s\n", i2w_status_string(st),
                i2w_last_error());
        return 1;
    }
    if ((st = i2w_conv_forward(ctx, &d, I2W_ALGO_AUTO, px, pw, NULL,
                               &y[0][0][0][0])) ||
        (st = i2w_conv_backward_data(ctx, &d, I2W_ALGO_AUTO,
                                     &dy[0][0][0][0], pw, &dx[0][0][0][0])) ||
        (st = i2w_conv_backward_filter(ctx, &d, I2W_ALGO_AUTO, px,
                                       &dy[0][0][0][0], &dw[0][0][0][0]))) {
        fprintf(stderr, "%s: %s\n", i2w_status_string(st),
                i2w_context_error(ctx));
        return 1;
    }

    /* y and dw straight from the definition; dx through the identity
     * dx[n][c][h][v] = sum over outputs that read (h, v) of dy * w */
    double err = 0;
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
            for (int i = 0; i < HO; i++)
                for (int j = 0; j < WO; j++) {
                    double s = 0;
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < R; r++)
                            for (int q = 0; q < S; q++) {
                                s += in(n, c, i + r - 1, j + q - 1) *
                                     w[k][c][r][q];
                                int h = i + r - 1, v = j + q - 1;
                                if (h >= 0 && h < H && v >= 0 && v < W) {
                                    dx[n][c][h][v] -= dy[n][k][i][j] *
                                                      w[k][c][r][q];
                                    dw[k][c][r][q] -= dy[n][k][i][j] *
                                                      x[n][c][h][v];
                                }
                            }
                    err = fmax(err, fabs(s - y[n][k][i][j]));
                }
    for (int i = 0; i < N * C * H * W; i++)
        err = fmax(err, fabs((&dx[0][0][0][0])[i]));
    for (int i = 0; i < K * C * R * S; i++)
        err = fmax(err, fabs((&dw[0][0][0][0])[i]));
    printf("%s: forward, backward data, backward filter: max error %.2e\n",
           i2w_context_describe(ctx), err);
    i2w_context_destroy(ctx);
    return err < 1e-4 ? 0 : 1;
}
