/* `catex bench scale`: memory and time of large lattices (issue "one copy
 * of V per node"). Every figure comes from a child catex process, so that
 * its peak RSS (wait4) is its own:
 *   - V build: `catex potential` for cube L = 12, 20, 30 and hexagon side 60:
 *     wall seconds and peak RSS, also as a multiple of 8 N^2;
 *   - sharing: one elastic KMC trajectory per rank (`catex kmc --eps 1`) on
 *     1 and on 2 ranks of one node: the node's peak, sampled as the sum of
 *     the proportional set sizes (Pss of /proc/PID/smaps_rollup, which
 *     splits shared pages among the ranks mapping them) of the process tree
 *     every 50 ms, and the largest rank's peak RSS;
 *   - Ising (eps = 0, no area deviation) at N ~ 1e4, 1e5, 1e6: events/s
 *     and bytes per site ((peak RSS - peak RSS of a 7-site run) / N).
 * --max-side S skips lattices with a larger side (e.g. 20 for a quick check);
 * --part potential|sharing|ising runs one part only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_common.h"
#include "commands.h"

extern char **environ;

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long pss_kb(int pid)
{
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  long kb = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "Pss:", 4) == 0) {
      kb = strtol(line + 4, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}

/* Sum of Pss over pid and its descendants. */
static long tree_pss_kb(int pid, int depth)
{
  long sum = pss_kb(pid);
  if (depth > 4) return sum;
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
  FILE *f = fopen(path, "r");
  if (!f) return sum;
  int child;
  while (fscanf(f, "%d", &child) == 1) sum += tree_pss_kb(child, depth + 1);
  fclose(f);
  return sum;
}

typedef struct {
  int status;
  double seconds;
  double peak_rss;  /* bytes, the largest process of the tree (wait4) */
  double peak_pss;  /* bytes, sampled sum over the tree */
} child_run;

static int run_child(char *const argv[], child_run *r)
{
  memset(r, 0, sizeof *r);
  char **env = catex_cli_child_environment();
  if (!env) return -1;
  fflush(stdout);
  const double t0 = now();
  pid_t pid = fork();
  if (pid < 0) {
    free(env);
    return -1;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    environ = env;
    execvp(argv[0], argv);
    _exit(127);
  }
  free(env);
  long best = 0;
  struct rusage ru;
  int status = 0;
  for (;;) {
    pid_t w = wait4(pid, &status, WNOHANG, &ru);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return -1;
    const long p = tree_pss_kb(pid, 0);
    if (p > best) best = p;
    struct timespec ts = {0, 50000000L};
    nanosleep(&ts, NULL);
  }
  r->seconds = now() - t0;
  r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  r->peak_rss = (double)ru.ru_maxrss * 1024.0;
  r->peak_pss = (double)best * 1024.0;
  return 0;
}

static double gb(double b) { return b / 1073741824.0; }

int catex_bench_scale(int argc, char **argv)
{
  static const struct option opts[] = {{"max-side", required_argument, 0, 'm'}, {"part", required_argument, 0, 'p'},
                                       {0, 0, 0, 0}};
  int max_side = 1 << 30;
  const char *part = NULL;
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
    if (c == 'm' && catex_cli_parse_int("bench scale", "--max-side", optarg, &max_side) == 0) continue;
    if (c == 'p' && (!strcmp(optarg, "potential") || !strcmp(optarg, "sharing") || !strcmp(optarg, "ising"))) {
      part = optarg;
      continue;
    }
    fprintf(stderr, "usage: catex bench scale [--max-side S] [--part potential|sharing|ising]\n");
    return 2;
  }
