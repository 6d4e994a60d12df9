/* PIPE_BUF atomicity: concurrent writes of <= PIPE_BUF bytes never interleave. */
#include "t.h"
#include <limits.h>
#include <sys/wait.h>

#define REC PIPE_BUF
#define NREC 200

int main(void) {
  int p[2];
  pipe(p);
  EQ("PIPE_BUF", PIPE_BUF, 4096);
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      char rec[REC];
      memset(rec, 'A' + k, sizeof rec);
      close(p[0]);
      for (int i = 0; i < NREC; i++)
        if (write(p[1], rec, sizeof rec) != REC) _exit(2);
      _exit(0);
    }
  }
  close(p[1]);
  static char buf[REC];
  int counts[2] = {0, 0}, torn = 0;
  for (;;) {
    long got = 0, n;
    while (got < REC && (n = read(p[0], buf + got, REC - got)) > 0) got += n;
    if (got == 0) break;
    if (got != REC) { torn++; break; }
    char c = buf[0];
    for (int i = 1; i < REC; i++) if (buf[i] != c) { torn++; break; }
    if (c == 'A' || c == 'B') counts[c - 'A']++;
  }
  int st1, st2;
  waitpid(kids[0], &st1, 0);
  waitpid(kids[1], &st2, 0);
  EQ("writer A status", st1, 0);
  EQ("writer B status", st2, 0);
  EQ("records from A", counts[0], NREC);
  EQ("records from B", counts[1], NREC);
  EQ("torn records", torn, 0);
  return t_done();
}
