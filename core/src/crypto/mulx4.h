/*
 * mulx4.h - the 4 x 64-bit limb product and square as inline-assembly text, shared by x25519.c and
 * p256.c (x86-64 with BMI2 and ADX; the caller checks the CPU with mulx4_cpu). Each macro is a string to paste at the
 * start of an __asm__ whose operands name the inputs %[f] (and %[g]): pointers to four little-endian
 * limbs in registers. The 512-bit result is left in r8 (lowest) .. r15; rax, rbx and rdx are scratch;
 * the asm must list MULX4_CLOBBERS. What follows (the reduction, the stores) is the caller's: both
 * fields fold the upper half differently. Every input limb is read before anything is stored, so the
 * output may alias an input.
 *
 * Each row of partial products runs two carry chains at once, ADCX (CF) for the low halves and ADOX
 * (OF) for the high halves; MOV and MULX leave the flags alone, which the interleaved chains rely on.
 * Operands are pointers in registers with a "memory" clobber: per-limb "m" operands needed an address
 * register each, more than the three left beside the eleven clobbered and %rbp (ASan builds reported
 * "impossible constraints"). The instructions take the same time for every operand; there is no branch.
 */
#ifndef SSLREF_MULX4_H
#define SSLREF_MULX4_H

/* MULX4_BUILD: whether this compiler builds the MULX paths. They need __builtin_cpu_supports("adx"),
 * which GCC has (12 checked; clang 14 rejects the name), so other compilers build the portable paths
 * only. mulx4_cpu(): 1 when this CPU has BMI2 and ADX, the test both users choose a path by. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define MULX4_BUILD 1
static inline int mulx4_cpu(void)
{
    return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
}
#else
#define MULX4_BUILD 0
#endif

#define MULX4_CLOBBERS "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory"

/* One row i >= 1 of f * g: rdx = f[i] times g added at limb i; the new top limb starts at zero (the
 * XOR that clears it also clears CF and OF), takes the last high half through OF and the last CF by
 * ADC (the OF chain is finished by then). No carry leaves it: the partial sum is below 2^(64 (i + 5)). */
#define MULX4_ROW(fi, a, b, c, d, e)                                                                    \
    "movq " fi ", %%rdx\n\t"                                                                            \
    "xorl %%" e "d, %%" e "d\n\t"                                                                       \
    "mulxq (%[g]), %%rax, %%rbx\n\t"                                                                    \
    "adcxq %%rax, %%" a "\n\t"                                                                          \
    "adoxq %%rbx, %%" b "\n\t"                                                                          \
    "mulxq 8(%[g]), %%rax, %%rbx\n\t"                                                                   \
    "adcxq %%rax, %%" b "\n\t"                                                                          \
    "adoxq %%rbx, %%" c "\n\t"                                                                          \
    "mulxq 16(%[g]), %%rax, %%rbx\n\t"                                                                  \
    "adcxq %%rax, %%" c "\n\t"                                                                          \
    "adoxq %%rbx, %%" d "\n\t"                                                                          \
    "mulxq 24(%[g]), %%rax, %%rbx\n\t"                                                                  \
    "adcxq %%rax, %%" d "\n\t"                                                                          \
    "adoxq %%rbx, %%" e "\n\t"                                                                          \
    "adcq $0, %%" e "\n\t"

/* r15..r8 = f * g: 16 MULX. */
#define MULX4_MUL                                                                                       \
    "movq (%[f]), %%rdx\n\t"                                                                            \
    "mulxq (%[g]), %%r8, %%r9\n\t"                                                                      \
    "mulxq 8(%[g]), %%rax, %%r10\n\t"                                                                   \
    "addq %%rax, %%r9\n\t"                                                                              \
    "mulxq 16(%[g]), %%rax, %%r11\n\t"                                                                  \
    "adcq %%rax, %%r10\n\t"                                                                             \
    "mulxq 24(%[g]), %%rax, %%r12\n\t"                                                                  \
    "adcq %%rax, %%r11\n\t"                                                                             \
    "adcq $0, %%r12\n\t"                                                                                \
    MULX4_ROW("8(%[f])", "r9", "r10", "r11", "r12", "r13")                                              \
    MULX4_ROW("16(%[f])", "r10", "r11", "r12", "r13", "r14")                                            \
    MULX4_ROW("24(%[f])", "r11", "r12", "r13", "r14", "r15")

