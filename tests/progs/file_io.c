/* file_io: reads argv[1] through a raw fd in small chunks (so the kernel file
 * offset matters) and writes output.dat progressively through stdio with
 * fflush, over ~3 s; progress also goes to stdout.  After a restore both the
 * input offset and the output file contents must continue seamlessly. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>

#define ROUNDS 40
#define CHUNK 211            /* odd size; 40 chunks wrap around the input */
#define WORK_ITERS 60000000UL /* compute per round: ~75 ms */

int main(int argc, char **argv)
{
    unsigned char buf[CHUNK];
    uint64_t h = 1469598103934665603ULL, x = 7;
    long total_in = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: file_io INPUT\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    FILE *out = fopen("output.dat", "w");
    if (fd < 0 || !out) {
        perror("open");
        return 1;
    }
    for (int round = 0; round < ROUNDS; round++) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n == 0) {               /* wrap around at end of input */
            lseek(fd, 0, SEEK_SET);
            n = read(fd, buf, CHUNK);
        }
        if (n < 0) {
            perror("read");
            return 1;
        }
        total_in += n;
        for (ssize_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 1099511628211ULL;   /* FNV-1a */
        for (unsigned long i = 0; i < WORK_ITERS; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            h += x >> 60;
        }
        /* Output: the chunk itself (text) plus a hash line. */
        fprintf(out, "round %02d offset %ld hash %016llx [", round,
                (long)lseek(fd, 0, SEEK_CUR), (unsigned long long)h);
        fwrite(buf, 1, (size_t)n, out);
        fprintf(out, "]\n");
        fflush(out);
        printf("round %02d read %ld bytes total\n", round, total_in);
        fflush(stdout);
    }
    fclose(out);
    close(fd);
    printf("done hash %016llx\n", (unsigned long long)h);
    return 0;
}
