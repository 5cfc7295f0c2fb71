/* Every job file shipped in jobs/ must load: a typo there would only show
 * up when a user launches it on a cluster. Prints each job's size. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "catex/job.h"
#include "check.h"

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_job_files", &argc, &argv)) return 1;
  const char *src = getenv("CATEX_SOURCE_DIR");
  CHECK(&t, src != NULL, "CATEX_SOURCE_DIR is set");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/jobs", src ? src : ".");
  DIR *d = opendir(dir);
  CHECK(&t, d != NULL, "open %s", dir);
  int n = 0, quickstart = 0;
  struct dirent *ent;
  while (d && (ent = readdir(d))) {
    size_t len = strlen(ent->d_name);
    if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0) continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    catex_job *job = NULL;
    catex_error err = {0};
    catex_status st = catex_job_load(path, &job, &err);
    CHECK(&t, st == CATEX_OK, "%s: %s", ent->d_name, err.message);
    n++;
    if (!job) continue;
    double cost = 0;
    for (long i = 0; i < catex_job_num_tasks(job); i++) cost += catex_job_task(job, i)->cost;
    printf("%-24s %3d studies %7ld tasks  relative cost %.3g\n", ent->d_name, catex_job_num_studies(job),
           catex_job_num_tasks(job), cost);
    if (strcmp(ent->d_name, "quickstart.yaml") == 0) quickstart = 1;
    catex_job_destroy(job);
  }
  if (d) closedir(d);
  CHECK(&t, quickstart, "jobs/quickstart.yaml exists");
  CHECK(&t, n >= 1, "%d job files", n);
  return catex_check_finish(&t);
}
