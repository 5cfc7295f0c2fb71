/* Placeholder: replaced by the module that owns this command. */
#include <stdio.h>

#include "commands.h"

int catex_cmd_potential(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "catex: 'potential' is not implemented yet\n");
  return 1;
}

void catex_cmd_potential_usage(FILE *out) { fprintf(out, "usage: catex potential (not implemented yet)\n"); }
