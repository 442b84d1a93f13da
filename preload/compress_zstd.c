/* One zstd compressor for the dump: the context allocates through r_mmap
 * (ZSTD_customMem), never malloc, since it runs in a raw clone of the app
 * or in the paused app itself. Each block is one frame with its content
 * checksum, so a damaged block is caught when it is decompressed. */
#include "compress.h"
#include "internal.h"
#include "../common/rawsys.h"

#include <sys/mman.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem: the one allocator we may use here */
#include <zstd.h>

struct zcomp {
	ZSTD_CCtx *cctx;
	char *gather;		/* ZBLOCK_SIZE */
	char *out;		/* zcomp_bound() */
	uint64_t len;		/* of this struct's mapping, buffers included */
};

#define ZMEM_HEAD 64	/* keeps zstd's allocations 64-byte aligned */

static void *zmem_alloc(void *opaque, size_t size)
{
	(void)opaque;
	uint64_t len = (size + ZMEM_HEAD + 4095) & ~4095ull;
	char *p = tcp_scratch_map(len);
	if ((long)p < 0 && (long)p > -4096)
		return 0;
	*(uint64_t *)p = len;
	return p + ZMEM_HEAD;
}

static void zmem_free(void *opaque, void *addr)
{
	(void)opaque;
	if (!addr)
		return;
	char *p = (char *)addr - ZMEM_HEAD;
	r_munmap(p, *(uint64_t *)p);
}

uint64_t zcomp_bound(void)
{
	return ZSTD_COMPRESSBOUND(ZBLOCK_SIZE);
}

struct zcomp *zcomp_new(int level)
{
	uint64_t len = (4096 + ZBLOCK_SIZE + zcomp_bound() + 4095) & ~4095ull;
	char *p = tcp_scratch_map(len);
	if ((long)p < 0 && (long)p > -4096)
		return 0;
	struct zcomp *z = (struct zcomp *)p;
	z->len = len;
	z->gather = p + 4096;
	z->out = z->gather + ZBLOCK_SIZE;
	ZSTD_customMem mem = { zmem_alloc, zmem_free, 0 };
	z->cctx = ZSTD_createCCtx_advanced(mem);
	if (!z->cctx || ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1))) {
		zcomp_free(z);
		return 0;
	}
	return z;
}

void zcomp_free(struct zcomp *z)
{
	if (!z)
		return;
	if (z->cctx)
		ZSTD_freeCCtx(z->cctx);
	r_munmap(z, z->len);
}

static void copy(void *dst, const void *src, uint64_t n)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static int source_fd = -1;

void zcomp_source(int mem_fd)
{
	source_fd = mem_fd;
}

void zcomp_source_own(void)
{
	if (source_fd >= 0)
		source_fd = (int)r_open("/proc/self/mem", 0 /* O_RDONLY */ | 02000000 /* O_CLOEXEC */, 0);
	if (source_fd < 0)
		source_fd = -1;
}

/* n bytes of the app's memory at addr, copied by the kernel where it can. */
static void gather(char *dst, uint64_t addr, uint64_t n)
{
	long got = source_fd >= 0 ? r_pread(source_fd, dst, n, (long)addr) : 0;
	got = got < 0 ? 0 : got;
	if ((uint64_t)got < n)
		copy(dst + got, (const char *)addr + got, n - (uint64_t)got);
}

uint32_t zcomp_block(struct zcomp *z, const struct zseg *segs, uint32_t nseg, const void **out, uint32_t *raw_len,
		     uint32_t *flags)
{
	uint64_t len = 0;
	/* One stable copy: memory that changes while it is read (the dumping
	 * thread's own stack) gives a frame that matches its checksum. */
	for (uint32_t i = 0; i < nseg; i++) {
		gather(z->gather + len, segs[i].addr, segs[i].len);
		len += segs[i].len;
	}
	*raw_len = (uint32_t)len;
	size_t n = ZSTD_compress2(z->cctx, z->out, zcomp_bound(), z->gather, len);
	if (ZSTD_isError(n) || n >= len) {
		*out = z->gather;
		*flags = TCP_ZBLOCK_RAW;
		return (uint32_t)len;
	}
	*out = z->out;
	*flags = 0;
	return (uint32_t)n;
}
