/*
 * What a successful hostile exec started: prints argc, each argv string's
 * length and first bytes, and envc, so exec_hostile.c's fork-and-exec cases
 * can be compared with Linux line for line.
 */
#include <stdio.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  int envc = 0;
  for (char **e = environ; e != NULL && *e != NULL; e++) envc++;
  printf("  child argc=%d envc=%d", argc, envc);
  for (int i = 0; i < argc && i < 8; i++) printf(" argv[%d]=%zu:%.12s", i, strlen(argv[i]), argv[i]);
  printf("\n");
  return 0;
}
