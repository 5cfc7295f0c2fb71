/* Helpers shared by the subcommands: option parsing that leaves PETSc's
 * single-dash options (-potential_ksp_type cg) to PETSc, number parsing with
 * messages that name the option and the bad value, and the rule that an
 * existing output file is never overwritten without --force. */
#ifndef CATEX_CLI_COMMON_H
#define CATEX_CLI_COMMON_H

/* Removes PETSc-style options (a single dash followed by a name of two or
 * more characters, e.g. -potential_ksp_type, with the value that follows
 * when it does not itself start with a dash) from argv, in place, so that
 * getopt_long sees only catex's own options. Returns the new argc. */
int catex_cli_strip_petsc_args(int argc, char **argv);

/* The complement: argv[0] followed by only the PETSc-style options (and
 * their values) of argv, in order, written to out (room for argc + 1
 * pointers, NULL-terminated). Returns the count. PetscInitialize gets this
 * list, so PETSc neither parses nor warns about catex's own options. */
int catex_cli_petsc_args(int argc, char **argv, char **out);

/* Parse `value` of option `opt` (e.g. "--side"); on error print
 * "catex <cmd>: <opt>: '<value>' is not ..." to stderr and return -1. */
int catex_cli_parse_int(const char *cmd, const char *opt, const char *value, int *out);
int catex_cli_parse_long(const char *cmd, const char *opt, const char *value, long *out);
int catex_cli_parse_double(const char *cmd, const char *opt, const char *value, double *out);

/* 0 if `path` may be written: it does not exist, or force is set. Otherwise
 * prints why to stderr and returns -1. */
int catex_cli_check_output(const char *cmd, const char *path, int force);

/* 1 if any argument is --help or -h. */
int catex_cli_wants_help(int argc, char **argv);

/* The environment for an `mpirun` child of a command that has itself
 * initialised MPI (a singleton): without this process's own Open MPI and
 * PMIx runtime identity, which would make the child join this job, and
 * with what tools/mpi-env.sh exports (root, more ranks than cores) unless
 * the user set it; other MPIs ignore those. NULL-terminated; the strings
 * are the parent's or static, so free only the array. NULL: no memory. */
char **catex_cli_child_environment(void);

#endif
