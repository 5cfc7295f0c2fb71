/* Placeholder: replaced by the module that owns this command. */
#include <stdio.h>

#include "commands.h"

int catex_cmd_run(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "catex: 'run' is not implemented yet\n");
  return 1;
}

void catex_cmd_run_usage(FILE *out) { fprintf(out, "usage: catex run (not implemented yet)\n"); }
