# Job files (src/job/): parsing, expansion and error messages.
catex_test(test_job SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_job.c LABELS unit)
catex_test(test_job_bad SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_job_bad.c LABELS unit)
catex_test(test_job_files SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_job_files.c LABELS unit)
