/* One writer per output file: rank 0 holds "<output>.lock" for the whole
 * run. The lock holds "host pid slurm_job_id start_time"; it is written
 * completely under a name of its own and then hard-linked to the lock name
 * (link() fails if that exists: atomic on every file system catex meets,
 * NFS and Lustre included, where fcntl locks may not be), so a kill at any
 * moment never leaves a lock that cannot be read. A lock left behind by a run
 * that was killed (kill -9, node failure) is recognised as stale when
 *  - it names this host and its process no longer exists (or is a zombie,
 *    or is no catex), or
 *  - it names the SLURM job this run belongs to (a requeued job restarts
 *    under the same job id, possibly on another node, after the old
 *    incarnation was killed).
 * Anything else is refused with a message naming the other run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catex/paths.h"
#include "farm_internal.h"

typedef struct {
  char host[256];
  long pid;
  char job[64];
  long start;
} lock_info;

static int read_lock(const char *path, lock_info *li)
{
  memset(li, 0, sizeof *li);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = fscanf(f, "%255s %ld %63s %ld", li->host, &li->pid, li->job, &li->start);
  fclose(f);
  return n == 4 ? 0 : -1;
}

/* 1 if pid is a live process that may be catex (Linux /proc where present). */
static int process_alive(long pid)
{
  if (pid <= 0) return 0;
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 0;
  char p[64], buf[512];
  snprintf(p, sizeof p, "/proc/%ld/stat", pid);
  FILE *f = fopen(p, "r");
  if (!f) return 1; /* no /proc: trust kill() */
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *close_paren = strrchr(buf, ')');
  if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z') return 0; /* a zombie */
  const char *open_paren = strchr(buf, '(');
  if (open_paren && close_paren && !strstr(open_paren, "catex")) return 0; /* pid reused by another program */
  return 1;
}

static const char *slurm_job(void)
{
  const char *j = getenv("SLURM_JOB_ID");
  return j && *j ? j : "-";
}

catex_status farm_lock_acquire(const char *output, char **lock_path, catex_error *err)
{
  *lock_path = NULL;
  catex_make_parent_dirs(output); /* the lock goes there before the output is created */
  size_t len = strlen(output) + 8;
  char *path = malloc(len);
  if (!path) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  snprintf(path, len, "%s.lock", output);
  char host[256] = "unknown";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  size_t tlen = len + strlen(host) + 32;
  char *mine = malloc(tlen);
  if (!mine) {
    free(path);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  }
  snprintf(mine, tlen, "%s.%s.%ld", path, host, (long)getpid());
  char text[400];
  int n = snprintf(text, sizeof text, "%s %ld %s %ld\n", host, (long)getpid(), slurm_job(), (long)time(NULL));
  int fd = open(mine, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int ok = fd >= 0 && write(fd, text, (size_t)n) == n;
  if (fd >= 0) ok = close(fd) == 0 && ok;
  if (!ok) {
    catex_status st = catex_error_set(err, CATEX_ERR_IO, "cannot write a lock file beside '%s': %s", output,
                                      strerror(errno));
    unlink(mine);
    free(mine);
    free(path);
    return st;
  }
  for (int attempt = 0; attempt < 3; attempt++) {
    int linked = link(mine, path) == 0;
    int link_errno = errno;
    if (linked) {
      unlink(mine);
      free(mine);
      *lock_path = path;
      return CATEX_OK;
    }
    if (link_errno != EEXIST) {
      catex_status st = catex_error_set(err, CATEX_ERR_IO, "cannot create the lock file '%s': %s", path,
                                        strerror(link_errno));
      unlink(mine);
      free(mine);
      free(path);
      return st;
    }
    lock_info li;
    if (read_lock(path, &li) != 0) {
      /* being written by its creator right now, or damaged: look again */
      struct timespec ts = {0, 50000000L};
      nanosleep(&ts, NULL);
      if (read_lock(path, &li) != 0) {
        catex_status st = catex_error_set(err, CATEX_ERR_IO,
                                          "the lock file '%s' exists but cannot be read; if no catex run writes "
                                          "this output, delete it",
                                          path);
        unlink(mine);
        free(mine);
        free(path);
        return st;
      }
    }
    int same_job = strcmp(li.job, "-") != 0 && strcmp(li.job, slurm_job()) == 0;
    int stale = same_job || (strcmp(li.host, host) == 0 && !process_alive(li.pid));
    if (!stale) {
      char when[64] = "?";
      time_t t = (time_t)li.start;
      struct tm tm;
      if (localtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
      catex_status st = catex_error_set(
          err, CATEX_ERR_IO,
          "another catex run is writing this output (host %s, pid %ld%s%s, since %s; lock file '%s'); "
          "two runs would destroy each other's results. If that run is gone (e.g. its node died), delete the lock "
          "file",
          li.host, li.pid, strcmp(li.job, "-") ? ", SLURM job " : "", strcmp(li.job, "-") ? li.job : "", when, path);
      unlink(mine);
      free(mine);
      free(path);
      return st;
    }
    unlink(path); /* stale: a killed run's; retry */
  }
  catex_status st = catex_error_set(err, CATEX_ERR_IO, "cannot take the lock file '%s' (it keeps reappearing)", path);
  unlink(mine);
  free(mine);
  free(path);
  return st;
}

void farm_lock_release(char *lock_path)
{
  if (!lock_path) return;
  unlink(lock_path);
  free(lock_path);
}
