/* Placeholder: replaced by the module that owns this command. */
#include <stdio.h>

#include "commands.h"

int catex_cmd_kmc(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "catex: 'kmc' is not implemented yet\n");
  return 1;
}

void catex_cmd_kmc_usage(FILE *out) { fprintf(out, "usage: catex kmc (not implemented yet)\n"); }
