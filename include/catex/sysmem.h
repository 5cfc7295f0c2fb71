/* Memory of this machine and process: what a job may use, what it used. */
#ifndef CATEX_SYSMEM_H
#define CATEX_SYSMEM_H

#include <stddef.h>

/* Bytes this process may still allocate on its node: MemAvailable of
 * /proc/meminfo, lowered to the cgroup limit minus its usage (cgroup v2
 * memory.max / memory.current, or v1 memory.limit_in_bytes /
 * memory.usage_in_bytes) when there is one. 0 if unknown. */
size_t catex_available_memory(void);

/* Peak resident set size of this process (getrusage ru_maxrss), bytes. */
size_t catex_peak_rss(void);

/* Parses a memory size: a number of MB, or a number with suffix K, M, G or T
 * (powers of 1024, "B" optional: 500M, 8G, 1.5GB). -1 if malformed. */
int catex_parse_memory(const char *text, size_t *bytes);

#endif
