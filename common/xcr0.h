/* XCR0: the XSAVE state components the OS has enabled on this CPU (0 when
 * XSAVE is off). Recorded at checkpoint, compared at restore. */
#ifndef TCP_XCR0_H
#define TCP_XCR0_H

#include <stdint.h>

static inline uint64_t read_xcr0(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27))) /* OSXSAVE */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return ((uint64_t)d << 32) | a;
}

#endif
