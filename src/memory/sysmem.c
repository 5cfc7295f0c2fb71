/* Available memory, peak RSS and memory sizes (include/catex/sysmem.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "catex/sysmem.h"

/* First number of a file; -1 if absent or "max". */
static double read_number(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char buf[64] = "";
  double v = -1;
  if (fgets(buf, sizeof buf, f) && isdigit((unsigned char)buf[0])) v = strtod(buf, NULL);
  fclose(f);
  return v;
}

static double meminfo_available(void)
{
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[256];
  double kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "MemAvailable:", 13) == 0) {
      kb = strtod(line + 13, NULL);
      break;
    }
  fclose(f);
  return kb < 0 ? -1 : kb * 1024.0;
}

size_t catex_available_memory(void)
{
  double avail = meminfo_available();
  double limit = read_number("/sys/fs/cgroup/memory.max"), used = read_number("/sys/fs/cgroup/memory.current");
  if (limit < 0) {
    limit = read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    used = read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes");
  }
  /* v1 reports "no limit" as a huge number */
  if (limit > 0 && limit < 1e18) {
    double left = limit - (used > 0 ? used : 0);
    if (left < 0) left = 0;
    if (avail < 0 || left < avail) avail = left;
  }
  return avail > 0 ? (size_t)avail : 0;
}

size_t catex_peak_rss(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (size_t)ru.ru_maxrss * 1024;
}

int catex_parse_memory(const char *text, size_t *bytes)
{
  if (!text || !*text) return -1;
  char *end;
  double v = strtod(text, &end);
  if (end == text || !(v >= 0) || v > 1e15) return -1;
  double scale = 1048576.0;
  switch (toupper((unsigned char)*end)) {
  case '\0': break;
  case 'K': scale = 1024.0; end++; break;
  case 'M': scale = 1048576.0; end++; break;
  case 'G': scale = 1073741824.0; end++; break;
  case 'T': scale = 1099511627776.0; end++; break;
  default: return -1;
  }
  if (toupper((unsigned char)*end) == 'B') end++;
  if (*end) return -1;
  *bytes = (size_t)(v * scale);
  return 0;
}