#define PART(name) (!part || strcmp(part, name) == 0)
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return 1;
  exe[len] = 0;
  char dir[] = "/tmp/catex-bench-scale.XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char out[4200];
  snprintf(out, sizeof out, "%s/out.h5", dir);
  int failed = 0;
  printf("{\"benchmark\": \"scale\", \"potential\": [");
  static const struct { const char *lattice; int side; } vcases[] = {
      {"cube", 12}, {"cube", 20}, {"cube", 30}, {"hexagon", 60}};
  for (int k = 0, first = 1; k < 4 && PART("potential"); k++) {
    if (vcases[k].side > max_side) continue;
    char side[16];
    snprintf(side, sizeof side, "%d", vcases[k].side);
    char *args[] = {exe, "potential", "--lattice", (char *)vcases[k].lattice, "--side", side, "-o", out, "--force", NULL};
    child_run r;
    const long n = strcmp(vcases[k].lattice, "cube") == 0 ? (long)vcases[k].side * vcases[k].side * vcases[k].side
                                                          : 3L * vcases[k].side * vcases[k].side - 3L * vcases[k].side + 1;
    if (run_child(args, &r) || r.status) failed = 1;
    printf("%s\n  {\"lattice\": \"%s\", \"side\": %d, \"N\": %ld, \"status\": %d, \"seconds\": %.2f, "
           "\"peak_rss_gb\": %.3f, \"V_gb\": %.3f, \"peak_over_8N2\": %.2f}",
           first ? "" : ",", vcases[k].lattice, vcases[k].side, n, r.status, r.seconds, gb(r.peak_rss),
           gb(8.0 * n * n), r.peak_rss / (8.0 * n * n));
    first = 0;
    unlink(out);
  }
  /* sharing: 1 vs 2 ranks, one trajectory each, hexagon side 40 (N = 4681) */
  printf("\n], \"sharing\": [");
  double node1 = 0;
  for (int ranks = 1; ranks <= 2 && PART("sharing"); ranks++) {
    char traj[8];
    snprintf(traj, sizeof traj, "%d", ranks);
    char *args[] = {"mpirun", "-n", traj, exe, "kmc", "--lattice", "hexagon", "--side", "40", "--eps", "1",
                    "--dmu", "-20", "--kT", "0.2", "--t-max", "20", "--samples", "5", "--trajectories", traj,
                    "--progress-seconds", "0", "-o", out, "--force", NULL};
    child_run r;
    if (run_child(args, &r) || r.status) failed = 1;
    if (ranks == 1) node1 = r.peak_pss;
    printf("%s\n  {\"ranks\": %d, \"lattice\": \"hexagon\", \"side\": 40, \"N\": 4681, \"status\": %d, "
           "\"seconds\": %.2f, \"node_peak_pss_gb\": %.3f, \"largest_rank_peak_rss_gb\": %.3f%s",
           ranks == 1 ? "" : ",", ranks, r.status, r.seconds, gb(r.peak_pss), gb(r.peak_rss), ranks == 2 ? "" : "}");
    if (ranks == 2) printf(", \"node_peak_over_one_rank\": %.3f, \"target\": 1.2}", node1 > 0 ? r.peak_pss / node1 : 0);
    unlink(out);
  }
  /* Ising path: events/s and bytes per site */
  printf("\n], \"ising\": [");
  child_run base;
  if (PART("ising")) {
    char *args[] = {exe, "kmc", "--side", "2", "--J", "1", "--kT", "2", "--dmu", "-10", "--t-max", "1",
                    "--samples", "2", "--no-area-deviation", "--progress-seconds", "0", "-o", out, "--force", NULL};
    if (run_child(args, &base) || base.status) failed = 1;
    unlink(out);
  }
  static const int isides[] = {58, 183, 578};
  for (int k = 0, first = 1; k < 3 && PART("ising"); k++) {
    if (isides[k] > max_side) continue;
    const long n = 3L * isides[k] * isides[k] - 3L * isides[k] + 1;
    char side[16], events[32], small[32];
    snprintf(side, sizeof side, "%d", isides[k]);
    snprintf(events, sizeof events, "%ld", 4000000L);
    snprintf(small, sizeof small, "%ld", 1000L);
    /* events/s from the difference of a long and a short run (start-up and file out) */
    child_run r, r0;
    char *args[] = {exe, "kmc", "--side", side, "--J", "1", "--kT", "2", "--dmu", "-10", "--t-max", "1e9",
                    "--samples", "2", "--no-area-deviation", "--max-events", events, "--progress-seconds", "0",
                    "-o", out, "--force", NULL};
    if (run_child(args, &r) || r.status) failed = 1;
    args[16] = small;
    if (run_child(args, &r0) || r0.status) failed = 1;
    const double dt = r.seconds - r0.seconds;
    printf("%s\n  {\"lattice\": \"hexagon\", \"side\": %d, \"N\": %ld, \"events\": 4000000, \"seconds\": %.2f, "
           "\"events_per_s\": %.3g, \"peak_rss_gb\": %.3f, \"bytes_per_site\": %.0f}",
           first ? "" : ",", isides[k], n, dt, dt > 0 ? (4000000.0 - 1000.0) / dt : 0, gb(r.peak_rss),
           (r.peak_rss - base.peak_rss) / (double)n);
    first = 0;
    unlink(out);
  }
  printf("\n], \"note\": \"figures on a shared machine are indicative only\"}\n");
  rmdir(dir);
  return failed ? 1 : 0;
}
