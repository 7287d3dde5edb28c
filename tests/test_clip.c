/* Gradient clipping (PyTorch's clip_grad_norm_ / clip_grad_value_ semantics) and
   the finiteness check. */
#define OPTIMFS_IMPLEMENTATION
#include "optimfs.h"
#include "harness.h"
#include <string.h>

int main(void)
{
    ofs_real g[4] = {3, -4, 0, 0}, h[4] = {3, -4, 0, 0}, v[5] = {-3, (ofs_real)-0.5, 0, (ofs_real)0.25, 7};
    double N = 0, scale = 1.0 / (5.0 + 1e-6);
    ofs_err err;
    int i;

    /* L2: norm 5 clipped to 1: g * 1/(5 + 1e-6), exactly as PyTorch scales. */
    CHECK(ofs_clip_grad_norm(g, 4, 1.0, 2.0, &N, &err) == OFS_OK, "clip: %s", err.msg);
    CHECK_CLOSE(N, 5.0, 1e-12, 0, "L2 norm");
    CHECK_CLOSE((double)g[0], 3 * scale, 1e-6, 0, "g0 clipped");
    CHECK_CLOSE((double)g[1], -4 * scale, 1e-6, 0, "g1 clipped");
    /* Under the limit: untouched. */
    CHECK(ofs_clip_grad_norm(h, 4, 10.0, 2.0, &N, &err) == OFS_OK && h[0] == 3 && h[1] == -4, "not clipped under the limit");
    /* Infinity norm and p = 1. */
    CHECK(ofs_clip_grad_norm(h, 4, 100.0, (double)INFINITY, &N, &err) == OFS_OK, "inf norm");
    CHECK_CLOSE(N, 4.0, 1e-12, 0, "inf norm value");
    CHECK(ofs_clip_grad_norm(h, 4, 100.0, 1.0, &N, &err) == OFS_OK, "1-norm");
    CHECK_CLOSE(N, 7.0, 1e-12, 0, "1-norm value");
    /* A NaN gradient: refused with a message, nothing scaled. */
    h[2] = (ofs_real)NAN;
    CHECK(ofs_clip_grad_norm(h, 4, 1.0, 2.0, &N, &err) == OFS_ERR_NONFINITE && h[0] == 3, "NaN norm refused: %s", err.msg);
    CHECK(ofs_clip_grad_norm(h, 4, -1.0, 2.0, &N, &err) == OFS_ERR_ARG, "negative max_norm refused");
    /* Value clipping. */
    ofs_clip_grad_value(v, 5, 0.5);
    CHECK((double)v[0] == -0.5 && (double)v[1] == -0.5 && v[2] == 0 && (double)v[3] == 0.25 && (double)v[4] == 0.5, "clip by value");
    /* Finiteness: names the element and the step. */
    CHECK(ofs_check_finite(g, 4, "gradient", 17, &err) == OFS_OK, "finite gradient passes");
    for (i = 0; i < 2; i++) {
        h[1] = i ? (ofs_real)INFINITY : (ofs_real)NAN;
        h[2] = 0;
        CHECK(ofs_check_finite(h, 4, "gradient", 17, &err) == OFS_ERR_NONFINITE && strstr(err.msg, "element 1")
              && strstr(err.msg, "step 17"), "non-finite found: %s", err.msg);
    }
    return harness_done("test_clip");
}
