/* Life cycle of the output file: creation under a temporary name and rename
 * (so a half-built file never sits at the output path), reopening with
 * checks for --resume, reading the status column, closing. The kill-safety
 * argument is in include/catex/output.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "catex/paths.h"
#include "output_internal.h"

/* serial: the file is built by one rank alone with HDF5's POSIX driver
 * (comm is then MPI_COMM_SELF); otherwise every rank opens it with MPI-IO. */
static catex_status setup(MPI_Comm comm, int serial, const catex_job *job, catex_output **out, hid_t *fapl,
                          catex_error *err)
{
  catex_output *o = calloc(1, sizeof *o);
  if (!o) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  o->file = o->dxpl = o->strtype = -1;
  o->job = job;
  if (MPI_Comm_dup(comm, &o->comm) != MPI_SUCCESS) {
    free(o);
    return catex_error_set(err, CATEX_ERR_MPI, "MPI_Comm_dup failed");
  }
  MPI_Comm_rank(o->comm, &o->rank);
  MPI_Comm_size(o->comm, &o->size);
  *out = o;
  *fapl = H5Pcreate(H5P_FILE_ACCESS);
  o->dxpl = H5Pcreate(H5P_DATASET_XFER);
  o->strtype = H5Tcopy(H5T_C_S1);
  int driver = serial ? H5Pset_fapl_sec2(*fapl) >= 0
                      : H5Pset_fapl_mpio(*fapl, o->comm, MPI_INFO_NULL) >= 0 &&
                            H5Pset_all_coll_metadata_ops(*fapl, 1) >= 0 && H5Pset_coll_metadata_write(*fapl, 1) >= 0 &&
                            H5Pset_dxpl_mpio(o->dxpl, H5FD_MPIO_COLLECTIVE) >= 0;
  if (*fapl < 0 || o->dxpl < 0 || o->strtype < 0 || !driver || H5Tset_size(o->strtype, CATEX_TASK_MESSAGE_LEN) < 0 ||
      H5Tset_strpad(o->strtype, H5T_STR_NULLTERM) < 0)
    return catex_error_set(err, CATEX_ERR_IO, "cannot set up HDF5 property lists (is HDF5 built with MPI?)");
  return CATEX_OK;
}

static void release(catex_output *o)
{
  if (!o) return;
  for (int i = 0; i < o->ndsets; i++)
    if (o->dsets[i].dset >= 0) H5Dclose(o->dsets[i].dset);
  free(o->dsets);
  if (o->file >= 0) H5Fclose(o->file);
  if (o->dxpl >= 0) H5Pclose(o->dxpl);
  if (o->strtype >= 0) H5Tclose(o->strtype);
  for (long i = 0; i < o->npending; i++) catex_task_result_destroy(o->pending[i]);
  free(o->pending);
  MPI_Comm_free(&o->comm);
  free(o);
}

/* fsync of a file or directory; a crash right after rename() must not leave
 * a name pointing at data still in flight. */
static int sync_path(const char *path, int dir)
{
  int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return -1;
  int r = fsync(fd);
  close(fd);
  return r;
}

/* Rank 0 alone builds the file (POSIX driver, no collective call inside
 * HDF5): a full disk or any other failure then cannot leave the other ranks
 * waiting in one of HDF5's internal collectives, which is what happened when
 * every rank took part in the fill of the datasets; they learn the outcome
 * from one broadcast. The final close is checked too: a file whose last
 * metadata did not reach the disk is never renamed into place. */