/* r15..r8 = f^2: the six cross products f_i f_j (i < j) once, then one pass that doubles them (ADCX of
 * a limb with itself) while adding the four squares f_i^2 (ADOX). 10 MULX. */
#define MULX4_SQR                                                                                       \
    "movq (%[f]), %%rdx\n\t" /* f0 (f1, f2, f3) at limbs 1..4: r9..r12 */                               \
    "mulxq 8(%[f]), %%r9, %%r10\n\t"                                                                    \
    "mulxq 16(%[f]), %%rax, %%r11\n\t"                                                                  \
    "addq %%rax, %%r10\n\t"                                                                             \
    "mulxq 24(%[f]), %%rax, %%r12\n\t"                                                                  \
    "adcq %%rax, %%r11\n\t"                                                                             \
    "adcq $0, %%r12\n\t"                                                                                \
    "movq 8(%[f]), %%rdx\n\t" /* f1 (f2, f3) at limbs 3..5: r11..r13 */                                 \
    "xorl %%r13d, %%r13d\n\t"                                                                           \
    "mulxq 16(%[f]), %%rax, %%rbx\n\t"                                                                  \
    "adcxq %%rax, %%r11\n\t"                                                                            \
    "adoxq %%rbx, %%r12\n\t"                                                                            \
    "mulxq 24(%[f]), %%rax, %%rbx\n\t"                                                                  \
    "adcxq %%rax, %%r12\n\t"                                                                            \
    "adoxq %%rbx, %%r13\n\t"                                                                            \
    "adcq $0, %%r13\n\t"                                                                                \
    "movq 16(%[f]), %%rdx\n\t" /* f2 f3 at limbs 5..6: r13, r14 */                                      \
    "mulxq 24(%[f]), %%rax, %%r14\n\t"                                                                  \
    "addq %%rax, %%r13\n\t"                                                                             \
    "adcq $0, %%r14\n\t"                                                                                \
    "xorl %%r15d, %%r15d\n\t" /* doubled (CF) plus the squares (OF); limb 7 from zero */                \
    "movq (%[f]), %%rdx\n\t"                                                                            \
    "mulxq %%rdx, %%r8, %%rax\n\t"                                                                      \
    "adcxq %%r9, %%r9\n\t"                                                                              \
    "adoxq %%rax, %%r9\n\t"                                                                             \
    "movq 8(%[f]), %%rdx\n\t"                                                                           \
    "mulxq %%rdx, %%rax, %%rbx\n\t"                                                                     \
    "adcxq %%r10, %%r10\n\t"                                                                            \
    "adoxq %%rax, %%r10\n\t"                                                                            \
    "adcxq %%r11, %%r11\n\t"                                                                            \
    "adoxq %%rbx, %%r11\n\t"                                                                            \
    "movq 16(%[f]), %%rdx\n\t"                                                                          \
    "mulxq %%rdx, %%rax, %%rbx\n\t"                                                                     \
    "adcxq %%r12, %%r12\n\t"                                                                            \
    "adoxq %%rax, %%r12\n\t"                                                                            \
    "adcxq %%r13, %%r13\n\t"                                                                            \
    "adoxq %%rbx, %%r13\n\t"                                                                            \
    "movq 24(%[f]), %%rdx\n\t"                                                                          \
    "mulxq %%rdx, %%rax, %%rbx\n\t"                                                                     \
    "adcxq %%r14, %%r14\n\t"                                                                            \
    "adoxq %%rax, %%r14\n\t"                                                                            \
    "adcxq %%r15, %%r15\n\t"                                                                            \
    "adoxq %%rbx, %%r15\n\t" /* f^2 < 2^512: nothing carries out */

#endif
