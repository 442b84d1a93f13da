/* Names of the files libtcp keeps in TCP_DIR. An image is
 * "<prog>.<generation>.tcp": the generation in decimal, zero-padded to six
 * digits and longer when it needs more (1000000 has seven), never with a
 * leading zero beyond six. One formatter and one parser, so that naming and
 * counting agree for every generation (TCP_KEEP relies on it). Temporary
 * files get a random part: two restored copies of one image (same pid, in
 * two PID namespaces) never share one. Freestanding: used in the dump. */
#ifndef TCP_IMAGE_NAMES_H
#define TCP_IMAGE_NAMES_H

#include <stdint.h>
#include "../common/fstr.h"

#define TCP_GEN_MIN_DIGITS 6
#define TCP_GEN_MAX_DIGITS 18 /* fits a long; longer names are not ours */

/* Appends "<prog>.<generation>.tcp". */
void image_name_put(struct fbuf *b, const char *prog, long gen);
/* The generation if `name` is exactly what image_name_put makes for
 * `prog`, else -1. */
long image_name_generation(const char *name, const char *prog);

/* The image of process `pid` of a process tree whose root writes
 * "<prog>.<generation>.tcp": "<prog>.<generation>.p<pid>.tcp". It is not
 * an image name of its own (image_name_generation refuses it): it belongs
 * to the root's image of that generation and goes with it. */
void member_image_name_put(struct fbuf *b, const char *prog, long gen, long pid);
/* Whether `name` is a member image of generation `gen` of `prog`. */
int member_image_of(const char *name, const char *prog, long gen);
/* The pid in `name` if it is a member image of `prog` (any generation),
 * else -1. */
long member_image_pid(const char *name, const char *prog);
/* The same for any generation (put in *gen). */
int member_image_any(const char *name, const char *prog, long *gen);

/* A random 64-bit number (getrandom; the clock and pid if it fails). */
uint64_t tcp_random64(void);
/* Appends ".<what>.<run>.<random>.tmp" (16 hex digits each): a temporary
 * name that a crash leaves visible as such, that nobody else picks, and
 * that a later checkpoint of the same run recognises as its own leftover. */
void tmp_name_put(struct fbuf *b, const char *what, uint64_t run);
/* Whether `name` is such a leftover of run `run` for `what`. */
int tmp_name_is(const char *name, const char *what, uint64_t run);

#endif
