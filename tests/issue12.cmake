# Issue 12: automatic KMC grid start, interior fractions, output metadata.
catex_test(test_kmc_grid SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmc_grid.c ${CMAKE_CURRENT_LIST_DIR}/test_kmc_util.c
           LABELS unit TIMEOUT 120)
catex_script_test(test_tools_issue12
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_tools_issue12.py
  TIMEOUT 600
  LABELS tools)
