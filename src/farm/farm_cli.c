/* Command-line glue for the farm commands (include/catex/farm_cli.h). */
#include <errno.h>
#include <getopt.h>
#include <petscsys.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catex/farm_cli.h"
#include "catex/signals.h"
#include "catex/sysmem.h"

/* "file:line: studies[0].t_max: problem" -> key "t_max", problem. */
static int split_message(const char *msg, char *key, size_t nkey, const char **problem)
{
  const char *a = strstr(msg, ": ");
  if (!a) return -1;
  a += 2;
  const char *b = strstr(a, ": ");
  if (!b) return -1;
  const char *k = a;
  for (const char *p = a; p < b; p++)
    if (*p == '.') k = p + 1;
  size_t n = (size_t)(b - k);
  const char *br = memchr(k, '[', n);
  if (br) n = (size_t)(br - k);
  if (n + 1 > nkey) return -1;
  memcpy(key, k, n);
  key[n] = '\0';
  *problem = b + 2;
  return 0;
}

catex_status catex_farm_cli_parse(MPI_Comm comm, const char *cmd, const char *text,
                                  const catex_farm_cli_param *params, int nparams, catex_job **job)
{
  int rank;
  MPI_Comm_rank(comm, &rank);
  catex_error err;
  catex_error_clear(&err);
  catex_status st = catex_job_parse(text, cmd, job, &err);
  if (st && rank == 0) {
    char key[128];
    const char *problem = NULL, *option = NULL;
    if (split_message(err.message, key, sizeof key, &problem) == 0) {
      if (strcmp(key, "seed") == 0) option = "seed";
      for (int i = 0; i < nparams && !option; i++)
        if (strcmp(params[i].key, key) == 0) option = params[i].option;
    }
    if (option) fprintf(stderr, "catex %s: --%s: %s\n", cmd, option, problem);
    else fprintf(stderr, "catex %s: %s\n", cmd, err.message);
  }
  return st;
}

static int write_stats(const char *cmd, const catex_farm_stats *stats, const char *stats_path)
{
  if (!stats_path) return 0;
  FILE *f = strcmp(stats_path, "-") == 0 ? stdout : fopen(stats_path, "w");
  if (!f) {
    fprintf(stderr, "catex %s: --stats: cannot write '%s'\n", cmd, stats_path);
    return -1;
  }
  catex_farm_stats_json(stats, f);
  if (f != stdout) fclose(f);
  return 0;
}

static int report(const char *cmd, catex_status st, const catex_error *err, const catex_farm_stats *stats,
                  const catex_farm_options *opt, const char *stats_path)
{
  if (st) {
    fprintf(stderr, "catex %s: %s\n", cmd, err->message);
    return CATEX_EXIT_ERROR;
  }
  FILE *log = opt->log ? opt->log : stdout;
  if (stats->interrupted) {
    fprintf(log, "catex %s: %s: interrupted by %s: %ld tasks flushed at the signal; %ld of %ld in the file\n",
            cmd, stats->output,
            stats->interrupted > 0 ? catex_signal_name(stats->interrupted) : "a signal to another rank",
            stats->saved_on_interrupt, stats->on_disk, stats->ntasks);
    fflush(log);
    fprintf(stderr, "catex %s: interrupted by %s; continue with --resume (exit status %d)\n", cmd,
            stats->interrupted > 0 ? catex_signal_name(stats->interrupted) : "a signal", CATEX_EXIT_INTERRUPTED);
    write_stats(cmd, stats, stats_path);
    return CATEX_EXIT_INTERRUPTED;
  }
  fprintf(log, "catex %s: %s: %ld tasks: %ld done now, %ld done before, %ld failed; %.1f s on %d rank%s\n", cmd,
          stats->output, stats->ntasks, stats->done, stats->skipped, stats->failed, stats->total_seconds,
          stats->ranks, stats->ranks == 1 ? "" : "s");
  fflush(log);
  if (stats->failed)
    fprintf(stderr, "catex %s: %ld task(s) failed; see /tasks/status and /tasks/message in %s\n", cmd,
            stats->failed, stats->output);
  if (write_stats(cmd, stats, stats_path)) return CATEX_EXIT_ERROR;
  return stats->failed ? CATEX_EXIT_TASKS_FAILED : CATEX_EXIT_OK;
}

/* The -potential_* options of PETSc's global database (the command line and
 * PETSC_OPTIONS), "name value ..." in PETSc's order, into buf. */
