/* Placeholder: replaced by the module that owns this command. */
#include <stdio.h>

#include "commands.h"

int catex_bench_kmc(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "catex: 'bench kmc' is not implemented yet\n");
  return 1;
}
