/* Mappings of tcp's own image files in the program: what tcp-restore
 * --lazy leaves (the program's memory mapped MAP_PRIVATE from the image it
 * was restored from). A checkpoint stores them as anonymous memory: to the
 * program they are anonymous memory, and the image may be gone (TCP_KEEP
 * rotation) by the time the new image is restored. Freestanding. */
#ifndef TCP_IMAGE_MAPPING_H
#define TCP_IMAGE_MAPPING_H

#include "../common/maps_parse.h"

/* 1 if a /proc/self/maps path names an image file, "/DIR/PROG.NNNNNN.tcp"
 * (six or more digits), maybe followed by " (deleted)" (then *deleted = 1);
 * else 0. */
int image_mapping_name(const char *path, int *deleted);

/* 1 if the private mapping `e` maps a tcp image: the name says so and the
 * file it maps starts with TCP_IMAGE_MAGIC (see image_mapping.c for how a
 * deleted one is told). Raw system calls only. */
int is_image_mapping(const struct maps_entry *e);

#endif