static catex_status build(const char *tmp, const catex_job *job, const char *cli_options, int run_ranks,
                         catex_error *err)
{
  hid_t fapl = -1;
  catex_output *o = NULL;
  catex_status st = setup(MPI_COMM_SELF, 1, job, &o, &fapl, err);
  if (!st) {
    o->file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (o->file < 0) st = catex_error_set(err, CATEX_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
  }
  /* Reserve the whole (upper-bound) size before HDF5 writes anything: a
   * full disk is then reported here, by the system, and never meets HDF5
   * half-way through a structure (HDF5 1.10 cannot even close such a file:
   * it crashed in MPI_Finalize). The unused tail is cut off after closing. */
  if (!st) {
    const double bound = catex_output_estimate_bytes(job, NULL, 0);
    int fd = open(tmp, O_WRONLY);
    int rc = fd < 0 ? errno : posix_fallocate(fd, 0, (off_t)bound);
    if (fd >= 0) close(fd);
    if (rc)
      st = catex_error_set(err, CATEX_ERR_IO, "cannot reserve %.3g MB for '%s': %s", bound / 1e6, tmp, strerror(rc));
  }
  errno = 0;
  if (!st) st = out_layout(o, 1, err);
  if (!st) st = out_write_static(o, err);
  if (!st) st = out_write_provenance(o, run_ranks, err);
  if (!st) st = out_attach_dimension_scales(o, err);
  if (!st) {
    hid_t jg = H5Gopen2(o->file, "job", H5P_DEFAULT);
    st = jg < 0 ? catex_error_set(err, CATEX_ERR_IO, "cannot open /job")
                : out_attr_string(jg, "potential_options", cli_options ? cli_options : "", err);
    if (jg >= 0) H5Gclose(jg);
  }
  if (st && errno && err) {
    /* HDF5's own stack is silenced: the system's reason is what a user needs */
    size_t n = strlen(err->message);
    snprintf(err->message + n, sizeof err->message - n, " (%s)", strerror(errno));
  }
  if (!st) {
    for (int i = 0; i < o->ndsets; i++) {
      H5Dclose(o->dsets[i].dset);
      o->dsets[i].dset = -1;
    }
    /* the end of HDF5's allocated space, not the file's size (which is the
     * reservation): HDF5 cuts a file to this when it closes it after a
     * run, so a file must have this size from the start or a kill before the
     * first such close would leave different metadata (the file size) */
    haddr_t eoa = 0;
    hsize_t size = H5Fget_eoa(o->file, &eoa) < 0 ? 0 : (hsize_t)eoa;
    errno = 0;
    if (H5Fclose(o->file) < 0)
      st = catex_error_set(err, CATEX_ERR_IO, "cannot complete '%s' (closing it failed%s%s)", tmp,
                           errno ? ": " : "", errno ? strerror(errno) : "");
    o->file = -1;
    struct stat sb;
    if (!st && size > 0 && stat(tmp, &sb) == 0 && (hsize_t)sb.st_size > size && truncate(tmp, (off_t)size) != 0)
      st = catex_error_set(err, CATEX_ERR_IO, "cannot trim '%s': %s", tmp, strerror(errno));
    /* One more open and close settles HDF5's free space: the first close
     * leaves the unused tail of its allocation blocks inside the file, and
     * the first close of a run would cut it. Done here, the file has from the
     * start the size and metadata that every later close leaves, so a kill
     * before the run's first close changes nothing but raw data. */
    hid_t again = st ? -1 : H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    if (!st && (again < 0 || H5Fclose(again) < 0))
      st = catex_error_set(err, CATEX_ERR_IO, "cannot complete '%s' (reopening it failed%s%s)", tmp,
                           errno ? ": " : "", errno ? strerror(errno) : "");
  }
  if (fapl >= 0) H5Pclose(fapl);
  release(o);
  return st;
}

/* Every dataset is allocated (and filled) at creation, so a typo such as a
 * potential study of 10^5 sites would otherwise fill the disk with NaN
 * before the first task runs. */
static catex_status check_space(const char *path, const catex_job *job, catex_error *err)
{
  char largest[160] = "";
  const double need = catex_output_estimate_bytes(job, largest, sizeof largest);
  char *dir = strdup(path);
  struct statvfs fs;
  int known = dir && statvfs(dirname(dir), &fs) == 0;
  free(dir);
  if (!known) return CATEX_OK; /* creation itself will report an unusable directory */
  /* for tests only: lets them reach a full disk during creation (the check
   * cannot see other writers of the same file system) */
  if (getenv("CATEX_TEST_SKIP_SPACE_CHECK")) return CATEX_OK;
  const double avail = (double)fs.f_bavail * (double)fs.f_frsize;
  if (need <= avail) return CATEX_OK;
  return catex_error_set(err, CATEX_ERR_IO,
                         "the output file needs %.3g GB (largest dataset %s) but its file system has %.3g GB free",
                         need / 1e9, largest, avail / 1e9);
}

catex_status catex_output_create(MPI_Comm comm, const char *path, const catex_job *job, const char *cli_options,
                                 catex_output **out, catex_error *err)
{
  *out = NULL;
  int rank;
  MPI_Comm_rank(comm, &rank);
  size_t len = strlen(path) + 16;
  char *tmp = malloc(len);
  if (!tmp) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  snprintf(tmp, len, "%s.creating", path);
  int code = 0;
  if (rank == 0) {
    catex_make_parent_dirs(path);
    code = (int)check_space(path, job, err);
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, comm);
  if (code) {
    free(tmp);
    if (rank != 0) catex_error_set(err, (catex_status)code, "rank 0 found no room for the file");
    return catex_error_prefix(err, (catex_status)code, "%s", path);
  }
  /* Failures are reported in one line (errno-level detail is in HDF5's own
   * stack, which is long and rarely helps a user). */
  H5E_auto2_t func;
  void *data;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int nranks;
  MPI_Comm_size(comm, &nranks);
  catex_status st = rank == 0 ? build(tmp, job, cli_options, nranks, err) : CATEX_OK;
  H5Eset_auto2(H5E_DEFAULT, func, data);
  if (!st && rank == 0) {
    char *dcopy = strdup(path);
    if (sync_path(tmp, 0) != 0 || rename(tmp, path) != 0)
      st = catex_error_set(err, CATEX_ERR_IO, "cannot move '%s' to '%s': %s", tmp, path, strerror(errno));
    else if (dcopy)
      sync_path(dirname(dcopy), 1); /* best effort: some file systems refuse fsync on directories */
    free(dcopy);
  }
  if (rank == 0 && st) unlink(tmp);
  code = (int)st;
  MPI_Bcast(&code, 1, MPI_INT, 0, comm);
  if (code && !st) st = catex_error_set(err, (catex_status)code, "rank 0 could not create '%s'", path);
  free(tmp);
  if (st) return catex_error_prefix(err, st, "%s", path);
  return catex_output_open(comm, path, job, cli_options, out, err);
}

static catex_status check_job(catex_output *o, const char *cli_options, catex_error *err)
{
  long version = 0, ntasks = 0;
  char *text = NULL;
  catex_status st;
  hid_t jg = -1;
  if ((st = out_attr_read_long(o->file, "format_version", &version, err))) return st;
  if (version != CATEX_OUTPUT_FORMAT_VERSION)
    return catex_error_set(err, CATEX_ERR_IO, "format_version %ld, this catex writes %d", version,
                           CATEX_OUTPUT_FORMAT_VERSION);
  /* Tasks redone by another version need not match the ones already in the
   * file bit for bit, and one file must not mix them. */
  char *written_by = NULL;
  if ((st = out_attr_read_string(o->file, "catex_version", &written_by, err))) return st;
  int same_version = strcmp(written_by, CATEX_VERSION) == 0;
  if (!same_version)
    catex_error_set(err, CATEX_ERR_IO, "it was written by catex %s, this is catex %s; finish it with that version",
                    written_by, CATEX_VERSION);
  free(written_by);
  if (!same_version) return CATEX_ERR_IO;
  if (H5Lexists(o->file, "job", H5P_DEFAULT) <= 0 || (jg = H5Gopen2(o->file, "job", H5P_DEFAULT)) < 0)
    return catex_error_set(err, CATEX_ERR_IO, "group /job is missing");
  if (!(st = out_attr_read_long(jg, "ntasks", &ntasks, err)) && !(st = out_attr_read_string(jg, "text", &text, err))) {
    if (strcmp(text, catex_job_text(o->job)) != 0)
      st = catex_error_set(err, CATEX_ERR_IO,
                           "it was written by a different job file (/job text differs); refusing to resume it");
    else if (ntasks != catex_job_num_tasks(o->job))
      st = catex_error_set(err, CATEX_ERR_IO, "the file has %ld tasks, the job %ld (another catex version?)", ntasks,
                           catex_job_num_tasks(o->job));
  }
  free(text);
  char *opts = NULL;
  if (!st && !(st = out_attr_read_string(jg, "potential_options", &opts, err)) &&
      strcmp(opts, cli_options ? cli_options : "") != 0)
    st = catex_error_set(err, CATEX_ERR_IO,
                         "it was written with the command-line options '%s', this run has '%s'; refusing to resume "
                         "it (its tasks would mix two solver set-ups)",
                         opts, cli_options ? cli_options : "");
  free(opts);
  H5Gclose(jg);
  return st;
}

/* Why path cannot be opened as an HDF5 file for writing, if it cannot:
 * checked by rank 0 before any rank opens it, because HDF5 itself says
 * only "unable to open file", and an MPI-IO open for writing of something
 * that is not HDF5 (an empty file) already changed it. */
static catex_status check_openable(const char *path, catex_error *err)
{
  struct stat sb;
  if (stat(path, &sb) != 0) return catex_error_set(err, CATEX_ERR_IO, "cannot open it: %s", strerror(errno));
  if (S_ISDIR(sb.st_mode)) return catex_error_set(err, CATEX_ERR_IO, "it is a directory, not an HDF5 file");
  if (!S_ISREG(sb.st_mode)) return catex_error_set(err, CATEX_ERR_IO, "it is not a regular file");
  int fd = open(path, O_RDWR);
  if (fd < 0)
    return catex_error_set(err, CATEX_ERR_IO, "cannot open it for writing: %s%s", strerror(errno),
                           errno == EROFS ? " (a read-only file system)" : errno == EACCES ? " (permissions)" : "");
  char sig[8] = {0};
  /* the HDF5 signature (at offset 0 for every file catex writes) */
  ssize_t got = pread(fd, sig, sizeof sig, 0);
  close(fd);
  if (got != 8 || memcmp(sig, "\x89HDF\r\n\x1a\n", 8) != 0)
    return catex_error_set(err, CATEX_ERR_IO, "it is not an HDF5 file (%lld bytes, no HDF5 signature); left as it is",
                           (long long)sb.st_size);
  return CATEX_OK;
}

catex_status catex_output_open(MPI_Comm comm, const char *path, const catex_job *job, const char *cli_options,
                               catex_output **out, catex_error *err)
{
  *out = NULL;
  {
    int rank, code = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) code = (int)check_openable(path, err);
    MPI_Bcast(&code, 1, MPI_INT, 0, comm);
    if (code) {
      if (rank != 0) catex_error_set(err, (catex_status)code, "rank 0 cannot open it");
      return catex_error_prefix(err, (catex_status)code, "%s", path);
    }
  }
  hid_t fapl = -1;
  catex_output *o = NULL;
  catex_status st = setup(comm, 0, job, &o, &fapl, err);
  /* A file that is not HDF5 at all is a user error reported in one line,
   * not an HDF5 error stack. */
  H5E_auto2_t func;
  void *data;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (!st) {
    o->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    if (o->file < 0) st = catex_error_set(err, CATEX_ERR_IO, "cannot open it as an HDF5 file for writing");
  }
  if (!st) st = check_job(o, cli_options, err);
  if (!st) st = out_layout(o, 0, err);
  H5Eset_auto2(H5E_DEFAULT, func, data);
  if (o) st = out_agree(o, st, err);
  if (fapl >= 0) H5Pclose(fapl);
  if (st) {
    release(o);
    return catex_error_prefix(err, st, "%s", path);
  }
  *out = o;
  return CATEX_OK;
}

catex_status catex_output_read_status(catex_output *o, signed char *status, catex_error *err)
{
  catex_status st = CATEX_ERR_INTERNAL;
  for (int i = 0; i < o->ndsets; i++) {
    if (o->dsets[i].field != OF_STATUS) continue;
    st = H5Dread(o->dsets[i].dset, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, o->dxpl, status) < 0 ? CATEX_ERR_IO : CATEX_OK;
  }
  if (st) catex_error_set(err, st, "cannot read /tasks/status");
  return out_agree(o, st, err);
}

catex_status catex_output_close(catex_output *o, catex_error *err)
{
  if (!o) return CATEX_OK;
  catex_status st = CATEX_OK;
  for (int i = 0; i < o->ndsets; i++) {
    H5Dclose(o->dsets[i].dset);
    o->dsets[i].dset = -1;
  }
  if (H5Fclose(o->file) < 0) st = catex_error_set(err, CATEX_ERR_IO, "H5Fclose failed");
  o->file = -1;
  release(o);
  return st;
}