static void potential_options(char *buf, size_t n)
{
  buf[0] = '\0';
  char *all = NULL;
  if (PetscOptionsGetAll(NULL, &all) != 0 || !all) return;
  size_t used = 0;
  int keep = 0;
  for (char *tok = strtok(all, " "); tok; tok = strtok(NULL, " ")) {
    if (tok[0] == '-' && !(tok[1] >= '0' && tok[1] <= '9') && tok[1] != '.') /* a name, not a negative value */
      keep = strncmp(tok, "-potential_", 11) == 0;
    if (!keep) continue;
    int k = snprintf(buf + used, n - used, "%s%s", used ? " " : "", tok);
    if (k < 0 || (size_t)k >= n - used) break;
    used += (size_t)k;
  }
  PetscFree(all);
}

int catex_farm_cli_run(MPI_Comm comm, const char *cmd, const catex_job *job, const catex_farm_options *opt_in,
                       const char *stats_path)
{
  int rank;
  MPI_Comm_rank(comm, &rank);
  catex_farm_stats stats;
  catex_error err;
  catex_error_clear(&err);
  char cli[2048];
  potential_options(cli, sizeof cli);
  catex_farm_options o = *opt_in;
  const catex_farm_options *opt = &o;
  if (!o.cli_options) o.cli_options = cli;
  int mem = catex_farm_cli_memory_check(comm, cmd, job, opt);
  if (mem != CATEX_EXIT_OK) return mem;
  catex_status st = catex_farm_run(comm, job, opt, &stats, &err);
  /* Every rank exits with rank 0's verdict, whatever mpirun/srun report. */
  int code = rank == 0 ? report(cmd, st, &err, &stats, opt, stats_path) : 0;
  MPI_Bcast(&code, 1, MPI_INT, 0, comm);
  return code;
}

void catex_strbuf_printf(catex_strbuf *b, const char *fmt, ...)
{
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->oom = 1;
      return;
    }
    if (b->s && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = 2 * (b->cap + (size_t)k + 64);
    char *p = realloc(b->s, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
}

int catex_farm_cli_list(const char *cmd, const char *opt, const char *value, catex_strbuf *b)
{
  const char *p = value;
  int n = 0;
  catex_strbuf_printf(b, "[");
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p || (*end && *end != ',') || v != v || v - v != 0) break;
    catex_strbuf_printf(b, "%s%.17g", n ? ", " : "", v);
    n++;
    p = *end ? end + 1 : end;
    if (*end && !*p) { n = -1; break; } /* trailing comma */
  }
  catex_strbuf_printf(b, "]");
  if (*p || n <= 0) {
    fprintf(stderr, "catex %s: %s: '%s' is not a comma-separated list of numbers\n", cmd, opt, value);
    return -1;
  }
  return 0;
}

int catex_farm_cli_word(const char *cmd, const char *opt, const char *value, const char *const *words, int n)
{
  for (int i = 0; i < n; i++)
    if (strcmp(value, words[i]) == 0) return 0;
  fprintf(stderr, "catex %s: %s: '%s' is not one of", cmd, opt, value);
  for (int i = 0; i < n; i++) fprintf(stderr, "%s %s", i ? "," : "", words[i]);
  fprintf(stderr, "\n");
  return -1;
}

static int parse_number(const char *cmd, const char *opt, const char *value, int integer, catex_strbuf *out)
{
  char *end;
  double v = strtod(value, &end);
  /* decimal only, as in job files: strtod alone also takes 0x10 */
  if (end == value || *end || v != v || v - v != 0 || strpbrk(value, "xXpP")) {
    fprintf(stderr, "catex %s: %s: '%s' is not a%s\n", cmd, opt, value, integer ? "n integer" : " finite number");
    return -1;
  }
  if (integer && (v != (double)(long)v)) {
    fprintf(stderr, "catex %s: %s: '%s' is not an integer\n", cmd, opt, value);
    return -1;
  }
  catex_strbuf_printf(out, integer ? "%.0f" : "%.17g", v);
  return 0;
}

