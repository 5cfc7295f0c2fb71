# Issue 12: automatic KMC grid start, interior fractions, output metadata.
catex_test(test_kmc_grid SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmc_grid.c ${CMAKE_CURRENT_LIST_DIR}/test_kmc_util.c
           LABELS unit TIMEOUT 120)
