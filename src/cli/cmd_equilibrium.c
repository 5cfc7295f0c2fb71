/* Placeholder: replaced by the module that owns this command. */
#include <stdio.h>

#include "commands.h"

int catex_cmd_equilibrium(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "catex: 'equilibrium' is not implemented yet\n");
  return 1;
}

void catex_cmd_equilibrium_usage(FILE *out) { fprintf(out, "usage: catex equilibrium (not implemented yet)\n"); }
