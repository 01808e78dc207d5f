/* Branch-free exp and erf for float that compilers vectorise (libm's scalar calls are not):
 * exp by Cody-Waite range reduction and a degree-6 polynomial (about 1 ulp), erf by
 * Abramowitz & Stegun 7.1.26 (absolute error below 6e-7 in float). Used by the CPU backend's
 * softmax and GELU, where libm's erff alone took 18% of encoding time. */
#ifndef EXAM_FASTMATH_H
#define EXAM_FASTMATH_H

#include <stdint.h>
#include <string.h>

/* e^x, clamped to the finite float range ([-87.3, 88.3] in, no NaN handling needed here). */
static inline float exam_fast_expf(float x) {
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    float t = x * 1.44269504088896341f + shifter;
    float n = t - shifter;
    float r = x - n * 0.693145751953125f;  /* ln2, high part (exact in float) */
    r = r - n * 1.428606765330187045e-06f; /* ln2, low part */
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* Unsigned, so a NaN input (garbage n) stays defined behaviour; its result is NaN anyway. */
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits - 0x4b400000u) + 127u; /* the integer n, biased as a float exponent */
    bits <<= 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* erf(x) to within 6e-7 absolute (the formula is 1.5e-7; float rounding adds the rest). */
static inline float exam_fast_erff(float x) {
    float ax = x < 0 ? -x : x;
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    float y = 1.0f - poly * t * exam_fast_expf(-ax * ax);
    return x < 0 ? -y : y;
}

#endif
