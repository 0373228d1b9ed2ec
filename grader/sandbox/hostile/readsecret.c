/* readsecret.c (hostile): try to read each path in argv (files, or list directories): the
 * instructor's hidden files, root-only files, other students' work. Prints READ and the
 * first bytes for every success; exit 3 if anything was readable, 0 if all were refused. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int try_path(const char *p)
{
    DIR *d = opendir(p);
    if (d) {
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                printf("READ %s: entry %s\n", p, e->d_name), n++;
        closedir(d);
        return n > 0;
    }
    int fd = open(p, O_RDONLY);
    char buf[64];
    ssize_t k = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    if (k <= 0) {
        printf("refused %s\n", p);
        return 0;
    }
    buf[k] = '\0';
    printf("READ %s: %s\n", p, buf);
    return 1;
}

int main(int argc, char **argv)
{
    int leaked = 0;
    for (int i = 1; i < argc; i++)
        leaked += try_path(argv[i]);
    return leaked ? 3 : 0;
}