int catex_farm_cli_options(const char *cmd, int argc, char **argv, const catex_farm_cli_param *params, int nparams,
                           catex_strbuf *study, catex_farm_options *opt, long *seed, int *help)
{
  enum { O_OUTPUT = 1000, O_FORCE, O_SEED, O_PROGRESS, O_HELP, O_RESUME, O_MAXMEM };
  struct option *lo = calloc((size_t)nparams + 8, sizeof *lo);
  int *given = calloc((size_t)nparams + 1, sizeof *given);
  int bad = 0;
  if (!lo || !given) {
    fprintf(stderr, "catex %s: out of memory\n", cmd);
    bad = 1;
    goto done;
  }
  for (int i = 0; i < nparams; i++)
    lo[i] = (struct option){params[i].option, params[i].type == 'T' || params[i].type == 'F' ? no_argument : required_argument, NULL, 2000 + i};
  lo[nparams] = (struct option){"output", required_argument, NULL, O_OUTPUT};
  lo[nparams + 1] = (struct option){"force", no_argument, NULL, O_FORCE};
  lo[nparams + 2] = (struct option){"seed", required_argument, NULL, O_SEED};
  lo[nparams + 3] = (struct option){"progress-seconds", required_argument, NULL, O_PROGRESS};
  lo[nparams + 4] = (struct option){"help", no_argument, NULL, O_HELP};
  lo[nparams + 5] = (struct option){"resume", no_argument, NULL, O_RESUME};
  lo[nparams + 6] = (struct option){"max-memory", required_argument, NULL, O_MAXMEM};
  opterr = 0;
  optind = 1;
  *help = 0;
  int c;
  while (!bad && (c = getopt_long(argc, argv, ":o:h", lo, NULL)) != -1) {
    char name[64];
    int pi = c - 2000;
    snprintf(name, sizeof name, "--%s", pi >= 0 && pi < nparams ? params[pi].option : "");
    if (pi >= 0 && pi < nparams) {
      const catex_farm_cli_param *p = &params[pi];
      catex_strbuf v = {0};
      switch (p->type) {
      case 'i': case 'd': bad = parse_number(cmd, name, optarg, p->type == 'i', &v) != 0; break;
      case 'w':
        bad = catex_farm_cli_word(cmd, name, optarg, p->words, p->nwords) != 0;
        catex_strbuf_printf(&v, "%s", optarg);
        break;
      case 'l': bad = catex_farm_cli_list(cmd, name, optarg, &v) != 0; break;
      default: catex_strbuf_printf(&v, "%s", p->type == 'T' ? "true" : "false");
      }
      if (!bad) catex_strbuf_printf(study, "    %s: %s\n", p->key, v.s ? v.s : "");
      given[pi] = 1;
      free(v.s);
      continue;
    }
    switch (c) {
    case 'o': case O_OUTPUT: opt->output = optarg; break;
    case O_FORCE: opt->force = 1; break;
    case O_RESUME: opt->resume = 1; break;
    case O_SEED: {
      char *end;
      errno = 0;
      long s = strtol(optarg, &end, 10);
      if (errno || end == optarg || *end || s < 0 || s > 2147483647L) {
        fprintf(stderr, "catex %s: --seed: '%s' is not an integer in [0, 2^31)\n", cmd, optarg);
        bad = 1;
      }
      *seed = s;
      break;
    }
    case O_PROGRESS: {
      char *end;
      opt->progress_seconds = strtod(optarg, &end);
      if (end == optarg || *end || strpbrk(optarg, "xXpP") || !(opt->progress_seconds >= 0) ||
          opt->progress_seconds > 1e9) {
        fprintf(stderr, "catex %s: --progress-seconds: '%s' is not a number in 0 .. 1e9\n", cmd, optarg);
        bad = 1;
      }
      break;
    }
    case O_MAXMEM:
      if (catex_parse_memory(optarg, &opt->max_memory) != 0) {
        fprintf(stderr, "catex %s: --max-memory: '%s' is not a memory size (e.g. 8G, 500M, or MB)\n", cmd, optarg);
        bad = 1;
      }
      break;
    case 'h': case O_HELP: *help = 1; goto done;
    case ':': fprintf(stderr, "catex %s: %s needs a value\n", cmd, argv[optind - 1]); bad = 1; break;
    default: fprintf(stderr, "catex %s: unknown option '%s' (see catex %s --help)\n", cmd, argv[optind - 1], cmd); bad = 1;
    }
  }
  if (!bad && optind < argc) {
    fprintf(stderr, "catex %s: unexpected argument '%s'\n", cmd, argv[optind]);
    bad = 1;
  }
  for (int i = 0; i < nparams && !bad; i++)
    if (params[i].required && !given[i]) {
      fprintf(stderr, "catex %s: --%s is required (see catex %s --help)\n", cmd, params[i].option, cmd);
      bad = 1;
    }
  if (!bad && !opt->output) {
    fprintf(stderr, "catex %s: -o FILE is required (see catex %s --help)\n", cmd, cmd);
    bad = 1;
  }
  if (!bad && study->oom) {
    fprintf(stderr, "catex %s: out of memory\n", cmd);
    bad = 1;
  }
done:
  free(lo);
  free(given);
  return bad ? -1 : 0;
}

static const char *const lattice_words[] = {"hexagon", "cube"};
static const char *const mismatch_words[] = {"unit", "geometric"};

