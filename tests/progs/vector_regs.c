/* vector_regs: puts known values into every vector register (zmm0-31 and
 * k1-k7 with AVX-512F, else ymm0-15), three values on the x87 stack, a
 * non-default MXCSR and x87 control word, then spins in an asm loop that
 * touches none of them.  A checkpoint taken during the spin finds these
 * values only in registers; after the loop they are stored and compared.
 * Exits 77 (skip) on a CPU without AVX. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define SPIN_ITERS 9000000000UL   /* dec/jnz: ~3 s at 3 GHz */

static unsigned char vin[32][64] __attribute__((aligned(64)));
static unsigned char vout[32][64] __attribute__((aligned(64)));
static uint16_t kin[8], kout[8];
static long double x87out[3];
/* MXCSR: all exceptions masked, rounding toward -inf (RC=01). */
static uint32_t mxcsr_in = 0x1f80 | 0x2000, mxcsr_out;
/* x87 CW: all exceptions masked, 64-bit precision, rounding toward +inf. */
static uint16_t fcw_in = 0x037f | 0x0800, fcw_out;

#define S(x) #x
#define LDZ(i) "vmovdqu64 " S(i) "*64(%[vi]), %%zmm" S(i) "\n\t"
#define STZ(i) "vmovdqu64 %%zmm" S(i) ", " S(i) "*64(%[vo])\n\t"
#define LDY(i) "vmovdqu " S(i) "*64(%[vi]), %%ymm" S(i) "\n\t"
#define STY(i) "vmovdqu %%ymm" S(i) ", " S(i) "*64(%[vo])\n\t"
#define LDK(i) "kmovw " S(i) "*2(%[ki]), %%k" S(i) "\n\t"
#define STK(i) "kmovw %%k" S(i) ", " S(i) "*2(%[ko])\n\t"
#define R16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
               M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define R32(M) R16(M) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) \
               M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)
#define K7(M) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

/* Common prologue/epilogue: control words in, x87 stack pushes, spin loop,
 * x87 pops, control words out. */
#define PRE  "ldmxcsr %[mxi]\n\t" "fldcw %[cwi]\n\t" \
             "fld1\n\t" "fldpi\n\t" "fldl2e\n\t"
#define SPIN "1: dec %[n]\n\t" "jnz 1b\n\t"
#define POST "fstpt 0(%[xo])\n\t" "fstpt 16(%[xo])\n\t" "fstpt 32(%[xo])\n\t" \
             "stmxcsr %[mxo]\n\t" "fnstcw %[cwo]\n\t"
#define X87_CLOBBERS "st", "st(1)", "st(2)"
#define XMM_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", \
    "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

__attribute__((target("avx512f"), noinline))
static void spin_avx512(unsigned long n)
{
    __asm__ volatile(
        R32(LDZ) K7(LDK)
        PRE SPIN POST
        R32(STZ) K7(STK)
        "vzeroupper\n\t"
        : [n] "+r"(n), [mxo] "=m"(mxcsr_out), [cwo] "=m"(fcw_out)
        : [vi] "r"(vin), [vo] "r"(vout), [ki] "r"(kin), [ko] "r"(kout),
          [xo] "r"(x87out), [mxi] "m"(mxcsr_in), [cwi] "m"(fcw_in)
        : "memory", "cc", X87_CLOBBERS, XMM_CLOBBERS,
          "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
          "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29",
          "xmm30", "xmm31", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}

__attribute__((target("avx"), noinline))
static void spin_avx(unsigned long n)
{
    __asm__ volatile(
        R16(LDY)
        PRE SPIN POST
        R16(STY)
        "vzeroupper\n\t"
        : [n] "+r"(n), [mxo] "=m"(mxcsr_out), [cwo] "=m"(fcw_out)
        : [vi] "r"(vin), [vo] "r"(vout), [xo] "r"(x87out),
          [mxi] "m"(mxcsr_in), [cwi] "m"(fcw_in)
        : "memory", "cc", X87_CLOBBERS, XMM_CLOBBERS);
}

static void hex(const unsigned char *p, int n)
{
    for (int i = n - 1; i >= 0; i--)
        printf("%02x", p[i]);
}

int main(void)
{
    int avx512 = __builtin_cpu_supports("avx512f");
    int nregs = avx512 ? 32 : 16, width = avx512 ? 64 : 32, bad = 0;
    const char *name = avx512 ? "zmm" : "ymm";
    uint64_t s = 0x243f6a8885a308d3ULL;

    if (!avx512 && !__builtin_cpu_supports("avx")) {
        fprintf(stderr, "no AVX on this CPU: skipping\n");
        return 77;
    }
    for (int r = 0; r < 32; r++)
        for (int b = 0; b < 64; b++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            vin[r][b] = (unsigned char)(s >> 56);
        }
    for (int k = 0; k < 8; k++)
        kin[k] = (uint16_t)(0x1111 * k + 0x0f0f);

    printf("registers: %d x %s, spinning\n", nregs, name);
    fflush(stdout);
    if (avx512)
        spin_avx512(SPIN_ITERS);
    else
        spin_avx(SPIN_ITERS);

    /* Arithmetic that depends on the (still active) rounding modes: both
     * quotients differ from what round-to-nearest would give. */
    volatile double d1 = 1.0, d10 = 10.0;
    volatile long double l1 = 1.0L, l7 = 7.0L;
    double dq = d1 / d10;
    long double lq = l1 / l7;
    uint32_t dflt_mx = 0x1f80;
    uint16_t dflt_cw = 0x037f;
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(dflt_mx), "m"(dflt_cw));

    for (int r = 0; r < nregs; r++) {
        if (memcmp(vin[r], vout[r], width) == 0) {
            printf("%s%02d ok\n", name, r);
        } else {
            bad = 1;
            printf("%s%02d MISMATCH got ", name, r);
            hex(vout[r], width);
            printf(" want ");
            hex(vin[r], width);
            printf("\n");
        }
    }
    if (avx512)
        for (int k = 1; k < 8; k++) {
            printf("k%d %04x %s\n", k, kout[k], kout[k] == kin[k] ? "ok" : "MISMATCH");
            bad |= kout[k] != kin[k];
        }
    printf("x87 stack %La %La %La\n", x87out[0], x87out[1], x87out[2]);
    printf("mxcsr %08x fcw %04x\n", mxcsr_out, fcw_out);
    printf("double 1/10 round-down %a, long double 1/7 round-up %La\n", dq, lq);
    printf("%s\n", bad ? "registers CORRUPTED" : "registers ok");
    return bad;
}
