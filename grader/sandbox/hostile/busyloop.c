/* busyloop.c (hostile): spin on the CPU forever. Contained by RLIMIT_CPU (SIGXCPU):
 * "CPU time limit exceeded". */
int main(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}