static const catex_farm_cli_param model_params[] = {
    {"lattice", "lattice", 'w', 0, lattice_words, 2},
    {"side", "side", 'i', 1, NULL, 0},
    {"shell-layers", "shell_layers", 'i', 0, NULL, 0},
    {"kshell", "kshell", 'd', 0, NULL, 0},
    {"nnn-mismatch", "nnn_mismatch", 'w', 0, mismatch_words, 2},
    {"kT", "kT", 'd', 1, NULL, 0},
    {"eps", "eps", 'd', 0, NULL, 0},
    {"J", "J", 'd', 0, NULL, 0},
    {"dmu", "dmu", 'd', 0, NULL, 0},
};

int catex_farm_cli_params_join(const catex_farm_cli_param *own, int nown, catex_farm_cli_param *out, int cap)
{
  const int nmodel = (int)(sizeof model_params / sizeof model_params[0]);
  if (nmodel + nown > cap) return -1;
  /* an own param with a shared option's name replaces it in place (e.g.
   * `catex exchange --kshell LIST`, the ladder) */
  int n = 0, used[CATEX_FARM_CLI_MAX_PARAMS] = {0};
  for (int i = 0; i < nmodel; i++) {
    out[n] = model_params[i];
    for (int j = 0; j < nown && j < CATEX_FARM_CLI_MAX_PARAMS; j++)
      if (strcmp(own[j].option, model_params[i].option) == 0) {
        out[n] = own[j];
        used[j] = 1;
      }
    n++;
  }
  for (int j = 0; j < nown; j++)
    if (j >= CATEX_FARM_CLI_MAX_PARAMS || !used[j]) out[n++] = own[j];
  return n;
}

static int is_nested_line(const char *line, const char *const *nested, int nnested)
{
  char prefix[80];
  for (int i = 0; i < nnested; i++) {
    snprintf(prefix, sizeof prefix, "    %s: ", nested[i]);
    if (strncmp(line, prefix, strlen(prefix)) == 0) return 1;
  }
  return 0;
}

int catex_farm_cli_one_study(const char *kind, int argc, char **argv, const catex_farm_cli_param *own, int nown,
                             const char *nested_key, const char *const *nested, int nnested,
                             void (*usage)(FILE *out))
{
  char label[64];
  snprintf(label, sizeof label, "catex %s", kind);
  catex_farm_options opt;
  catex_farm_options_default(&opt);
  opt.label = label;
  catex_strbuf study = {0}, keep = {0}, inner = {0}, yaml = {0};
  long seed = 1;
  int help = 0, code = CATEX_EXIT_USAGE;
  catex_job *job = NULL;
  catex_farm_cli_param params[CATEX_FARM_CLI_MAX_PARAMS];
  const int nparams = catex_farm_cli_params_join(own, nown, params, CATEX_FARM_CLI_MAX_PARAMS);
  if (nparams < 0) {
    fprintf(stderr, "%s: too many options (internal limit %d)\n", label, CATEX_FARM_CLI_MAX_PARAMS);
    return CATEX_EXIT_ERROR;
  }
  if (catex_farm_cli_options(kind, argc, argv, params, nparams, &study, &opt, &seed, &help)) goto done;
  if (help) {
    usage(stdout);
    code = CATEX_EXIT_OK;
    goto done;
  }
  /* "    key: value" lines of nested keys become "key: value" items of the
   * flow mapping nested_key: {...}. */
  for (const char *line = study.s; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
    if (is_nested_line(line, nested, nnested))
      catex_strbuf_printf(&inner, "%s%.*s", inner.n ? ", " : "", (int)(len - 5), line + 4);
    else
      catex_strbuf_printf(&keep, "%.*s", (int)len, line);
    line += len;
  }
  catex_strbuf_printf(&yaml, "# job synthesised by `catex %s`\nname: %s\nseed: %ld\ncheckpoint_minutes: 10\n"
                             "studies:\n  - name: %s\n    kind: %s\n", kind, kind, seed, kind, kind);
  if (nested_key) catex_strbuf_printf(&yaml, "    %s: {%s}\n", nested_key, inner.s ? inner.s : "");
  catex_strbuf_printf(&yaml, "%s%s", keep.s && strstr(keep.s, "    lattice: ") ? "" : "    lattice: hexagon\n",
                      keep.s ? keep.s : "");
  code = CATEX_EXIT_ERROR;
  if (yaml.oom || keep.oom || inner.oom || study.oom) {
    fprintf(stderr, "%s: out of memory\n", label);
    goto done;
  }
  if (catex_farm_cli_parse(MPI_COMM_WORLD, kind, yaml.s, params, nparams, &job)) {
    code = CATEX_EXIT_USAGE; /* a bad option value, like any other usage error */
    goto done;
  }
  code = catex_farm_cli_run(MPI_COMM_WORLD, kind, job, &opt, NULL);
done:
  catex_job_destroy(job);
  free(yaml.s);
  free(study.s);
  free(keep.s);
  free(inner.s);
  return code;
}
