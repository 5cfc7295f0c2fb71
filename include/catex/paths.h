/* File-system paths shared by the commands that write files. */
#ifndef CATEX_PATHS_H
#define CATEX_PATHS_H

/* mkdir -p of the directories leading to path (job files and commands name
 * outputs such as results/x.h5). Best effort: a directory that cannot be
 * made shows up as a clear error of whatever is created there next. */
void catex_make_parent_dirs(const char *path);

#endif
