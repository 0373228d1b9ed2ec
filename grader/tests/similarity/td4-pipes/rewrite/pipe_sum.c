/* The reference with this one function rewritten (the planted class's "rewrite"). */
static long send_values(int fd, long count)
{
    int chunk[CHUNK];
    long sent = 0, total = 0;
    while (sent < count) {
        int k = 0;
        for (; k < CHUNK && sent + k < count; k++) {
            chunk[k] = rand() % 10;
            total += chunk[k];
        }
        if (write_all(fd, chunk, (size_t)k * sizeof chunk[0]) == -1) {
            fprintf(stderr, "pipe_sum: write: %s\n", strerror(errno));
            return -1;
        }
        sent += k;
    }
    return total;
}
