/* The job's one HDF5 file (layout: README "Output file"), opened by every
 * rank with the MPI-IO driver. Every call here is collective over the
 * communicator given at creation unless it says otherwise.
 *
 * Kill-safety protocol (why a `kill -9` at any moment leaves a file that
 * `catex run --resume` can use, without losing a task an earlier flush
 * reported done):
 *
 *  1. Metadata is written exactly once. The file is built completely (groups,
 *     attributes, and every dataset allocated with H5D_ALLOC_TIME_EARLY,
 *     contiguous layout, fill values, no object time stamps, fixed-length
 *     message strings) under "<out>.creating", closed, fsync'ed and then
 *     renamed to <out>. A kill before the rename leaves no <out> (a fresh
 *     start ignores and replaces the stale temp file). After the rename the
 *     library only ever writes raw data into extents that already exist, at
 *     offsets fixed at creation, so no HDF5 structure can be torn by a kill.
 *     (tests/test_farm_kill.py checks this: every byte outside the datasets'
 *     raw-data extents is identical before and after a run with many
 *     flushes and kills.)
 *  2. Each flush is two-phase. Phase A writes the finished tasks' results
 *     (and runtime, rank, message), then H5Fflush, which ends in
 *     MPI_File_sync: the data are in the file before phase B starts. Phase B
 *     writes those tasks' /tasks/status entries (1 done, 2 failed), then
 *     H5Fflush again. A task is "done" only once its status byte is 1; a kill
 *     during phase A or B leaves tasks whose status is still 0 and whose rows
 *     may be partly written: --resume redoes them, and since a task's result
 *     depends only on (job, seed, task id), the rows are rewritten with the
 *     same bytes. Status entries are single bytes, so none is ever torn.
 *  3. --resume reopens <out>, checks format_version, ntasks and that /job
 *     text equals the job file verbatim, and every dataset's shape, then
 *     reads /tasks/status: tasks with status 1 are skipped, all others
 *     (pending, failed, or written but not marked) are run again. */
#ifndef CATEX_OUTPUT_H
#define CATEX_OUTPUT_H

#include <mpi.h>
#include <stddef.h>

#include "catex/job.h"
#include "catex/task.h"

/* 2: /tasks/checksum */
#define CATEX_OUTPUT_FORMAT_VERSION 2

typedef struct catex_output catex_output;

/* An upper bound of the file's size in bytes (its datasets are all
 * allocated when the file is created; static content and HDF5 metadata are
 * bounded generously); the largest dataset's path goes to largest (if
 * non-NULL). */
double catex_output_estimate_bytes(const catex_job *job, char *largest, size_t nlargest);

/* Builds the whole file under "<path>.creating" and renames it to path
 * (replacing an existing file: the caller decides whether that is allowed),
 * then opens it for writing. Refused, before anything is written, if the
 * file system lacks the space for the pre-allocated datasets. On error
 * nothing is left at path or at the temporary name. */
catex_status catex_output_create(MPI_Comm comm, const char *path, const catex_job *job, const char *cli_options,
                                 catex_output **out, catex_error *err);

/* Opens an existing file for --resume after checking that it belongs to this
 * job (same job text and task count, expected datasets and shapes) and
 * was written with the same command-line solver options: cli_options (the
 * -potential_* options of the command line, "" for none) is stored in /job
 * attribute potential_options at creation. */
catex_status catex_output_open(MPI_Comm comm, const char *path, const catex_job *job, const char *cli_options,
                               catex_output **out, catex_error *err);

/* Reads /tasks/status (ntasks entries, catex_task_status values) on every rank. */
catex_status catex_output_read_status(catex_output *o, signed char *status, catex_error *err);

/* Recomputes the checksum of every task that status marks done (from the
 * rows in the file, each rank a share of the tasks) and compares it with
 * /tasks/checksum; a task that does not match is set to pending in status
 * (on every rank) so that it is run again. *nbad receives their number and
 * bad (if non-NULL, room for nbad_max ids) the first of them. */
catex_status catex_output_verify(catex_output *o, signed char *status, long *nbad, long *bad, long nbad_max,
                                 catex_error *err);

/* Not collective: hands a finished task's record to the buffer of this rank
 * (ownership passes to the output object, also on error). */
catex_status catex_output_add(catex_output *o, catex_task_result *res, catex_error *err);
size_t catex_output_buffered_bytes(const catex_output *o); /* not collective */
long catex_output_buffered_tasks(const catex_output *o);   /* not collective */

/* Two-phase flush of every rank's buffered records (see above); ranks with
 * nothing buffered still take part. *flushed (may be NULL) receives the
 * number of tasks written by all ranks together. */
catex_status catex_output_flush(catex_output *o, long *flushed, catex_error *err);

/* Closes the file; buffered records that were not flushed are dropped (they
 * are still pending in the file). */
catex_status catex_output_close(catex_output *o, catex_error *err);

#endif
