#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
  const char *name, *summary;
  int (*run)(int, char **);
} targets[] = {
    {"potential", "time to build V: hexagon side 24 + 1 shell (N = 1801), cube 12 + 1 shell (N = 2744)",
     catex_bench_potential},
    {"kmc", "KMC events/s: elastic N = 271, 721, 1728 and Ising side 16", catex_bench_kmc},
    {"equilibrium", "Kawasaki attempts/s and projected paper-protocol time at N_core = 1657",
     catex_bench_equilibrium},
    {"farm", "task-farm parallel efficiency and dispatch cost per task", catex_bench_farm},
    {"exchange", "replica-exchange overhead per sweep at side 24, round trips of a side-16 ladder",
     catex_bench_exchange},
    {"scale", "V build time / peak RSS (cube L 12, 20, 30, hexagon 60), node sharing, Ising bytes/site",
     catex_bench_scale},
};

void catex_cmd_bench_usage(FILE *out)
{
  fprintf(out, "usage: catex bench <target> [options]\n\n"
               "Benchmarks, not tests: each prints one JSON object on stdout.\n\ntargets:\n");
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    fprintf(out, "  %-12s %s\n", targets[i].name, targets[i].summary);
}

int catex_cmd_bench(int argc, char **argv)
{
  if (argc < 2) {
    catex_cmd_bench_usage(stderr);
    return 2;
  }
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp(argv[1], targets[i].name) == 0) return targets[i].run(argc - 1, argv + 1);
  fprintf(stderr, "catex bench: unknown target '%s'\n", argv[1]);
  catex_cmd_bench_usage(stderr);
  return 2;
}
