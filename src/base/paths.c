#include "catex/paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void catex_make_parent_dirs(const char *path)
{
  char *p = strdup(path);
  if (!p) return;
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    mkdir(p, 0777);
    *s = '/';
  }
  free(p);
}
