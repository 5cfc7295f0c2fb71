#include "cli_common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A single dash and a name of two or more characters, except catex's own
 * attached short option -oFILE (PETSc's -options_* stay PETSc's). */
static int is_petsc_option(const char *a)
{
  if (a[0] != '-' || !isalpha((unsigned char)a[1]) || a[2] == '\0') return 0;
  return a[1] != 'o' || strncmp(a, "-options_", 9) == 0;
}

int catex_cli_strip_petsc_args(int argc, char **argv)
{
  int out = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { /* everything after -- is catex's */
      while (i < argc) argv[out++] = argv[i++];
      break;
    }
    if (is_petsc_option(argv[i])) {
      if (i + 1 < argc && argv[i + 1][0] != '-') i++;
      continue;
    }
    argv[out++] = argv[i];
  }
  argv[out] = NULL;
  return out;
}

int catex_cli_petsc_args(int argc, char **argv, char **out)
{
  int n = 0;
  out[n++] = argv[0];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (!is_petsc_option(argv[i])) continue;
    out[n++] = argv[i];
    if (i + 1 < argc && argv[i + 1][0] != '-') out[n++] = argv[++i];
  }
  out[n] = NULL;
  return n;
}

int catex_cli_parse_long(const char *cmd, const char *opt, const char *value, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (errno || end == value || *end != '\0') {
    fprintf(stderr, "catex %s: %s: '%s' is not an integer\n", cmd, opt, value);
    return -1;
  }
  *out = v;
  return 0;
}

int catex_cli_parse_int(const char *cmd, const char *opt, const char *value, int *out)
{
  long v;
  if (catex_cli_parse_long(cmd, opt, value, &v)) return -1;
  if (v < -2147483647L || v > 2147483647L) {
    fprintf(stderr, "catex %s: %s: '%s' is out of range\n", cmd, opt, value);
    return -1;
  }
  *out = (int)v;
  return 0;
}

int catex_cli_parse_double(const char *cmd, const char *opt, const char *value, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(value, &end);
  /* decimal only, as in job files (strtod alone also takes 0x10 and inf) */
  if (errno || end == value || *end != '\0' || !isfinite(v) || strpbrk(value, "xXpP")) {
    fprintf(stderr, "catex %s: %s: '%s' is not a finite number\n", cmd, opt, value);
    return -1;
  }
  *out = v;
  return 0;
}

int catex_cli_check_output(const char *cmd, const char *path, int force)
{
  struct stat st;
  if (!path || !*path) {
    fprintf(stderr, "catex %s: no output file given (-o FILE)\n", cmd);
    return -1;
  }
  if (stat(path, &st) == 0 && !force) {
    fprintf(stderr, "catex %s: output file '%s' exists; refusing to overwrite it (use --force)\n", cmd, path);
    return -1;
  }
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    fprintf(stderr, "catex %s: --force replaces only a regular file; '%s' is %s\n", cmd, path,
            S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
    return -1;
  }
  return 0;
}

int catex_cli_wants_help(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
  return 0;
}

extern char **environ;

/* Open MPI / PMIx variables that MPI_Init set in this process (its
 * singleton identity); the user's settings (e.g. OMPI_ALLOW_RUN_AS_ROOT,
 * OMPI_MCA_btl_*) stay. */
static int runtime_identity(const char *v)
{
  static const char *const drop[] = {"PMIX_", "OMPI_MCA_ess", "OMPI_MCA_orte", "OMPI_MCA_pmix", "OMPI_COMM_WORLD",
                                     "OMPI_UNIVERSE", "OMPI_FILE_LOCATION", "OMPI_MCA_initial_wdir",
                                     "OMPI_APP_CTX", "OMPI_FIRST_RANKS", "OMPI_NUM_APP_CTX", "OMPI_ARGV",
                                     "OMPI_COMMAND", "OMPI_MCA_mpi_", "OMPI_MCA_shmem", "OMPI_MCA_ompi_",
                                     "OMPI_MCA_hwloc", "OMPI_MCA_plm", "OMPI_MCA_routed", "OMPI_MCA_state",
                                     "OMPI_MCA_errmgr", "OMPI_MCA_odls", "OMPI_MCA_ras", "OMPI_MCA_rml",
                                     "OMPI_MCA_oob", "OMPI_MCA_schizo", "OMPI_LOCAL", "OMPI_NODE", "OPAL_",
                                     "HFI_", "IPATH_", "PSM_"};
  for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
    if (strncmp(v, drop[i], strlen(drop[i])) == 0) return 1;
  return 0;
}

char **catex_cli_child_environment(void)
{
  static char *const defaults[] = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                                   "OMPI_MCA_rmaps_base_oversubscribe=1"};
  const size_t nd = sizeof defaults / sizeof defaults[0];
  size_t n = 0;
  while (environ[n]) n++;
  char **env = calloc(n + nd + 1, sizeof *env);
  if (!env) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!runtime_identity(environ[i])) env[k++] = environ[i];
  for (size_t d = 0; d < nd; d++) {
    const size_t len = (size_t)(strchr(defaults[d], '=') - defaults[d]) + 1; /* "NAME=" */
    int set = 0;
    for (size_t i = 0; i < k && !set; i++) set = strncmp(env[i], defaults[d], len) == 0;
    if (!set) env[k++] = defaults[d];
  }
  return env;
}
